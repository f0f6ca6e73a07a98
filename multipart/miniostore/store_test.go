package miniostore

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/s3commit/s3commit/internal/s3fake"
	"github.com/s3commit/s3commit/multipart"
)

// newTestStore returns a Store on the fake S3 server at endpoint, with
// static keys, no retries and, unless opts sets one, a list page size of
// 2.
func newTestStore(t *testing.T, endpoint string, opts Options) *Store {
	t.Helper()
	if opts.Bucket == "" {
		opts.Bucket = s3fake.Bucket
	}
	opts.Endpoint = endpoint
	opts.AccessKeyID, opts.SecretAccessKey = "AKID", "SECRET"
	opts.RetryMaxAttempts = 1
	if opts.ListPageSize == 0 {
		opts.ListPageSize = 2
	}
	st, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestFakeS3 runs the tests every backend passes against the fake server.
func TestFakeS3(t *testing.T) {
	s3fake.Run(t, func(t *testing.T, endpoint string) multipart.Store {
		return newTestStore(t, endpoint, Options{})
	})
}

func TestUploadPartDecodedContentLength(t *testing.T) {
	srv := s3fake.NewServer(t)
	st := newTestStore(t, srv.URL(), Options{})
	for _, r := range s3fake.UploadTestParts(t, st, srv) {
		// Streaming signatures frame the body; the decoded length is the
		// part's.
		if got := r.Header.Get("X-Amz-Decoded-Content-Length"); got != fmt.Sprint(len(r.Body)) {
			t.Errorf("X-Amz-Decoded-Content-Length %q for a body of %d bytes", got, len(r.Body))
		}
	}
}

func TestUnsignedPayload(t *testing.T) {
	srv := s3fake.NewServer(t)
	st := newTestStore(t, srv.URL(), Options{UnsignedPayload: true})
	req := s3fake.PutTestObject(t, st, srv)
	if got := req.Header.Get("X-Amz-Content-Sha256"); got != "UNSIGNED-PAYLOAD" {
		t.Errorf("X-Amz-Content-Sha256 = %q with UnsignedPayload", got)
	}
}

func TestSignedPayload(t *testing.T) {
	srv := s3fake.NewServer(t)
	st := newTestStore(t, srv.URL(), Options{})
	ctx := context.Background()
	if _, err := st.PutObject(ctx, "o", strings.NewReader("abc"), 3, multipart.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	id := srv.AddUpload("k")
	if _, err := st.UploadPart(ctx, "k", id, 1, strings.NewReader("abc"), 3, multipart.PartOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, req := range srv.Requests() {
		if req.Method != "PUT" {
			continue
		}
		// Over plain HTTP minio-go signs bodies with a streaming signature.
		if got := req.Header.Get("X-Amz-Content-Sha256"); got != "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" {
			t.Errorf("X-Amz-Content-Sha256 = %q", got)
		}
		if string(req.Body) != "abc" {
			t.Errorf("body %q", req.Body)
		}
	}
}
