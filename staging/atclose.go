package staging

import (
	"context"
	"os"
	"path"
	"sync"
	"sync/atomic"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/pendingset"
)

// Uploads at Close (Options.UploadAtClose): a file written through Create
// is complete when it is closed, so its upload starts then, in the
// background, while the task computes its next file. CommitTask stops
// them, waits for those in flight, keeps each whose file is unchanged
// since and uploads the rest.

// attemptFile is a file of an attempt as Create returns it: its Close
// starts the file's upload when the options say so.
type attemptFile struct {
	*os.File
	a      *taskAttempt
	rel    string
	closed atomic.Bool
}

var _ committer.File = (*attemptFile)(nil)

// Close closes the file and, with Options.UploadAtClose, queues its
// upload. A second Close is the os.File's error and queues nothing.
func (f *attemptFile) Close() error {
	err := f.File.Close()
	if err == nil && !f.closed.Swap(true) && f.a.j.c.opts.UploadAtClose {
		f.a.uploadAtClose(f.rel)
	}
	return err
}

// earlyUpload is the upload of one file started at its Close.
type earlyUpload struct {
	lf    localFile
	state fileState // the file's when the upload read it
	p     *pendingset.Upload
	err   error
}

// closeUploads are the uploads an attempt started at Close: a queue
// worked through in Close order by up to UploadConcurrency workers (in
// order, one at a time, with a concurrency of one).
type closeUploads struct {
	mu      sync.Mutex
	queue   []*earlyUpload
	all     []*earlyUpload
	workers int
	stopped bool
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// uploadAtClose queues the upload of the attempt's file rel, just closed:
// not for a file task commit leaves out (hidden), defers (no larger than
// Options.DeferredPutThreshold) or cannot list, nor once the attempt's
// commit or abort began.
func (a *taskAttempt) uploadAtClose(rel string) {
	c := a.j.c
	if committer.IsHidden(path.Base(rel)) {
		return
	}
	p := path.Join(a.rel, rel)
	fi, err := a.buf.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() || c.opts.defers(fi.Size()) {
		return
	}
	u := &earlyUpload{lf: localFile{path: p, rel: rel, size: fi.Size(),
		key: committer.DestinationKey(a.j.rec.Destination, rel, a.j.rec.JobID, a.j.rec.UniqueFilenames)}}
	e := &a.early
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopped {
		return
	}
	if e.ctx == nil {
		e.ctx, e.cancel = context.WithCancel(context.Background())
	}
	e.queue = append(e.queue, u)
	e.all = append(e.all, u)
	if e.workers < c.opts.UploadConcurrency {
		e.workers++
		e.wg.Add(1)
		go a.closeUploadWorker()
	}
}

// closeUploadWorker uploads queued files until the queue is empty.
func (a *taskAttempt) closeUploadWorker() {
	e := &a.early
	defer e.wg.Done()
	for {
		e.mu.Lock()
		if len(e.queue) == 0 || e.ctx.Err() != nil {
			e.workers--
			e.mu.Unlock()
			return
		}
		u := e.queue[0]
		e.queue = e.queue[1:]
		ctx := e.ctx
		e.mu.Unlock()
		u.p, u.state, u.err = a.uploadEarly(ctx, u.lf)
		if u.err != nil {
			a.j.c.opts.Logger.DebugContext(ctx, "an upload started at Close failed; task commit uploads the file",
				"task", a.taskID, "attempt", a.attempt, "file", u.lf.rel, "error", u.err)
		}
	}
}

// uploadEarly records the key in the attempt's intents and uploads the
// file.
func (a *taskAttempt) uploadEarly(ctx context.Context, lf localFile) (_ *pendingset.Upload, _ fileState, err error) {
	ctx, op := a.startAttempt(ctx, "UploadAtClose")
	defer func() { op.end(ctx, err) }()
	up, log, err := a.uploader(ctx)
	if err != nil {
		return nil, fileState{}, err
	}
	if err := log.record(ctx, intent{Key: lf.key}); err != nil {
		return nil, fileState{}, err
	}
	return a.uploadFile(ctx, up, lf)
}

// stopEarly stops the uploads at Close for good: no file closed from now
// on is queued. With cancel, the queued uploads are dropped and those in
// flight cut off; without, the queue is worked through (the task commit
// would upload those files anyway). It waits for the workers and returns
// the uploads in Close order.
func (a *taskAttempt) stopEarly(cancel bool) []*earlyUpload {
	e := &a.early
	e.mu.Lock()
	e.stopped = true
	if cancel {
		for _, u := range e.queue {
			u.err = context.Canceled
		}
		e.queue = nil
		if e.cancel != nil {
			e.cancel()
		}
	}
	e.mu.Unlock()
	e.wg.Wait()
	e.mu.Lock()
	defer e.mu.Unlock()
	all := e.all
	e.all = nil
	if e.cancel != nil {
		e.cancel()
	}
	return all
}

// matchEarly splits the uploads started at Close: kept are those, by
// file, whose file is still the one they uploaded (same key, size,
// modification and change times), the latest where a file was closed
// twice; stale are the others that created an upload, to abort.
func matchEarly(files []localFile, early []*earlyUpload) (kept map[string]*pendingset.Upload, stale []*pendingset.Upload) {
	kept = make(map[string]*pendingset.Upload)
	latest := make(map[string]*earlyUpload)
	for _, u := range early {
		if u.err == nil && u.p != nil {
			latest[u.lf.rel] = u
		}
	}
	for _, f := range files {
		if u := latest[f.rel]; u != nil && f.state == u.state && u.lf.key == f.key {
			kept[f.rel] = u.p
		}
	}
	// The others, in Close order: older uploads of a file closed again,
	// files changed, gone, hidden or deferred since.
	for _, u := range early {
		if u.err == nil && u.p != nil && kept[u.lf.rel] != u.p {
			stale = append(stale, u.p)
		}
	}
	return kept, stale
}

// earlyPending are the uploads started at Close that created an upload.
func earlyPending(early []*earlyUpload) []*pendingset.Upload {
	var out []*pendingset.Upload
	for _, u := range early {
		if u.err == nil && u.p != nil {
			out = append(out, u.p)
		}
	}
	return out
}
