package pendingset

import "github.com/s3commit/s3commit/multipart"

// CompleteOptions returns the options that complete the record's upload
// with the store checking what it holds: for an upload created with a
// checksum algorithm (the record has a checksum for every part, of the
// algorithm of its whole-file Checksum), the whole file's checksum and
// its size (x-amz-mp-object-size), so that a store that keeps full-object
// checksums refuses a completion whose bytes differ
// ([ErrChecksumMismatch]). Other records get no checksum, as their upload
// was created without one. The caller adds the conditions (IfNoneMatch,
// IfMatch).
//
// A zero-byte file gets no checksum: MinIO refuses the correct
// full-object checksum of an empty multipart object (and keeps none for
// it), and there are no bytes to check.
func (p *Upload) CompleteOptions() multipart.CompleteOptions {
	if p.Checksum.IsZero() || len(p.PartChecksums) == 0 || p.Length == 0 {
		return multipart.CompleteOptions{}
	}
	for _, c := range p.PartChecksums {
		if c.Algorithm != p.Checksum.Algorithm {
			return multipart.CompleteOptions{}
		}
	}
	return multipart.CompleteOptions{Checksum: p.Checksum, ObjectSize: p.Length}
}
