package staging

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
)

// Committer is the staging committer. It is safe for concurrent use; one
// Committer serves any number of jobs.
type Committer struct {
	// store retries transient failures (the one retry layer of the
	// committer); raw is the store as given, which task commits wrap
	// with their intent recording inside a retry layer of their own.
	store multipart.Store
	raw   multipart.Store
	opts  Options

	// bufferDefault says that Options.BufferDir was empty: the default,
	// private buffer dir is used.
	bufferDefault bool
	// wrapFS, when not nil, wraps the staging dir's file operations
	// (tests inject faults there).
	wrapFS func(fsys) fsys

	progressMu sync.Mutex
	mountCheck sync.Once
}

var _ committer.Committer = (*Committer)(nil)

// New returns a staging committer writing to store (one bucket) with the
// given options, which it validates (errors match [ErrInvalidOptions]).
// New does no I/O.
//
// Every store call is retried by the committer (Options.Retry, through a
// [multipart.RetryingStore]); give it a store whose own retries are off,
// as awsstore's and miniostore's are by default, so that one logical call
// is sent at most Retry.MaxAttempts times.
func New(store multipart.Store, opts Options) (*Committer, error) {
	if store == nil {
		return nil, fmt.Errorf("%w: the store is nil", ErrInvalidOptions)
	}
	if err := multipart.ValidateBucketName(store.Bucket()); err != nil {
		return nil, fmt.Errorf("%w: the store's bucket: %w; its job records could not be read back", ErrInvalidOptions, err)
	}
	bufferDefault := opts.BufferDir == ""
	if err := opts.validate(); err != nil {
		return nil, err
	}
	return &Committer{store: multipart.NewRetryingStore(store, opts.Retry, opts.Logger), raw: store, opts: opts,
		bufferDefault: bufferDefault}, nil
}

// stagingFS opens the staging dir.
func (c *Committer) stagingFS() (fsys, error) {
	r, err := openRootFS(c.opts.StagingDir)
	if err != nil {
		return nil, err
	}
	if c.wrapFS != nil {
		return c.wrapFS(r), nil
	}
	return r, nil
}

// SetupJob creates a job: its directory in the staging dir and its job
// record, with the settings of the Committer's Options. An empty jobID
// gets a new UUID. A job ID whose staging directory exists already is
// refused with [committer.ErrJobExists]: job IDs are never reused. In
// directory mode with the fail conflict mode, a destination that holds any
// object is refused with [committer.ErrDestinationExists]. A failed
// SetupJob leaves nothing behind.
func (c *Committer) SetupJob(ctx context.Context, jobID string) (committer.Job, error) {
	if jobID == "" {
		jobID = uuid.NewString()
	}
	if err := committer.ValidateID("job ID", jobID); err != nil {
		return nil, fmt.Errorf("staging: setup job: %w", err)
	}
	c.warnMountOptions(ctx)
	if err := os.MkdirAll(c.opts.StagingDir, 0o755); err != nil {
		return nil, fmt.Errorf("staging: setup job %s: create the staging dir: %w; give a StagingDir that this process can write", jobID, err)
	}
	fsys, err := c.stagingFS()
	if err != nil {
		return nil, fmt.Errorf("staging: setup job %s: open the staging dir: %w", jobID, err)
	}
	l := newLayout(c.opts.BufferDir, jobID)
	exists := func() error {
		return fmt.Errorf("staging: setup job %s: %w: %s exists; job IDs must be unique, pick another (or leave it empty for a UUID)",
			jobID, committer.ErrJobExists, fsys.Path(l.jobDir))
	}
	if _, err := fsys.Lstat(l.jobDir); err == nil {
		return nil, exists()
	}
	sweepRemnants(fsys, "")
	// The job's directory is made whole under a hidden name and renamed
	// into place: a crash never leaves a job directory without its
	// record. rename(2) fails when a job directory with files is there.
	tmp := setupName(jobID)
	// The name is random, so an existing one is our own: a retransmitted
	// mkdir (NFS) whose first request made it.
	if err := fsys.Mkdir(tmp, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		_ = fsys.RemoveAll(tmp) // made, if only the answer was lost
		return nil, fmt.Errorf("staging: setup job %s: %w; give a StagingDir that this process can write", jobID, err)
	}
	j, err := c.setupJob(ctx, fsys, jobID, l, tmp)
	if err != nil {
		_ = fsys.RemoveAll(tmp)
		if errors.Is(err, fs.ErrExist) || errors.Is(err, syscall.ENOTEMPTY) {
			return nil, exists()
		}
		return nil, fmt.Errorf("staging: setup job %s: %w", jobID, err)
	}
	return j, nil
}

