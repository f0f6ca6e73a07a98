package multipart

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math/bits"
	"sync"

	"github.com/minio/crc64nvme"
)

// ChecksumAlgorithm names a checksum algorithm as S3 does: the value of
// x-amz-checksum-algorithm and the suffix of the x-amz-checksum-* headers.
// The algorithms of this package are CRCs that S3 can combine into a
// full-object checksum of a multipart upload (checksum type FULL_OBJECT).
type ChecksumAlgorithm string

// The checksum algorithms of this package.
const (
	// ChecksumCRC64NVME is the 64-bit CRC of NVMe (CRC-64/NVME), S3's
	// default checksum since 2025 and the one the [Uploader] computes.
	ChecksumCRC64NVME ChecksumAlgorithm = "CRC64NVME"
	// ChecksumCRC32C is CRC-32C (Castagnoli).
	ChecksumCRC32C ChecksumAlgorithm = "CRC32C"
	// ChecksumCRC32 is the CRC-32 of IEEE 802.3.
	ChecksumCRC32 ChecksumAlgorithm = "CRC32"
)

// ChecksumTypeFullObject is the checksum type (x-amz-checksum-type) of a
// checksum computed over the whole object, as opposed to "COMPOSITE", a
// checksum of the parts' checksums.
const ChecksumTypeFullObject = "FULL_OBJECT"

// ErrUnsupportedChecksum is returned for a checksum algorithm this package
// does not compute.
var ErrUnsupportedChecksum = errors.New("unsupported checksum algorithm")

// Checksum is a checksum and its algorithm. Value is the base64 encoding of
// the checksum's big-endian bytes, the form S3 headers and answers carry.
type Checksum struct {
	// Algorithm is the checksum's algorithm; empty when there is none.
	Algorithm ChecksumAlgorithm
	// Value is the base64-encoded checksum; empty when there is none.
	Value string
}

// IsZero reports whether c holds no checksum.
func (c Checksum) IsZero() bool { return c.Algorithm == "" && c.Value == "" }

// String returns "ALGORITHM:value", or "" for no checksum.
func (c Checksum) String() string {
	if c.IsZero() {
		return ""
	}
	return string(c.Algorithm) + ":" + c.Value
}

// crcSpec describes a reflected CRC with all-ones initial value and final
// XOR, the form of every algorithm above.
type crcSpec struct {
	width int    // 32 or 64
	poly  uint64 // reflected polynomial
	new   func() hash.Hash
	x2n   func() *[72]uint64
}

var crc32cTable = crc32.MakeTable(crc32.Castagnoli)

var crcSpecs = map[ChecksumAlgorithm]*crcSpec{
	ChecksumCRC64NVME: {width: 64, poly: bits.Reverse64(0xad93d23594c93659), new: func() hash.Hash { return crc64nvme.New() }},
	ChecksumCRC32C:    {width: 32, poly: uint64(bits.Reverse32(0x1edc6f41)), new: func() hash.Hash { return crc32.New(crc32cTable) }},
	ChecksumCRC32:     {width: 32, poly: uint64(bits.Reverse32(0x04c11db7)), new: func() hash.Hash { return crc32.NewIEEE() }},
}

func init() {
	for _, s := range crcSpecs {
		s.x2n = sync.OnceValue(s.powers)
	}
}

func specOf(a ChecksumAlgorithm) (*crcSpec, error) {
	s, ok := crcSpecs[a]
	if !ok {
		return nil, fmt.Errorf("%w %q: use %s, %s or %s", ErrUnsupportedChecksum, a, ChecksumCRC64NVME, ChecksumCRC32C, ChecksumCRC32)
	}
	return s, nil
}

// NewHash returns a hash of algorithm a whose Sum is the checksum's
// big-endian bytes (see [EncodeChecksum]).
func (a ChecksumAlgorithm) NewHash() (hash.Hash, error) {
	s, err := specOf(a)
	if err != nil {
		return nil, err
	}
	return s.new(), nil
}

// EncodeChecksum returns the checksum whose big-endian bytes sum holds, as
// a hash of [ChecksumAlgorithm.NewHash] returns them.
func EncodeChecksum(a ChecksumAlgorithm, sum []byte) Checksum {
	return Checksum{Algorithm: a, Value: base64.StdEncoding.EncodeToString(sum)}
}

