package miniostore

import (
	"net/http"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
)

func TestParseEndpoint(t *testing.T) {
	cases := []struct {
		endpoint   string
		secure     bool
		wantHost   string
		wantSecure bool
		wantErr    string
	}{
		{"127.0.0.1:9000", false, "127.0.0.1:9000", false, ""},
		{"127.0.0.1:9000", true, "127.0.0.1:9000", true, ""},
		{"minio.example", false, "minio.example", false, ""},
		{"http://127.0.0.1:9000", false, "127.0.0.1:9000", false, ""},
		{"http://127.0.0.1:9000/", false, "127.0.0.1:9000", false, ""},
		{"https://s3.example:9443", false, "s3.example:9443", true, ""},
		{"https://s3.example", true, "s3.example", true, ""},
		{"HTTP://127.0.0.1:9000", false, "127.0.0.1:9000", false, ""},
		{"http://[::1]:9000", false, "[::1]:9000", false, ""},
		{"", false, "", false, "Options.Endpoint is required"},
		{"http://127.0.0.1:9000", true, "", false, "contradicts Options.Secure"},
		{"ftp://host", false, "", false, "scheme must be http or https"},
		{"http://", false, "", false, "no host"},
		{"http://host/bucket", false, "", false, "without path"},
		{"http://host?x=1", false, "", false, "without path"},
		{"http://user:pw@host", false, "", false, "must not contain credentials"},
		{"host/bucket", false, "", false, "must be host[:port]"},
	}
	for _, c := range cases {
		t.Run(c.endpoint, func(t *testing.T) {
			host, secure, err := parseEndpoint(c.endpoint, c.secure)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("parseEndpoint(%q, %v) error = %v, want %q", c.endpoint, c.secure, err, c.wantErr)
				}
				return
			}
			if err != nil || host != c.wantHost || secure != c.wantSecure {
				t.Fatalf("parseEndpoint(%q, %v) = %q, %v, %v; want %q, %v", c.endpoint, c.secure, host, secure, err, c.wantHost, c.wantSecure)
			}
		})
	}
}

func TestOptionsValidate(t *testing.T) {
	base := Options{Bucket: "bkt", Endpoint: "127.0.0.1:9000"}
	with := func(f func(*Options)) Options { o := base; f(&o); return o }
	cases := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"minimal", base, ""},
		{"static keys", with(func(o *Options) { o.AccessKeyID, o.SecretAccessKey, o.SessionToken = "a", "s", "t" }), ""},
		{"no bucket", with(func(o *Options) { o.Bucket = "" }), "Options.Bucket is required"},
		{"no endpoint", with(func(o *Options) { o.Endpoint = "" }), "Options.Endpoint is required"},
		{"key without secret", with(func(o *Options) { o.AccessKeyID = "a" }), "must be set together"},
		{"secret without key", with(func(o *Options) { o.SecretAccessKey = "s" }), "must be set together"},
		{"token without keys", with(func(o *Options) { o.SessionToken = "t" }), "SessionToken"},
		{"negative connections", with(func(o *Options) { o.MaxConnections = -1 }), "MaxConnections"},
		{"negative attempts", with(func(o *Options) { o.RetryMaxAttempts = -1 }), "RetryMaxAttempts"},
		{"page too large", with(func(o *Options) { o.ListPageSize = 1001 }), "ListPageSize"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := c.opts.validate()
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("validate() = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("validate() = %v, want %q", err, c.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "miniostore: ") {
				t.Errorf("error %q does not name the package", err)
			}
		})
	}
}

