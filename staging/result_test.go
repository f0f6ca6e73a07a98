package staging_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/staging"
)

// killAttempt runs an attempt of taskID whose commit dies after its first
// part upload, its aborts failing too, as in a killed process: its uploads
// stay in the store. It returns how many it left.
func killAttempt(t *testing.T, e *env, jobID, taskID string, files map[string]string) int {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fs := faultstore.New(e.mem, faultstore.Kill(faultstore.OpUploadPart, 2, cancel)...)
	c, err := staging.New(fs, e.options(nil))
	require.NoError(t, err)
	j, err := c.OpenJob(ctx, jobID)
	require.NoError(t, err)
	a := writeTask(t, j, taskID, 0, files)
	require.Error(t, a.CommitTask(ctx), "the killed task commit")
	left := 0
	for rel := range files {
		for up, err := range e.mem.ListUploads(context.Background(), e.key(jobID, rel)) {
			require.NoError(t, err)
			if up.Key == e.key(jobID, rel) {
				left++
			}
		}
	}
	return left
}

// CommitJob's result says what the commit did, exactly: the job's files
// and bytes as _SUCCESS lists them, the uploads it completed, the orphan
// uploads of a killed attempt its cleanup aborted.
func TestCommitJobResult(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	c := e.committer(t, nil)
	const jobID = "job-result"
	j, err := c.SetupJob(ctx, jobID)
	require.NoError(t, err)
	require.NoError(t, writeTask(t, j, "t0", 0, map[string]string{"a.csv": "alpha\n", "dir/b.csv": "bravo bravo\n"}).CommitTask(ctx))
	require.NoError(t, writeTask(t, j, "t1", 0, map[string]string{"c.csv": "charlie\n", "empty.csv": ""}).CommitTask(ctx))
	orphans := killAttempt(t, e, jobID, "t2", map[string]string{"x.csv": "x", "y.csv": "y", "z.csv": "z"})
	require.Positive(t, orphans, "the killed attempt left uploads")

	res, err := c.CommitJob(ctx, jobID, staging.CommitOptions{ExpectedTaskCount: 2})
	require.NoError(t, err)
	assert.Positive(t, res.Duration)
	res.Duration = 0
	assert.Equal(t, &staging.CommitResult{
		JobID: jobID, Bucket: bucket, Destination: e.dest, SuccessKey: e.dest + "/" + staging.SuccessMarker,
		Files: 4, Bytes: int64(len("alpha\n") + len("bravo bravo\n") + len("charlie\n")), Tasks: 2,
		UploadsCompleted:     4,
		OrphanUploadsAborted: orphans,
	}, res)
	e.requireCommitted(t, jobID, map[string]string{
		e.key(jobID, "a.csv"): "alpha\n", e.key(jobID, "dir/b.csv"): "bravo bravo\n",
		e.key(jobID, "c.csv"): "charlie\n", e.key(jobID, "empty.csv"): "",
	}, nil)
	assert.Empty(t, e.uploadsLeft(t, e.key(jobID, "x.csv"), e.key(jobID, "y.csv"), e.key(jobID, "z.csv")))

	_, err = c.CommitJob(ctx, jobID, staging.CommitOptions{})
	require.ErrorIs(t, err, committer.ErrJobNotFound, "the job is gone once committed")
}

// A commit resumed after an interruption counts only what it completed
// itself; AbortJob's result counts the uploads it aborted and the objects
// of an interrupted commit it deleted.
func TestCommitAndAbortResultsAfterInterruption(t *testing.T) {
	files := map[string]string{"a.csv": "a", "b.csv": "bb", "c.csv": "ccc"}
	interrupt := func(t *testing.T, e *env, jobID string) *staging.Committer {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		c := e.committer(t, func(o *staging.Options) { o.CommitConcurrency = 1 })
		j, err := c.SetupJob(ctx, jobID)
		require.NoError(t, err)
		require.NoError(t, writeTask(t, j, "t0", 0, files).CommitTask(ctx))
		e.fault.Add(faultstore.Rule{Op: faultstore.OpCompleteUpload, Err: context.Canceled, Match: func(call faultstore.Call) bool {
			if call.N < 2 {
				return false
			}
			cancel() // the driver dies after its first completion
			return true
		}})
		_, err = c.CommitJob(ctx, jobID, staging.CommitOptions{})
		require.Error(t, err)
		e.fault.Clear()
		return c
	}

	t.Run("resumed commit", func(t *testing.T) {
		e := newEnv(t)
		c := interrupt(t, e, "job-resumed")
		res, err := c.CommitJob(context.Background(), "job-resumed", staging.CommitOptions{})
		require.NoError(t, err)
		assert.True(t, res.Resumed)
		assert.Equal(t, 3, res.Files)
		assert.Equal(t, int64(6), res.Bytes)
		assert.Equal(t, 2, res.UploadsCompleted, "the interrupted run had completed one")
		assert.Zero(t, res.OrphanUploadsAborted)
	})

	t.Run("abort", func(t *testing.T) {
		e := newEnv(t)
		c := interrupt(t, e, "job-aborted")
		res, err := c.AbortJob(context.Background(), "job-aborted")
		require.NoError(t, err)
		assert.Positive(t, res.Duration)
		res.Duration = 0
		assert.Equal(t, &staging.AbortResult{JobID: "job-aborted", UploadsAborted: 2, ObjectsDeleted: 1}, res)
		e.requireNothing(t, "job-aborted", e.key("job-aborted", "a.csv"), e.key("job-aborted", "b.csv"), e.key("job-aborted", "c.csv"))

		_, err = c.AbortJob(context.Background(), "job-aborted")
		require.ErrorIs(t, err, committer.ErrJobNotFound, "the job is gone once aborted")
	})
}
