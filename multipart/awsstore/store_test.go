package awsstore

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/internal/s3fake"
	"github.com/s3commit/s3commit/multipart"
)

// newTestStore returns a Store on the fake S3 server at endpoint, with
// static keys, path-style addressing, no retries and, unless opts sets
// one, a list page size of 2.
func newTestStore(t *testing.T, endpoint string, opts Options) *Store {
	t.Helper()
	isolateAWSEnv(t)
	if opts.Bucket == "" {
		opts.Bucket = s3fake.Bucket
	}
	opts.EndpointURL = endpoint
	opts.UsePathStyle = true
	opts.Credentials = credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")
	opts.RetryMaxAttempts = 1
	if opts.ListPageSize == 0 {
		opts.ListPageSize = 2
	}
	st, err := New(context.Background(), opts)
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

func TestUploadPartContentLength(t *testing.T) {
	srv := s3fake.NewServer(t)
	st := newTestStore(t, srv.URL(), Options{})
	for _, r := range s3fake.UploadTestParts(t, st, srv) {
		if r.Header.Get("Content-Length") != fmt.Sprint(len(r.Body)) && len(r.Body) > 0 {
			t.Errorf("Content-Length %q for a body of %d bytes", r.Header.Get("Content-Length"), len(r.Body))
		}
	}
}

func TestUnsignedPayload(t *testing.T) {
	srv := s3fake.NewServer(t)
	st := newTestStore(t, srv.URL(), Options{PayloadSigning: UnsignedPayload})
	req := s3fake.PutTestObject(t, st, srv)
	if got := req.Header.Get("X-Amz-Content-Sha256"); got != "UNSIGNED-PAYLOAD" {
		t.Errorf("X-Amz-Content-Sha256 = %q with UnsignedPayload", got)
	}
}

func TestSignedPayload(t *testing.T) {
	srv := s3fake.NewServer(t)
	st := newTestStore(t, srv.URL(), Options{})
	req := s3fake.PutTestObject(t, st, srv)
	if got := req.Header.Get("X-Amz-Content-Sha256"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("X-Amz-Content-Sha256 = %q, want the body's SHA-256", got)
	}
	for h := range req.Header {
		if strings.HasPrefix(strings.ToLower(h), "x-amz-checksum-") {
			t.Errorf("checksum header %s sent with ChecksumWhenRequired", h)
		}
	}
}

// TestPutObjectChecksum: PutOptions.Checksum goes out as its
// x-amz-checksum-<algorithm> header, the only checksum of the request,
// whatever the payload signing and the SDK's checksum setting.
func TestPutObjectChecksum(t *testing.T) {
	data := []byte("checksummed object")
	for _, c := range []struct {
		name string
		opts Options
		a    multipart.ChecksumAlgorithm
	}{
		{"SignedCRC64NVME", Options{}, multipart.ChecksumCRC64NVME},
		{"SignedCRC32C", Options{}, multipart.ChecksumCRC32C},
		{"SignedCRC32", Options{}, multipart.ChecksumCRC32},
		{"UnsignedCRC64NVME", Options{PayloadSigning: UnsignedPayload}, multipart.ChecksumCRC64NVME},
		{"WhenSupportedCRC32C", Options{Checksums: ChecksumWhenSupported}, multipart.ChecksumCRC32C},
		{"WhenSupportedUnsignedCRC64NVME", Options{Checksums: ChecksumWhenSupported, PayloadSigning: UnsignedPayload}, multipart.ChecksumCRC64NVME},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := s3fake.NewServer(t)
			st := newTestStore(t, srv.URL(), c.opts)
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
			}
			assert.Equal(t, map[string]string{"x-amz-checksum-" + strings.ToLower(string(c.a)): sum.Value}, checksums)
		})
	}
}