// setupJob probes the store and makes the job's directory in tmp, then
// renames it into place.
func (c *Committer) setupJob(ctx context.Context, fsys fsys, jobID string, l layout, tmp string) (*job, error) {
	// Probe the store: a missing bucket or bad credentials show here, and
	// the directory committer's fail mode needs an empty destination.
	prefix := c.opts.Destination + "/"
	for obj, err := range c.store.ListObjects(ctx, prefix) {
		if err != nil {
			return nil, fmt.Errorf("check the destination s3://%s/%s: %w", c.store.Bucket(), prefix, err)
		}
		if c.opts.Mode == committer.ModeDirectory && c.opts.Conflict == committer.ConflictFail {
			return nil, fmt.Errorf("%w: s3://%s/%s holds %s; delete the old output, pick another destination, or use the append or replace conflict mode",
				committer.ErrDestinationExists, c.store.Bucket(), prefix, obj.Key)
		}
		break
	}
	now := time.Now()
	rec := &jobRecord{
		Version:         jobRecordVersion,
		JobID:           jobID,
		Bucket:          c.store.Bucket(),
		Destination:     c.opts.Destination,
		Mode:            c.opts.Mode,
		Conflict:        c.opts.Conflict,
		UniqueFilenames: !c.opts.DisableUniqueFilenames,
		PartSize:        c.opts.PartSize,
		Created:         now.UnixMilli(),
		Date:            now.UTC().Format(time.RFC3339),
	}
	in := newLayout("", tmp)
	for _, dir := range []string{in.tasksDir(), in.attemptsDir()} {
		if err := fsys.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) { // ours: see above
			return nil, err
		}
	}
	data, err := encodeJobRecord(rec)
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(fsys, in.record(), data); err != nil {
		return nil, err
	}
	// A rename whose answer was lost took effect when tmp is gone and the
	// record in place is this one.
	if err := fsys.Rename(tmp, l.jobDir); err != nil && !renamedTo(fsys, tmp, l.record(), data) {
		return nil, err
	}
	if err := fsys.SyncDir("."); err != nil {
		// The job is in place; the sync is its durability only.
		c.opts.Logger.WarnContext(ctx, "could not sync the staging dir after setting up a job", "job", jobID, "error", err)
	}
	c.opts.Logger.DebugContext(ctx, "job set up", "job", jobID, "destination", rec.Destination,
		"mode", rec.Mode, "conflict", rec.Conflict)
	return &job{c: c, fs: fsys, rec: rec, l: l}, nil
}

// OpenJob opens a job set up earlier, by this or any other process sharing
// the staging dir, with the settings of its job record (destination, mode,
// conflict mode, unique filenames, part size), not those of the
// Committer's Options. A job whose staging directory does not exist (never
// set up, or committed or aborted since) is [committer.ErrJobNotFound].
func (c *Committer) OpenJob(ctx context.Context, jobID string) (committer.Job, error) {
	c.warnMountOptions(ctx)
	j, err := c.openJob(jobID)
	if err != nil {
		return nil, err
	}
	return j, nil
}

func (c *Committer) openJob(jobID string) (*job, error) {
	if err := committer.ValidateID("job ID", jobID); err != nil {
		return nil, fmt.Errorf("staging: open job: %w", err)
	}
	l := newLayout(c.opts.BufferDir, jobID)
	where := filepath.Join(c.opts.StagingDir, filepath.FromSlash(l.record()))
	var rec *jobRecord
	fsys, err := c.stagingFS()
	if err == nil {
		rec, err = readJobRecord(fsys, l.record())
	}
	if err != nil {
		if isNotExist(err) {
			if fsys != nil {
				sweepRemnants(fsys, jobID)
			}
			return nil, fmt.Errorf("staging: open job %s: %w: no job record at %s (never set up, or committed or aborted already)",
				jobID, committer.ErrJobNotFound, where)
		}
		return nil, fmt.Errorf("staging: open job %s: %w", jobID, err)
	}
	if rec.JobID != jobID {
		return nil, fmt.Errorf("staging: open job %s: the job record %s names job %q", jobID, where, rec.JobID)
	}
	if rec.Bucket != c.store.Bucket() {
		return nil, fmt.Errorf("staging: open job %s: the job writes to bucket %q but the store is on bucket %q; open it with a store on %q",
			jobID, rec.Bucket, c.store.Bucket(), rec.Bucket)
	}
	return &job{c: c, fs: fsys, rec: rec, l: l}, nil
}

// progress reports to Options.Progress, one call at a time.
func (c *Committer) progress(phase Phase, done, total int) {
	if c.opts.Progress == nil {
		return
	}
	c.progressMu.Lock()
	defer c.progressMu.Unlock()
	c.opts.Progress(Progress{Phase: phase, Done: done, Total: total})
}
