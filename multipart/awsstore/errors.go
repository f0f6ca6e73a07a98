package awsstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/s3commit/s3commit/multipart"
)

// errorCodeStatus extracts the S3 error code and HTTP status from an SDK
// error; either may be empty or zero.
func errorCodeStatus(err error) (code string, status int) {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code = apiErr.ErrorCode()
	}
	// awshttp.ResponseError unwraps to this type too (through its As).
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) && respErr.Response != nil && respErr.Response.Response != nil {
		status = respErr.Response.StatusCode
	}
	return code, status
}

// classify returns the kind of an SDK error: from the S3 error code and
// HTTP status when the store answered, ErrNetwork for transport failures,
// ErrInvalidArgument for a body shorter than its declared size,
// ErrAccessDenied when no credentials could be obtained, nil for context
// errors and anything else.
func classify(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	if errors.Is(err, errShortBody) {
		return multipart.ErrInvalidArgument
	}
	var credErr *credentialsError
	if errors.As(err, &credErr) {
		return multipart.ErrAccessDenied
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

// newError wraps an SDK error into a *multipart.Error. When ctx is done and
// the failure is not an answer from the store, the context's error is
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
