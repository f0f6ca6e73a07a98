package committertest

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
)

func lifecycleScenarios() []scenario {
	return []scenario{
		{name: "Lifecycle", run: testLifecycle},
		{name: "GeneratedJobID", run: testGeneratedJobID},
		{name: "TaskWithoutOutput", run: testTaskWithoutOutput},
		{name: "EmptyFile", run: testEmptyFile},
		{name: "SecondCommitOfAttempt", run: testSecondCommitOfAttempt},
		{name: "TwoAttemptsBothCommit", run: testTwoAttemptsBothCommit},
		{name: "UncommittedTasks", run: testUncommittedTasks},
		{name: "JobIDReuseRefused", run: testJobIDReuseRefused},
		{name: "OpenUnknownJob", run: testOpenUnknownJob},
	}
}

// testLifecycle: a driver and three tasks, each task in a process of its
// own (a committer that opens the job), nested directories, several files,
// files written through Dir() and hidden files; nothing is visible before
// job commit, exactly the tasks' files after it.
func testLifecycle(t *testing.T, e *env) {
	cfg := e.config(e.dest("out"), committer.ConflictFail)
	j := e.setupJob(cfg, "job-lifecycle-"+randomHex(4))

	var attempts []*attempt
	for i, taskID := range []string{"task-0", "task-1", "task-2"} {
		a := e.openJob(cfg, j.ID()).task(taskID, 0)
		need, err := a.NeedsTaskCommit(e.ctx)
		require.NoError(t, err)
		assert.False(t, need, "NeedsTaskCommit before any file is written")

		a.writeFiles("", 2)
		a.write("year=2026/month=11/"+taskID+".snappy.parquet", 5000*(i+1))
		a.writeDirect("year=2026/month=12/direct-"+taskID+".csv", 300)
		a.write("year=2026/._"+taskID+".crc", 10) // hidden: skipped
		a.write("_temporary-"+taskID, 10)         // hidden: skipped

		need, err = a.NeedsTaskCommit(e.ctx)
		require.NoError(t, err)
		assert.True(t, need, "NeedsTaskCommit after writing files")
		a.commit()
		attempts = append(attempts, a)
		e.checkObjects(expect()) // invariant 1: nothing visible before job commit
	}

	require.NoError(t, j.CommitJob(e.ctx))
	e.check(expect().committed(j, attempts...))
	e.requireStagingFree(j.ID()) // job commit cleans up the job's state
}

// testGeneratedJobID: SetupJob without an ID chooses a valid one that
// other processes open.
func testGeneratedJobID(t *testing.T, e *env) {
	cfg := e.config(e.dest("out"), committer.ConflictFail)
	j := e.setupJob(cfg, "")
	require.NoError(t, committer.ValidateID("job ID", j.ID()), "a generated job ID is valid")
	other := e.setupJob(cfg, "")
	assert.NotEqual(t, j.ID(), other.ID(), "generated job IDs are unique")
	require.NoError(t, other.AbortJob(e.ctx))

	a := e.openJob(cfg, j.ID()).task("task-0", 0)
	a.writeFiles("", 2)
	a.commit()
	require.NoError(t, j.CommitJob(e.ctx))
	e.check(expect().committed(j, a))
}

// testTaskWithoutOutput: a task that writes nothing needs no commit; a
// caller may commit it anyway. One job commits with another task's files,
// another with no file at all (its _SUCCESS lists nothing).
func testTaskWithoutOutput(t *testing.T, e *env) {
	mixed := e.setupJob(e.config(e.dest("mixed"), committer.ConflictFail), "")
	nothing := e.setupJob(e.config(e.dest("nothing"), committer.ConflictFail), "")
	for _, j := range []*job{mixed, nothing} {
		empty := j.task("task-empty", 0)
		need, err := empty.NeedsTaskCommit(e.ctx)
		require.NoError(t, err)
		assert.False(t, need, "NeedsTaskCommit of a task without output")
		if j == mixed {
			require.NoError(t, empty.CommitTask(e.ctx), "CommitTask of an attempt without output")
		}
	}
	full := mixed.task("task-full", 0)
	full.writeFiles("sub", 2)
	full.commit()

	require.NoError(t, mixed.CommitJob(e.ctx))
	require.NoError(t, nothing.CommitJob(e.ctx))
	e.check(expect().committed(mixed, full).committed(nothing))
}

// testEmptyFile: a zero-byte file is committed as a zero-byte object.
func testEmptyFile(t *testing.T, e *env) {
	cfg := e.config(e.dest("out"), committer.ConflictFail)
	j := e.setupJob(cfg, "")
	a := j.task("task-0", 0)
	require.NoError(t, a.tryWrite("empty.json", []byte{}))
	require.NoError(t, a.tryWrite("dir/also-empty", nil))
	a.write("dir/full.json", 10)
	need, err := a.NeedsTaskCommit(e.ctx)
	require.NoError(t, err)
	assert.True(t, need)
	a.commit()
	require.NoError(t, j.CommitJob(e.ctx))
	e.check(expect().committed(j, a))
}

