package multipart

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Error kinds. A Store classifies every failure into one of these (or leaves
// it unclassified); test with [errors.Is]:
//
//	if errors.Is(err, multipart.ErrNoSuchUpload) { ... }
var (
	// ErrNotFound: the object does not exist (404 NoSuchKey).
	ErrNotFound = errors.New("object not found")
	// ErrNoSuchUpload: the upload ID is unknown: completed, aborted, never
	// created, or expired by the store (MinIO removes uploads older than 24 h).
	ErrNoSuchUpload = errors.New("no such multipart upload")
	// ErrPreconditionFailed: an If-None-Match or If-Match condition did not
	// hold (412), or a conflicting conditional write raced this one (409).
	ErrPreconditionFailed = errors.New("precondition failed")
	// ErrInvalidPart: a part given to complete is missing or its ETag does
	// not match, or the part list is out of order, or a part other than the
	// last is smaller than the store's minimum.
	ErrInvalidPart = errors.New("invalid part")
	// ErrThrottled: the store asked the client to slow down (503 SlowDown, 429).
	ErrThrottled = errors.New("request throttled")
	// ErrServer: the store failed with a 5xx error that may succeed on retry.
	ErrServer = errors.New("server error")
	// ErrNetwork: the request did not get an answer (reset, refused,
	// truncated response).
	ErrNetwork = errors.New("network error")
	// ErrAccessDenied: the credentials are wrong or lack permission (403).
	ErrAccessDenied = errors.New("access denied")
	// ErrBucketNotFound: the bucket does not exist.
	ErrBucketNotFound = errors.New("bucket not found")
	// ErrInvalidArgument: the request was rejected as malformed (bad key,
	// part number out of range, entity too large, …).
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrChecksumMismatch: the store received bytes that do not match the
	// checksum sent with them (BadDigest, XAmzContentChecksumMismatch, a
	// full-object checksum the parts do not add up to). The data changed
	// between its checksum and the store; sending it again does not help.
	ErrChecksumMismatch = errors.New("checksum mismatch")
)

// ErrEndlessListing matches the error of a paged listing (ListObjects,
// ListUploads, ListParts) that the store does not let end: a next-page
// marker it gives repeats one of an earlier page of the same listing, or
// does not advance, or it answers page after page truncated but empty. The
// listing stops at the first sign, after its last entries, instead of
// requesting pages until the context ends. It is not a kind: the error has
// no kind, as sending the same requests again would meet the same answers
// ([IsRetryable] is false).
var ErrEndlessListing = errors.New("the store's listing does not end")

// ErrResponseTooLarge matches the error of a request whose answer has a
// larger body than the request calls for: an error answer of more than a
// few KiB, or a listing page far beyond what S3 sends. The S3 backends of
// this module read such a body only up to a bound (1 MiB for error
// answers, 16 MiB for other answers, none for an object's content) and
// then fail the request, so that a misbehaving store cannot make them read
// and hold gigabytes. It is not a kind: the error keeps the kind of the
// answer's status, if any (a 500 is still [ErrServer]).
var ErrResponseTooLarge = errors.New("the store's answer is too large")

// kinds lists the kinds in the order Classify-style checks try them.
var kinds = []error{
	ErrNotFound, ErrNoSuchUpload, ErrPreconditionFailed, ErrInvalidPart,
	ErrThrottled, ErrServer, ErrNetwork, ErrAccessDenied, ErrBucketNotFound,
	ErrInvalidArgument, ErrChecksumMismatch,
}

// Error is the error a Store returns: the operation and object it concerns,
// the kind (one of the Err* values of this package, or nil when the failure
// could not be classified) and the underlying backend error.
type Error struct {
	// Op is the operation, e.g. "CompleteMultipartUpload".
	Op string
	// Bucket, Key and UploadID name what the operation concerned; Key and
	// UploadID are empty where they do not apply.
	Bucket, Key, UploadID string
	// Kind is one of the Err* kinds of this package, or nil.
	Kind error
	// Err is the backend's error, kept for errors.As.
	Err error
}

// MaxMessage is how much of the backend's error [Error.Error] quotes: the
// message of an S3 error answer is a line, and a store that sends more
// must not flood logs and terminals.
const MaxMessage = 1 << 10

// Error formats the operation, the object and the cause; the backend's
// error is cut to [MaxMessage] bytes.
func (e *Error) Error() string {
	where := "s3://" + e.Bucket
	if e.Key != "" {
		where += "/" + e.Key
	}
	if e.UploadID != "" {
		where += " (upload " + e.UploadID + ")"
	}
	msg := fmt.Sprintf("%s %s", e.Op, where)
	if e.Kind != nil {
		msg += ": " + e.Kind.Error()
	}
	if e.Err != nil && e.Err != e.Kind {
		msg += ": " + TruncateMessage(e.Err.Error(), MaxMessage)
	}
	if hint := kindHint(e.Kind); hint != "" {
		msg += " (" + hint + ")"
	}
	return msg
}

// Unwrap returns the kind and the backend error, so that errors.Is matches
// the kind and errors.As reaches the backend's error type.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// TruncateMessage returns msg if it has at most max bytes, and else its
// first max bytes or less, cut at a character boundary, followed by "…"
// and the length of the whole message.
func TruncateMessage(msg string, max int) string {
	if len(msg) <= max {
		return msg
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes in all)", msg[:cut], len(msg))
}

func kindHint(kind error) string {
	switch kind {
	case ErrNoSuchUpload:
		return "the upload was completed or aborted already, or the store expired it: MinIO deletes uploads older than 24 h by default (MINIO_API_STALE_UPLOADS_EXPIRY)"
	case ErrAccessDenied:
		return "check the credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE) and the bucket policy"
	case ErrBucketNotFound:
		return "check the bucket name and the endpoint URL, or create the bucket"
	case ErrChecksumMismatch:
		return "the bytes changed between their checksum and the store: a file modified after it was written, or corruption on the way"
	}
	return ""
}

// KindOf returns the kind of err (one of the Err* values), or nil when err
// carries no kind.
func KindOf(err error) error {
	for _, k := range kinds {
		if errors.Is(err, k) {
			return k
		}
	}
	return nil
}

// IsRetryable reports whether err is a transient failure that may succeed
// when the same request is sent again: throttling, 5xx server errors and
// network failures. Context cancellation and deadlines are never retryable.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return errors.Is(err, ErrThrottled) || errors.Is(err, ErrServer) || errors.Is(err, ErrNetwork)
}
