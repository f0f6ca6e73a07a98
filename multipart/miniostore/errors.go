package miniostore

import (
	"errors"

	"github.com/minio/minio-go/v7"

	"github.com/s3commit/s3commit/multipart/storekit"
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

// classify returns the kind of a minio-go error by the rules of
// [storekit.Classify].
func classify(err error) error {
	return storekit.Classify(err, errorCodeStatus, nil)
}
