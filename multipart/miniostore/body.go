package miniostore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// errShortBody is the read error of a body that ends before its declared
// size: a caller error, classified as ErrInvalidArgument rather than as a
// network failure.
var errShortBody = errors.New("request body is shorter than the declared size")

// section presents the size bytes of a ReadSeeker that follow its position
// when the section is made. Reads stop after size bytes and seeks are
// relative to that position, so that minio-go's retries, which seek to
// offset 0 before every attempt, rewind to the start of the part rather than
// of the underlying file, and a body longer than size is never sent past its
// end. It is not an io.Closer, so minio-go cannot close the caller's file.
// It streams: nothing is buffered.
type section struct {
	r    io.ReadSeeker
	base int64 // position of the section start in r
	size int64
	off  int64 // current position relative to base
}

// newSection returns the section of r of size bytes starting at r's
// current position. A nil r is an empty body.
func newSection(r io.ReadSeeker, size int64) (*section, error) {
	if size < 0 {
		return nil, fmt.Errorf("negative body size %d", size)
	}
	if r == nil {
		if size != 0 {
			return nil, fmt.Errorf("nil body with size %d", size)
		}
		r = bytes.NewReader(nil)
	}
	base, err := r.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, fmt.Errorf("body position: %w", err)
	}
	return &section{r: r, base: base, size: size}, nil
}

func (s *section) Read(p []byte) (int, error) {
	if s.off >= s.size {
		return 0, io.EOF
	}
	if rem := s.size - s.off; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := s.r.Read(p)
	s.off += int64(n)
	if err == io.EOF {
		if s.off < s.size {
			return n, fmt.Errorf("%w: got %d of %d bytes", errShortBody, s.off, s.size)
		}
		if n > 0 {
			err = nil
		}
	}
	return n, err
}

func (s *section) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = s.off + offset
	case io.SeekEnd:
		abs = s.size + offset
	default:
		return 0, fmt.Errorf("seek: invalid whence %d", whence)
	}
	if abs < 0 {
		return 0, fmt.Errorf("seek: negative position %d", abs)
	}
	if _, err := s.r.Seek(s.base+abs, io.SeekStart); err != nil {
		return 0, err
	}
	s.off = abs
	return abs, nil
}
