//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/internal/testserver"
)

// While a process holds a job's lock (a running job commit or abort),
// "jobs list" shows the job as committing and "jobs commit" and "jobs
// abort" refuse it without touching it; once the lock is free, the job is
// back to its state and commits.
func TestJobsBusyJob(t *testing.T) {
	e := newJobsEnv(t, testserver.MinIO(t))
	const jobID = "job-busy"
	_, want := e.setupJob(t, jobID, map[string]map[string]string{"t0": {"a.csv": "a"}})
	f, err := os.OpenFile(filepath.Join(e.stagingDir, jobID, "lock"), os.O_RDWR|os.O_CREATE, 0o644)
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB))

	stdout, _, code := e.run(t, "jobs", "list", "--json", e.stagingDir)
	require.Equal(t, exitOK, code)
	assert.Contains(t, stdout, `"state": "committing"`)
	for _, op := range []string{"commit", "abort"} {
		_, stderr, code := e.run(t, "jobs", op, e.stagingDir, jobID)
		assert.Equal(t, exitError, code, op)
		assert.Contains(t, stderr, "another CommitJob or AbortJob", op)
		assert.Equal(t, 1, countLines(stderr), stderr)
	}
	assert.Len(t, e.uploadsAt(t, keysOf(want)...), 1, "the job's upload is untouched")

	require.NoError(t, f.Close())
	stdout, _, code = e.run(t, "jobs", "list", "--json", e.stagingDir)
	require.Equal(t, exitOK, code)
	assert.Contains(t, stdout, `"state": "tasks_committed"`)
	_, stderr, code := e.run(t, "jobs", "commit", e.stagingDir, jobID)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, want, e.objects(t))
}
