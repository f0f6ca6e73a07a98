package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/internal/testserver"
	"github.com/s3commit/s3commit/pendingset"
	"github.com/s3commit/s3commit/staging"
)

// "jobs list" tells set-up, tasks-committed and interrupted jobs apart,
// warns about uploads near MinIO's expiry, and its JSON round-trips.
func TestJobsListStates(t *testing.T) {
	e := newJobsEnv(t, testserver.MinIO(t))
	e.dest = "tables/setup"
	e.setupJob(t, "job-a-setup", nil)
	e.dest = "tables/tasks"
	e.setupJob(t, "job-b-tasks", map[string]map[string]string{
		"t0": {"a.csv": "aaa", "b.csv": "bb"},
		"t1": {"c.csv": "c"},
	})
	e.dest = "tables/interrupted"
	j, _ := e.setupJob(t, "job-c-interrupted", map[string]map[string]string{"t0": {"a.csv": "a", "b.csv": "b"}})
	interruptCommit(t, e, j)
	e.dest = "tables/old"
	e.setupJob(t, "job-d-old", map[string]map[string]string{"t0": {"a.csv": "a"}})
	ageUploads(t, staging.PendingSetPath(e.stagingDir, "job-d-old", "t0"), 21*time.Hour)

	stdout, stderr, code := e.run(t, "jobs", "list", "--json", e.stagingDir)
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	assert.Contains(t, stderr, "warning")
	assert.Contains(t, stderr, "job-d-old")
	assert.Equal(t, 1, countLines(stderr), stderr)

	var out jobsListJSON
	require.NoError(t, json.Unmarshal([]byte(stdout), &out), stdout)
	again, err := json.MarshalIndent(out, "", "  ")
	require.NoError(t, err)
	assert.JSONEq(t, stdout, string(again), "the JSON round-trips")

	assert.Equal(t, e.stagingDir, out.StagingDir)
	require.Len(t, out.Jobs, 4)
	states := make(map[string]string)
	for _, j := range out.Jobs {
		states[j.ID] = j.State
	}
	assert.Equal(t, map[string]string{
		"job-a-setup":       "set_up",
		"job-b-tasks":       "tasks_committed",
		"job-c-interrupted": "interrupted",
		"job-d-old":         "tasks_committed",
	}, states)

	setup, tasks, old := out.Jobs[0], out.Jobs[1], out.Jobs[3]
	assert.Nil(t, setup.OldestUpload)
	assert.Nil(t, setup.OldestUploadAge)
	assert.Equal(t, "s3://"+e.bucket+"/tables/tasks", tasks.Destination)
	assert.Equal(t, "directory", tasks.Mode)
	assert.Equal(t, 2, tasks.CommittedTasks)
	assert.Equal(t, 3, tasks.Files)
	assert.Equal(t, int64(6), tasks.Bytes)
	require.NotNil(t, tasks.OldestUploadAge)
	assert.Less(t, *tasks.OldestUploadAge, int64(600))
	assert.Empty(t, tasks.Warning)
	assert.Contains(t, old.Warning, "MINIO_API_STALE_UPLOADS_EXPIRY")
	require.NotNil(t, old.OldestUploadAge)
	assert.GreaterOrEqual(t, *old.OldestUploadAge, int64(21*3600))

	stdout, _, code = e.run(t, "jobs", "list", e.stagingDir)
	require.Equal(t, exitOK, code)
	for _, want := range []string{"set up", "tasks committed", "interrupted", "21h", "s3://" + e.bucket + "/tables/tasks"} {
		assert.Contains(t, stdout, want)
	}
}

// ageUploads rewrites a pendingset as if its uploads were created age ago.
func ageUploads(t *testing.T, path string, age time.Duration) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	ps, err := pendingset.DecodeSet(bytes.NewReader(data))
	require.NoError(t, err)
	for i := range ps.Commits {
		ps.Commits[i].Created = time.Now().Add(-age).UnixMilli()
	}
	var buf bytes.Buffer
	require.NoError(t, ps.Encode(&buf))
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
}

// Bad input gives a one-line error and a non-zero exit code, and changes
// nothing.
func TestJobsBadInput(t *testing.T) {
	e := newJobsEnv(t, testserver.MinIO(t))
	_, want := e.setupJob(t, "job-bad", map[string]map[string]string{"t0": {"a.csv": "a"}})
	corrupt := staging.PendingSetPath(e.stagingDir, "job-bad", "t9")
	require.NoError(t, os.WriteFile(corrupt, []byte(`{"version": 2, "commits": [{"destinationKey": `), 0o644))
	missing := filepath.Join(e.stagingDir, "missing")

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"list missing staging dir", []string{"jobs", "list", missing}, exitError, "does not exist"},
		{"show missing staging dir", []string{"jobs", "show", missing, "job-bad"}, exitError, "does not exist"},
		{"commit missing staging dir", []string{"jobs", "commit", missing, "job-bad"}, exitError, "does not exist"},
		{"list corrupt pendingset", []string{"jobs", "list", e.stagingDir}, exitError, corrupt},
		{"show corrupt pendingset", []string{"jobs", "show", e.stagingDir, "job-bad"}, exitError, corrupt},
		{"commit corrupt pendingset", []string{"jobs", "commit", e.stagingDir, "job-bad"}, exitError, corrupt},
		{"unknown job", []string{"jobs", "show", e.stagingDir, "nope"}, exitError, "not found"},
		{"invalid job ID", []string{"jobs", "commit", e.stagingDir, "../job-bad"}, exitUsage, "job ID"},
		{"missing argument", []string{"jobs", "show", e.stagingDir}, exitUsage, "takes 2 argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := e.run(t, tt.args...)
			assert.Equal(t, tt.code, code, "stderr: %s", stderr)
			assert.Empty(t, stdout)
			assert.Equal(t, 1, countLines(stderr), stderr)
			assert.Contains(t, stderr, tt.want)
			assert.Regexp(t, `^s3commit: `, stderr)
		})
	}
	assert.FileExists(t, corrupt, "nothing changed")
	assert.Len(t, e.uploadsAt(t, keysOf(want)...), 1, "the job's upload is untouched")
	assert.Empty(t, e.objects(t))

	// A job with a corrupt pendingset can still be rolled back, as
	// AbortJob does.
	_, stderr, code := e.run(t, "jobs", "abort", e.stagingDir, "job-bad")
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	assert.Contains(t, stderr, "warning")
	assert.Empty(t, e.uploadsAt(t, keysOf(want)...))
	assert.NoDirExists(t, filepath.Join(e.stagingDir, "job-bad"))
}
