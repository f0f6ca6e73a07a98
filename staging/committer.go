package staging

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
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
	// tel makes the spans and metrics (Options.MeterProvider,
	// TracerProvider); raw and the stores under the retry layers are
	// wrapped in a telemetryStore.
	tel *telemetry

	// bufferDefault says that Options.BufferDir was empty: the default,
	// private buffer dir is used.
	bufferDefault bool
	// wrapFS, when not nil, wraps the staging dir's file operations
	// (tests inject faults there).
	wrapFS func(fsys) fsys

	// stagingURL is the StagingDir of a store home (nil for a
	// directory), kept by stagingStore (the retry layer over
	// Options.StagingStore or the output store).
	stagingURL   *stagingURL
	stagingStore multipart.Store
	// condChecked holds the store home's capability check once it passed.
	condMu      sync.Mutex
	condChecked bool
	// leaseWatch, when not nil, replaces the wait of a lease (the
	// explorer's processes do not wait).
	leaseWatch func(ctx context.Context, d time.Duration) error
	// abortLetsUploadsFinish, set by tests, makes AbortTask wait for the
	// uploads started at Close instead of cutting them off, so that the
	// crash-point explorer numbers its points alike in every run.
	abortLetsUploadsFinish bool
	// removeInForeground, set by tests, makes a committed attempt's local
	// files go before CommitTask returns, not in the background, so that
	// the explorer's copies of a buffer dir never race with a removal.
	removeInForeground bool
	// removals counts the background removals of committed attempts'
	// local files in flight (see removeLocalFiles): a job's end in this
	// process waits for them rather than unlink the same files at once.
	removals   sync.WaitGroup
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
	tel := newTelemetry(&opts)
	raw := &telemetryStore{inner: store, t: tel}
	c := &Committer{store: multipart.NewRetryingStore(raw, opts.Retry, opts.Logger), raw: raw, opts: opts,
		bufferDefault: bufferDefault, tel: tel}
	if inStore(opts.StagingDir) {
		u, err := parseStagingURL(opts.StagingDir)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
		}
		st := opts.StagingStore
		if st == nil {
			st = store
		}
		if st.Bucket() != u.bucket {
			return nil, fmt.Errorf("%w: StagingDir %s is on bucket %q, but the store is on bucket %q; give a StagingStore on %q, or a StagingDir on %q",
				ErrInvalidOptions, u, u.bucket, st.Bucket(), u.bucket, st.Bucket())
		}
		if opts.Destination != "" && u.overlaps(store.Bucket(), opts.Destination) {
			return nil, fmt.Errorf("%w: StagingDir %s and the destination s3://%s/%s contain one another: the job's records would be taken for its output; "+
				"give a staging prefix outside the destination, such as s3://%s/_staging", ErrInvalidOptions, u, store.Bucket(), opts.Destination, u.bucket)
		}
		c.stagingURL = u
		c.stagingStore = multipart.NewRetryingStore(&telemetryStore{inner: st, t: tel}, opts.Retry, opts.Logger)
	} else if opts.StagingStore != nil {
		return nil, fmt.Errorf("%w: StagingStore is given but StagingDir %q is a directory; give StagingDir as s3://bucket/prefix, or no StagingStore",
			ErrInvalidOptions, opts.StagingDir)
	}
	return c, nil
}

// stagingFS opens the staging dir of a filesystem home.
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

// home opens the staging dir: a directory (made when create is set) or a
// prefix of the store.
func (c *Committer) home(ctx context.Context, create bool) (home, error) {
	if c.stagingURL != nil {
		return c.storeHome(ctx)
	}
	if create {
		if err := os.MkdirAll(c.opts.StagingDir, 0o755); err != nil {
			return nil, fmt.Errorf("create the staging dir: %w; give a StagingDir that this process can write", err)
		}
	}
	fsys, err := c.stagingFS()
	if err != nil {
		return nil, fmt.Errorf("open the staging dir: %w", err)
	}
	return &fsHome{fs: fsys, log: c.opts.Logger}, nil
}

