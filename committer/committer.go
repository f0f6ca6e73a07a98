package committer

import (
	"context"
	"io"
	"io/fs"
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
	// [ErrInvalidPath]. Closing the file says it is complete: a committer
	// may start uploading it then.
	Create(relPath string) (File, error)
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

// File is a file a task attempt writes, as [TaskAttempt.Create] returns
// it: an *os.File's methods for writing and reading back, whose Close
// also says that the file is complete. Write it, then Close it; a file
// changed after Close is still committed as it is at task commit.
type File interface {
	io.Reader
	io.ReaderAt
	io.Writer
	io.WriterAt
	io.StringWriter
	io.Seeker
	io.Closer
	// Name is the file's path, as given to os.Create.
	Name() string
	// Stat describes the file.
	Stat() (fs.FileInfo, error)
	// Sync commits the file's contents to stable storage.
	Sync() error
	// Truncate changes the file's size.
	Truncate(size int64) error
}
