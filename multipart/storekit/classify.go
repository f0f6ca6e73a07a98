package storekit

import (
	"context"
	"errors"

	"github.com/s3commit/s3commit/multipart"
)

// Classify returns the kind of err, an error of a backend's client library,
// by the rules every backend follows, tried in this order:
//
//   - nil for nil, and for context cancellation and deadlines (callers
//     test those with errors.Is);
//   - [multipart.ErrInvalidArgument] for a body shorter than its declared
//     size ([ErrShortBody]);
//   - the kind own returns, when own is not nil and returns one: failures
//     particular to the library, such as aws-sdk-go-v2's credential errors;
//   - for an answer whose body was too large to read ([*TooLargeError]),
//     the kind of its HTTP status alone;
//   - the kind of the store's answer, from the S3 error code and HTTP status
//     that codeStatus extracts ([ClassifyHTTP]);
//   - [multipart.ErrNetwork] for transport failures
//     ([IsNetworkError]);
//   - nil for anything else.
func Classify(err error, codeStatus func(error) (code string, status int), own func(error) error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	if errors.Is(err, ErrShortBody) {
		return multipart.ErrInvalidArgument
	}
	if own != nil {
		if kind := own(err); kind != nil {
			return kind
		}
	}
	var tooLarge *TooLargeError
	if errors.As(err, &tooLarge) {
		// The client library may have lost the status reading the body.
		return ClassifyHTTP("", tooLarge.Status)
	}
	if code, status := codeStatus(err); code != "" || status != 0 {
		if kind := ClassifyHTTP(code, status); kind != nil {
			return kind
		}
	}
	if IsNetworkError(err) {
		return multipart.ErrNetwork
	}
	return nil
}