// SetupJob creates a job: its directory in the staging dir and its job
// record, with the settings of the Committer's Options. An empty jobID
// gets a new UUID. A job ID whose staging directory exists already is
// refused with [committer.ErrJobExists]: job IDs are never reused. In
// directory mode with the fail conflict mode, a destination that holds any
// object is refused with [committer.ErrDestinationExists]. A staging dir
// in the store is first checked to enforce conditional writes
// ([ErrConditionalWritesIgnored]). A failed SetupJob leaves nothing
// behind.
func (c *Committer) SetupJob(ctx context.Context, jobID string) (_ committer.Job, err error) {
	if jobID == "" {
		jobID = uuid.NewString()
	}
	ctx, op := c.startSetupJob(ctx, jobID)
	defer func() { op.end(ctx, err) }()
	if err := committer.ValidateID("job ID", jobID); err != nil {
		return nil, fmt.Errorf("staging: setup job: %w", err)
	}
	if c.opts.Destination == "" {
		return nil, fmt.Errorf("staging: setup job %s: %w: Destination is empty: give the key prefix that receives the job's output "+
			"(a process that only opens jobs set up by others may leave it empty)", jobID, ErrInvalidOptions)
	}
	c.warnMountOptions(ctx)
	h, err := c.home(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("staging: setup job %s: %w", jobID, err)
	}
	l := newLayout(c.opts.BufferDir, jobID)
	exists := func() error {
		return fmt.Errorf("staging: setup job %s: %w: %s exists; job IDs must be unique, pick another (or leave it empty for a UUID)",
			jobID, committer.ErrJobExists, h.where(l.jobDir))
	}
	switch ok, err := h.jobExists(ctx, l); {
	case err != nil:
		return nil, fmt.Errorf("staging: setup job %s: %w", jobID, err)
	case ok:
		return nil, exists()
	}
	h.sweepRemnants(ctx, "")
	rec, err := c.newJobRecord(ctx, jobID)
	if err != nil {
		return nil, fmt.Errorf("staging: setup job %s: %w", jobID, err)
	}
	data, err := encodeJobRecord(rec)
	if err != nil {
		return nil, fmt.Errorf("staging: setup job %s: %w", jobID, err)
	}
	if err := h.createJob(ctx, l, data); err != nil {
		if errors.Is(err, errTargetExists) {
			return nil, exists()
		}
		return nil, fmt.Errorf("staging: setup job %s: %w", jobID, err)
	}
	c.opts.Logger.DebugContext(ctx, "job set up", "job", jobID, "destination", rec.Destination,
		"mode", rec.Mode, "conflict", rec.Conflict)
	return &job{c: c, h: h, rec: rec, l: l}, nil
}

// newJobRecord probes the store and returns the record of a new job.
func (c *Committer) newJobRecord(ctx context.Context, jobID string) (*jobRecord, error) {
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
	return &jobRecord{
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
		Setup:           randomSuffix(),
	}, nil
}

// OpenJob opens a job set up earlier, by this or any other process sharing
// the staging dir, with the settings of its job record (destination, mode,
// conflict mode, unique filenames, part size), not those of the
// Committer's Options. A job whose staging directory does not exist (never
// set up, or committed or aborted since) is [committer.ErrJobNotFound].
func (c *Committer) OpenJob(ctx context.Context, jobID string) (committer.Job, error) {
	c.warnMountOptions(ctx)
	j, err := c.openJob(ctx, jobID)
	if err != nil {
		return nil, err
	}
	return j, nil
}

func (c *Committer) openJob(ctx context.Context, jobID string) (*job, error) {
	if err := committer.ValidateID("job ID", jobID); err != nil {
		return nil, fmt.Errorf("staging: open job: %w", err)
	}
	l := newLayout(c.opts.BufferDir, jobID)
	var rec *jobRecord
	h, err := c.home(ctx, false)
	if err == nil {
		rec, err = h.readJobRecord(ctx, l)
	}
	if err != nil {
		if isNotExist(err) {
			where := filepath.Join(c.opts.StagingDir, filepath.FromSlash(l.record()))
			if h != nil {
				h.sweepRemnants(ctx, jobID)
				where = h.where(l.record())
			}
			return nil, fmt.Errorf("staging: open job %s: %w: no job record at %s (never set up, or committed or aborted already)",
				jobID, committer.ErrJobNotFound, where)
		}
		return nil, fmt.Errorf("staging: open job %s: %w", jobID, err)
	}
	where := h.where(l.record())
	if rec.JobID != jobID {
		return nil, fmt.Errorf("staging: open job %s: the job record %s names job %q", jobID, where, rec.JobID)
	}
	if rec.Bucket != c.store.Bucket() {
		return nil, fmt.Errorf("staging: open job %s: the job writes to bucket %q but the store is on bucket %q; open it with a store on %q",
			jobID, rec.Bucket, c.store.Bucket(), rec.Bucket)
	}
	return &job{c: c, h: h, rec: rec, l: l}, nil
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
