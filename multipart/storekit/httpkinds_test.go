package storekit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/s3commit/s3commit/multipart"
)

func TestClassifyHTTP(t *testing.T) {
	tests := []struct {
		code   string
		status int
		want   error
	}{
		{"NoSuchKey", 404, multipart.ErrNotFound},
		{"", 404, multipart.ErrNotFound},
		{"NoSuchUpload", 404, multipart.ErrNoSuchUpload},
		{"NoSuchBucket", 404, multipart.ErrBucketNotFound},
		{"PreconditionFailed", 412, multipart.ErrPreconditionFailed},
		{"", 412, multipart.ErrPreconditionFailed},
		{"ConditionalRequestConflict", 409, multipart.ErrPreconditionFailed},
		{"InvalidPart", 400, multipart.ErrInvalidPart},
		{"InvalidPartOrder", 400, multipart.ErrInvalidPart},
		{"EntityTooSmall", 400, multipart.ErrInvalidPart},
		{"SlowDown", 503, multipart.ErrThrottled},
		{"", 503, multipart.ErrThrottled},
		{"", 429, multipart.ErrThrottled},
		{"InternalError", 500, multipart.ErrServer},
		{"ExistingObjectIsDirectory", 409, multipart.ErrServer}, // versitygw, when a concurrent delete removed the directory
		{"", 502, multipart.ErrServer},
		{"AccessDenied", 403, multipart.ErrAccessDenied},
		{"InvalidAccessKeyId", 403, multipart.ErrAccessDenied},
		{"SignatureDoesNotMatch", 403, multipart.ErrAccessDenied},
		{"XAdminUserNotFound", 404, multipart.ErrAccessDenied},
		{"", 403, multipart.ErrAccessDenied},
		{"InvalidArgument", 400, multipart.ErrInvalidArgument},
		{"KeyTooLongError", 400, multipart.ErrInvalidArgument},
		{"", 400, multipart.ErrInvalidArgument},
		{"SomethingNew", 409, nil},
		{"", 0, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s_%d", tt.code, tt.status), func(t *testing.T) {
			assert.Equal(t, tt.want, ClassifyHTTP(tt.code, tt.status))
		})
	}
}

func TestIsNetworkError(t *testing.T) {
	assert.True(t, IsNetworkError(&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}))
	assert.True(t, IsNetworkError(fmt.Errorf("body: %w", io.ErrUnexpectedEOF)))
	assert.True(t, IsNetworkError(syscall.EPIPE))
	assert.False(t, IsNetworkError(context.DeadlineExceeded))
	assert.False(t, IsNetworkError(errors.New("boom")))
	assert.False(t, IsNetworkError(nil))
}
