package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/internal/testserver"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/staging"
)

// A replace-mode commit that failed after it deleted the old objects is
// past its point of no return: "jobs show" says it must be resumed, "jobs
// abort" refuses and says to run "jobs commit", which finishes it.
func TestJobsAbortRefusesAReplacePastThePointOfNoReturn(t *testing.T) {
	e := newJobsEnv(t, testserver.MinIO(t))
	ctx := context.Background()
	old := e.dest + "/old.csv"
	_, err := e.store.PutObject(ctx, old, nil, 0, multipart.PutOptions{})
	require.NoError(t, err)
	const jobID = "job-replace"
	opts := staging.Options{StagingDir: e.stagingDir, BufferDir: e.bufferDir, Destination: e.dest,
		Conflict: committer.ConflictReplace, Retry: multipart.RetryPolicy{MaxAttempts: 1}}
	c, err := staging.New(e.store, opts)
	require.NoError(t, err)
	j, err := c.SetupJob(ctx, jobID)
	require.NoError(t, err)
	a := writeAttempt(t, j, "t0", map[string]string{"a.csv": "alpha\n"})
	require.NoError(t, a.CommitTask(ctx))
	denied, err := staging.New(faultstore.New(e.store, faultstore.Fail(faultstore.OpPutObject, multipart.ErrAccessDenied)), opts)
	require.NoError(t, err)
	_, err = denied.CommitJob(ctx, jobID, staging.CommitOptions{})
	require.ErrorIs(t, err, staging.ErrPastPointOfNoReturn)

	stdout, stderr, code := e.run(t, "jobs", "show", e.stagingDir, jobID)
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	assert.Contains(t, stdout, "must resume")

	_, stderr, code = e.run(t, "jobs", "abort", e.stagingDir, jobID)
	assert.Equal(t, exitError, code)
	assert.Equal(t, 1, countLines(stderr), stderr)
	assert.Contains(t, stderr, "s3commit jobs commit "+e.stagingDir+" "+jobID)
	want := map[string]string{committer.DestinationKey(e.dest, "a.csv", jobID, true): "alpha\n"}
	assert.Equal(t, want, e.objects(t), "the new file stays, the old one is gone")

	_, stderr, code = e.run(t, "jobs", "commit", e.stagingDir, jobID)
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	assert.Equal(t, want, e.objects(t))
}

// "jobs commit --expect-task/--expect-tasks" refuses, changing nothing,
// until exactly the expected tasks have committed.
func TestJobsCommitExpectsTasks(t *testing.T) {
	e := newJobsEnv(t, testserver.MinIO(t))
	const jobID = "job-expect"
	j, want := e.setupJob(t, jobID, map[string]map[string]string{"t0": {"a.csv": "a"}})

	for _, args := range [][]string{
		{"--expect-tasks", "2"},
		{"--expect-task", "t0", "--expect-task", "t1"},
	} {
		_, stderr, code := e.run(t, append(append([]string{"jobs", "commit"}, args...), e.stagingDir, jobID)...)
		assert.Equal(t, exitError, code, "%v", args)
		assert.Equal(t, 1, countLines(stderr), stderr)
		assert.Contains(t, stderr, "have not committed")
		assert.Empty(t, e.objects(t))
	}
	_, stderr, code := e.run(t, "jobs", "commit", "--expect-tasks", "-1", e.stagingDir, jobID)
	assert.Equal(t, exitUsage, code, stderr)

	b := writeAttempt(t, j, "t1", map[string]string{"b.csv": "b"})
	require.NoError(t, b.CommitTask(context.Background()))
	want[committer.DestinationKey(e.dest, "b.csv", jobID, true)] = "b"
	_, stderr, code = e.run(t, "jobs", "commit", "--expect-task", "t0", "--expect-task", "t1", e.stagingDir, jobID)
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	assert.Equal(t, want, e.objects(t))
}

// "jobs commit" and "jobs abort" remove no directory of the operator's
// machine unless told: with --buffer-dir they remove the job's directory
// under it, and nothing else.
func TestJobsRemoveABufferDirOnlyWhenTold(t *testing.T) {
	e := newJobsEnv(t, testserver.MinIO(t))
	tmp := t.TempDir()
	mine := filepath.Join(tmp, fmt.Sprintf("s3commit-buffer-%d", os.Getuid()))
	// The operator's files where a default buffer dir is, or was.
	for _, dir := range []string{mine, filepath.Join(tmp, "s3commit-buffer")} {
		for _, jobID := range []string{"job-kept", "job-removed"} {
			require.NoError(t, os.MkdirAll(filepath.Join(dir, jobID, "t9_0"), 0o700))
			require.NoError(t, os.WriteFile(filepath.Join(dir, jobID, "t9_0", "keep.csv"), []byte("keep"), 0o600))
		}
	}
	for _, jobID := range []string{"job-kept", "job-removed"} {
		e.setupJob(t, jobID, map[string]map[string]string{"t0": {"a.csv": "a"}})
	}
	env := append(serverEnv(e.srv), "TMPDIR="+tmp)
	res := runCLI(t, cliRun{Args: []string{"jobs", "abort", e.stagingDir, "job-kept"}, Env: env})
	require.Equal(t, exitOK, res.Code, res.Stderr)
	assert.FileExists(t, filepath.Join(mine, "job-kept", "t9_0", "keep.csv"), "no buffer dir is touched unless named")
	assert.FileExists(t, filepath.Join(tmp, "s3commit-buffer", "job-kept", "t9_0", "keep.csv"), "no buffer dir is touched unless named")

	res = runCLI(t, cliRun{Args: []string{"jobs", "abort", "--buffer-dir", mine, e.stagingDir, "job-removed"}, Env: env})
	require.Equal(t, exitOK, res.Code, res.Stderr)
	assert.NoDirExists(t, filepath.Join(mine, "job-removed"), "the named buffer dir's directory of the job is removed")
	assert.FileExists(t, filepath.Join(mine, "job-kept", "t9_0", "keep.csv"), "and nothing else")
}
