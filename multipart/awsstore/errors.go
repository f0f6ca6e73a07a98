package awsstore

import (
	"errors"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/storekit"
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

// classify returns the kind of an SDK error by the rules of
// [storekit.Classify], with ErrAccessDenied when no credentials could be
// obtained.
func classify(err error) error {
	return storekit.Classify(err, errorCodeStatus, credentialsKind)
}

// credentialsKind returns ErrAccessDenied for a failure to obtain
// credentials (see credentialsError), nil for anything else.
func credentialsKind(err error) error {
	var credErr *credentialsError
	if errors.As(err, &credErr) {
		return multipart.ErrAccessDenied
	}
	return nil
}
