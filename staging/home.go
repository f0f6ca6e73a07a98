package staging

import (
	"context"
	"errors"

	"github.com/s3commit/s3commit/pendingset"
)

// home is where a staging dir keeps the records of its jobs: a directory
// that the driver and every task share (fsHome), or a prefix of the
// object store (storeHome, a StagingDir of the form s3://bucket/prefix).
// The protocol (task commit, job commit, abort, inspection) is written
// once over it; each home gives the same guarantees with its own
// primitives (link(2) and rename(2) and flock on a filesystem, writes
// with If-None-Match: * and a fenced journal in the store).
//
// Names are slash-separated and relative to the staging dir, as layout
// builds them.
type home interface {
	// where names a record for messages: an OS path or an s3:// URL.
	where(name string) string

	// jobExists reports whether job l has a record or any file left.
	jobExists(ctx context.Context, l layout) (bool, error)
	// createJob creates job l with its record, whole, or fails with an
	// error matching errTargetExists when the job ID is taken.
	createJob(ctx context.Context, l layout, data []byte) error
	// readJobRecord reads the job's record; an error matching
	// fs.ErrNotExist when the job is gone.
	readJobRecord(ctx context.Context, l layout) (*jobRecord, error)
	// removeJob removes the job's records, so that a crash in the middle
	// never leaves a part that reads as a live job, and releases lk (nil
	// when not held) once nothing of the job is open.
	removeJob(ctx context.Context, l layout, lk *jobLock)
	// sweepRemnants removes what a crash left of setting up or removing
	// job jobID ("" for every job).
	sweepRemnants(ctx context.Context, jobID string)

	// taskPendingSet reads the published pendingset of a task, open or
	// sealed; fs.ErrNotExist when it has none.
	taskPendingSet(ctx context.Context, l layout, taskID string) (*pendingset.Set, error)
	// sealing reports whether a job commit or abort has begun to seal the
	// tasks: a task commit that has not published must not begin.
	sealing(ctx context.Context, l layout) (bool, error)
	// publish publishes a task's pendingset; the first attempt wins.
	// errTargetExists: the task has a pendingset. errSealed: the job
	// commit sealed the tasks first. errSealUndecided: the job commit
	// began while the pendingset was being published and has not said
	// whether it took it (its uploads must be left to the job).
	publish(ctx context.Context, l layout, taskID string, data []byte) error
	// seal stops task commits from publishing: the pendingsets that the
	// next pendingSets call returns are the job's for good. unseal undoes
	// it, for a commit that found the job not ready.
	seal(ctx context.Context, l layout) error
	unseal(ctx context.Context, l layout) error
	// pendingSets returns the names of the job's pendingset records and
	// whether the tasks are sealed.
	pendingSets(ctx context.Context, l layout) (sealed bool, names []string, err error)
	// published reports whether the pendingset of taskID exists, looked up
	// by name (a listing on NFS may lag behind).
	published(ctx context.Context, l layout, taskID string) bool
	// read reads a whole record of at most limit bytes (ErrRecordTooLarge
	// beyond); fs.ErrNotExist when there is none.
	read(ctx context.Context, name string, limit int64) ([]byte, error)

	// openIntents opens the intent record of an attempt.
	openIntents(ctx context.Context, l layout, taskID string, attempt int) (intentWriter, error)
	// intents returns the attempts' intent records, by attempt name.
	intents(ctx context.Context, l layout) (map[string][]intent, []error)
	// attemptIntents reads one attempt's intents.
	attemptIntents(ctx context.Context, l layout, taskID string, attempt int) ([]intent, []error, error)

	// lock makes this process the only one that commits or aborts the
	// job, or fails with ErrJobBusy.
	lock(ctx context.Context, l layout, jobID string) (*jobLock, error)
	// lockHeld reports whether another process holds the job's lock;
	// st is the journal as readJournal read it.
	lockHeld(ctx context.Context, l layout, st *journalState) bool
	// openJournal opens the job-commit journal for writing, under lk.
	openJournal(ctx context.Context, l layout, lk *jobLock) (journalWriter, error)
	// readJournal reads the job-commit journal.
	readJournal(ctx context.Context, l layout) *journalState
}

// intentWriter records an attempt's intents.
type intentWriter interface {
	// record records intents: first the planned keys, then, as uploads
	// are created, their IDs (or that a creation's answer was lost).
	record(ctx context.Context, in ...intent) error
	// flush makes every recorded intent durable; the filesystem home
	// writes each at once.
	flush(ctx context.Context) error
	Close() error
}

// journalWriter appends to the job-commit journal.
type journalWriter interface {
	// add appends entries, durable when it returns.
	add(ctx context.Context, entries ...journalEntry) error
	// addCompleted appends a completion, which may be batched with others
	// until the next add or flush: a resumed commit that does not find it
	// learns from the store that the upload was completed.
	addCompleted(ctx context.Context, e journalEntry) error
	// flush makes every appended entry durable.
	flush(ctx context.Context) error
	Close() error
}

// Errors of home.publish.
var (
	errSealed        = errors.New("the job commit sealed the tasks")
	errSealUndecided = errors.New("the pendingset is published, but whether the job commit takes it is not known")
)
