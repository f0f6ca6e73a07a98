package storekit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// ErrShortBody is the read error of a [SizedBody] whose underlying reader
// ends before the declared size: a caller error, which a backend should
// classify as [multipart.ErrInvalidArgument] rather than as a network failure.
var ErrShortBody = errors.New("request body is shorter than the declared size")

// SizedBody is a request body of exactly the size given to [NewSizedBody]:
// the bytes of a ReadSeeker that follow its position when the SizedBody is
// made. Reads stop after size bytes and seeks are relative to that
// position, so that a client library's hashing pass and retries rewind to
// the start of the part rather than of the underlying file, and a body
// longer than size is never sent past its end. It streams: nothing is
// buffered. It is not an [io.Closer], so a client library that closes
// request bodies cannot close the caller's file.
//
// A Store backend wraps the body of [multipart.Store.UploadPart] and
// [multipart.Store.PutObject] in a SizedBody before handing it to its client library.
type SizedBody struct {
	r    io.ReadSeeker
	base int64 // position of the body's start in r
	size int64
	off  int64 // current position relative to base
}

// NewSizedBody returns the body of size bytes of r that starts at r's
// current position. A nil r is an empty body. It fails for a negative
// size, a nil r with a size other than zero, and an r whose position
// cannot be read.
func NewSizedBody(r io.ReadSeeker, size int64) (*SizedBody, error) {
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
	return &SizedBody{r: r, base: base, size: size}, nil
}

// Read reads from the body. It returns [io.EOF] after size bytes, and an
// error wrapping [ErrShortBody] when the underlying reader ends before.
func (b *SizedBody) Read(p []byte) (int, error) {
	if b.off >= b.size {
		return 0, io.EOF
	}
	if rem := b.size - b.off; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := b.r.Read(p)
	b.off += int64(n)
	if err == io.EOF {
		if b.off < b.size {
			return n, fmt.Errorf("%w: got %d of %d bytes", ErrShortBody, b.off, b.size)
		}
		if n > 0 {
			err = nil
		}
	}
	return n, err
}

// Seek moves within the body: offset 0 with [io.SeekStart] is the body's
// start, with [io.SeekEnd] its end (size bytes after the start).
func (b *SizedBody) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = b.off + offset
	case io.SeekEnd:
		abs = b.size + offset
	default:
		return 0, fmt.Errorf("seek: invalid whence %d", whence)
	}
	if abs < 0 {
		return 0, fmt.Errorf("seek: negative position %d", abs)
	}
	if _, err := b.r.Seek(b.base+abs, io.SeekStart); err != nil {
		return 0, err
	}
	b.off = abs
	return abs, nil
}
