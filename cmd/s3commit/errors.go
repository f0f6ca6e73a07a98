package main

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/aws/smithy-go"

	"github.com/s3commit/s3commit/multipart"
)

// cliError is an error with a message written for the command line that
// still unwraps to its cause, so that errors.Is sees the multipart kinds.
type cliError struct {
	msg string
	err error
}

func (e *cliError) Error() string { return e.msg }
func (e *cliError) Unwrap() error { return e.err }

// storeError describes a failed store operation in one line: what was being
// done, the kind of failure (with the store's error code) and what to do.
// Unclassified failures keep the backend's message. No credentials are ever
// part of the message.
func storeError(action string, err error) error {
	if err == nil {
		return nil
	}
	kind := multipart.KindOf(err)
	code := ""
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() != "" {
		code = " (" + apiErr.ErrorCode() + ")"
	}
	var hint string
	switch kind {
	case multipart.ErrAccessDenied:
		if code == "" {
			// No answer from the store: the SDK found no credentials.
			return &cliError{msg: fmt.Sprintf("%s: %v: no credentials could be obtained; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE or --profile", action, kind), err: err}
		}
		hint = "check the credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE or --profile), the region and the bucket policy"
	case multipart.ErrBucketNotFound:
		hint = "check the bucket name and the endpoint (--endpoint-url, AWS_ENDPOINT_URL)"
	case multipart.ErrNetwork:
		cause := err.Error()
		var urlErr *url.Error
		if errors.As(err, &urlErr) && urlErr.Err != nil {
			cause = urlErr.Err.Error() // e.g. "dial tcp 127.0.0.1:9000: connect: connection refused"
		}
		return &cliError{msg: fmt.Sprintf("%s: %v: %s; check the endpoint (--endpoint-url, AWS_ENDPOINT_URL) and that the store is reachable", action, kind, cause), err: err}
	case multipart.ErrNotFound:
		hint = "check the key"
	case multipart.ErrNoSuchUpload:
		hint = "the upload was completed or aborted already, or the store expired it"
	default:
		return &cliError{msg: fmt.Sprintf("%s: %v", action, err), err: err}
	}
	return &cliError{msg: fmt.Sprintf("%s: %v%s; %s", action, kind, code, hint), err: err}
}
