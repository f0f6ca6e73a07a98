package awsstore

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// secret is the password of the endpoint URLs of these tests: it must not
// appear in any error or log.
const secret = "s3cr3t-PW"

func TestEndpointURLWithCredentials(t *testing.T) {
	cases := []struct {
		name, endpoint, wantErr string
	}{
		{"user and password", "http://AKID:" + secret + "@127.0.0.1:9000", "must not contain credentials"},
		{"user only", "https://" + secret + "@s3.example", "must not contain credentials"},
		{"user, password and query", "http://AKID:" + secret + "@host?x=1", "must not contain credentials"},
		{"other scheme", "ftp://AKID:" + secret + "@host", "must start with http:// or https://"},
		{"no scheme", "AKID:" + secret + "@host:9000", "must start with http:// or https://"},
		{"unparsable", "http://AKID:" + secret + "@host:99999x", "Options.EndpointURL"},
		{"unparsable, percent", "http://AKID:" + secret + "%zz@host", "Options.EndpointURL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Options{Bucket: "bkt", EndpointURL: c.endpoint}.validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.wantErr)
			assert.NotContains(t, err.Error(), secret)
			if c.wantErr == "must not contain credentials" {
				assert.Contains(t, err.Error(), "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
			}
		})
	}
}

func TestNewRejectsCredentialsInEndpoint(t *testing.T) {
	for _, from := range []string{"Options.EndpointURL", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"} {
		t.Run(from, func(t *testing.T) {
			isolateAWSEnv(t)
			endpoint := "http://AKID:" + secret + "@127.0.0.1:9000"
			opts := Options{Bucket: "bkt", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")}
			if from == "Options.EndpointURL" {
				opts.EndpointURL = endpoint
			} else {
				t.Setenv(from, endpoint)
			}
			var logs bytes.Buffer
			opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			_, err := New(context.Background(), opts)
			assert.NotContains(t, logs.String(), secret)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "must not contain credentials")
			assert.Contains(t, err.Error(), from)
			assert.NotContains(t, err.Error(), secret)
		})
	}
}

func TestNewLogsEndpoint(t *testing.T) {
	isolateAWSEnv(t)
	var logs bytes.Buffer
	_, err := New(context.Background(), Options{
		Bucket:      "bkt",
		EndpointURL: "http://127.0.0.1:9000",
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		Logger:      slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	require.NoError(t, err)
	assert.Contains(t, logs.String(), "endpoint=http://127.0.0.1:9000")
}
