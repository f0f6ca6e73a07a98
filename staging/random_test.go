package staging_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/staging"
)

// TestRandomized runs seeded random jobs: random tasks, attempts and
// files, random transient and permanent store faults during task commits,
// then one random job-commit fault (none, a permanent failure, a crash
// followed by a resume or an abort, a lost answer). Whatever happened,
// the job ends committed (exactly the winning attempts' files, _SUCCESS
// verified) or rolled back (nothing of it), and no upload remains.
func TestRandomized(t *testing.T) {
	seeds := 60
	if n, err := strconv.Atoi(os.Getenv("S3COMMIT_RANDOM_SEEDS")); err == nil {
		seeds = n
	}
	if testing.Short() {
		seeds = 10
	}
	for seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { runRandomJob(t, uint64(seed)) })
	}
}

type lockedRand struct {
	mu sync.Mutex
	r  *rand.Rand
}

func (l *lockedRand) float() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Float64()
}

func runRandomJob(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	lr := &lockedRand{r: rand.New(rand.NewPCG(seed, 8))}
	e := newEnv(t)
	ctx := context.Background()
	mode := []committer.Mode{committer.ModeDirectory, committer.ModePartitioned}[rng.IntN(2)]
	conflict := []committer.ConflictMode{committer.ConflictFail, committer.ConflictAppend, committer.ConflictReplace}[rng.IntN(3)]
	keep := rng.IntN(4) == 0
	opts := func(o *staging.Options) {
		o.Mode, o.Conflict, o.KeepStateOnFailure = mode, conflict, keep
		o.CommitConcurrency = 1 + rng.IntN(4)
		o.UploadConcurrency = 1 + rng.IntN(4)
	}
	c := e.committer(t, opts)
	j, err := c.SetupJob(ctx, "")
	require.NoError(t, err)
	t.Logf("seed %d: %s/%s keep=%v", seed, mode, conflict, keep)

	// Task commits under transient and occasional permanent faults.
	pTransient, pPermanent := rng.Float64()*0.2, rng.Float64()*0.05
	e.fault.Add(faultstore.Rule{Match: func(faultstore.Call) bool { return lr.float() < pPermanent }, Err: multipart.ErrAccessDenied})
	e.fault.Add(faultstore.Rule{Match: func(faultstore.Call) bool { return lr.float() < pTransient }, Err: multipart.ErrServer})
	want := map[string]string{}
	allCommitted := true
	for task := range 1 + rng.IntN(4) {
		taskID := fmt.Sprintf("task-%d", task)
		committed := false
		for attempt := range 3 {
			files := map[string]string{}
			for f := range rng.IntN(4) {
				rel := fmt.Sprintf("p=%d/part-%d-%d.json", rng.IntN(2), task, f)
				if rng.IntN(3) == 0 {
					rel = fmt.Sprintf("root-%d-%d.json", task, f)
				}
				files[rel] = fmt.Sprintf("seed %d task %d attempt %d file %d", seed, task, attempt, f)
			}
			a := writeTask(t, j, taskID, attempt, files)
			err := a.CommitTask(ctx)
			if err == nil {
				for rel, body := range files {
					want[e.key(j.ID(), rel)] = body
				}
				committed = true
				break
			}
			require.False(t, errors.Is(err, committer.ErrTaskCommitted), "no other attempt committed: %v", err)
			if err := a.AbortTask(ctx); err != nil {
				t.Logf("abort task under faults: %v", err) // the job's commit or abort cleans up
			}
		}
		if !committed {
			allCommitted = false
		}
	}
	e.fault.Clear()
	if !allCommitted {
		require.NoError(t, j.AbortJob(ctx))
		e.requireRolledBack(t, j.ID(), want)
		return
	}

	// Job commit with one fault.
	n := 1 + rng.IntN(max(len(want), 1))
	switch fault := rng.IntN(5); fault {
	case 0: // none
	case 1: // permanent failure at the n-th completion
		e.fault.Add(faultstore.FailNth(faultstore.OpCompleteUpload, n, multipart.ErrAccessDenied))
	case 2, 3: // crash at the n-th completion, then resume (2) or abort (3)
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		crash(e, n, cancel)
		err := j.CommitJob(cctx)
		e.fault.Clear()
		j2, oerr := e.committer(t, nil).OpenJob(ctx, j.ID())
		if err == nil { // no completion to crash at
			require.ErrorIs(t, oerr, committer.ErrJobNotFound)
			e.requireCommitted(t, j.ID(), want, nil)
			return
		}
		require.NoError(t, oerr)
		if fault == 2 {
			require.NoError(t, j2.CommitJob(ctx))
			e.requireCommitted(t, j.ID(), want, nil)
		} else {
			require.NoError(t, j2.AbortJob(ctx))
			e.requireRolledBack(t, j.ID(), want)
		}
		return
	case 4: // a lost answer
		e.fault.Add(faultstore.DropNth(faultstore.OpCompleteUpload, n))
	}
	err = j.CommitJob(ctx)
	e.fault.Clear()
	switch {
	case err == nil:
		e.requireCommitted(t, j.ID(), want, nil)
	case keep:
		j2, err := e.committer(t, nil).OpenJob(ctx, j.ID())
		require.NoError(t, err)
		if rng.IntN(2) == 0 {
			require.NoError(t, j2.CommitJob(ctx))
			e.requireCommitted(t, j.ID(), want, nil)
		} else {
			require.NoError(t, j2.AbortJob(ctx))
			e.requireRolledBack(t, j.ID(), want)
		}
	default:
		e.requireRolledBack(t, j.ID(), want)
		require.NoError(t, j.AbortJob(ctx))
	}
}

// requireRolledBack checks invariant 3 for a job that started on an empty
// destination: nothing there, no upload in the bucket, no staging dir.
func (e *env) requireRolledBack(t *testing.T, jobID string, want map[string]string) {
	t.Helper()
	assert.Empty(t, e.objects(t, e.dest+"/"))
	e.requireNothing(t, jobID, keysOf(want)...)
	e.requireDirsGone(t, jobID)
}
