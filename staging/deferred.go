package staging

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/pendingset"
)

// Deferred files (Options.DeferredPutThreshold): a task commit records a
// small file in its pendingset instead of uploading it; the job commit
// writes it with one PutObject from the buffer dir, which the driver
// shares with the tasks. This file holds both sides.

// ErrDeferredFile is matched by the error of a job commit that cannot read
// a deferred file (see Options.DeferredPutThreshold) as its task recorded
// it: missing from the driver's buffer dir, or of another size or
// checksum. A commit that finds it so before it writes anything fails
// without changing anything.
var ErrDeferredFile = errors.New("staging: a deferred file is not in the buffer dir as its task commit recorded it")

// deferredAlgorithm is the checksum a task commit records for a deferred
// file, whatever Options.Checksums says: the job commit needs it to check
// the file before it writes anything.
const deferredAlgorithm = multipart.ChecksumCRC64NVME

// deferFiles records the attempt's files that the job commit will PUT:
// their checksums, computed as many at a time as the attempt uploads
// files, each file checked afterwards not to have changed while it was
// read.
func (a *taskAttempt) deferFiles(ctx context.Context, files []localFile) ([]pendingset.DeferredPut, error) {
	out := make([]pendingset.DeferredPut, len(files))
	err := forEach(ctx, len(files), a.j.c.opts.UploadConcurrency, true, func(ctx context.Context, i int) error {
		d, err := a.deferFile(files[i])
		if err != nil {
			return err
		}
		out[i] = d
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (a *taskAttempt) deferFile(lf localFile) (pendingset.DeferredPut, error) {
	where := a.where(lf)
	f, before, err := a.openListed(lf)
	if err != nil {
		return pendingset.DeferredPut{}, fmt.Errorf("defer %s: %w", where, err)
	}
	defer f.Close()
	sum, n, err := multipart.ComputeChecksum(deferredAlgorithm, io.NewSectionReader(f, 0, before.Size()))
	if err != nil {
		return pendingset.DeferredPut{}, fmt.Errorf("defer %s: %w", where, err)
	}
	after, err := f.Stat()
	if err != nil {
		return pendingset.DeferredPut{}, fmt.Errorf("defer %s: %w", where, err)
	}
	if n != before.Size() || stateOf(after) != stateOf(before) {
		return pendingset.DeferredPut{}, errChanged(where, before, after)
	}
	return pendingset.DeferredPut{
		Bucket: a.j.rec.Bucket, Key: lf.key, Path: path.Join(a.name(), lf.rel),
		Length: n, Checksum: sum, JobID: a.j.rec.JobID, TaskID: a.taskID,
	}, nil
}

// defers reports whether a task commit defers a file of size bytes.
func (o *Options) defers(size int64) bool {
	return o.DeferredPutThreshold > 0 && size <= o.DeferredPutThreshold
}

// splitDeferred splits the attempt's files into those it uploads and
// those it defers (see Options.defers).
func splitDeferred(files []localFile, o *Options) (upload, deferred []localFile) {
	if o.DeferredPutThreshold <= 0 {
		return files, nil
	}
	for _, f := range files {
		if o.defers(f.size) {
			deferred = append(deferred, f)
		} else {
			upload = append(upload, f)
		}
	}
	return upload, deferred
}

// checkDeferredRecord checks a deferred file of the pendingset of task
// taskID against job rec: its object in the job's bucket and output, its
// file inside the directory of an attempt of that task. A record that
// names another task's file, or one outside the job's buffer directory,
// is refused before the job reads anything.
func (r *jobRecord) checkDeferredRecord(taskID string, d *pendingset.DeferredPut) error {
	switch {
	case d.Bucket != r.Bucket:
		return fmt.Errorf("names bucket %q, but the job writes to bucket %q", d.Bucket, r.Bucket)
	case d.JobID != "" && d.JobID != r.JobID:
		return fmt.Errorf("belongs to job %q, not %q", d.JobID, r.JobID)
	}
	if err := r.checkOutputKey(d.Key); err != nil {
		return err
	}
	attempt, rel, ok := strings.Cut(d.Path, "/")
	if !ok || validAttemptName(attempt) != nil || rel == "" {
		return fmt.Errorf("path %q is not a file in an attempt's directory (<taskID>_<attempt>/<file>)", d.Path)
	}
	if owner, _ := splitAttemptName(attempt); owner != taskID {
		return fmt.Errorf("path %q is in a directory of task %q, not of task %q", d.Path, owner, taskID)
	}
	if _, err := committer.CleanRelativePath(rel); err != nil {
		return fmt.Errorf("path %q: %v", d.Path, err)
	}
	return nil
}

// deferred returns the deferred files of the committed tasks, in key
// order.
func (s *snapshot) deferred() []*pendingset.DeferredPut {
	var out []*pendingset.DeferredPut
	for _, t := range s.sets {
		for i := range t.set.Deferred {
			out = append(out, &t.set.Deferred[i])
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Key < out[b].Key })
	return out
}

// errDeferred describes a deferred file the driver cannot use.
// format and args say what is wrong; a %w among them wraps its cause.
func (j *job) errDeferred(d *pendingset.DeferredPut, format string, args ...any) error {
	head := []any{ErrDeferredFile, filepath.Join(j.c.opts.BufferDir, j.rec.JobID, filepath.FromSlash(d.Path)), d.TaskID, d.Bucket, d.Key}
	return fmt.Errorf("%w: %s of task %s, for s3://%s/%s, "+format+"; the job commit reads deferred files from its own buffer dir (%s), "+
		"which must be the volume the tasks wrote to, seen at the same path (Options.DeferredPutThreshold defers files to the job commit; "+
		"run the job with 0 where the buffer dir is not shared)",
		append(append(head, args...), j.c.opts.BufferDir)...)
}

// attemptDirs opens the attempts' directories of the job's buffer
// directory once each, for the deferred files in them: os.Root walks a
// path one component at a time (a syscall each, about 40 µs an open
// measured here), so a file opened through its attempt's root costs less
// than through the buffer dir's.
type attemptDirs struct {
	buf    *rootFS
	jobDir string
	mu     sync.Mutex
	roots  map[string]*rootFS
}

func newAttemptDirs(buf *rootFS, jobDir string) *attemptDirs {
	return &attemptDirs{buf: buf, jobDir: jobDir, roots: make(map[string]*rootFS)}
}

// split returns the root of d's attempt directory and d's path in it.
func (a *attemptDirs) split(d *pendingset.DeferredPut) (*rootFS, string, error) {
	attempt, rel, _ := strings.Cut(d.Path, "/")
	a.mu.Lock()
	defer a.mu.Unlock()
	if r := a.roots[attempt]; r != nil {
		return r, rel, nil
	}
	root, err := a.buf.root.OpenRoot(path.Join(a.jobDir, attempt))
	if err != nil {
		return nil, "", err
	}
	r := &rootFS{root: root}
	a.roots[attempt] = r
	return r, rel, nil
}

func (a *attemptDirs) remove(d *pendingset.DeferredPut) {
	if r, rel, err := a.split(d); err == nil {
		_ = r.Remove(rel)
	}
}

func (a *attemptDirs) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range a.roots {
		r.root.Close()
	}
	a.roots = nil
}

// openDeferred opens a deferred file in the driver's buffer dir and
// checks its size.
func (j *job) openDeferred(dirs *attemptDirs, d *pendingset.DeferredPut) (file, error) {
	root, rel, err := dirs.split(d)
	var f file
	if err == nil {
		f, err = root.OpenFile(rel, os.O_RDONLY, 0)
	}
	if err != nil {
		return nil, j.errDeferred(d, "cannot be opened: %w", err)
	}
	fi, err := f.Stat()
	switch {
	case err != nil:
		f.Close()
		return nil, j.errDeferred(d, "cannot be read: %v", err)
	case fi.Size() != d.Length:
		f.Close()
		return nil, j.errDeferred(d, "is %d bytes, but its task commit recorded %d", fi.Size(), d.Length)
	}
	return f, nil
}

// checkDeferred checks, before a job commit writes anything, that every
// deferred file is in the driver's buffer dir with the size and checksum
// its task commit recorded.
func (j *job) checkDeferred(ctx context.Context, s *snapshot) error {
	ds := s.deferred()
	if len(ds) == 0 {
		return nil
	}
	buf, err := j.c.bufferRoot()
	if err != nil {
		return j.errDeferred(ds[0], "cannot be read: %v", err)
	}
	defer buf.root.Close()
	dirs := newAttemptDirs(buf, j.l.jobDir)
	defer dirs.close()
	return forEach(ctx, len(ds), j.c.opts.CommitConcurrency, true, func(ctx context.Context, i int) error {
		d := ds[i]
		f, err := j.openDeferred(dirs, d)
		if err != nil {
			return err
		}
		defer f.Close()
		sum, _, err := multipart.ComputeChecksum(d.Checksum.Algorithm, io.NewSectionReader(f, 0, d.Length))
		switch {
		case err != nil:
			return j.errDeferred(d, "cannot be read: %v", err)
		case sum != d.Checksum:
			return j.errDeferred(d, "has checksum %s, but its task commit recorded %s (it was changed since)", sum, d.Checksum)
		}
		return nil
	})
}

// put writes one deferred file and journals it; a file the journal shows
// written is skipped (checked, on a resumed commit, to be still there). A
// failure that may hide a write that took effect is resolved against the
// store (see resolvePut).
func (r *commitRun) put(ctx context.Context, d *pendingset.DeferredPut) (string, error) {
	j := r.j
	r.mu.Lock()
	etag, ok := r.st.put[d.Key]
	r.mu.Unlock()
	if ok {
		if r.resumed {
			own, err := j.ownPut(ctx, d, etag, r.st.beganAt)
			switch {
			case err != nil:
				return "", fmt.Errorf("check the object an earlier run wrote at s3://%s/%s: %w", d.Bucket, d.Key, err)
			case !own:
				return "", fmt.Errorf("%w: s3://%s/%s, which an earlier run of this commit wrote, is gone or replaced (deleted by someone, "+
					"or by a rollback that did not finish); the job's output is incomplete: abort it and write it again",
					errObjectGone, d.Bucket, d.Key)
			}
		}
		return etag, nil
	}
	dirs, err := r.attemptDirs()
	if err != nil {
		return "", j.errDeferred(d, "cannot be read: %v", err)
	}
	f, err := j.openDeferred(dirs, d)
	if err != nil {
		if r.resumed && errors.Is(err, fs.ErrNotExist) {
			// An earlier run wrote the file and removed it, and the
			// journal lost its entry (the store home batches them).
			return r.putByEarlierRun(ctx, d, err)
		}
		return "", err
	}
	defer f.Close()
	opts := multipart.PutOptions{IfNoneMatch: j.rec.Conflict == committer.ConflictFail}
	if j.c.opts.Checksums == multipart.ChecksumStoreVerified {
		opts.Checksum = d.Checksum
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	var body io.ReadSeeker = io.NewSectionReader(f, 0, d.Length)
	var checking *checkingReader
	if opts.Checksum.IsZero() { // else the store checks the bytes
		if checking, err = newCheckingReader(io.NewSectionReader(f, 0, d.Length), d); err != nil {
			return "", err
		}
		body = checking
	}
	etag, err = j.c.store.PutObject(ctx, d.Key, body, d.Length, opts)
	if err == nil && checking != nil && checking.changed {
		// Without the store's check (Options.Checksums), only this
		// says that what was sent is not the file the task recorded.
		return "", fmt.Errorf("%w: the deferred file %s changed after the job commit checked it: s3://%s/%s was written with other bytes "+
			"than its task commit recorded (the rollback deletes it)", ErrFileChanged, d.Path, d.Bucket, d.Key)
	}
	if err != nil {
		if etag, err = r.resolvePut(ctx, d, err); err != nil {
			return "", err
		}
	}
	etag = multipart.NormalizeETag(etag)
	if err := r.jl.addCompleted(ctx, journalEntry{Op: opPut, Key: d.Key, ETag: etag}); err != nil {
		return "", err
	}
	r.j.c.tel.deferredPuts.Add(ctx, 1)
	r.mu.Lock()
	r.puts++
	r.st.put[d.Key] = etag
	r.mu.Unlock()
	// The file is in the store: removed now, while the other puts run,
	// rather than all at the end of the commit (unlinking takes long where
	// the file system frees blocks synchronously, and each unlink is a
	// round trip on NFS). A resumed commit that finds it gone and not
	// journaled asks the store (putByEarlierRun).
	dirs.remove(d)
	return etag, nil
}

// putByEarlierRun decides, in a resumed commit, about a deferred file that
// is gone from the buffer dir although the journal does not say it was
// written: an earlier run removes each file once it wrote it, and the
// store home's journal may lose the last entries to a crash. The object
// at its key, if it is the one writing the file made (see putMadeBy),
// says the file was written.
func (r *commitRun) putByEarlierRun(ctx context.Context, d *pendingset.DeferredPut, missing error) (string, error) {
	info, err := r.j.c.store.HeadObject(ctx, d.Key)
	switch {
	case err == nil && putMadeBy(info, d, "", r.st.beganAt):
	case err != nil && !errors.Is(err, multipart.ErrNotFound):
		return "", fmt.Errorf("%w; checking whether an earlier run had written it failed: %w", missing, err)
	default:
		return "", missing
	}
	etag := multipart.NormalizeETag(info.ETag)
	if err := r.jl.addCompleted(ctx, journalEntry{Op: opPut, Key: d.Key, ETag: etag}); err != nil {
		return "", err
	}
	r.mu.Lock()
	r.st.put[d.Key] = etag
	r.mu.Unlock()
	return etag, nil
}

// resolvePut decides what a failed PutObject means. A put repeated after
// one that took effect (its answer lost, then retried, or redone by a
// resumed commit whose journal missed it) fails in the fail conflict mode
// with PreconditionFailed: the object is there. So before a 412 is taken
// for a conflict, the object at the key is compared with the file.
func (r *commitRun) resolvePut(ctx context.Context, d *pendingset.DeferredPut, perr error) (string, error) {
	switch {
	case errors.Is(perr, multipart.ErrChecksumMismatch):
		return "", fmt.Errorf("%w: the store refused s3://%s/%s: the deferred file %s changed after the job commit checked it: %w",
			ErrFileChanged, d.Bucket, d.Key, d.Path, perr)
	case !errors.Is(perr, multipart.ErrPreconditionFailed):
		return "", perr
	}
	info, err := r.j.c.store.HeadObject(ctx, d.Key)
	switch {
	case err == nil && putMadeBy(info, d, "", r.st.beganAt):
		r.j.c.opts.Logger.DebugContext(ctx, "a put whose answer was lost had taken effect", "key", d.Key, "error", perr)
		return info.ETag, nil
	case err != nil && !errors.Is(err, multipart.ErrNotFound):
		return "", fmt.Errorf("%w; checking whether the put had taken effect failed: %w", perr, err)
	}
	return "", fmt.Errorf("%w: s3://%s/%s was written by someone else during the job (fail conflict mode): %w",
		committer.ErrDestinationExists, d.Bucket, d.Key, perr)
}

// putMadeBy reports whether info is the object that writing the deferred
// file d made: see objectMadeBy, which it shares the rules of (size, the
// store's full-object checksum where it reports one, the ETag journaled,
// else a modification no earlier than the commit's start).
func putMadeBy(info multipart.ObjectInfo, d *pendingset.DeferredPut, etag string, notBefore time.Time) bool {
	return objectMadeBy(info, putAsUpload(d), etag, notBefore)
}

// putAsUpload is what objectMadeBy compares of a deferred file: an upload
// of its key, size and checksum without part ETags.
func putAsUpload(d *pendingset.DeferredPut) *pendingset.Upload {
	return &pendingset.Upload{Key: d.Key, Length: d.Length, Checksum: d.Checksum}
}

// ownPut reports whether the object at d's key is the one writing d made.
func (j *job) ownPut(ctx context.Context, d *pendingset.DeferredPut, etag string, notBefore time.Time) (bool, error) {
	return j.ownObject(ctx, putAsUpload(d), etag, notBefore)
}

// undoPuts says which deferred files' objects a rollback deletes: those a
// commit that had begun may have written (journaled, or unjournaled: a
// crash, a lost answer) and that are the ones it wrote.
func (j *job) undoPuts(ctx context.Context, s *snapshot) ([]string, []error) {
	st := s.journal
	if !st.began && !st.unreadable {
		return nil, nil
	}
	ds := s.deferred()
	var (
		mu   sync.Mutex
		del  []string
		errs []error
	)
	_ = forEach(ctx, len(ds), j.c.opts.CommitConcurrency, false, func(ctx context.Context, i int) error {
		own, err := j.ownPut(ctx, ds[i], st.put[ds[i].Key], st.beganAt)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("check the object of deferred file %s at s3://%s/%s: %w", ds[i].Path, ds[i].Bucket, ds[i].Key, err))
		case own:
			del = append(del, ds[i].Key)
		}
		return nil
	})
	sort.Strings(del)
	return del, errs
}

// removeDeferredFiles removes, once the job is committed or rolled back,
// the buffer directories of the attempts whose pendingsets defer files:
// their task commits removed every other file, and in the default buffer
// dir, shared by the user's jobs, the job's directory is removed only when
// empty.
func (j *job) removeDeferredFiles(ctx context.Context, s *snapshot) {
	dirs := map[string]bool{}
	for _, d := range s.deferred() {
		attempt, _, _ := strings.Cut(d.Path, "/")
		dirs[attempt] = true
	}
	if len(dirs) == 0 {
		return
	}
	buf, err := j.c.bufferRoot()
	if err != nil {
		return
	}
	defer buf.root.Close()
	// The files first, as many at a time as the commit writes them: one
	// after the other they would hold up the end of the job (each unlink
	// is a round trip on NFS). Those a commit wrote are gone already (put
	// removes each). A failure is reported by RemoveAll below, which tries
	// again.
	var ds []*pendingset.DeferredPut
	for _, d := range s.deferred() {
		if _, written := s.journal.put[d.Key]; !written {
			ds = append(ds, d)
		}
	}
	_ = forEach(context.WithoutCancel(ctx), len(ds), j.c.opts.CommitConcurrency, false, func(_ context.Context, i int) error {
		_ = buf.Remove(path.Join(j.l.jobDir, ds[i].Path))
		return nil
	})
	for _, dir := range slices.Sorted(maps.Keys(dirs)) {
		if err := buf.RemoveAll(path.Join(j.l.jobDir, dir)); err != nil {
			j.c.opts.Logger.WarnContext(ctx, "could not remove the deferred files of a committed attempt", "dir", buf.where(path.Join(j.l.jobDir, dir)), "error", err)
		}
	}
}

// attemptDirs opens the driver's buffer dir once per run, for the
// deferred files it writes; closeBuffer closes it.
func (r *commitRun) attemptDirs() (*attemptDirs, error) {
	r.bufOnce.Do(func() {
		buf, err := r.j.c.bufferRoot()
		if err != nil {
			r.bufErr = err
			return
		}
		r.buf = newAttemptDirs(buf, r.j.l.jobDir)
	})
	return r.buf, r.bufErr
}

func (r *commitRun) closeBuffer() {
	if r.buf != nil {
		r.buf.close()
		r.buf.buf.root.Close()
	}
}

// checkingReader is the body of a deferred file's PutObject: it hashes
// every pass over the file as the store client reads it (the SDK reads a
// body once to sign it, then again to send it) and marks changed when a
// whole pass is not the file the task commit recorded. The store checks
// the checksum itself where the put sends it; this catches a file changed
// after the job commit's check where it does not.
type checkingReader struct {
	r       *io.SectionReader
	want    multipart.Checksum
	size    int64
	h       hash.Hash
	pos     int64
	hashing bool // the pass began at 0 and read on without a seek
	changed bool
}

func newCheckingReader(r *io.SectionReader, d *pendingset.DeferredPut) (*checkingReader, error) {
	h, err := d.Checksum.Algorithm.NewHash()
	if err != nil {
		return nil, err
	}
	return &checkingReader{r: r, want: d.Checksum, size: d.Length, h: h, hashing: true}, nil
}

func (c *checkingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.hashing && n > 0 {
		c.h.Write(p[:n])
	}
	c.pos += int64(n)
	if c.hashing && c.pos == c.size && n > 0 || c.hashing && c.size == 0 {
		if multipart.EncodeChecksum(c.want.Algorithm, c.h.Sum(nil)) != c.want {
			c.changed = true
		}
		c.hashing = false
	}
	return n, err
}

func (c *checkingReader) Seek(offset int64, whence int) (int64, error) {
	pos, err := c.r.Seek(offset, whence)
	if err != nil {
		return pos, err
	}
	if pos != c.pos {
		c.hashing = pos == 0
		c.h.Reset()
	}
	c.pos = pos
	return pos, nil
}
