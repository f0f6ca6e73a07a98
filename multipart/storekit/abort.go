package storekit

import (
	"context"
	"time"

	"github.com/s3commit/s3commit/multipart"
)

// AbortUpload runs [multipart.Store.AbortUpload]: exists asks the store
// whether the upload exists (ListParts of one part) and abort sends
// AbortMultipartUpload. An upload that no longer exists fails with
// [multipart.ErrNoSuchUpload].
//
// MinIO answers AbortMultipartUpload of an unknown upload ID with success,
// so that a caller could not tell an aborted upload from one that was
// already completed. AbortUpload therefore first calls exists; only
// NoSuchUpload (or a missing bucket, or the end of ctx) from that check
// ends the call, any other failure of it is ignored and the abort is sent.
// An upload completed between the check and the abort is still reported as
// aborted.
func (r *Requests) AbortUpload(ctx context.Context, key, uploadID string, exists, abort func() error) error {
	const op = "AbortMultipartUpload"
	start := time.Now()
	if err := exists(); err != nil {
		e := r.Error(ctx, op, key, uploadID, err)
		if e.Kind == multipart.ErrNoSuchUpload || e.Kind == multipart.ErrBucketNotFound || ctx.Err() != nil {
			r.Log(ctx, op, key, uploadID, start, e)
			return e
		}
	}
	return r.Done(ctx, op, key, uploadID, start, abort())
}
