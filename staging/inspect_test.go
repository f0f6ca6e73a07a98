//go:build unix

package staging_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/staging"
)

// committedJob sets up a job on its own destination and commits tasks
// (task ID → files).
func committedJob(t *testing.T, e *env, jobID string, tasks map[string]map[string]string) committer.Job {
	t.Helper()
	ctx := context.Background()
	c := e.committer(t, func(o *staging.Options) { o.Destination = e.dest + "/" + jobID })
	j, err := c.SetupJob(ctx, jobID)
	require.NoError(t, err)
	for task, files := range tasks {
		a := writeTask(t, j, task, 0, files)
		require.NoError(t, a.CommitTask(ctx))
	}
	return j
}

func TestListJobsStates(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	committedJob(t, e, "job-setup", nil)
	committedJob(t, e, "job-tasks", map[string]map[string]string{
		"t0": {"a.txt": "aaa", "d/b.txt": "bb"},
		"t1": {"c.txt": "c"},
	})
	interrupted := committedJob(t, e, "job-interrupted", map[string]map[string]string{"t0": {"a.txt": "x"}})
	cctx, cancel := context.WithCancel(ctx)
	e.fault.Add(faultstore.Rule{Op: faultstore.OpCompleteUpload, Err: context.Canceled, Match: func(faultstore.Call) bool {
		cancel()
		return true
	}})
	require.Error(t, interrupted.CommitJob(cctx))
	e.fault.Clear()
	committedJob(t, e, "job-busy", map[string]map[string]string{"t0": {"a.txt": "x"}})
	f, err := os.OpenFile(filepath.Join(e.stagingDir, "job-busy", "lock"), os.O_RDWR|os.O_CREATE, 0o644)
	require.NoError(t, err)
	require.NoError(t, syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB))
	t.Cleanup(func() { f.Close() })
	require.NoError(t, os.Mkdir(filepath.Join(e.stagingDir, "not-a-job"), 0o755))

	jobs, err := staging.ListJobs(e.stagingDir)
	require.NoError(t, err)
	states := make(map[string]staging.JobState)
	for _, j := range jobs {
		states[j.ID] = j.State
	}
	assert.Equal(t, map[string]staging.JobState{
		"job-busy":        staging.StateCommitting,
		"job-interrupted": staging.StateInterrupted,
		"job-setup":       staging.StateSetUp,
		"job-tasks":       staging.StateTasksCommitted,
	}, states)

	var tasks staging.JobInfo
	for _, j := range jobs {
		if j.ID == "job-tasks" {
			tasks = j
		}
	}
	assert.Equal(t, bucket, tasks.Bucket)
	assert.Equal(t, e.dest+"/job-tasks", tasks.Destination)
	assert.Equal(t, committer.ModeDirectory, tasks.Mode)
	assert.Equal(t, 3, tasks.Files)
	assert.Equal(t, int64(6), tasks.Bytes)
	require.Len(t, tasks.Tasks, 2)
	assert.Equal(t, "t0", tasks.Tasks[0].ID)
	assert.Equal(t, "t0_0", tasks.Tasks[0].Attempt)
	require.Len(t, tasks.Tasks[0].Files, 2)
	assert.Equal(t, committer.DestinationKey(tasks.Destination, "a.txt", "job-tasks", true), tasks.Tasks[0].Files[0].Key)
	assert.Equal(t, int64(3), tasks.Tasks[0].Files[0].Size)
	assert.Equal(t, staging.StatusUnknown, tasks.Tasks[0].Files[0].Status)
	assert.Empty(t, tasks.Attempts, "the winning attempts are not listed")
	assert.WithinDuration(t, time.Now(), tasks.OldestUpload, time.Minute)
	assert.False(t, tasks.NearExpiry(time.Now()))
	assert.True(t, tasks.NearExpiry(time.Now().Add(staging.StaleUploadWarning)))

	require.NoError(t, f.Close())
	jobs, err = staging.ListJobs(e.stagingDir)
	require.NoError(t, err)
	for _, j := range jobs {
		if j.ID == "job-busy" {
			assert.Equal(t, staging.StateTasksCommitted, j.State, "the lock is free again")
		}
	}
}

