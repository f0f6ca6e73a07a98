package committertest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
)

func concurrencyScenarios() []scenario {
	return []scenario{
		{name: "ConcurrentTasksSameSubdirectory", run: testConcurrentTasksSameSubdirectory},
		{name: "TwoAttemptsRaceToCommit", run: testTwoAttemptsRace},
		{name: "AdjacentDestinations", run: testAdjacentDestinations},
		{name: "SameDestinationAppend", run: testSameDestinationAppend},
	}
}

// testConcurrentTasksSameSubdirectory: tasks in goroutines, each in a
// process of its own, write and commit files in the same subdirectory at
// the same time.
func testConcurrentTasksSameSubdirectory(t *testing.T, e *env) {
	cfg := e.config(e.dest("out"), committer.ConflictFail)
	j := e.setupJob(cfg, "")
	const tasks = 4
	jobs := make([]*job, tasks)
	for i := range jobs {
		jobs[i] = e.openJob(cfg, j.ID())
	}
	attempts := make([]*attempt, tasks)
	errs := make([]error, tasks)
	var wg sync.WaitGroup
	for i := range tasks {
		wg.Go(func() {
			a, err := jobs[i].trySetupTask(fmt.Sprintf("task-%d", i), 0)
			if err != nil {
				errs[i] = err
				return
			}
			attempts[i] = a
			for f := range 3 {
				rel := fmt.Sprintf("shared/dir/part-%d-%d.json", i, f)
				if err := a.tryWrite(rel, content(a, rel, 200)); err != nil {
					errs[i] = err
					return
				}
			}
			errs[i] = a.CommitTask(e.ctx)
		})
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "task %d", i)
	}
	e.checkObjects(expect())
	require.NoError(t, j.CommitJob(e.ctx))
	e.check(expect().committed(j, attempts...))
}

// testTwoAttemptsRace: two attempts of one task commit at the same time;
// exactly one wins, the other gets ErrTaskCommitted, and only the winner's
// files become visible.
func testTwoAttemptsRace(t *testing.T, e *env) {
	cfg := e.config(e.dest("out"), committer.ConflictFail)
	j := e.setupJob(cfg, "")
	attempts := []*attempt{e.openJob(cfg, j.ID()).task("task-0", 0), e.openJob(cfg, j.ID()).task("task-0", 1)}
	for i, a := range attempts {
		a.writeFiles("data", 3)
		a.write(fmt.Sprintf("data/attempt-%d.json", i), 40)
	}
	errs := make([]error, len(attempts))
	var wg sync.WaitGroup
	for i, a := range attempts {
		wg.Go(func() { errs[i] = a.CommitTask(e.ctx) })
	}
	wg.Wait()
	var winner *attempt
	for i, err := range errs {
		if err == nil {
			require.Nil(t, winner, "both attempts committed")
			winner = attempts[i]
			continue
		}
		require.ErrorIs(t, err, committer.ErrTaskCommitted, "attempt %d", i)
	}
	require.NotNil(t, winner, "neither attempt committed: %v", errs)
	require.NoError(t, j.CommitJob(e.ctx))
	e.check(expect().committed(j, winner))
}

// testAdjacentDestinations: jobs to destinations that are prefixes of each
// other as strings ("x/a", "x/ab", "x/abc") interleave their task and job
// commits; each sees only its own destination, and aborting one touches
// neither of the others.
func testAdjacentDestinations(t *testing.T, e *env) {
	cfgB := e.config(e.dest("x/ab"), committer.ConflictFail)
	cfgA := e.config(e.dest("x/a"), committer.ConflictFail)
	cfgC := e.config(e.dest("x/abc"), committer.ConflictFail)

	b := e.setupJob(cfgB, "")
	b1 := b.task("task-0", 0)
	b1.writeFiles("", 2)
	b1.write("year=2026/part-b.json", 30)
	b1.commit()

	a := e.setupJob(cfgA, "")
	a1 := a.task("task-0", 0)
	a1.writeFiles("", 2)
	a1.write("year=2026/part-a.json", 30)
	a1.commit()

	c := e.setupJob(cfgC, "")
	c1 := c.task("task-0", 0)
	c1.writeFiles("", 1)
	c1.commit()

	require.NoError(t, b.CommitJob(e.ctx))
	a2 := a.task("task-1", 0) // commits once b's objects are visible
	a2.writeFiles("", 1)
	a2.write("year=2026/part-a2.json", 30)
	a2.commit()
	e.checkObjects(expect().committed(b, b1))

	require.NoError(t, c.AbortJob(e.ctx))
	require.NoError(t, a.CommitJob(e.ctx))
	e.check(expect().committed(b, b1).committed(a, a1, a2))
}

// testSameDestinationAppend: two jobs append to one destination with
// interleaved commits; both jobs' files remain, and _SUCCESS is the last
// job's, listing only its files.
func testSameDestinationAppend(t *testing.T, e *env) {
	cfg := e.config(e.dest("out"), committer.ConflictAppend)
	first := e.setupJob(cfg, "")
	second := e.setupJob(cfg, "")
	f1 := first.task("task-0", 0)
	s1 := second.task("task-0", 0)
	for _, a := range []*attempt{f1, s1} {
		a.writeFiles("", 2) // same names: unique filenames keep them apart
		a.write("year=2026/part-0000.json", 20)
	}
	s1.commit()
	f1.commit()
	require.NoError(t, first.CommitJob(e.ctx))
	s2 := second.task("task-1", 0)
	s2.writeFiles("", 1)
	s2.commit()
	require.NoError(t, second.CommitJob(e.ctx))
	e.check(expect().with(f1.objects()).committed(second, s1, s2))
}