func TestOptionsDefaults(t *testing.T) {
	var o Options
	if got := o.maxConnections(); got != DefaultMaxConnections {
		t.Errorf("maxConnections() = %d, want %d", got, DefaultMaxConnections)
	}
	if got := o.listPageSize(); got != DefaultListPageSize {
		t.Errorf("listPageSize() = %d, want %d", got, DefaultListPageSize)
	}
	// minio-go's MaxRetries is its number of attempts: 1 sends each
	// request once. The request count is checked against a server in
	// package multipart (TestRetryingStoreAttemptsOverHTTP).
	if got := o.retryMaxAttempts(); got != 1 || DefaultRetryMaxAttempts != 1 {
		t.Errorf("retryMaxAttempts() = %d (DefaultRetryMaxAttempts %d), want 1: retries are multipart.RetryingStore's", got, DefaultRetryMaxAttempts)
	}
	if got := (Options{RetryMaxAttempts: 4}).retryMaxAttempts(); got != 4 {
		t.Errorf("retryMaxAttempts() = %d with RetryMaxAttempts 4", got)
	}
}

func TestNewConfiguresClient(t *testing.T) {
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD", "MINIO_ACCESS_KEY", "MINIO_SECRET_KEY"} {
		t.Setenv(v, "")
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/credentials")

	cases := []struct {
		name    string
		opts    Options
		env     map[string]string
		wantURL string
		wantKey string
	}{
		{"static keys over http", Options{Bucket: "bkt", Endpoint: "http://127.0.0.1:9000", AccessKeyID: "AK", SecretAccessKey: "SK"},
			nil, "http://127.0.0.1:9000", "AK"},
		{"https from the scheme, pool size", Options{Bucket: "bkt", Endpoint: "https://s3.example", AccessKeyID: "AK", SecretAccessKey: "SK", MaxConnections: 7},
			nil, "https://s3.example", "AK"},
		{"keys from AWS env", Options{Bucket: "bkt", Endpoint: "127.0.0.1:9000"},
			map[string]string{"AWS_ACCESS_KEY_ID": "ENVAK", "AWS_SECRET_ACCESS_KEY": "ENVSK"}, "http://127.0.0.1:9000", "ENVAK"},
		{"keys from MinIO env", Options{Bucket: "bkt", Endpoint: "127.0.0.1:9000", Secure: true},
			map[string]string{"MINIO_ROOT_USER": "ROOT", "MINIO_ROOT_PASSWORD": "ROOTSECRET"}, "https://127.0.0.1:9000", "ROOT"},
		{"custom transport", Options{Bucket: "bkt", Endpoint: "127.0.0.1:9000", Transport: http.DefaultTransport},
			nil, "http://127.0.0.1:9000", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			st, err := New(c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if st.Bucket() != "bkt" || st.pageSize != DefaultListPageSize {
				t.Errorf("Bucket %q, page size %d", st.Bucket(), st.pageSize)
			}
			if got := st.Core().EndpointURL().String(); got != c.wantURL {
				t.Errorf("endpoint %q, want %q", got, c.wantURL)
			}
			if c.wantKey != "" {
				v, err := st.Core().GetCreds()
				if err != nil || v.AccessKeyID != c.wantKey {
					t.Errorf("credentials %q, %v; want %q", v.AccessKeyID, err, c.wantKey)
				}
			}
		})
	}
	if _, err := New(Options{Endpoint: "127.0.0.1:9000"}); err == nil {
		t.Error("New without a bucket succeeded")
	}
}

func TestNewFromCore(t *testing.T) {
	core, err := minio.NewCore("127.0.0.1:9000", &minio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := NewFromCore(core, "bucket", Options{Bucket: "ignored", ListPageSize: 3, UnsignedPayload: true})
	if st.Bucket() != "bucket" || st.Core() != core || st.pageSize != 3 || !st.unsignedPayload {
		t.Fatalf("NewFromCore: %+v", st)
	}
	for _, c := range []struct {
		name   string
		core   *minio.Core
		bucket string
		opts   Options
	}{
		{"nil core", nil, "b", Options{}},
		{"core without client", &minio.Core{}, "b", Options{}},
		{"empty bucket", core, "", Options{}},
		{"bad page size", core, "b", Options{ListPageSize: -3}},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("NewFromCore did not panic")
				}
			}()
			NewFromCore(c.core, c.bucket, c.opts)
		})
	}
}
