package committer

import (
	"context"
	"os"
)

// Committer sets up new jobs and opens existing ones. A Committer is bound
// to a staging area shared by the driver and every task process.
type Committer interface {
	// SetupJob records a new job and returns it. An empty jobID gets a
	// fresh unique ID; an ID already used is refused with [ErrJobExists].
	// In fail mode, a destination that holds objects is refused with
	// [ErrDestinationExists].
	SetupJob(ctx context.Context, jobID string) (Job, error)
	// OpenJob opens a job set up earlier, possibly by another process, with
	// the settings it was set up with; [ErrJobNotFound] if there is none.
	OpenJob(ctx context.Context, jobID string) (Job, error)
}

// Job is one write job, seen by the driver or by a task process.
type Job interface {
	// ID returns the job's unique ID.
	ID() string
	// SetupTask starts an attempt of a task. Several attempts of one task
	// may run, in any processes; at most one is committed.
	SetupTask(ctx context.Context, taskID string, attempt int) (TaskAttempt, error)
	// CommitJob makes the output of every committed task visible, all or
	// nothing, and writes the _SUCCESS marker last. An interrupted commit
	// is resumed by calling CommitJob again, from any process.
	CommitJob(ctx context.Context) error
	// AbortJob discards everything the job wrote or staged, including the
	// uploads of attempts that died during their commit. It is idempotent.
	AbortJob(ctx context.Context) error
}

// TaskAttempt is one attempt of one task.
type TaskAttempt interface {
	// TaskID returns the task's ID.
	TaskID() string
	// Attempt returns the attempt number.
	Attempt() int
	// Dir returns the directory the attempt writes its files into; the
	// relative path of each file below it becomes its key below the
	// destination. Files whose name starts with '_' or '.' are skipped.
	Dir() string
	// Create creates a file at a relative path below Dir, making
	// directories as needed. Paths that escape Dir are refused with
	// [ErrInvalidPath].
	Create(relPath string) (*os.File, error)
	// NeedsTaskCommit reports whether the attempt has written any file to
	// commit.
	NeedsTaskCommit(ctx context.Context) (bool, error)
	// CommitTask stages the attempt's files so that CommitJob can make them
	// visible. If another attempt committed first it fails with
	// [ErrTaskCommitted] and discards this attempt's output.
	CommitTask(ctx context.Context) error
	// AbortTask discards the attempt's files and anything it staged.
	AbortTask(ctx context.Context) error
}