func TestInspectJobReconciles(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const jobID = "job-r"
	j := committedJob(t, e, jobID, map[string]map[string]string{
		"t0": {"a.txt": "aaa", "b.txt": "bb"},
	})
	// A task attempt killed in its commit: its uploads stay, recorded only
	// in its intents.
	cctx, cancel := context.WithCancel(ctx)
	e.fault.Add(faultstore.Rule{Op: faultstore.OpAbortUpload, Err: context.Canceled})
	e.fault.Add(faultstore.Rule{Op: faultstore.OpUploadPart, Err: context.Canceled, Match: func(c faultstore.Call) bool {
		if c.N < 2 {
			return false
		}
		cancel()
		return true
	}})
	killed := writeTask(t, j, "t1", 0, map[string]string{"x.txt": "x", "y.txt": "y", "z.txt": "z"})
	require.Error(t, killed.CommitTask(cctx))
	e.fault.Clear()

	rep, err := staging.InspectJob(ctx, e.mem, e.stagingDir, jobID)
	require.NoError(t, err)
	require.True(t, rep.Reconciled)
	assert.Equal(t, 2, rep.Pending)
	assert.Zero(t, rep.Vanished)
	require.NotEmpty(t, rep.Orphans, "the killed attempt's uploads")
	for _, o := range rep.Orphans {
		assert.Equal(t, "t1_0", o.Attempt)
		assert.Contains(t, o.Key, jobID)
	}
	require.Len(t, rep.Attempts, 1)
	assert.Equal(t, "t1", rep.Attempts[0].TaskID)
	assert.False(t, rep.Attempts[0].TaskCommitted)
	assert.Len(t, rep.Attempts[0].Keys, 3)

	// An upload aborted behind the job's back.
	gone := rep.Tasks[0].Files[0]
	require.NoError(t, e.mem.AbortUpload(ctx, gone.Key, gone.UploadID))
	rep, err = staging.InspectJob(ctx, e.mem, e.stagingDir, jobID)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Pending)
	assert.Equal(t, 1, rep.Vanished)
	assert.Equal(t, staging.StatusVanished, rep.Tasks[0].Files[0].Status)
	assert.Equal(t, staging.StatusPending, rep.Tasks[0].Files[1].Status)

	// Without a store: local records only.
	rep, err = staging.InspectJob(ctx, nil, e.stagingDir, jobID)
	require.NoError(t, err)
	assert.False(t, rep.Reconciled)
	assert.Empty(t, rep.Orphans)
}

func TestInspectBadInput(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	committedJob(t, e, "job-c", map[string]map[string]string{"t0": {"a.txt": "a"}})

	_, err := staging.ListJobs(filepath.Join(e.stagingDir, "missing"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
	_, err = staging.InspectJob(ctx, e.mem, e.stagingDir, "nope")
	assert.ErrorIs(t, err, committer.ErrJobNotFound)
	_, err = staging.InspectJob(ctx, e.mem, e.stagingDir, "../x")
	assert.ErrorIs(t, err, committer.ErrInvalidID)

	require.NoError(t, os.WriteFile(staging.PendingSetPath(e.stagingDir, "job-c", "t9"), []byte("{not json"), 0o644))
	jobs, err := staging.ListJobs(e.stagingDir)
	require.NoError(t, err)
	require.Len(t, jobs, 1)
	require.Len(t, jobs[0].Problems, 1)
	assert.ErrorIs(t, jobs[0].Problems[0], committer.ErrInvalidPendingSet)
	assert.Len(t, jobs[0].Tasks, 1, "the valid pendingset")
	rep, err := staging.InspectJob(ctx, e.mem, e.stagingDir, "job-c")
	require.NoError(t, err)
	require.Len(t, rep.Problems, 1)
	assert.ErrorIs(t, rep.Problems[0], committer.ErrInvalidPendingSet)
	assert.Equal(t, 1, rep.Pending)
}
