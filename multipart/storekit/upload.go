package storekit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/s3commit/s3commit/multipart"
)

// CreateUpload runs [multipart.Store.CreateUpload]: create sends
// CreateMultipartUpload and returns the upload ID the store answered. An
// answer without an upload ID is an error.
func (r *Requests) CreateUpload(ctx context.Context, key string, create func() (uploadID string, err error)) (string, error) {
	const op = "CreateMultipartUpload"
	start := time.Now()
	id, err := create()
	if err == nil && id == "" {
		err = errors.New("the store returned no upload ID")
	}
	if err != nil {
		return "", r.Done(ctx, op, key, "", start, err)
	}
	return id, r.Done(ctx, op, key, id, start, nil)
}

// UploadPart runs [multipart.Store.UploadPart]. A part number outside 1 to
// [multipart.MaxParts] or a body that [NewSizedBody] refuses is
// an [multipart.ErrInvalidArgument] error, and nothing is sent. Otherwise
// send uploads the part from body, exactly size bytes of the caller's body
// from its current position, and returns the ETag the store answered; an
// answer without an ETag is an error. The returned part carries
// opts.Checksum, which send is to send with the part.
func (r *Requests) UploadPart(ctx context.Context, key, uploadID string, number int32, body io.ReadSeeker, size int64, opts multipart.PartOptions,
	send func(body *SizedBody) (etag string, err error)) (multipart.Part, error) {
	const op = "UploadPart"
	if number < 1 || number > multipart.MaxParts {
		return multipart.Part{}, r.invalidArgument(op, key, uploadID, "part number %d outside 1 to %d", number, multipart.MaxParts)
	}
	sized, err := NewSizedBody(body, size)
	if err != nil {
		return multipart.Part{}, r.invalidArgument(op, key, uploadID, "part %d: %w", number, err)
	}
	start := time.Now()
	etag, err := send(sized)
	if err != nil {
		return multipart.Part{}, r.Done(ctx, op, key, uploadID, start, err)
	}
	etag = multipart.NormalizeETag(etag)
	if etag == "" {
		return multipart.Part{}, r.Done(ctx, op, key, uploadID, start, fmt.Errorf("the store returned no ETag for part %d", number))
	}
	return multipart.Part{Number: number, ETag: etag, Size: size, Checksum: opts.Checksum}, r.Done(ctx, op, key, uploadID, start, nil)
}

// CompleteUpload runs [multipart.Store.CompleteUpload]. A part list S3
// would reject for reasons known before sending (no parts, a part number
// out of range, an empty ETag) is an [multipart.ErrInvalidPart] error, and
// nothing is sent. Otherwise complete sends CompleteMultipartUpload with
// parts (their ETags quoted, see [QuoteETag]) and opts' conditions, and
// returns the object's ETag. With opts.IfMatch, a key that has no object
// fails with [multipart.ErrPreconditionFailed]: S3 answers 404 NoSuchKey.
func (r *Requests) CompleteUpload(ctx context.Context, key, uploadID string, parts []multipart.Part, opts multipart.CompleteOptions,
	complete func() (etag string, err error)) (string, error) {
	const op = "CompleteMultipartUpload"
	if err := checkCompleteParts(parts); err != nil {
		return "", &multipart.Error{Op: op, Bucket: r.Bucket, Key: key, UploadID: uploadID, Kind: multipart.ErrInvalidPart, Err: err}
	}
	start := time.Now()
	etag, err := complete()
	if err != nil {
		e := r.Error(ctx, op, key, uploadID, err)
		if opts.IfMatch != "" && e.Kind == multipart.ErrNotFound {
			// If-Match on a key without an object: S3 answers 404
			// NoSuchKey; the condition did not hold.
			e.Kind = multipart.ErrPreconditionFailed
		}
		r.Log(ctx, op, key, uploadID, start, e)
		return "", e
	}
	return multipart.NormalizeETag(etag), r.Done(ctx, op, key, uploadID, start, nil)
}

// checkCompleteParts rejects the part lists S3 would reject for reasons
// known before sending: no parts, a part number out of range, an empty
// ETag.
func checkCompleteParts(parts []multipart.Part) error {
	if len(parts) == 0 {
		return errors.New("no parts to complete")
	}
	for _, p := range parts {
		if p.Number < 1 || p.Number > multipart.MaxParts {
			return fmt.Errorf("part number %d outside 1 to %d", p.Number, multipart.MaxParts)
		}
		if multipart.NormalizeETag(p.ETag) == "" {
			return fmt.Errorf("part %d has no ETag", p.Number)
		}
	}
	return nil
}

// QuoteETag returns etag, quoted or not, in the quoted form S3 sends and
// expects in CompleteMultipartUpload and If-Match.
func QuoteETag(etag string) string {
	return `"` + multipart.NormalizeETag(etag) + `"`
}
