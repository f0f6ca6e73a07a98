package miniostore

import (
	"context"
	"errors"
	"fmt"

	"github.com/minio/minio-go/v7"

	"github.com/s3commit/s3commit/multipart"
)

// errorCodeStatus extracts the S3 error code and HTTP status from a
// minio-go error; either may be empty or zero.
func errorCodeStatus(err error) (code string, status int) {
	var resp minio.ErrorResponse
	if errors.As(err, &resp) {
		return resp.Code, resp.StatusCode
	}
	resp = minio.ToErrorResponse(err)
	return resp.Code, resp.StatusCode
}

// classify returns the kind of a minio-go error: from the S3 error code
// and HTTP status when the store answered, ErrNetwork for transport
// failures, ErrInvalidArgument for a body shorter than its declared size,
// nil for context errors and anything else.
func classify(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	if errors.Is(err, errShortBody) {
		return multipart.ErrInvalidArgument
	}
	if code, status := errorCodeStatus(err); code != "" || status != 0 {
		if kind := multipart.ClassifyHTTP(code, status); kind != nil {
			return kind
		}
	}
	if multipart.IsNetworkError(err) {
		return multipart.ErrNetwork
	}
	return nil
}

// newError wraps a minio-go error into a *multipart.Error. When ctx is done
// and the failure is not an answer from the store, the context's error is
// wrapped too and the kind left empty, so that errors.Is(err,
// context.Canceled) holds even where the transport reported the
// cancellation in its own words.
func newError(ctx context.Context, op, bucket, key, uploadID string, err error) *multipart.Error {
	kind := classify(err)
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) && (kind == nil || kind == multipart.ErrNetwork) {
		err = fmt.Errorf("%w: %w", ctxErr, err)
		kind = nil
	}
	return &multipart.Error{Op: op, Bucket: bucket, Key: key, UploadID: uploadID, Kind: kind, Err: err}
}

// invalidArgument returns an ErrInvalidArgument-kind error for a request
// rejected before it is sent.
func invalidArgument(op, bucket, key, uploadID, format string, args ...any) *multipart.Error {
	return &multipart.Error{
		Op: op, Bucket: bucket, Key: key, UploadID: uploadID,
		Kind: multipart.ErrInvalidArgument, Err: fmt.Errorf(format, args...),
	}
}
