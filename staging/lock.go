package staging

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/s3commit/s3commit/committer"
)

// errLocked is returned by lockFile when the lock is held.
var errLocked = errors.New("locked")

// ErrJobBusy is returned by CommitJob and AbortJob when another CommitJob
// or AbortJob of the same job is running, in this process or another one
// that shares the staging dir.
var ErrJobBusy = errors.New("staging: another CommitJob or AbortJob of the job is running")

// jobLock is a held lock of a job: <staging>/<jobID>/lock, flocked, in
// the filesystem home; the claimed journal in the store home.
type jobLock struct {
	once sync.Once
	free func()
	// journal is the store home's claimed journal, written through the
	// lock; nil in the filesystem home.
	journal *storeJournal
}

// release unlocks and closes the lock file; it may be called more than
// once.
func (l *jobLock) release() {
	if l != nil {
		l.once.Do(l.free)
	}
}

// lock serializes CommitJob and AbortJob of the job across processes.
// The caller must have checked that the job directory exists.
func (j *job) lock(ctx context.Context) (*jobLock, error) { return j.h.lock(ctx, j.l, j.rec.JobID) }

// lockFS takes the flock of a job in a filesystem home.
func lockFS(fsys fsys, l layout, jobID string) (*jobLock, error) {
	path := l.lock()
	unlock, err := fsys.Lock(path)
	switch {
	case isNotExist(err):
		return nil, fmt.Errorf("job %s: %w: its staging directory %s is gone (committed or aborted by another process?)",
			jobID, committer.ErrJobNotFound, l.jobDir)
	case errors.Is(err, errLocked):
		return nil, fmt.Errorf("%w (job %s, lock %s); wait for it to end", ErrJobBusy, jobID, path)
	case err != nil:
		return nil, err
	}
	return &jobLock{free: unlock}, nil
}
