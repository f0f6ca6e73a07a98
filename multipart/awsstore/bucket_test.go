package awsstore

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
)

func TestNewChecksBucketName(t *testing.T) {
	isolateAWSEnv(t)
	cases := []struct {
		bucket  string
		wantErr string // empty: valid
	}{
		{"lake", ""},
		{"my-lake.2026", ""},
		{"", "Options.Bucket is required"},
		{"../x", `Options.Bucket: invalid bucket name "../x"`},
		{"Lake", "may contain only lowercase letters"},
		{"lake/sub", "may contain only lowercase letters"},
		{"10.0.0.1", "IP address"},
	}
	for _, c := range cases {
		t.Run(c.bucket, func(t *testing.T) {
			st, err := New(context.Background(), Options{
				Bucket: c.bucket, EndpointURL: "http://127.0.0.1:9000",
				Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
			})
			if c.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, c.bucket, st.Bucket())
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.wantErr)
			if c.bucket != "" {
				assert.ErrorIs(t, err, multipart.ErrInvalidArgument)
			}
		})
	}
}
