package main

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBadStoreInput runs the store-facing commands with a missing bucket,
// wrong credentials, no credentials, an unreachable endpoint and unknown
// URL schemes: each gives a one-line error naming the problem and a
// non-zero exit code, prints no secret, and changes nothing.
func TestBadStoreInput(t *testing.T) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			srv := s.get(t)
			f := newUploadsFixture(t, srv)
			all := f.all()

			wrongSecret := []string{
				"AWS_ACCESS_KEY_ID=" + srv.AccessKeyID,
				"AWS_SECRET_ACCESS_KEY=not-the-secret-0123456789",
				"AWS_ENDPOINT_URL=" + srv.Endpoint,
				envPathStyle + "=true",
			}
			unknownKey := []string{
				"AWS_ACCESS_KEY_ID=AKIANOSUCHKEY0000000",
				"AWS_SECRET_ACCESS_KEY=not-the-secret-0123456789",
				"AWS_ENDPOINT_URL=" + srv.Endpoint,
				envPathStyle + "=true",
			}
			noCredentials := []string{"AWS_ENDPOINT_URL=" + srv.Endpoint, envPathStyle + "=true"}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			closed := "http://" + ln.Addr().String()
			require.NoError(t, ln.Close())
			unreachable := append(serverEnv(srv), "AWS_ENDPOINT_URL="+closed)

			commands := [][]string{
				{"uploads", "list", f.url("dest")},
				{"uploads", "list", f.url("dest"), "--parts", "--json"},
				{"uploads", "abort", f.url("dest"), "--force"},
				{"success", "show", f.url("dest/_SUCCESS")},
				{"pending", "show", f.url("dest/task.pendingset")},
			}
			cases := []struct {
				name string
				env  []string
				// bucket replaces the fixture's bucket in the URL when set.
				bucket string
				want   []string
			}{
				{"missing bucket", serverEnv(srv), "s3commit-no-such-bucket",
					[]string{"s3://s3commit-no-such-bucket", "bucket not found", "check the bucket name"}},
				{"wrong secret", wrongSecret, "", []string{"access denied", "check the credentials"}},
				{"unknown access key", unknownKey, "", []string{"access denied", "check the credentials"}},
				{"no credentials", noCredentials, "", []string{"no credentials could be obtained", "set AWS_ACCESS_KEY_ID"}},
				{"unreachable endpoint", unreachable, "", []string{"network error", "check the endpoint"}},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					for _, args := range commands {
						if tc.bucket != "" {
							args = replaceBucket(args, f.bucket, tc.bucket)
						}
						res := runCLI(t, cliRun{Args: args, Env: tc.env})
						assert.Equal(t, exitError, res.Code, "%v", args)
						assert.Empty(t, res.Stdout)
						assert.Equal(t, 1, strings.Count(res.Stderr, "\n"), "one line: %q", res.Stderr)
						assert.True(t, strings.HasPrefix(res.Stderr, "s3commit: "), res.Stderr)
						for _, w := range tc.want {
							assert.Contains(t, res.Stderr, w, "%v", args)
						}
						assert.NotContains(t, res.Stderr, srv.SecretAccessKey)
						assert.NotContains(t, res.Stderr, "not-the-secret")
					}
				})
			}

			t.Run("unknown scheme", func(t *testing.T) {
				for _, url := range []string{"gs://" + f.bucket + "/dest", "http://" + f.bucket + "/dest", f.bucket + "/dest", "s3://", "s3:///dest"} {
					for _, cmd := range [][]string{{"uploads", "list"}, {"uploads", "abort", "--force"}, {"success", "show"}} {
						if cmd[0] == "success" && !strings.Contains(url, ":") {
							continue // a local file for success show
						}
						args := append(append([]string{}, cmd...), url)
						res := runCLI(t, cliRun{Args: args, Env: serverEnv(srv)})
						assert.Equal(t, exitUsage, res.Code, "%v", args)
						assert.Empty(t, res.Stdout)
						assert.Equal(t, 1, strings.Count(res.Stderr, "\n"), "one line: %q", res.Stderr)
						assert.Contains(t, res.Stderr, "s3://BUCKET")
					}
				}
			})

			assert.Equal(t, all, existing(t, f.store, all...), "nothing changed")
			_, err = f.store.HeadObject(context.Background(), "dest/_SUCCESS")
			assert.Error(t, err)
		})
	}
}

// replaceBucket returns args with bucket replaced by other in s3:// URLs.
func replaceBucket(args []string, bucket, other string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = strings.Replace(a, "s3://"+bucket, "s3://"+other, 1)
	}
	return out
}
