package miniostore

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
)

func TestNewChecksBucketName(t *testing.T) {
	cases := []struct {
		bucket  string
		wantErr string // empty: valid
	}{
		{"lake", ""},
		{"my-lake.2026", ""},
		{"", "Options.Bucket is required"},
		{"../x", `Options.Bucket: invalid bucket name "../x"`},
		{"Lake", "may contain only lowercase letters"},
		{"xn--lake", "reserved prefix"},
	}
	for _, c := range cases {
		t.Run(c.bucket, func(t *testing.T) {
			st, err := New(Options{Bucket: c.bucket, Endpoint: "127.0.0.1:9000", AccessKeyID: "AKID", SecretAccessKey: "SECRET"})
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
