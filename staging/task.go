package staging

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/pendingset"
)

// taskDurationKey is the pendingset extraData key under which a task
// commit records how long it took, in milliseconds, for the job's
// _SUCCESS statistics.
const taskDurationKey = "s3commit.task.commit.duration.ms"

// taskAttempt is a committer.TaskAttempt of the staging committer.
type taskAttempt struct {
	j       *job
	taskID  string
	attempt int
	buf     *rootFS // the buffer dir
	rel     string  // the attempt's directory in buf
	dir     string  // the same, as an OS path

	mu        sync.Mutex // serializes CommitTask and AbortTask
	committed bool
	aborted   bool

	// early are the uploads started at Close (Options.UploadAtClose).
	early closeUploads
	// upMu guards log and up, the attempt's intent record and the
	// Uploader that records its creations there, opened on first use by
	// an upload at Close or a task commit and closed when that ends.
	upMu sync.Mutex
	log  intentWriter
	up   *multipart.Uploader
}

var _ committer.TaskAttempt = (*taskAttempt)(nil)

func (a *taskAttempt) TaskID() string { return a.taskID }
func (a *taskAttempt) Attempt() int   { return a.attempt }

// Dir is the attempt's buffer directory, for writers that want a path.
// Files whose own name starts with '_' or '.' are not committed.
func (a *taskAttempt) Dir() string { return a.dir }

func (a *taskAttempt) name() string { return attemptName(a.taskID, a.attempt) }

func (a *taskAttempt) finished() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.committed || a.aborted {
		return fmt.Errorf("task %s attempt %d: %w", a.taskID, a.attempt, committer.ErrAttemptFinished)
	}
	return nil
}

// Create creates (or truncates) the file relPath, a slash-separated path
// relative to the attempt's directory, creating its parent directories,
// with the permission of Options.BufferPerm (0600 by default). A symlink
// or any other file that is not a regular file at relPath is refused.
// With Options.UploadAtClose, closing the file starts its upload.
func (a *taskAttempt) Create(relPath string) (committer.File, error) {
	rel, err := committer.CleanRelativePath(relPath)
	if err != nil {
		return nil, fmt.Errorf("staging: create: %w", err)
	}
	if err := a.finished(); err != nil {
		return nil, fmt.Errorf("staging: create %s: %w", rel, err)
	}
	p := path.Join(a.rel, rel)
	perm := a.j.c.opts.BufferPerm
	if err := a.buf.root.MkdirAll(path.Dir(p), dirPerm(perm)); err != nil {
		return nil, fmt.Errorf("staging: create %s: %w", rel, err)
	}
	f, err := a.buf.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return nil, fmt.Errorf("staging: create %s: %w", rel, err)
	}
	return &attemptFile{File: f.(*os.File), a: a, rel: rel}, nil
}

// localFile is a file of the attempt to upload.
type localFile struct {
	path  string    // in the buffer dir's root
	rel   string    // slash-separated, relative to the attempt's directory
	key   string    // destination key
	size  int64     // as listed
	state fileState // as listed
}

