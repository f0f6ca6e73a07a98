package miniostore

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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

// TestPutObjectChecksum: PutOptions.Checksum goes out as its
// x-amz-checksum-<algorithm> header, the request's only checksum, with a
// signed (streaming) or an unsigned payload; a client made with
// minio.Options.TrailingHeaders adds no CRC32C trailer of its own.
func TestPutObjectChecksum(t *testing.T) {
	data := []byte("checksummed object")
	for _, c := range []struct {
		name            string
		opts            Options
		trailingHeaders bool // a client from NewFromCore with TrailingHeaders
		a               multipart.ChecksumAlgorithm
	}{
		{"SignedCRC64NVME", Options{}, false, multipart.ChecksumCRC64NVME},
		{"SignedCRC32C", Options{}, false, multipart.ChecksumCRC32C},
		{"SignedCRC32", Options{}, false, multipart.ChecksumCRC32},
		{"UnsignedCRC64NVME", Options{UnsignedPayload: true}, false, multipart.ChecksumCRC64NVME},
		{"UnsignedCRC32C", Options{UnsignedPayload: true}, false, multipart.ChecksumCRC32C},
		{"TrailingHeadersUnsignedCRC64NVME", Options{UnsignedPayload: true}, true, multipart.ChecksumCRC64NVME},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := s3fake.NewServer(t)
			st := newTestStore(t, srv.URL(), c.opts)
			if c.trailingHeaders {
				core, err := minio.NewCore(strings.TrimPrefix(srv.URL(), "http://"), &minio.Options{
					Creds: credentials.NewStaticV4("AKID", "SECRET", ""), BucketLookup: minio.BucketLookupPath,
					MaxRetries: 1, TrailingHeaders: true,
				})
				require.NoError(t, err)
				st = NewFromCore(core, s3fake.Bucket, c.opts)
			}
			sum, _, err := multipart.ComputeChecksum(c.a, bytes.NewReader(data))
			require.NoError(t, err)
			_, err = st.PutObject(t.Context(), "o", bytes.NewReader(data), int64(len(data)), multipart.PutOptions{Checksum: sum})
			require.NoError(t, err)
			reqs := srv.PutObjectRequests()
			require.Len(t, reqs, 1)
			assert.Equal(t, data, reqs[0].Body)
			assert.Empty(t, reqs[0].Header.Get("X-Amz-Trailer"), "no trailing checksum")
			checksums := map[string]string{}
			for h := range reqs[0].Header {
				if name := strings.ToLower(h); strings.HasPrefix(name, "x-amz-checksum-") {
					checksums[name] = reqs[0].Header.Get(h)
				}
				assert.False(t, strings.HasPrefix(strings.ToLower(h), "x-amz-meta-"), "no user metadata: %s", h)
			}
			assert.Equal(t, map[string]string{"x-amz-checksum-" + strings.ToLower(string(c.a)): sum.Value}, checksums)
		})
	}
}