// ComputeChecksum reads r to its end and returns the checksum of what it
// read and the number of bytes.
func ComputeChecksum(a ChecksumAlgorithm, r io.Reader) (Checksum, int64, error) {
	h, err := a.NewHash()
	if err != nil {
		return Checksum{}, 0, err
	}
	buf := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(buf)
	n, err := io.CopyBuffer(h, readerOnly{r}, *buf)
	if err != nil {
		return Checksum{}, n, err
	}
	return EncodeChecksum(a, h.Sum(nil)), n, nil
}

// readerOnly hides a reader's WriteTo, so that io.CopyBuffer uses the
// buffer it is given.
type readerOnly struct{ io.Reader }

// copyBuffers holds the buffers ComputeChecksum reads through: large
// enough that a part is hashed in few read calls.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// CombineChecksums returns the full-object checksum of an object made of
// consecutive parts from the checksum and size of each part, in part order,
// without reading the parts again: the combination S3 computes for a
// multipart upload of checksum type FULL_OBJECT. Every part checksum must
// have the same algorithm.
func CombineChecksums(parts []Checksum, sizes []int64) (Checksum, error) {
	if len(parts) == 0 || len(parts) != len(sizes) {
		return Checksum{}, fmt.Errorf("multipart: CombineChecksums: %d checksums for %d sizes, want the same number and at least one", len(parts), len(sizes))
	}
	a := parts[0].Algorithm
	s, err := specOf(a)
	if err != nil {
		return Checksum{}, err
	}
	var crc uint64
	for i, p := range parts {
		if p.Algorithm != a {
			return Checksum{}, fmt.Errorf("multipart: CombineChecksums: part %d has algorithm %q, part 1 %q", i+1, p.Algorithm, a)
		}
		v, err := s.decode(p.Value)
		if err != nil {
			return Checksum{}, fmt.Errorf("multipart: CombineChecksums: part %d: %w", i+1, err)
		}
		if sizes[i] < 0 {
			return Checksum{}, fmt.Errorf("multipart: CombineChecksums: part %d has size %d", i+1, sizes[i])
		}
		if i == 0 {
			crc = v
			continue
		}
		crc = s.multiply(s.xPow8n(sizes[i]), crc) ^ v
	}
	return Checksum{Algorithm: a, Value: base64.StdEncoding.EncodeToString(s.encode(crc))}, nil
}

func (s *crcSpec) decode(value string) (uint64, error) {
	raw, err := base64.StdEncoding.DecodeString(value)
	if err != nil || len(raw) != s.width/8 {
		return 0, fmt.Errorf("checksum %q is not the base64 encoding of %d bytes", value, s.width/8)
	}
	if s.width == 32 {
		return uint64(binary.BigEndian.Uint32(raw)), nil
	}
	return binary.BigEndian.Uint64(raw), nil
}

func (s *crcSpec) encode(v uint64) []byte {
	if s.width == 32 {
		return binary.BigEndian.AppendUint32(nil, uint32(v))
	}
	return binary.BigEndian.AppendUint64(nil, v)
}

// The combination follows zlib's crc32_combine: in the reflected
// representation the top bit is x^0; multiply multiplies two polynomials
// modulo the CRC's polynomial, and crc(A‖B) = crc(A)·x^(8·len(B)) + crc(B).

func (s *crcSpec) one() uint64 { return 1 << (s.width - 1) }

func (s *crcSpec) multiply(a, b uint64) uint64 {
	var p uint64
	for m := s.one(); m != 0; m >>= 1 {
		if a&m != 0 {
			p ^= b
		}
		if b&1 != 0 {
			b = b>>1 ^ s.poly
		} else {
			b >>= 1
		}
	}
	return p
}

// powers returns x^(2^k) modulo the polynomial for k = 0…71, enough for
// x^(8n) with any int64 n.
func (s *crcSpec) powers() *[72]uint64 {
	var t [72]uint64
	p := s.one() >> 1 // x^1
	for k := range t {
		t[k] = p
		p = s.multiply(p, p)
	}
	return &t
}

// xPow8n returns x^(8n) modulo the polynomial.
func (s *crcSpec) xPow8n(n int64) uint64 {
	t := s.x2n()
	p := s.one()
	for k := 3; n != 0; k++ {
		if n&1 != 0 {
			p = s.multiply(t[k], p)
		}
		n >>= 1
	}
	return p
}
