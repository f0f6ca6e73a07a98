package miniostore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/storekit"
)

func resp(code string, status int) error {
	return minio.ErrorResponse{Code: code, Message: code + " message", StatusCode: status}
}

func TestClassify(t *testing.T) {
	refused := &url.Error{Op: "Put", URL: "http://127.0.0.1:1/b/k", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"NoSuchKey", resp("NoSuchKey", 404), multipart.ErrNotFound},
		{"NoSuchUpload", resp("NoSuchUpload", 404), multipart.ErrNoSuchUpload},
		{"NoSuchBucket", resp("NoSuchBucket", 404), multipart.ErrBucketNotFound},
		{"PreconditionFailed", resp("PreconditionFailed", 412), multipart.ErrPreconditionFailed},
		{"ConditionalRequestConflict", resp("ConditionalRequestConflict", 409), multipart.ErrPreconditionFailed},
		{"InvalidPart", resp("InvalidPart", 400), multipart.ErrInvalidPart},
		{"InvalidPartOrder", resp("InvalidPartOrder", 400), multipart.ErrInvalidPart},
		{"EntityTooSmall", resp("EntityTooSmall", 400), multipart.ErrInvalidPart},
		{"SlowDown", resp("SlowDown", 503), multipart.ErrThrottled},
		{"XMinioServerNotInitialized", resp("XMinioServerNotInitialized", 503), multipart.ErrServer},
		{"InternalError", resp("InternalError", 500), multipart.ErrServer},
		{"unknown 5xx", resp("502 Bad Gateway", 502), multipart.ErrServer},
		{"AccessDenied", resp("AccessDenied", 403), multipart.ErrAccessDenied},
		{"InvalidAccessKeyId", resp("InvalidAccessKeyId", 403), multipart.ErrAccessDenied},
		{"SignatureDoesNotMatch", resp("SignatureDoesNotMatch", 403), multipart.ErrAccessDenied},
		{"versitygw unknown access key", resp("XAdminUserNotFound", 404), multipart.ErrAccessDenied},
		{"InvalidArgument", resp("InvalidArgument", 400), multipart.ErrInvalidArgument},
		{"XMinioInvalidObjectName", resp("XMinioInvalidObjectName", 400), multipart.ErrInvalidArgument},
		{"per-key error without status", resp("AccessDenied", 0), multipart.ErrAccessDenied},
		{"wrapped response", fmt.Errorf("op: %w", resp("NoSuchUpload", 404)), multipart.ErrNoSuchUpload},
		{"unknown code and status", resp("Teapot", 418), nil},
		{"connection refused", refused, multipart.ErrNetwork},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), multipart.ErrNetwork},
		{"truncated body", io.ErrUnexpectedEOF, multipart.ErrNetwork},
		{"short body", &url.Error{Op: "Put", Err: fmt.Errorf("%w: got 1 of 2 bytes", storekit.ErrShortBody)}, multipart.ErrInvalidArgument},
		{"canceled", context.Canceled, nil},
		{"canceled in url.Error", &url.Error{Op: "Get", Err: context.Canceled}, nil},
		{"deadline", context.DeadlineExceeded, nil},
		{"other", errors.New("something else"), nil},
		{"nil", nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := classify(c.err); got != c.want {
				t.Fatalf("classify(%v) = %v, want %v", c.err, got, c.want)
			}
		})
	}
}

// TestRequestsError checks the conversion of minio-go's errors; the rules
// common to every backend are tested with storekit.
func TestRequestsError(t *testing.T) {
	requests := newRequests("bkt", nil)
	e := requests.Error(context.Background(), "ListParts", "k", "up", resp("NoSuchUpload", 404))
	if !errors.Is(e, multipart.ErrNoSuchUpload) {
		t.Errorf("errors.Is(%v, ErrNoSuchUpload) = false", e)
	}
	var er minio.ErrorResponse
	if !errors.As(e, &er) || er.Code != "NoSuchUpload" {
		t.Errorf("errors.As does not reach minio.ErrorResponse")
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e = requests.Error(ctx, "GetObject", "k", "", &url.Error{Op: "Get", Err: syscall.ECONNRESET})
	if e.Kind != nil || !errors.Is(e, context.Canceled) || multipart.IsRetryable(e) {
		t.Errorf("cancelled transport failure: kind %v, %v", e.Kind, e)
	}
	e = requests.Error(ctx, "PutObject", "k", "", resp("PreconditionFailed", 412))
	if e.Kind != multipart.ErrPreconditionFailed {
		t.Errorf("Kind = %v, want ErrPreconditionFailed", e.Kind)
	}
}