// testSecondCommitOfAttempt: committing an attempt twice is refused with
// ErrAttemptFinished and changes nothing.
func testSecondCommitOfAttempt(t *testing.T, e *env) {
	cfg := e.config(e.dest("out"), committer.ConflictFail)
	j := e.setupJob(cfg, "")
	a := j.task("task-0", 0)
	a.writeFiles("", 3)
	a.commit()
	require.ErrorIs(t, a.CommitTask(e.ctx), committer.ErrAttemptFinished, "second CommitTask of one attempt")
	require.NoError(t, j.CommitJob(e.ctx))
	e.check(expect().committed(j, a))
}

// testTwoAttemptsBothCommit: two attempts of one task write different
// bytes; the first to commit wins (here the later attempt number), the
// other gets ErrTaskCommitted, and only the winner's files become visible.
func testTwoAttemptsBothCommit(t *testing.T, e *env) {
	cfg := e.config(e.dest("out"), committer.ConflictFail)
	j := e.setupJob(cfg, "")
	loser := e.openJob(cfg, j.ID()).task("task-0", 0)
	winner := e.openJob(cfg, j.ID()).task("task-0", 1)
	for _, a := range []*attempt{loser, winner} {
		a.writeFiles("data", 2)
	}
	loser.write("data/only-in-attempt-0.json", 50)
	winner.write("data/only-in-attempt-1.json", 50)

	winner.commit()
	err := loser.CommitTask(e.ctx)
	require.ErrorIs(t, err, committer.ErrTaskCommitted, "CommitTask of the attempt that lost")
	// Before job commit: one upload per key of the winner, none of the
	// loser's own.
	for _, key := range winner.keys() {
		assert.Len(t, e.uploads(key), 1, "uploads of %s after the losing commit", key)
	}
	assert.Empty(t, e.uploads(committer.DestinationKey(j.dest, "data/only-in-attempt-0.json", j.ID(), true)),
		"the losing attempt's uploads are aborted")

	other := j.task("task-1", 0)
	other.writeFiles("data", 1)
	other.commit()
	require.NoError(t, j.CommitJob(e.ctx))
	e.check(expect().committed(j, winner, other))
}

// testUncommittedTasks: a job commits while some attempts never committed
// (and never aborted); their files never become visible, nothing of them
// is uploaded, and committing them after the job is refused.
func testUncommittedTasks(t *testing.T, e *env) {
	cfg := e.config(e.dest("out"), committer.ConflictFail)
	j := e.setupJob(cfg, "")
	done := j.task("task-0", 0)
	done.writeFiles("", 2)
	done.commit()
	straggler := e.openJob(cfg, j.ID()).task("task-1", 0)
	straggler.writeFiles("", 2)
	idle := j.task("task-2", 0)
	idle.writeFiles("sub", 1)

	require.NoError(t, j.CommitJob(e.ctx))
	e.check(expect().committed(j, done))

	err := straggler.CommitTask(e.ctx)
	require.Error(t, err, "CommitTask after the job committed")
	assert.True(t, errorIsAny(err, committer.ErrJobFinished, committer.ErrJobNotFound),
		"CommitTask after job commit: %v; want ErrJobFinished or ErrJobNotFound", err)
	e.check(expect().committed(j, done))
}

// testJobIDReuseRefused: a job ID in use is refused by SetupJob in any
// process, and the refusal does not disturb the job.
func testJobIDReuseRefused(t *testing.T, e *env) {
	cfg := e.config(e.dest("out"), committer.ConflictFail)
	id := "job-reused-" + randomHex(4)
	j := e.setupJob(cfg, id)
	a := j.task("task-0", 0)
	a.writeFiles("", 2)
	a.commit()

	_, err := e.committer(cfg).SetupJob(e.ctx, id)
	require.ErrorIs(t, err, committer.ErrJobExists, "SetupJob with the ID of a job set up earlier")
	other := cfg
	other.Destination = e.dest("elsewhere")
	_, err = e.committer(other).SetupJob(e.ctx, id)
	require.ErrorIs(t, err, committer.ErrJobExists, "SetupJob with a used ID and another destination")

	require.NoError(t, j.CommitJob(e.ctx))
	e.check(expect().committed(j, a))
}

// testOpenUnknownJob: OpenJob of a job never set up is ErrJobNotFound and
// creates nothing.
func testOpenUnknownJob(t *testing.T, e *env) {
	cfg := e.config(e.dest("out"), committer.ConflictFail)
	id := "job-unknown-" + randomHex(4)
	_, err := e.committer(cfg).OpenJob(e.ctx, id)
	require.ErrorIs(t, err, committer.ErrJobNotFound)
	e.requireStagingFree(id)
	entries, err := os.ReadDir(e.buffer)
	require.NoError(t, err)
	assert.Empty(t, entries, "OpenJob of an unknown job writes nothing to the buffer dir")
	e.check(expect())
}
