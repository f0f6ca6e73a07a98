package committer

import "errors"

// Sentinel errors of the protocol. Implementations wrap them with what
// happened and what to do; callers test them with errors.Is.
var (
	// ErrJobExists: SetupJob was given a job ID whose staging state exists
	// already. Job IDs must be unique; omit the ID to get a fresh one.
	ErrJobExists = errors.New("job already exists")
	// ErrJobNotFound: no job with this ID is set up in the staging dir
	// (never set up, or committed or aborted and cleaned up).
	ErrJobNotFound = errors.New("job not found")
	// ErrJobFinished: the job was committed or aborted; no further task or
	// job operation is possible.
	ErrJobFinished = errors.New("job already committed or aborted")
	// ErrDestinationExists: in fail mode, objects exist where the job (or
	// the partition of a task) would write.
	ErrDestinationExists = errors.New("destination already holds objects")
	// ErrTaskCommitted: another attempt of the task has committed first;
	// this attempt's output was discarded.
	ErrTaskCommitted = errors.New("task already committed by another attempt")
	// ErrJobCommitting: a task attempt tried to commit after the job commit
	// (or the job abort) had begun; its output is not part of the job and
	// its uploads were aborted.
	ErrJobCommitting = errors.New("job commit has begun")
	// ErrAttemptFinished: this attempt was committed or aborted already.
	ErrAttemptFinished = errors.New("task attempt already committed or aborted")
	// ErrInvalidPendingSet: a committed task's record is corrupt or names
	// objects outside the job's destination; job commit refuses to start.
	ErrInvalidPendingSet = errors.New("invalid pendingset")
	// ErrInvalidPath: a file name given to a task attempt would escape its
	// directory or is not a usable object key.
	ErrInvalidPath = errors.New("invalid file path")
)
