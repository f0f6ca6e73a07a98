package awsstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/storekit"
)

// sdkError builds the error chain the SDK returns for an answer of the store
// with the given status and API error.
func sdkError(op string, status int, apiErr error) error {
	return &smithy.OperationError{
		ServiceID:     "S3",
		OperationName: op,
		Err: &awshttp.ResponseError{
			ResponseError: &smithyhttp.ResponseError{
				Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
				Err:      apiErr,
			},
			RequestID: "REQ",
		},
	}
}

func apiErr(code string) error {
	return &smithy.GenericAPIError{Code: code, Message: code + " message"}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"NoSuchKey", sdkError("GetObject", 404, &types.NoSuchKey{}), multipart.ErrNotFound},
		{"HEAD 404", sdkError("HeadObject", 404, &types.NotFound{}), multipart.ErrNotFound},
		{"NoSuchUpload", sdkError("CompleteMultipartUpload", 404, &types.NoSuchUpload{}), multipart.ErrNoSuchUpload},
		{"NoSuchBucket", sdkError("PutObject", 404, apiErr("NoSuchBucket")), multipart.ErrBucketNotFound},
		{"PreconditionFailed", sdkError("CompleteMultipartUpload", 412, apiErr("PreconditionFailed")), multipart.ErrPreconditionFailed},
		{"ConditionalRequestConflict", sdkError("CompleteMultipartUpload", 409, apiErr("ConditionalRequestConflict")), multipart.ErrPreconditionFailed},
		{"HEAD 412", sdkError("HeadObject", 412, apiErr("PreconditionFailed")), multipart.ErrPreconditionFailed},
		{"InvalidPart", sdkError("CompleteMultipartUpload", 400, apiErr("InvalidPart")), multipart.ErrInvalidPart},
		{"InvalidPartOrder", sdkError("CompleteMultipartUpload", 400, apiErr("InvalidPartOrder")), multipart.ErrInvalidPart},
		{"EntityTooSmall", sdkError("CompleteMultipartUpload", 400, apiErr("EntityTooSmall")), multipart.ErrInvalidPart},
		{"SlowDown", sdkError("UploadPart", 503, apiErr("SlowDown")), multipart.ErrThrottled},
		{"bare 429", sdkError("UploadPart", 429, apiErr("")), multipart.ErrThrottled},
		{"InternalError", sdkError("UploadPart", 500, apiErr("InternalError")), multipart.ErrServer},
		{"bare 502", sdkError("UploadPart", 502, apiErr("BadGateway")), multipart.ErrServer},
		{"AccessDenied", sdkError("PutObject", 403, apiErr("AccessDenied")), multipart.ErrAccessDenied},
		{"InvalidAccessKeyId", sdkError("PutObject", 403, apiErr("InvalidAccessKeyId")), multipart.ErrAccessDenied},
		{"SignatureDoesNotMatch", sdkError("PutObject", 403, apiErr("SignatureDoesNotMatch")), multipart.ErrAccessDenied},
		{"HEAD 403", sdkError("HeadObject", 403, apiErr("Forbidden")), multipart.ErrAccessDenied},
		{"versitygw unknown access key", sdkError("PutObject", 404, apiErr("XAdminUserNotFound")), multipart.ErrAccessDenied},
		{"InvalidArgument", sdkError("UploadPart", 400, apiErr("InvalidArgument")), multipart.ErrInvalidArgument},
		{"bare 400", sdkError("UploadPart", 400, apiErr("BadRequest")), multipart.ErrInvalidArgument},
		{"unknown code and status", sdkError("UploadPart", 418, apiErr("Teapot")), nil},
		{"connection refused", sdkError("PutObject", 0, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), multipart.ErrNetwork},
		{"connection reset", fmt.Errorf("send: %w", syscall.ECONNRESET), multipart.ErrNetwork},
		{"truncated body", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), multipart.ErrNetwork},
		{"response without status", &smithyhttp.ResponseError{Err: &net.OpError{Op: "read", Err: syscall.ECONNRESET}}, multipart.ErrNetwork},
		{"short body", fmt.Errorf("hash: %w", storekit.ErrShortBody), multipart.ErrInvalidArgument},
		{"canceled", &smithy.OperationError{Err: &smithy.CanceledError{Err: context.Canceled}}, nil},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), nil},
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

