package committertest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
)

func abortScenarios() []scenario {
	return []scenario{
		{name: "AbortTaskWithoutWork", run: testAbortTaskWithoutWork},
		{name: "AbortJobWithoutWork", run: testAbortJobWithoutWork},
		{name: "AbortTaskThenJob", run: testAbortTaskThenJob},
		{name: "AbortJobWithoutAbortingTasks", run: testAbortJobWithoutAbortingTasks},
		{name: "AbortJobTwice", run: testAbortJobTwice},
	}
}

// testAbortTaskWithoutWork: aborting an attempt that wrote nothing works,
// and the job still commits another attempt of the task.
func testAbortTaskWithoutWork(t *testing.T, e *env) {
	cfg := e.config(e.dest("out"), committer.ConflictFail)
	j := e.setupJob(cfg, "")
	idle := j.task("task-0", 0)
	require.NoError(t, idle.AbortTask(e.ctx), "AbortTask of an attempt without work")
	retry := j.task("task-0", 1)
	retry.writeFiles("", 2)
	retry.commit()
	require.NoError(t, j.CommitJob(e.ctx))
	e.check(expect().committed(j, retry))
}

// testAbortJobWithoutWork: aborting a job nothing was written for works
// and leaves no state.
func testAbortJobWithoutWork(t *testing.T, e *env) {
	cfg := e.config(e.dest("out"), committer.ConflictFail)
	j := e.setupJob(cfg, "")
	require.NoError(t, j.AbortJob(e.ctx))
	e.requireStagingFree(j.ID())
	e.check(expect())
}

// testAbortTaskThenJob: AbortTask deletes the attempt's files; AbortJob
// then leaves nothing anywhere.
func testAbortTaskThenJob(t *testing.T, e *env) {
	cfg := e.config(e.dest("out"), committer.ConflictFail)
	j := e.setupJob(cfg, "")
	a := e.openJob(cfg, j.ID()).task("task-0", 0)
	a.writeFiles("sub", 3)
	require.NoError(t, a.AbortTask(e.ctx))
	requireNoFiles(t, a.Dir())
	e.checkObjects(expect())
	require.NoError(t, j.AbortJob(e.ctx))
	e.requireStagingFree(j.ID())
	e.check(expect())
}

// testAbortJobWithoutAbortingTasks: a job aborted while one attempt is
// committed and others are not leaves no object, no upload and no state.
func testAbortJobWithoutAbortingTasks(t *testing.T, e *env) {
	cfg := e.config(e.dest("out"), committer.ConflictFail)
	j := e.setupJob(cfg, "")
	committed := e.openJob(cfg, j.ID()).task("task-0", 0)
	committed.writeFiles("a", 2)
	committed.commit()
	written := e.openJob(cfg, j.ID()).task("task-1", 0)
	written.writeFiles("b", 2)
	_ = j.task("task-2", 0) // set up, nothing written

	require.NoError(t, j.AbortJob(e.ctx))
	e.requireStagingFree(j.ID())
	e.check(expect())

	err := j.CommitJob(e.ctx)
	require.Error(t, err, "CommitJob after AbortJob")
	assert.True(t, errorIsAny(err, committer.ErrJobFinished, committer.ErrJobNotFound),
		"CommitJob after AbortJob: %v; want ErrJobFinished or ErrJobNotFound", err)
	e.check(expect())
}

// testAbortJobTwice: AbortJob is idempotent, also from another process
// that opened the job before it was aborted.
func testAbortJobTwice(t *testing.T, e *env) {
	cfg := e.config(e.dest("out"), committer.ConflictFail)
	j := e.setupJob(cfg, "")
	other := e.openJob(cfg, j.ID())
	a := other.task("task-0", 0)
	a.writeFiles("", 2)
	a.commit()
	require.NoError(t, j.AbortJob(e.ctx))
	require.NoError(t, j.AbortJob(e.ctx), "second AbortJob")
	require.NoError(t, other.AbortJob(e.ctx), "AbortJob from another process after the job was aborted")
	e.requireStagingFree(j.ID())
	e.check(expect())
}

// requireNoFiles asserts that dir holds no regular file (it may be gone).
func requireNoFiles(t *testing.T, dir string) {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if os.IsNotExist(err) {
			return filepath.SkipDir
		}
		if err != nil {
			return err
		}
		if !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	require.NoError(t, err)
	require.Empty(t, files, "files left in %s", dir)
}
