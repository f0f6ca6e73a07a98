package multipart_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/awsstore"
	"github.com/s3commit/s3commit/multipart/miniostore"
)

// unavailableServer is an S3 endpoint that answers every request with 503
// and an S3 error body, and records the requests.
type unavailableServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []request
}

// request is what the test checks of a request: the method and the names
// of the query parameters.
type request struct {
	method string
	query  url.Values
}

func (r request) String() string {
	keys := slices.Sorted(maps.Keys(r.query))
	return r.method + " ?" + strings.Join(keys, "&")
}

func newUnavailableServer(t *testing.T, code string) *unavailableServer {
	s := &unavailableServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, request{r.Method, r.URL.Query()})
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusServiceUnavailable)
		if r.Method != http.MethodHead {
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+
				`<Error><Code>%s</Code><Message>Please reduce your request rate.</Message>`+
				`<Resource>%s</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>`, code, r.URL.Path)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// take returns the requests received since the last call.
func (s *unavailableServer) take() []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.requests
	s.requests = nil
	return r
}

// isolateAWSConfig keeps the user's AWS environment and files out of the
// SDK's configuration.
func isolateAWSConfig(t *testing.T) {
	for _, v := range []string{"AWS_PROFILE", "AWS_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CA_BUNDLE",
		"AWS_REQUEST_CHECKSUM_CALCULATION", "AWS_RESPONSE_CHECKSUM_VALIDATION"} {
		t.Setenv(v, "")
	}
	// The backends make one attempt whatever the environment says.
	t.Setenv("AWS_MAX_ATTEMPTS", "10")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/credentials")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// TestRetryingStoreAttemptsOverHTTP is the acceptance test of the one
// retry layer: a logical store call is attempted at most
// Retry.MaxAttempts times in total. Each Store operation of each S3
// backend, with its default options (no retries of the client library's
// own), wrapped in a RetryingStore with MaxAttempts 3, is called once
// against a server that always answers 503; the server counts the
// requests of each call.
func TestRetryingStoreAttemptsOverHTTP(t *testing.T) {
	isolateAWSConfig(t)
	const attempts = 3
	policy := multipart.RetryPolicy{MaxAttempts: attempts, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond}
	const bucket = "bkt"

	backends := []struct {
		name string
		new  func(t *testing.T, endpoint string) multipart.Store
	}{
		{"awsstore", func(t *testing.T, endpoint string) multipart.Store {
			st, err := awsstore.New(context.Background(), awsstore.Options{
				Bucket: bucket, EndpointURL: endpoint, Region: "us-east-1", UsePathStyle: true,
				Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
			})
			require.NoError(t, err)
			return st
		}},
		{"miniostore", func(t *testing.T, endpoint string) multipart.Store {
			// A Region set: minio-go asks no GetBucketLocation first.
			st, err := miniostore.New(miniostore.Options{
				Bucket: bucket, Endpoint: endpoint, Region: "us-east-1", PathStyle: true,
				AccessKeyID: "AKID", SecretAccessKey: "SECRET",
			})
			require.NoError(t, err)
			return st
		}},
	}
	// Each call is one logical call of the Store; requests is what one
	// attempt of it sends: "METHOD" or "METHOD param", a query parameter
	// that the request of this operation has.
	calls := []struct {
		name     string
		call     func(ctx context.Context, st multipart.Store) error
		requests []string
	}{
		{"CreateUpload", func(ctx context.Context, st multipart.Store) error {
			_, err := st.CreateUpload(ctx, "k", multipart.CreateOptions{})
			return err
		}, []string{"POST uploads"}},
		{"UploadPart", func(ctx context.Context, st multipart.Store) error {
			_, err := st.UploadPart(ctx, "k", "id", 1, strings.NewReader("part"), 4, multipart.PartOptions{})
			return err
		}, []string{"PUT partNumber"}},
		{"CompleteUpload", func(ctx context.Context, st multipart.Store) error {
			_, err := st.CompleteUpload(ctx, "k", "id", []multipart.Part{{Number: 1, ETag: "e", Size: 4}}, multipart.CompleteOptions{})
			return err
		}, []string{"POST uploadId"}},
		// The backends' AbortUpload asks ListParts (one part) whether the
		// upload exists before it aborts it, because MinIO answers the
		// abort of an unknown upload with success. A 503 from that check
		// is not NoSuchUpload, so the abort is sent anyway: each attempt
		// sends two requests, and the logical call is attempted 3 times,
		// 6 requests in all.
		{"AbortUpload", func(ctx context.Context, st multipart.Store) error {
			return st.AbortUpload(ctx, "k", "id")
		}, []string{"GET uploadId", "DELETE uploadId"}},
		{"ListUploads", func(ctx context.Context, st multipart.Store) error {
			return drain(st.ListUploads(ctx, "k"))
		}, []string{"GET uploads"}},
		{"ListParts", func(ctx context.Context, st multipart.Store) error {
			_, err := st.ListParts(ctx, "k", "id")
			return err
		}, []string{"GET uploadId"}},
		{"PutObject", func(ctx context.Context, st multipart.Store) error {
			_, err := st.PutObject(ctx, "k", strings.NewReader("object"), 6, multipart.PutOptions{})
			return err
		}, []string{"PUT"}},
		{"GetObject", func(ctx context.Context, st multipart.Store) error {
			rc, _, err := st.GetObject(ctx, "k")
			if err == nil {
				rc.Close()
			}
			return err
		}, []string{"GET"}},
		{"HeadObject", func(ctx context.Context, st multipart.Store) error {
			_, err := st.HeadObject(ctx, "k")
			return err
		}, []string{"HEAD"}},
		{"ListObjects", func(ctx context.Context, st multipart.Store) error {
			return drain(st.ListObjects(ctx, "p/"))
		}, []string{"GET list-type"}},
		{"DeleteObjects", func(ctx context.Context, st multipart.Store) error {
			return st.DeleteObjects(ctx, []string{"a", "b"})
		}, []string{"POST delete"}},
	}
	for _, code := range []string{"SlowDown", "ServiceUnavailable"} {
		for _, b := range backends {
			t.Run(code+"/"+b.name, func(t *testing.T) {
				srv := newUnavailableServer(t, code)
				st := multipart.NewRetryingStore(b.new(t, srv.URL), policy, nil)
				for _, c := range calls {
					err := c.call(t.Context(), st)
					require.Error(t, err, c.name)
					assert.True(t, multipart.IsRetryable(err), "%s: a 503 %s is transient: %v", c.name, code, err)
					got := srv.take()
					assert.Len(t, got, attempts*len(c.requests), "%s: requests %v", c.name, got)
					for i, r := range got {
						method, param, _ := strings.Cut(c.requests[i%len(c.requests)], " ")
						assert.Equal(t, method, r.method, "%s: request %d is %s", c.name, i+1, r)
						if param != "" {
							assert.True(t, r.query.Has(param), "%s: request %d is %s, without %s", c.name, i+1, r, param)
						}
					}
				}
			})
		}
	}
}
