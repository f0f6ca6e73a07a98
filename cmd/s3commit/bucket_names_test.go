package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/memstore"
	"github.com/s3commit/s3commit/staging"
)

func TestParseS3URLBucketNames(t *testing.T) {
	cases := []struct {
		in      string
		wantErr string // empty: valid
	}{
		{"s3://lake/tables/_SUCCESS", ""},
		{"s3://my-lake.2026/x", ""},
		{"s3://../x/_SUCCESS", `invalid bucket name ".."`},
		{"s3://./x", `invalid bucket name "."`},
		{"s3://%2e%2e/x", "invalid bucket name"},
		{"s3://Lake/x", "may contain only lowercase letters"},
		{"s3://la_ke/x", "may contain only lowercase letters"},
		{"s3://10.0.0.1/x", "IP address"},
		{"s3://ab/x", "3 to 63 characters"},
		{"s3://" + strings.Repeat("a", 64) + "/x", "3 to 63 characters"},
		{"s3://user@lake/x", "invalid bucket name"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			u, err := parseS3URL(c.in)
			if c.wantErr == "" {
				require.NoError(t, err)
				assert.NotEmpty(t, u.Bucket)
				return
			}
			var ue *usageError
			require.ErrorAs(t, err, &ue)
			assert.ErrorIs(t, err, multipart.ErrInvalidArgument)
			assert.Contains(t, err.Error(), c.wantErr)
			assert.Contains(t, err.Error(), "s3://BUCKET")
		})
	}
}

// TestSuccessShowRefusesBadBucket: "s3://../x/_SUCCESS" is a usage error
// before any store is configured or request sent (it used to be sent as
// GET /../x/_SUCCESS).
func TestSuccessShowRefusesBadBucket(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1") // nothing listens
	var stdout, stderr bytes.Buffer
	err := runSuccessShow(context.Background(), &globalOptions{}, &successShowOptions{}, "s3://../x/_SUCCESS", nil, &stdout, &stderr)
	var ue *usageError
	require.ErrorAs(t, err, &ue, "error %v", err)
	assert.Contains(t, err.Error(), `invalid bucket name ".."`)
}

// TestJobRecordBucketName: the staging committer refuses a job record
// whose bucket is no bucket name, so that a tampered job.json cannot point
// the job's requests elsewhere.
func TestJobRecordBucketName(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c, err := staging.New(memstore.New("lake"), staging.Options{StagingDir: dir, BufferDir: t.TempDir(), Destination: "tables/events"})
	require.NoError(t, err)
	_, err = c.SetupJob(ctx, "job-1")
	require.NoError(t, err)
	_, err = staging.InspectJob(ctx, nil, dir, "job-1")
	require.NoError(t, err, "the job as written")

	var record string
	require.NoError(t, filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == "job.json" {
			record = path
		}
		return err
	}))
	require.NotEmpty(t, record, "job.json in %s", dir)
	data, err := os.ReadFile(record)
	require.NoError(t, err)
	require.Contains(t, string(data), `"bucket": "lake"`)
	for _, bad := range []string{"../x", "Lake", "a/b"} {
		t.Run(bad, func(t *testing.T) {
			tampered := strings.Replace(string(data), `"bucket": "lake"`, `"bucket": "`+bad+`"`, 1)
			require.NoError(t, os.WriteFile(record, []byte(tampered), 0o600))
			_, err := staging.InspectJob(ctx, nil, dir, "job-1")
			require.Error(t, err)
			assert.Contains(t, err.Error(), "invalid bucket name")
			assert.True(t, errors.Is(err, multipart.ErrInvalidArgument), "%v", err)
		})
	}
}
