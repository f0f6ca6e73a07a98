package storekit

import (
	"context"
	"io"
	"time"

	"github.com/s3commit/s3commit/multipart"
)

// PutObject runs [multipart.Store.PutObject]. A body that
// [NewSizedBody] refuses is an [multipart.ErrInvalidArgument]
// error, and nothing is sent. Otherwise send writes the object from body,
// exactly size bytes of the caller's body from its current position, and
// returns the ETag the store answered.
func (r *Requests) PutObject(ctx context.Context, key string, body io.ReadSeeker, size int64,
	send func(body *SizedBody) (etag string, err error)) (string, error) {
	const op = "PutObject"
	sized, err := NewSizedBody(body, size)
	if err != nil {
		return "", r.invalidArgument(op, key, "", "%w", err)
	}
	start := time.Now()
	etag, err := send(sized)
	if err != nil {
		return "", r.Done(ctx, op, key, "", start, err)
	}
	return multipart.NormalizeETag(etag), r.Done(ctx, op, key, "", start, nil)
}

// GetObject runs [multipart.Store.GetObject]: get sends GetObject and
// returns the object's body and metadata.
func (r *Requests) GetObject(ctx context.Context, key string,
	get func() (io.ReadCloser, multipart.ObjectInfo, error)) (io.ReadCloser, multipart.ObjectInfo, error) {
	const op = "GetObject"
	start := time.Now()
	body, info, err := get()
	if err != nil {
		return nil, multipart.ObjectInfo{}, r.Done(ctx, op, key, "", start, err)
	}
	return body, info, r.Done(ctx, op, key, "", start, nil)
}

// HeadObject runs [multipart.Store.HeadObject]: head sends HeadObject and
// returns the object's metadata.
//
// A HEAD response has no body, so a missing bucket and a missing key can
// both come back as a bare 404. When head's error is
// [multipart.ErrNotFound], HeadObject calls bucketMissing, one extra
// request, and reports [multipart.ErrBucketNotFound] if it says the bucket
// does not exist.
func (r *Requests) HeadObject(ctx context.Context, key string,
	head func() (multipart.ObjectInfo, error), bucketMissing func() bool) (multipart.ObjectInfo, error) {
	const op = "HeadObject"
	start := time.Now()
	info, err := head()
	if err != nil {
		e := r.Error(ctx, op, key, "", err)
		if e.Kind == multipart.ErrNotFound && bucketMissing() {
			e.Kind = multipart.ErrBucketNotFound
		}
		r.Log(ctx, op, key, "", start, e)
		return multipart.ObjectInfo{}, e
	}
	return info, r.Done(ctx, op, key, "", start, nil)
}
