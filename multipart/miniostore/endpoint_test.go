package miniostore

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// secret is the password of the endpoint URLs of these tests: it must not
// appear in any error.
const secret = "s3cr3t-PW"

func TestEndpointWithCredentials(t *testing.T) {
	cases := []struct {
		name, endpoint, wantErr string
	}{
		{"user and password", "http://AKID:" + secret + "@127.0.0.1:9000", "must not contain credentials"},
		{"user only", "https://" + secret + "@s3.example", "must not contain credentials"},
		{"user, password and path", "http://AKID:" + secret + "@host/bucket", "must not contain credentials"},
		{"without scheme", "AKID:" + secret + "@host:9000", "must not contain credentials"},
		{"other scheme", "ftp://AKID:" + secret + "@host", "scheme must be http or https"},
		{"unparsable", "http://AKID:" + secret + "@host:99999x", "Options.Endpoint"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(Options{Bucket: "bkt", Endpoint: c.endpoint})
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.wantErr)
			assert.NotContains(t, err.Error(), secret)
			if c.wantErr == "must not contain credentials" {
				assert.Contains(t, err.Error(), "Options.AccessKeyID and Options.SecretAccessKey")
			}
		})
	}
}
