package staging_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/staging"
	"github.com/s3commit/s3commit/success"
)

func TestLifecycle(t *testing.T) {
	for _, mode := range []committer.Mode{committer.ModeDirectory, committer.ModePartitioned} {
		t.Run(string(mode), func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			var progress []staging.Progress
			c := e.committer(t, func(o *staging.Options) {
				o.Mode = mode
				o.Progress = func(p staging.Progress) { progress = append(progress, p) }
			})
			j, err := c.SetupJob(ctx, "")
			require.NoError(t, err)
			jobID := j.ID()
			require.NoError(t, committer.ValidateID("job ID", jobID))

			t1 := writeTask(t, j, "task-1", 0, map[string]string{
				"day=1/part-0000.json": "one",
				"day=1/_temporary":     "hidden",
				"day=1/.part.crc":      "hidden",
				"root.json":            "root",
			})
			t2 := writeTask(t, j, "task-2", 0, map[string]string{
				"day=2/part-0001.json": "two",
				"day=2/empty.json":     "",
			})
			for _, a := range []committer.TaskAttempt{t1, t2} {
				need, err := a.NeedsTaskCommit(ctx)
				require.NoError(t, err)
				assert.True(t, need)
				require.NoError(t, a.CommitTask(ctx))
				assert.NoDirExists(t, a.Dir(), "committed local files are removed")
			}
			assert.FileExists(t, staging.PendingSetPath(e.stagingDir, jobID, "task-1"))
			// Invariant 1: nothing visible before job commit.
			assert.Empty(t, e.objects(t, e.dest+"/"))

			require.NoError(t, j.CommitJob(ctx))
			e.requireCommitted(t, jobID, map[string]string{
				e.key(jobID, "day=1/part-0000.json"): "one",
				e.key(jobID, "root.json"):            "root",
				e.key(jobID, "day=2/part-0001.json"): "two",
				e.key(jobID, "day=2/empty.json"):     "",
			}, nil)
			e.requireDirsGone(t, jobID)
			d, err := success.Read(ctx, e.mem, e.dest+"/"+staging.SuccessMarker)
			require.NoError(t, err)
			assert.Equal(t, string(mode), d.Committer)
			assert.Equal(t, int64(10), d.Metrics["bytes"])
			assert.Equal(t, int64(2), d.Metrics["tasks"])
			assert.Equal(t, int64(4), d.Metrics["uploads_completed"])
			stats := d.IOStatistics
			assert.Equal(t, int64(1), stats.Counters["committer_commit_job"])
			assert.Equal(t, int64(4), stats.Counters["committer_commits_completed"])
			assert.Equal(t, int64(2), stats.Counters["committer_commit_task"])
			assert.Equal(t, int64(2), stats.MeanStatistics["committer_commit_task.mean"].Samples)
			assert.Contains(t, stats.Maximums, "committer_commit_job.max")
			assert.Contains(t, stats.Minimums, "committer_commit_task.min")
			assert.Contains(t, progress, staging.Progress{Phase: staging.PhaseUpload, Done: 2, Total: 2})
			assert.Contains(t, progress, staging.Progress{Phase: staging.PhaseComplete, Done: 4, Total: 4})

			// A committed job is finished.
			require.ErrorIs(t, j.CommitJob(ctx), committer.ErrJobFinished)
			_, err = c.OpenJob(ctx, jobID)
			require.ErrorIs(t, err, committer.ErrJobNotFound)
			require.NoError(t, j.AbortJob(ctx), "abort after commit with the staging dir gone")
		})
	}
}

func TestEmptyJob(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.committer(t, nil)
	j, err := c.SetupJob(ctx, "empty")
	require.NoError(t, err)
	a := writeTask(t, j, "t", 0, nil)
	need, err := a.NeedsTaskCommit(ctx)
	require.NoError(t, err)
	assert.False(t, need)
	require.NoError(t, a.CommitTask(ctx))
	require.NoError(t, j.CommitJob(ctx))
	e.requireCommitted(t, "empty", map[string]string{}, nil)
}

func TestOpenJobUsesTheRecord(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	driver := e.committer(t, func(o *staging.Options) { o.Mode = committer.ModePartitioned; o.Conflict = committer.ConflictAppend })
	j, err := driver.SetupJob(ctx, "job-1")
	require.NoError(t, err)

	// A worker with other options opens the job and uses its settings.
	worker := e.committer(t, func(o *staging.Options) { o.Destination = "elsewhere"; o.DisableUniqueFilenames = true })
	wj, err := worker.OpenJob(ctx, "job-1")
	require.NoError(t, err)
	a := writeTask(t, wj, "t", 3, map[string]string{"p=1/f.csv": "x"})
	assert.Equal(t, filepath.Join(e.bufferDir, "job-1", "t_3"), a.Dir())
	require.NoError(t, a.CommitTask(ctx))
	require.NoError(t, j.CommitJob(ctx))
	e.requireCommitted(t, "job-1", map[string]string{e.key("job-1", "p=1/f.csv"): "x"}, nil)

	_, err = worker.OpenJob(ctx, "no-such-job")
	require.ErrorIs(t, err, committer.ErrJobNotFound)
	_, err = worker.OpenJob(ctx, "../x")
	require.ErrorIs(t, err, committer.ErrInvalidID)
}
