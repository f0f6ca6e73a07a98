package storekit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/s3commit/s3commit/multipart"
)

// Requests runs the requests of one backend's Store on one bucket. Set its
// exported fields and share it by pointer among the Store's methods. It is
// safe for concurrent use; it must not be copied once used.
type Requests struct {
	// Backend names the backend in log messages, for example "awsstore".
	Backend string
	// Bucket is the bucket the requests concern.
	Bucket string
	// Logger receives a debug record per request (operation, key, upload
	// ID, duration, error). Nil disables logging.
	Logger *slog.Logger
	// Classify returns the kind of an error of the client library, or nil;
	// see [Classify].
	Classify func(err error) error
	// CodeStatus extracts the S3 error code and HTTP status from an error of
	// the client library; either may be empty or zero.
	CodeStatus func(err error) (code string, status int)

	// markersBefore records that the store rejected S3-style
	// ListMultipartUploads markers and wants markerBefore key-markers.
	markersBefore atomic.Bool
}

// Error wraps err, an error of the client library, into a
// [*multipart.Error] with the kind r.Classify finds. When ctx is done and
// the failure is not an answer from the store (no kind, or
// [multipart.ErrNetwork]), the context's error is wrapped too and the kind
// left empty, so that errors.Is(err, context.Canceled) holds even where the
// transport reported the cancellation in its own words.
func (r *Requests) Error(ctx context.Context, op, key, uploadID string, err error) *multipart.Error {
	kind := r.Classify(err)
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) && (kind == nil || kind == multipart.ErrNetwork) {
		err = fmt.Errorf("%w: %w", ctxErr, err)
		kind = nil
	}
	return &multipart.Error{Op: op, Bucket: r.Bucket, Key: key, UploadID: uploadID, Kind: kind, Err: err}
}

// Done logs a request that started at start and has finished, and converts
// its error: nil stays nil, anything else becomes the [*multipart.Error] of
// [Requests.Error].
func (r *Requests) Done(ctx context.Context, op, key, uploadID string, start time.Time, err error) error {
	var e *multipart.Error
	if err != nil {
		e = r.Error(ctx, op, key, uploadID, err)
	}
	r.Log(ctx, op, key, uploadID, start, e)
	if e == nil {
		return nil
	}
	return e
}

// Log writes the debug record of a request that started at start and has
// finished with e (nil for success). Key and uploadID may be empty.
func (r *Requests) Log(ctx context.Context, op, key, uploadID string, start time.Time, e *multipart.Error) {
	if r.Logger == nil || !r.Logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("op", op), slog.String("bucket", r.Bucket),
		slog.Duration("duration", time.Since(start)),
	}
	if key != "" {
		attrs = append(attrs, slog.String("key", key))
	}
	if uploadID != "" {
		attrs = append(attrs, slog.String("upload_id", uploadID))
	}
	if e != nil {
		attrs = append(attrs, slog.String("error", multipart.TruncateMessage(e.Err.Error(), multipart.MaxMessage)))
		if e.Kind != nil {
			attrs = append(attrs, slog.String("kind", e.Kind.Error()))
		}
	}
	r.Logger.LogAttrs(ctx, slog.LevelDebug, r.Backend+": "+op, attrs...)
}

// invalidArgument returns an ErrInvalidArgument-kind error for a request
// rejected before it is sent.
func (r *Requests) invalidArgument(op, key, uploadID, format string, args ...any) *multipart.Error {
	return &multipart.Error{
		Op: op, Bucket: r.Bucket, Key: key, UploadID: uploadID,
		Kind: multipart.ErrInvalidArgument, Err: fmt.Errorf(format, args...),
	}
}
