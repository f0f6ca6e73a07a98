package storekit

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/s3commit/s3commit/multipart"
)

// ClassifyHTTP maps an S3 error code and HTTP status to a kind. Backends use
// it so that every backend classifies the same answer the same way; code may
// be empty (HEAD responses carry no body) and status may be 0 (unknown).
func ClassifyHTTP(code string, status int) error {
	switch code {
	case "NoSuchKey", "NotFound":
		return multipart.ErrNotFound
	case "NoSuchUpload":
		return multipart.ErrNoSuchUpload
	case "PreconditionFailed", "ConditionalRequestConflict":
		return multipart.ErrPreconditionFailed
	case "InvalidPart", "InvalidPartOrder", "EntityTooSmall":
		return multipart.ErrInvalidPart
	case "SlowDown", "SlowDownRead", "SlowDownWrite", "Throttling", "ThrottlingException",
		"RequestLimitExceeded", "TooManyRequests", "RequestThrottled", "TooManyRequestsException":
		return multipart.ErrThrottled
	case "InternalError", "ServiceUnavailable", "XMinioServerNotInitialized", "RequestTimeout",
		// versitygw (posix) answers 409 ExistingObjectIsDirectory when it
		// cannot create an object's directory or link the object into it,
		// also when a concurrent delete removed that directory as it
		// emptied it: a race that the same request survives when sent
		// again. A real directory at the key gets the same answer every
		// time, and the retries end.
		"ExistingObjectIsDirectory":
		return multipart.ErrServer
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AllAccessDisabled",
		"InvalidToken", "ExpiredToken", "Forbidden",
		// versitygw answers an unknown access key with 404 XAdminUserNotFound.
		"XAdminUserNotFound":
		return multipart.ErrAccessDenied
	case "NoSuchBucket":
		return multipart.ErrBucketNotFound
	case "InvalidArgument", "InvalidRequest", "EntityTooLarge", "KeyTooLongError",
		"InvalidObjectName", "XMinioInvalidObjectName", "InvalidBucketName", "MalformedXML",
		"InvalidDigest", "IncompleteBody":
		return multipart.ErrInvalidArgument
	case "BadDigest", "XAmzContentChecksumMismatch", "XAmzContentSHA256Mismatch":
		return multipart.ErrChecksumMismatch
	}
	switch {
	case status == 404:
		return multipart.ErrNotFound
	case status == 412:
		return multipart.ErrPreconditionFailed
	case status == 403:
		return multipart.ErrAccessDenied
	case status == 429 || status == 503:
		return multipart.ErrThrottled
	case status >= 500:
		return multipart.ErrServer
	case status == 400:
		return multipart.ErrInvalidArgument
	}
	return nil
}

// IsNetworkError reports whether err is a transport failure (connection
// refused or reset, timeout, truncated body) rather than an answer from the
// store. Backends use it to classify errors without an HTTP response.
func IsNetworkError(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var netErr net.Error
	return errors.As(err, &netErr) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE)
}
