package main

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStoreEndpointCredentials: an endpoint URL with a password is refused
// with an error that does not print the password.
func TestStoreEndpointCredentials(t *testing.T) {
	const secret = "s3cr3t-PW"
	t.Setenv("AWS_ACCESS_KEY_ID", "AKID")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "SECRET")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/credentials")
	cases := []struct {
		name, endpoint string
		usage          bool // a usage error
		wantErr        string
	}{
		{"without scheme", "AKID:" + secret + "@127.0.0.1:9000", true, "must start with http:// or https://"},
		{"with scheme", "http://AKID:" + secret + "@127.0.0.1:9000", false, "must not contain credentials"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := &globalOptions{EndpointURL: c.endpoint}
			_, err := g.store(context.Background(), "bkt")
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.wantErr)
			assert.NotContains(t, err.Error(), secret)
			var ue *usageError
			assert.Equal(t, c.usage, errors.As(err, &ue))
			if !c.usage {
				assert.Contains(t, err.Error(), "--endpoint-url")
				assert.Contains(t, err.Error(), "AWS_ACCESS_KEY_ID")
			}
		})
	}
}
