package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/bench/internal/results"
	"github.com/s3commit/s3commit/internal/testserver"
)

// TestRunAgainstEndpointVersityGW runs the harness against an S3 endpoint
// given by flags, the way users point it at FlashBlade or AWS, with
// versitygw standing in for a second vendor: credentials come from the
// standard AWS variables and the bucket must exist.
func TestRunAgainstEndpointVersityGW(t *testing.T) {
	if testing.Short() {
		t.Skip("starts versitygw")
	}
	srv := testserver.NewVersityGW(t)
	bucket := srv.CreateBucket(t)
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	out := filepath.Join(t.TempDir(), "run")
	c, err := parseFlags([]string{
		"--endpoint-url", srv.Endpoint, "--bucket", bucket, "--region", srv.Region, "--path-style",
		"--out", out, "--workloads", results.WorkloadSmallFiles,
		"--sweep=false", "--tasks", "2",
	})
	require.NoError(t, err)
	require.NoError(t, run(context.Background(), c))

	r, err := results.Read(filepath.Join(out, results.FileName))
	require.NoError(t, err)
	assert.Equal(t, srv.Endpoint, r.Target)
	strategies := map[string]bool{}
	for _, res := range r.Results {
		assert.Empty(t, res.Error, "%s/%s", res.Workload, res.Strategy)
		assert.Positive(t, res.Phases[results.PhaseTotal], "%s/%s", res.Workload, res.Strategy)
		assert.Zero(t, res.ServerCPUSeconds, "an endpoint's server CPU is not measured")
		strategies[res.Strategy] = true
	}
	assert.Equal(t, map[string]bool{results.StrategyStaging: true, results.StrategyDirect: true, results.StrategyRename: true}, strategies)
	for _, f := range []string{results.FileName, "report.md"} {
		assert.FileExists(t, filepath.Join(out, f))
	}

	// Each measurement deleted what it wrote: the bucket is empty.
	var left []string
	for o, err := range srv.Store(t, bucket).ListObjects(context.Background(), "") {
		require.NoError(t, err)
		left = append(left, o.Key)
	}
	assert.Empty(t, left)
}
