package awsstore

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3commit/s3commit/multipart/storekit"
)

func TestOptionsValidate(t *testing.T) {
	cases := []struct {
		name    string
		opts    Options
		wantErr string // substring; empty means valid
	}{
		{"minimal", Options{Bucket: "bkt"}, ""},
		{"full", Options{
			Bucket: "bkt", EndpointURL: "https://s3.example:9000/", Region: "eu-west-1", UsePathStyle: true,
			Checksums: ChecksumWhenSupported, PayloadSigning: UnsignedPayload, MaxConnections: 10,
			RetryMaxAttempts: 1, ListPageSize: 1000,
		}, ""},
		{"no bucket", Options{}, "Options.Bucket is required"},
		{"endpoint without scheme", Options{Bucket: "bkt", EndpointURL: "127.0.0.1:9000"}, "must start with http:// or https://"},
		{"endpoint with other scheme", Options{Bucket: "bkt", EndpointURL: "ftp://host"}, "must start with http:// or https://"},
		{"endpoint without host", Options{Bucket: "bkt", EndpointURL: "http://"}, "no host"},
		{"endpoint with query", Options{Bucket: "bkt", EndpointURL: "http://host?x=1"}, "query"},
		{"unknown checksums", Options{Bucket: "bkt", Checksums: 7}, "Options.Checksums"},
		{"unknown payload signing", Options{Bucket: "bkt", PayloadSigning: -1}, "Options.PayloadSigning"},
		{"negative connections", Options{Bucket: "bkt", MaxConnections: -1}, "MaxConnections"},
		{"negative attempts", Options{Bucket: "bkt", RetryMaxAttempts: -2}, "RetryMaxAttempts"},
		{"page too large", Options{Bucket: "bkt", ListPageSize: 1001}, "ListPageSize"},
		{"negative page", Options{Bucket: "bkt", ListPageSize: -1}, "ListPageSize"},
		{"several problems", Options{MaxConnections: -1}, "Options.Bucket is required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.opts.validate()
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("validate() = %v, want an error containing %q", err, c.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "awsstore: ") {
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
	if got := o.retryMaxAttempts(); got != 1 || DefaultRetryMaxAttempts != 1 {
		t.Errorf("retryMaxAttempts() = %d (DefaultRetryMaxAttempts %d), want 1: retries are multipart.RetryingStore's", got, DefaultRetryMaxAttempts)
	}
	if o.Checksums != ChecksumWhenRequired || o.PayloadSigning != SignPayload {
		t.Errorf("zero Options: Checksums %v, PayloadSigning %v", o.Checksums, o.PayloadSigning)
	}
	for _, s := range []string{ChecksumWhenRequired.String(), ChecksumWhenSupported.String(), Checksums(9).String(),
		SignPayload.String(), UnsignedPayload.String(), PayloadSigning(9).String()} {
		if s == "" {
			t.Error("empty String()")
		}
	}
}

// isolateAWSEnv keeps the environment and the user's AWS files out of the
// SDK's configuration.
func isolateAWSEnv(t *testing.T) {
	t.Helper()
	for _, v := range []string{
		"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL",
		"AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_MAX_ATTEMPTS", "AWS_REQUEST_CHECKSUM_CALCULATION", "AWS_RESPONSE_CHECKSUM_VALIDATION",
		"AWS_CA_BUNDLE",
	} {
		t.Setenv(v, "")
	}
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/credentials")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func TestNewConfiguresClient(t *testing.T) {
	isolateAWSEnv(t)
	creds := credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")
	cases := []struct {
		name         string
		opts         Options
		env          map[string]string
		wantRegion   string
		wantEndpoint string
		wantChecksum aws.RequestChecksumCalculation
		wantIdle     int
		wantAttempts int // 0 means 1
		wantErr      string
	}{
		{
			name:         "endpoint without region defaults the region",
			opts:         Options{Bucket: "bkt", EndpointURL: "http://127.0.0.1:9000", UsePathStyle: true, Credentials: creds},
			wantRegion:   DefaultRegion,
			wantEndpoint: "http://127.0.0.1:9000",
			wantChecksum: aws.RequestChecksumCalculationWhenRequired,
			wantIdle:     DefaultMaxConnections,
		},
		{
			name:         "explicit region and pool",
			opts:         Options{Bucket: "bkt", EndpointURL: "http://127.0.0.1:9000", Region: "eu-central-1", Credentials: creds, MaxConnections: 200},
			wantRegion:   "eu-central-1",
			wantEndpoint: "http://127.0.0.1:9000",
			wantChecksum: aws.RequestChecksumCalculationWhenRequired,
			wantIdle:     200,
		},
		{
			name:         "the SDK makes one attempt whatever AWS_MAX_ATTEMPTS says",
			opts:         Options{Bucket: "bkt", EndpointURL: "http://127.0.0.1:9000", Credentials: creds},
			env:          map[string]string{"AWS_MAX_ATTEMPTS": "7"},
			wantRegion:   DefaultRegion,
			wantChecksum: aws.RequestChecksumCalculationWhenRequired,
			wantIdle:     DefaultMaxConnections,
		},
		{
			name:         "SDK retries when asked for",
			opts:         Options{Bucket: "bkt", EndpointURL: "http://127.0.0.1:9000", Credentials: creds, RetryMaxAttempts: 4},
			wantRegion:   DefaultRegion,
			wantChecksum: aws.RequestChecksumCalculationWhenRequired,
			wantIdle:     DefaultMaxConnections,
			wantAttempts: 4,
		},
		{
			name:         "region from the environment",
			opts:         Options{Bucket: "bkt", Credentials: creds},
			env:          map[string]string{"AWS_REGION": "ap-south-1"},
			wantRegion:   "ap-south-1",
			wantChecksum: aws.RequestChecksumCalculationWhenRequired,
			wantIdle:     DefaultMaxConnections,
		},
		{
			name:         "AWS_ENDPOINT_URL without region",
			opts:         Options{Bucket: "bkt", Credentials: creds, Checksums: ChecksumWhenSupported},
			env:          map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:9100"},
			wantRegion:   DefaultRegion,
			wantChecksum: aws.RequestChecksumCalculationWhenSupported,
			wantIdle:     DefaultMaxConnections,
		},
		{
			name:    "no region and no endpoint",
			opts:    Options{Bucket: "bkt", Credentials: creds},
			wantErr: "no region configured",
		},
		{
			name:    "invalid options",
			opts:    Options{EndpointURL: "http://127.0.0.1:9000"},
			wantErr: "Options.Bucket is required",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			st, err := New(context.Background(), c.opts)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("New() error = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New() = %v", err)
			}
			if st.Bucket() != c.opts.Bucket {
				t.Errorf("Bucket() = %q", st.Bucket())
			}
			o := st.Client().Options()
			if o.Region != c.wantRegion {
				t.Errorf("Region = %q, want %q", o.Region, c.wantRegion)
			}
			if got := aws.ToString(o.BaseEndpoint); c.wantEndpoint != "" && got != c.wantEndpoint {
				t.Errorf("BaseEndpoint = %q, want %q", got, c.wantEndpoint)
			}
			if o.UsePathStyle != c.opts.UsePathStyle {
				t.Errorf("UsePathStyle = %v", o.UsePathStyle)
			}
			if o.RequestChecksumCalculation != c.wantChecksum {
				t.Errorf("RequestChecksumCalculation = %v, want %v", o.RequestChecksumCalculation, c.wantChecksum)
			}
			if c.opts.Checksums == ChecksumWhenRequired && o.ResponseChecksumValidation != aws.ResponseChecksumValidationWhenRequired {
				t.Errorf("ResponseChecksumValidation = %v", o.ResponseChecksumValidation)
			}
			// The SDK's client, inside the one that bounds answers.
			hc, ok := storekit.UnwrapDoer(o.HTTPClient).(*awshttp.BuildableClient)
			if !ok || hc == o.HTTPClient {
				t.Fatalf("HTTPClient is %T around %T, want a bounding client around an *awshttp.BuildableClient",
					o.HTTPClient, storekit.UnwrapDoer(o.HTTPClient))
			}
			tr := hc.GetTransport()
			if tr.MaxIdleConns != c.wantIdle || tr.MaxIdleConnsPerHost != c.wantIdle {
				t.Errorf("idle pool = %d / %d per host, want %d", tr.MaxIdleConns, tr.MaxIdleConnsPerHost, c.wantIdle)
			}
			if st.pageSize != DefaultListPageSize {
				t.Errorf("pageSize = %d", st.pageSize)
			}
			wantAttempts := max(c.wantAttempts, 1)
			if got := o.Retryer.MaxAttempts(); got != wantAttempts {
				t.Errorf("Retryer.MaxAttempts() = %d, want %d", got, wantAttempts)
			}
		})
	}
}

func TestNewFromClient(t *testing.T) {
	client := s3.New(s3.Options{Region: "us-east-1"})
	st := NewFromClient(client, "bucket", Options{Bucket: "ignored", ListPageSize: 2, PayloadSigning: UnsignedPayload})
	if st.Bucket() != "bucket" || st.Client() != client || st.pageSize != 2 || len(st.bodyOpts) != 1 {
		t.Fatalf("NewFromClient: bucket %q, page %d, body options %d", st.Bucket(), st.pageSize, len(st.bodyOpts))
	}

	panics := []struct {
		name   string
		client *s3.Client
		bucket string
		opts   Options
	}{
		{"nil client", nil, "b", Options{}},
		{"empty bucket", client, "", Options{}},
		{"bad page size", client, "b", Options{ListPageSize: 5000}},
	}
	for _, c := range panics {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("NewFromClient did not panic")
				}
			}()
			NewFromClient(c.client, c.bucket, c.opts)
		})
	}
}