// files lists the attempt's files in path order. A file whose own name
// starts with '_' or '.' is skipped, as Hadoop does (writers keep
// temporary files and markers there); directories are descended whatever
// their names, as Hadoop's listing does, but not through symlinks. Any
// other entry that is not a regular file (a symlink, a FIFO, a socket, a
// device) is refused with ErrUnsupportedFile, naming it: only regular
// files are uploaded.
func (a *taskAttempt) files() ([]localFile, error) {
	var out []localFile
	err := fs.WalkDir(a.buf.root.FS(), a.rel, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == a.rel && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() || committer.IsHidden(d.Name()) {
			return nil
		}
		r := strings.TrimPrefix(p, a.rel+"/")
		where := filepath.Join(a.dir, filepath.FromSlash(r))
		if !d.Type().IsRegular() {
			return fmt.Errorf("%w: %s is %s; task commit uploads regular files only: write the file itself there, or give it a name starting with '_' or '.' to leave it out",
				ErrUnsupportedFile, where, kindOf(d.Type()))
		}
		rel, err := committer.CleanRelativePath(r)
		if err != nil {
			return fmt.Errorf("file %s cannot become an object key: %w", where, err)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, localFile{path: p, rel: rel, size: info.Size(), state: stateOf(info),
			key: committer.DestinationKey(a.j.rec.Destination, rel, a.j.rec.JobID, a.j.rec.UniqueFilenames)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list the files of task %s attempt %d in %s: %w", a.taskID, a.attempt, a.dir, err)
	}
	sort.Slice(out, func(i, k int) bool { return out[i].rel < out[k].rel })
	return out, nil
}

// NeedsTaskCommit reports whether the attempt has files to commit.
func (a *taskAttempt) NeedsTaskCommit(ctx context.Context) (bool, error) {
	files, err := a.files()
	if err != nil {
		return false, fmt.Errorf("staging: %w", err)
	}
	return len(files) > 0, nil
}

// winner returns the attempt that published the task's pendingset, or ""
// if none did. It looks in the tasks directory and, once the job commit
// sealed it, in the sealed one.
func (a *taskAttempt) winner(ctx context.Context) (string, error) {
	ps, err := a.j.h.taskPendingSet(ctx, a.j.l, a.taskID)
	switch {
	case isNotExist(err):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("read the pendingset of task %s: %w", a.taskID, err)
	}
	if w := ps.ExtraData[pendingset.TaskAttemptIDKey]; w != "" {
		return w, nil
	}
	return "an unknown attempt", nil
}

// sealed reports whether the job commit (or abort) has begun: the tasks
// are sealed, or being sealed.
func (a *taskAttempt) sealed(ctx context.Context) (bool, error) {
	return a.j.h.sealing(ctx, a.j.l)
}

func (a *taskAttempt) errJobCommitting() error {
	return fmt.Errorf("staging: commit task %s attempt %d: %w: the job is being committed or aborted without this task; "+
		"this attempt's uploads are aborted and its local files kept in %s", a.taskID, a.attempt, committer.ErrJobCommitting, a.dir)
}

func (a *taskAttempt) errCommitted(winner string) error {
	return fmt.Errorf("staging: commit task %s attempt %d: %w: attempt %s won; this attempt's uploads are aborted and its local files kept in %s",
		a.taskID, a.attempt, committer.ErrTaskCommitted, winner, a.dir)
}

// CommitTask uploads every file of the attempt as an uncompleted multipart
// upload and publishes the task's pendingset; the first attempt of a task
// to publish wins, a later one gets [committer.ErrTaskCommitted] and its
// uploads are aborted (its local files are kept: the caller decides). In
// the partitioned committer with the fail conflict mode, a partition of
// the task that holds objects already is [committer.ErrDestinationExists].
// Once the job commit (or abort) has begun, CommitTask fails with
// [committer.ErrJobCommitting]: its output would not be part of the job.
//
// On any failure the attempt's uploads are aborted and its local files
// kept, so that CommitTask can be called again. On success the local files
// are removed. A second CommitTask of an attempt that committed (through
// this value, or in an earlier process that published the attempt's
// pendingset) or was aborted is [committer.ErrAttemptFinished] and changes
// nothing.
func (a *taskAttempt) CommitTask(ctx context.Context) (err error) {
	ctx, op := a.startAttempt(ctx, "CommitTask")
	defer func() { op.end(ctx, err) }()
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.aborted:
		return fmt.Errorf("staging: commit task %s attempt %d: %w: it was aborted", a.taskID, a.attempt, committer.ErrAttemptFinished)
	case a.committed:
		return fmt.Errorf("staging: commit task %s attempt %d: %w: it committed already", a.taskID, a.attempt, committer.ErrAttemptFinished)
	}
	// The uploads started at Close end first: from here on, the commit's
	// calls are the attempt's only ones.
	early := a.stopEarly(false)
	defer a.closeUploader(ctx)
	used := false
	err = a.commitTask(ctx, early, &used)
	if err != nil && !used {
		a.abortUploads(ctx, earlyPending(early))
	}
	return err
}

// commitTask is CommitTask once the uploads started at Close have ended;
// it sets used once it has taken charge of them (kept, or aborted).
func (a *taskAttempt) commitTask(ctx context.Context, early []*earlyUpload, used *bool) error {
	if err := a.j.checkOpen(ctx); err != nil {
		return fmt.Errorf("staging: commit task %s attempt %d: %w", a.taskID, a.attempt, err)
	}
	start := time.Now()
	switch w, err := a.winner(ctx); {
	case err != nil:
		return fmt.Errorf("staging: commit task %s attempt %d: %w", a.taskID, a.attempt, err)
	case w == a.name():
		a.committed = true
		return fmt.Errorf("staging: commit task %s attempt %d: %w: it committed already (its pendingset is published)",
			a.taskID, a.attempt, committer.ErrAttemptFinished)
	case w != "":
		return a.errCommitted(w)
	}
	switch sealed, err := a.sealed(ctx); {
	case err != nil:
		return fmt.Errorf("staging: commit task %s attempt %d: %w", a.taskID, a.attempt, err)
	case sealed:
		return a.errJobCommitting()
	}
	files, err := a.files()
	if err != nil {
		return fmt.Errorf("staging: commit task %s attempt %d: %w", a.taskID, a.attempt, err)
	}
	if a.j.rec.Mode == committer.ModePartitioned && a.j.rec.Conflict == committer.ConflictFail {
		if err := a.j.checkPartitionsEmpty(ctx, files); err != nil {
			return fmt.Errorf("staging: commit task %s attempt %d: %w", a.taskID, a.attempt, err)
		}
	}
	toUpload, toDefer := splitDeferred(files, &a.j.c.opts)
	deferred, err := a.deferFiles(ctx, toDefer)
	if err != nil {
		return fmt.Errorf("staging: commit task %s attempt %d: %w; the local files are kept in %s for a retry",
			a.taskID, a.attempt, err, a.dir)
	}
	kept, stale := matchEarly(toUpload, early)
	*used = true
	a.abortUploads(ctx, stale)
	pctx, phase := a.j.c.tel.startPhase(ctx, phaseUpload)
	pending, err := a.upload(pctx, toUpload, kept)
	phase.end(pctx, err)
	if err != nil {
		return fmt.Errorf("staging: commit task %s attempt %d: %w; the local files are kept in %s for a retry",
			a.taskID, a.attempt, err, a.dir)
	}
	pctx, phase = a.j.c.tel.startPhase(ctx, phasePublish)
	err = a.publish(pctx, toUpload, pending, deferred, time.Since(start))
	phase.end(pctx, err)
	if err != nil {
		if errors.Is(err, errSealUndecided) {
			// The job commit may have taken the pendingset: its uploads
			// are the job's to complete or to sweep.
			return fmt.Errorf("staging: commit task %s attempt %d: %w: %w; whether its output is part of the job is the job commit's to say "+
				"(its uploads are completed with the job or aborted by its cleanup); the local files are kept in %s",
				a.taskID, a.attempt, committer.ErrJobCommitting, err, a.dir)
		}
		a.abortUploads(ctx, pending)
		switch {
		case errors.Is(err, errTargetExists):
			w, werr := a.winner(ctx)
			if werr != nil {
				w = "another attempt"
			}
			return a.errCommitted(w)
		case errors.Is(err, errSealed):
			// The job commit sealed the tasks, or the job was committed or
			// aborted and removed.
			if oerr := a.j.checkOpen(ctx); oerr != nil {
				return fmt.Errorf("staging: commit task %s attempt %d: %w", a.taskID, a.attempt, oerr)
			}
			return a.errJobCommitting()
		}
		return fmt.Errorf("staging: commit task %s attempt %d: publish the pendingset: %w; the local files are kept in %s for a retry",
			a.taskID, a.attempt, err, a.dir)
	}
	a.committed = true
	a.taskCommitted(ctx, files, len(toDefer))
	// The local files are in the store now. The intent record stays: it
	// lets AbortJob find the uploads even if the pendingset is damaged.
	// Deferred files stay for the job commit (or abort) to deal with.
	a.removeLocalFiles(ctx, toUpload, len(toDefer) == 0)
	return nil
}

// removeLocalFiles removes the files of a committed attempt. Unlinking
// takes long where the file system frees the blocks synchronously (ext4
// mounted with discard: 2.5–3.4 s per GiB measured here, 0.48 s for 1 GiB
// in 8 files at once) and each unlink is a round trip on NFS, so the task
// commit does not wait for it: when all is true (no deferred files stay),
// the attempt's directory is renamed into the job's buffer directory as
// a hidden trash directory, which nothing reads, and removed in the
// background; the job's end removes what a process that exits first
// leaves of it. Otherwise the uploaded files are unlinked, as many at a
// time as the attempt uploads. It runs to the end even if ctx is
// cancelled: the attempt has committed.
func (a *taskAttempt) removeLocalFiles(ctx context.Context, files []localFile, all bool) {
	ctx = context.WithoutCancel(ctx)
	if all && !a.j.c.removeInForeground {
		trash := path.Join(a.j.l.jobDir, trashName(a.name()))
		if err := a.buf.Rename(a.rel, trash); err == nil {
			a.j.c.removals.Add(1)
			go func() {
				defer a.j.c.removals.Done()
				a.unlinkAll(ctx, trash, files)
			}()
			return
		}
	}
	if all {
		a.unlinkAll(ctx, a.rel, files)
		return
	}
	_ = forEach(ctx, len(files), a.j.c.opts.UploadConcurrency, false, func(_ context.Context, i int) error {
		_ = a.buf.Remove(files[i].path)
		return nil
	})
}

// unlinkAll removes dir, the attempt's directory (or its trash), with the
// files in it: those listed first, as many at a time as the attempt
// uploads.
func (a *taskAttempt) unlinkAll(ctx context.Context, dir string, files []localFile) {
	_ = forEach(ctx, len(files), a.j.c.opts.UploadConcurrency, false, func(_ context.Context, i int) error {
		// A failure is reported by RemoveAll below, which tries again.
		_ = a.buf.Remove(path.Join(dir, files[i].rel))
		return nil
	})
	if err := a.buf.RemoveAll(dir); err != nil {
		a.j.c.opts.Logger.WarnContext(ctx, "could not remove the committed local files", "dir", a.buf.where(dir), "error", err)
	}
}

// uploader opens, on first use, the attempt's intent record and the
// Uploader whose creations it records.
func (a *taskAttempt) uploader(ctx context.Context) (*multipart.Uploader, intentWriter, error) {
	a.upMu.Lock()
	defer a.upMu.Unlock()
	if a.up != nil {
		return a.up, a.log, nil
	}
	c := a.j.c
	log, err := a.j.h.openIntents(ctx, a.j.l, a.taskID, a.attempt)
	if err != nil {
		return nil, nil, err
	}
	// The recording store sits inside the retry layer, so that every
	// creation attempt whose answer is lost is recorded.
	rec := multipart.NewRetryingStore(&recordingStore{Store: c.raw, log: log}, c.opts.Retry, c.opts.Logger)
	up, err := multipart.NewUploader(rec, multipart.UploaderOptions{
		PartSize:    a.j.rec.PartSize,
		Concurrency: c.opts.UploadConcurrency,
		Retry:       c.opts.Retry,
		Logger:      c.opts.Logger,
		Checksums:   c.opts.Checksums,
	})
	if err != nil {
		log.Close()
		return nil, nil, err
	}
	a.log, a.up = log, up
	return up, log, nil
}

// closeUploader writes the upload IDs the attempt's intent record holds
// back (the store home's) and closes it, if open: whatever the attempt
// did with its uploads, an AbortJob then finds every one it created,
// including those whose abort failed.
func (a *taskAttempt) closeUploader(ctx context.Context) {
	a.upMu.Lock()
	defer a.upMu.Unlock()
	if a.log == nil {
		return
	}
	if err := a.log.flush(context.WithoutCancel(ctx)); err != nil {
		a.j.c.opts.Logger.WarnContext(ctx, "could not record the attempt's upload IDs; the job's cleanup lists its keys instead",
			"task", a.taskID, "attempt", a.attempt, "error", err)
	}
	_ = a.log.Close()
	a.log, a.up = nil, nil
}

// upload records the keys it will upload, then uploads every file with one
// Uploader, files and parts in parallel; the files in kept (by relative
// path) were uploaded at Close already. On failure it aborts what it
// created and what it was given.
func (a *taskAttempt) upload(ctx context.Context, files []localFile, kept map[string]*pendingset.Upload) ([]*pendingset.Upload, error) {
	c := a.j.c
	pending := make([]*pendingset.Upload, len(files))
	var (
		planned []intent
		todo    []int // indexes in files of those to upload
	)
	for i, f := range files {
		if p := kept[f.rel]; p != nil {
			pending[i] = p
			continue
		}
		planned = append(planned, intent{Key: f.key})
		todo = append(todo, i)
	}
	if len(planned) == 0 && len(kept) == 0 {
		return pending, nil
	}
	up, log, err := a.uploader(ctx)
	if err != nil {
		a.abortUploads(ctx, pending)
		return nil, err
	}
	if len(planned) > 0 {
		if err := log.record(ctx, planned...); err != nil {
			a.abortUploads(ctx, pending)
			return nil, fmt.Errorf("record the planned uploads: %w", err)
		}
	}
	var (
		mu   sync.Mutex
		done = len(kept)
	)
	c.progress(PhaseUpload, done, len(files))
	err = forEach(ctx, len(todo), c.opts.UploadConcurrency, true, func(ctx context.Context, k int) error {
		i := todo[k]
		p, _, err := a.uploadFile(ctx, up, files[i])
		if err != nil {
			return err
		}
		mu.Lock()
		pending[i] = p
		done++
		n := done
		mu.Unlock()
		c.progress(PhaseUpload, n, len(files))
		return nil
	})
	for _, p := range pending {
		if p != nil {
			p.ETagObjects = c.opts.HadoopTrunkPendingsets
		}
	}
	if err == nil {
		// The uploads' IDs, for an abort of the attempt and the job's
		// cleanup; without them the cleanup lists the planned keys.
		if ferr := log.flush(ctx); ferr != nil {
			c.opts.Logger.WarnContext(ctx, "could not record the attempt's upload IDs; the job's cleanup lists its keys instead",
				"task", a.taskID, "attempt", a.attempt, "error", ferr)
		}
	}
	if err != nil {
		a.abortUploads(ctx, pending)
		return nil, err
	}
	return pending, nil
}

// uploadFile uploads one file of the attempt, opened inside the buffer
// dir's root as the regular file that was listed, and checks afterwards
// that it did not change while its parts were read: a file rewritten
// during its upload, even at the same size, would be committed as a mix
// of old and new bytes. Such an upload is aborted (ErrFileChanged).
func (a *taskAttempt) uploadFile(ctx context.Context, up *multipart.Uploader, lf localFile) (*pendingset.Upload, fileState, error) {
	where := a.where(lf)
	f, before, err := a.openListed(lf)
	if err != nil {
		return nil, fileState{}, fmt.Errorf("upload %s: %w", where, err)
	}
	defer f.Close()
	// A failed upload (aborted by the Uploader) may be the store refusing
	// bytes that changed under their checksum: the file's state says
	// whether they changed here.
	p, err := up.Upload(ctx, f, before.Size(), lf.key)
	if after, serr := f.Stat(); serr == nil && stateOf(after) != stateOf(before) {
		changed := errChanged(where, before, after)
		if err != nil {
			changed = fmt.Errorf("%w (%w)", changed, err)
		}
		err = changed
	} else if err == nil && serr != nil {
		err = serr
	}
	if err != nil {
		if p != nil {
			a.abortUploads(ctx, []*pendingset.Upload{pendingset.UploadOf(p)})
		}
		return nil, fileState{}, fmt.Errorf("upload %s: %w", where, err)
	}
	return pendingset.UploadOf(p), stateOf(before), nil
}

// abortUploads aborts the given uploads (nil entries are skipped) with a
// context that the caller's cancellation does not end.
func (a *taskAttempt) abortUploads(ctx context.Context, pending []*pendingset.Upload) {
	var ups []UploadRef
	for _, p := range pending {
		if p != nil {
			ups = append(ups, UploadRef{Key: p.Key, UploadID: p.UploadID})
		}
	}
	if err := a.j.abortUploads(ctx, ups, nil); err != nil {
		a.j.c.opts.Logger.WarnContext(ctx, "could not abort every upload of the attempt; AbortJob retries",
			"task", a.taskID, "attempt", a.attempt, "error", err)
	}
}

// publish writes the pendingset of the attempt's uploads and publishes it
// exclusively.
func (a *taskAttempt) publish(ctx context.Context, files []localFile, pending []*pendingset.Upload, deferred []pendingset.DeferredPut,
	took time.Duration) error {
	commits := make([]pendingset.Upload, len(pending))
	for i, p := range pending {
		p.JobID = a.j.rec.JobID
		p.TaskID = a.taskID
		if a.j.rec.Mode == committer.ModePartitioned {
			p.Text = "partition: " + partitionOf(files[i].rel)
		}
		commits[i] = *p
	}
	ps := pendingset.NewSet(a.j.rec.JobID, commits)
	if len(deferred) > 0 {
		ps.Version, ps.Deferred = pendingset.SetVersionDeferred, deferred
	}
	ps.ExtraData = map[string]string{
		pendingset.TaskAttemptIDKey: a.name(),
		taskDurationKey:             strconv.FormatInt(took.Milliseconds(), 10),
	}
	var buf bytes.Buffer
	if err := ps.Encode(&buf); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return a.j.h.publish(ctx, a.j.l, a.taskID, buf.Bytes())
}

// partitionOf is the partition of a file: its directory relative to the
// destination, "" for files at the root.
func partitionOf(rel string) string {
	if d := path.Dir(rel); d != "." {
		return d
	}
	return ""
}

// AbortTask removes the attempt's local files and aborts the uploads its
// intent record lists. An attempt whose pendingset was published keeps its
// uploads: they belong to the job now (AbortJob aborts them). The intent
// record stays until the job ends: it is the only record of an upload
// whose creation answer was lost, which the job's commit or abort sweeps.
// AbortTask is idempotent.
func (a *taskAttempt) AbortTask(ctx context.Context) (err error) {
	ctx, op := a.startAttempt(ctx, "AbortTask")
	defer func() { op.end(ctx, err) }()
	a.mu.Lock()
	defer a.mu.Unlock()
	// The uploads started at Close are cut off and aborted first: the
	// intent record may not hold their IDs yet (in the store home it
	// gets them at task commit).
	early := a.stopEarly(!a.j.c.abortLetsUploadsFinish)
	a.abortUploads(ctx, earlyPending(early))
	a.closeUploader(ctx)
	var errs []error
	w, err := a.winner(ctx)
	if err != nil {
		errs = append(errs, err)
	}
	if !a.committed && w != a.name() && err == nil {
		in, problems, err := a.j.h.attemptIntents(ctx, a.j.l, a.taskID, a.attempt)
		for _, p := range problems {
			a.j.c.opts.Logger.WarnContext(ctx, "a damaged intent record is left to the job's abort", "task", a.taskID, "attempt", a.attempt, "problem", p)
		}
		switch {
		case err != nil && !isNotExist(err):
			errs = append(errs, err)
		default:
			var refs []UploadRef
			for _, i := range in {
				if i.UploadID != "" && a.j.rec.checkOutputKey(i.Key) == nil {
					refs = append(refs, UploadRef{Key: i.Key, UploadID: i.UploadID})
				}
			}
			if err := a.j.abortUploads(ctx, refs, nil); err != nil {
				errs = append(errs, err)
			}
		}
	}
	// A committed attempt's directory holds its deferred files, the job's
	// now: the job's commit or abort removes it.
	if !a.committed && w != a.name() && err == nil {
		if err := a.buf.RemoveAll(a.rel); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("staging: abort task %s attempt %d: %w", a.taskID, a.attempt, err)
	}
	a.aborted = true
	return nil
}
