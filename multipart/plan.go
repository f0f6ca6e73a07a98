package multipart

import (
	"errors"
	"fmt"
)

// S3's multipart limits, the same on AWS, MinIO, FlashBlade and versitygw.
const (
	// MinPartSize is the smallest size of every part but the last (5 MiB).
	MinPartSize int64 = 5 << 20
	// MaxPartSize is the largest size of a part (5 GiB).
	MaxPartSize int64 = 5 << 30
	// MaxParts is the largest number of parts of one upload.
	MaxParts = 10000
	// MaxObjectSize is the largest object a multipart upload can make (5 TiB).
	MaxObjectSize int64 = 5 << 40
	// DefaultPartSize is the part size used when none is given: 64 MiB, as
	// Hadoop's fs.s3a.multipart.size.
	DefaultPartSize int64 = 64 << 20
)

// ErrFileTooLarge is returned by [PlanParts] when a file exceeds
// [MaxObjectSize] and cannot be uploaded as one object.
var ErrFileTooLarge = errors.New("file too large for one S3 object")

// ErrInvalidPartSize is returned by [PlanParts] for a preferred part size
// outside [MinPartSize, MaxPartSize].
var ErrInvalidPartSize = errors.New("invalid part size")

// Plan is how a file of a given size is cut into parts: every part has
// PartSize bytes except the last, which holds the rest. A zero-byte file
// has one empty part.
type Plan struct {
	// Size is the file size in bytes.
	Size int64
	// PartSize is the size of every part but the last.
	PartSize int64
	// Parts is the number of parts, at least 1.
	Parts int
}

// PartRange is one part of a [Plan]: its number and byte range in the file.
type PartRange struct {
	Number int32
	Offset int64
	Size   int64
}

// Part returns part i of the plan, for i in [0, Parts).
func (p Plan) Part(i int) PartRange {
	off := int64(i) * p.PartSize
	return PartRange{Number: int32(i + 1), Offset: off, Size: min(p.PartSize, p.Size-off)}
}

// PlanParts plans the parts of a file of size bytes with the preferred part
// size (0 means [DefaultPartSize]). The part size is grown, in whole MiB,
// when the file would otherwise need more than [MaxParts] parts. It fails
// with [ErrInvalidPartSize] when the preferred size is out of S3's range and
// with [ErrFileTooLarge] when the file cannot be one object.
func PlanParts(size, preferredPartSize int64) (Plan, error) {
	if preferredPartSize == 0 {
		preferredPartSize = DefaultPartSize
	}
	if preferredPartSize < MinPartSize || preferredPartSize > MaxPartSize {
		return Plan{}, fmt.Errorf("%w: %d bytes; choose a part size between %d (5 MiB) and %d (5 GiB)",
			ErrInvalidPartSize, preferredPartSize, MinPartSize, MaxPartSize)
	}
	if size < 0 {
		return Plan{}, fmt.Errorf("multipart: negative file size %d", size)
	}
	if size > MaxObjectSize {
		return Plan{}, fmt.Errorf("%w: %d bytes is more than S3's limit of %d bytes (5 TiB)",
			ErrFileTooLarge, size, MaxObjectSize)
	}
	partSize := preferredPartSize
	if ceilDiv(size, partSize) > MaxParts {
		const mib = 1 << 20
		partSize = ceilDiv(ceilDiv(size, MaxParts), mib) * mib
	}
	parts := max(1, int(ceilDiv(size, partSize)))
	return Plan{Size: size, PartSize: partSize, Parts: parts}, nil
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }
