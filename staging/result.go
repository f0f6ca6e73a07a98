package staging

import (
	"sync/atomic"
	"time"
)

// CommitResult is what [Committer.CommitJob] did: the job's output and the
// store calls this call made. Tools print it instead of reading the job's
// uploads and _SUCCESS again.
type CommitResult struct {
	// JobID is the committed job's ID.
	JobID string
	// Bucket and Destination locate the job's output; SuccessKey is the
	// key of its _SUCCESS manifest in Bucket.
	Bucket, Destination, SuccessKey string
	// Files and Bytes are the job's output: the files _SUCCESS lists
	// (uploads and deferred files) and their total size.
	Files int
	Bytes int64
	// Tasks is the number of committed tasks.
	Tasks int
	// UploadsCompleted and DeferredFilesPut count what this call
	// completed and wrote. A resumed commit (Resumed) counts only what
	// the interrupted run had not done; a call that found the job
	// committed (AlreadyCommitted) counts nothing.
	UploadsCompleted int
	DeferredFilesPut int
	// OldObjectsDeleted counts the old objects replace mode deleted in
	// this call.
	OldObjectsDeleted int
	// OrphanUploadsAborted counts the uploads of the job's attempts that
	// no committed task holds (failed or losing attempts, attempts that
	// died during their commit), aborted by the cleanup after the commit.
	OrphanUploadsAborted int
	// Resumed is set when this call resumed a commit that an earlier run
	// began; AlreadyCommitted when an earlier run had committed the job
	// (written _SUCCESS) and this call only finished its cleanup.
	Resumed, AlreadyCommitted bool
	// CleanupErr is not nil when the job is committed but the cleanup
	// after it failed: uploads of other attempts may be left, and the
	// job's staging directory is kept. CommitJob or AbortJob again
	// finishes the cleanup.
	CleanupErr error
	// Duration is how long the call took, lock wait included.
	Duration time.Duration
}

// AbortResult is what [Committer.AbortJob] did.
type AbortResult struct {
	// JobID is the aborted job's ID.
	JobID string
	// UploadsAborted counts the uploads this call aborted: those of the
	// committed tasks' pendingsets, those the attempts recorded, and
	// those found by exact key that belong to no committed task. An
	// upload the store no longer knew is not counted.
	UploadsAborted int
	// ObjectsDeleted counts the objects of the job an interrupted commit
	// had completed or written, which this call deleted (its _SUCCESS
	// and sidecar not included).
	ObjectsDeleted int
	// Duration is how long the call took, lock wait included.
	Duration time.Duration
}

// undoTally counts, safely from the workers of one operation, what a
// rollback or a cleanup undid. A nil tally counts nothing.
type undoTally struct {
	aborted atomic.Int64 // uploads aborted (not already gone)
	deleted atomic.Int64 // objects deleted
}

func (t *undoTally) addAborted(n int) {
	if t != nil {
		t.aborted.Add(int64(n))
	}
}

func (t *undoTally) addDeleted(n int) {
	if t != nil {
		t.deleted.Add(int64(n))
	}
}