// TestRequestsError checks the conversion of the SDK's errors; the rules
// common to every backend are tested with storekit.
func TestRequestsError(t *testing.T) {
	requests := newRequests("bkt", nil)
	backend := sdkError("UploadPart", 404, &types.NoSuchUpload{})
	e := requests.Error(context.Background(), "UploadPart", "k", "up", backend)
	if !errors.Is(e, multipart.ErrNoSuchUpload) {
		t.Errorf("errors.Is(%v, ErrNoSuchUpload) = false", e)
	}
	var nsu *types.NoSuchUpload
	if !errors.As(e, &nsu) {
		t.Errorf("errors.As does not reach the SDK's error type")
	}
	var ae smithy.APIError
	if !errors.As(e, &ae) || ae.ErrorCode() != "NoSuchUpload" {
		t.Errorf("errors.As(smithy.APIError) failed")
	}

	// A transport error once the context is done is the cancellation.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	netErr := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	e = requests.Error(ctx, "GetObject", "k", "", sdkError("GetObject", 0, netErr))
	if e.Kind != nil {
		t.Errorf("Kind = %v, want nil for a cancelled request", e.Kind)
	}
	if !errors.Is(e, context.Canceled) {
		t.Errorf("errors.Is(%v, context.Canceled) = false", e)
	}
	var opErr *net.OpError
	if !errors.As(e, &opErr) {
		t.Errorf("errors.As does not reach the transport error")
	}
	if multipart.IsRetryable(e) {
		t.Errorf("a cancelled request is retryable")
	}

	// An answer of the store keeps its kind even when ctx is done.
	e = requests.Error(ctx, "PutObject", "k", "", sdkError("PutObject", 412, apiErr("PreconditionFailed")))
	if e.Kind != multipart.ErrPreconditionFailed {
		t.Errorf("Kind = %v, want ErrPreconditionFailed", e.Kind)
	}
}

type failingProvider struct{ err error }

func (p failingProvider) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{}, p.err
}

func TestMarkedCredentials(t *testing.T) {
	// No credentials anywhere: access denied, not the network error the
	// failed instance-role lookup contains.
	noRole := fmt.Errorf("no EC2 IMDS role found, %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ETIMEDOUT})
	m := markedCredentials{provider: aws.NewCredentialsCache(failingProvider{err: noRole})}
	_, err := m.Retrieve(context.Background())
	sdkErr := &smithy.OperationError{ServiceID: "S3", OperationName: "HeadObject", Err: fmt.Errorf("get identity: %w", err)}
	if got := classify(sdkErr); got != multipart.ErrAccessDenied {
		t.Errorf("classify(credentials failure) = %v, want ErrAccessDenied", got)
	}

	// Cancellation stays a cancellation.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m = markedCredentials{provider: failingProvider{err: context.Canceled}}
	_, err = m.Retrieve(ctx)
	var credErr *credentialsError
	if errors.As(err, &credErr) || classify(err) != nil {
		t.Errorf("cancelled retrieval marked: %v", err)
	}

	// The SDK still recognises the wrapped provider's type.
	anon := markedCredentials{provider: aws.AnonymousCredentials{}}
	if !aws.IsCredentialsProvider(anon, aws.AnonymousCredentials{}) {
		t.Error("wrapped AnonymousCredentials not recognised")
	}
	static := markedCredentials{provider: credentials.NewStaticCredentialsProvider("a", "s", "")}
	if creds, err := static.Retrieve(context.Background()); err != nil || creds.AccessKeyID != "a" {
		t.Errorf("Retrieve = %+v, %v", creds, err)
	}
	if len(static.ProviderSources()) == 0 {
		t.Error("ProviderSources lost")
	}
}
