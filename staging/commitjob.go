package staging

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/pendingset"
	"github.com/s3commit/s3commit/success"
)

// ErrPastPointOfNoReturn is matched by the error of an AbortJob refused
// because the job's commit, in replace mode, had begun deleting the old
// objects: rolling it back would lose the old and the new data. CommitJob
// finishes such a job. A CommitJob that fails past that point matches it
// too: it keeps its state for the next CommitJob instead of reverting.
var ErrPastPointOfNoReturn = errors.New("staging: the job commit is past its point of no return")

// commitRun is the state of one CommitJob call.
type commitRun struct {
	j     *job
	s     *snapshot
	start time.Time
	ups   []*pendingset.Upload
	// deferred are the files the run writes with a PutObject each.
	deferred []*pendingset.DeferredPut
	st       *journalState // s.journal, updated as the run goes
	jl       journalWriter
	resumed  bool
	// writingSuccess is set once the run has sent _SUCCESS: a failure
	// from then on may have taken effect.
	writingSuccess bool

	// buf is the driver's buffer dir, opened on the first deferred file.
	bufOnce sync.Once
	buf     *attemptDirs
	bufErr  error

	mu        sync.Mutex
	etags     map[string]string // key → ETag of completed uploads and written deferred files
	completed int               // completed by this run
	puts      int               // deferred files written by this run
	deleted   int               // old objects deleted by this run
}

// CommitJob commits job jobID, like the job's own CommitJob, after
// checking the committed tasks against opts (see [CommitOptions]): a
// driver that knows its tasks uses it so that a task whose pendingset is
// missing (failed, or not yet visible on a shared filesystem) stops the
// commit before it changes anything.
//
// The result says what the commit did: the job's files and bytes, the
// uploads it completed, the orphan uploads its cleanup aborted. It is nil
// when the error is not.
func (c *Committer) CommitJob(ctx context.Context, jobID string, opts CommitOptions) (*CommitResult, error) {
	start := time.Now()
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("staging: commit job %s: %w", jobID, err)
	}
	j, err := c.openJob(ctx, jobID)
	if err != nil {
		return nil, err
	}
	res, err := j.commit(ctx, opts)
	if err != nil {
		return nil, err
	}
	res.Duration = time.Since(start)
	return res, nil
}

// CommitJob commits the job: it validates every pendingset before any
// store call, seals the job against late task commits (which then fail
// with [committer.ErrJobCommitting]), completes every upload (with
// If-None-Match: * in the fail conflict mode), in replace mode deletes the
// old objects that are not part of the new output, writes _SUCCESS last
// and removes the job's staging directory and the buffer directories it
// can reach.
//
// Progress is journaled: a CommitJob whose context ends behaves like a
// crash and a later CommitJob resumes. A completion whose answer was lost
// is told apart from a conflict by asking the store whether the upload
// still exists and whether the object at its key is the one it made. A
// permanent store error reverts the job unless Options.KeepStateOnFailure
// is set, or unless replace mode had begun deleting the old objects: from
// there on the commit only rolls forward ([ErrPastPointOfNoReturn]). A
// failure the store did not answer (after the retries) keeps the state, as
// a crash does. While
// another CommitJob or AbortJob of the job runs (in any process sharing
// the staging dir) it returns [ErrJobBusy]; there is no waiting.
func (j *job) CommitJob(ctx context.Context) error {
	_, err := j.commit(ctx, CommitOptions{})
	return err
}

func (j *job) commit(ctx context.Context, opts CommitOptions) (_ *CommitResult, err error) {
	ctx, op := j.startJob(ctx, "CommitJob")
	defer func() { op.end(ctx, err) }()
	if err := j.checkOpen(ctx); err != nil {
		return nil, fmt.Errorf("staging: commit job: %w", err)
	}
	lk, err := j.lock(ctx)
	if err != nil {
		return nil, fmt.Errorf("staging: commit job: %w", err)
	}
	defer lk.release()
	if err := j.checkOpen(ctx); err != nil { // finished while we waited
		return nil, fmt.Errorf("staging: commit job: %w", err)
	}
	res, err := j.commitLocked(ctx, opts, lk)
	if err != nil {
		return nil, fmt.Errorf("staging: commit job %s: %w", j.rec.JobID, err)
	}
	return res, nil
}

func (j *job) commitLocked(ctx context.Context, opts CommitOptions, lk *jobLock) (*CommitResult, error) {
	s, err := j.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	owned := false
	if s.journal.began && !s.journal.succeeded {
		if owned, err = j.successOwned(ctx); err != nil {
			return nil, fmt.Errorf("read %s to learn whether an earlier run committed the job: %w; CommitJob again retries", j.successKey(), err)
		}
	}
	switch s.commitAction(owned) {
	case commitRefuseReverted:
		return nil, fmt.Errorf("%w: it was rolled back; its staging directory %s is left over: AbortJob removes it",
			committer.ErrJobFinished, j.l.jobDir)
	case commitRefuseReverting:
		return nil, fmt.Errorf("%w: a rollback of it began and did not finish (objects it had completed may be gone): AbortJob finishes the rollback",
			committer.ErrJobFinished)
	case commitFinishCleanup:
		// Committed by an earlier run that stopped before its cleanup.
		if owned {
			j.journalSuccess(ctx, lk)
		}
		return j.finishCommit(ctx, s, nil, lk), nil
	}
	if j.rec.Conflict == committer.ConflictReplace && !j.rec.UniqueFilenames {
		return nil, fmt.Errorf("%w: the job uses the replace conflict mode without unique filenames, which this release refuses "+
			"(a completion would overwrite an old object of the same name, which a revert cannot bring back); abort it and run it with unique filenames",
			ErrInvalidOptions)
	}
	if !s.journal.began && !s.journal.unreadable {
		if s, err = j.sealForCommit(ctx, s, opts); err != nil {
			return nil, err
		}
	} else if len(s.setProblems) > 0 {
		return nil, s.setProblems[0]
	}
	r := &commitRun{j: j, s: s, start: time.Now(), ups: s.uploads(), deferred: s.deferred(), st: s.journal, etags: make(map[string]string)}
	defer r.closeBuffer()
	if r.jl, err = j.h.openJournal(ctx, j.l, lk); err != nil {
		return nil, err
	}
	defer r.jl.Close()
	if r.st.began {
		r.resumed = true
		j.c.opts.Logger.InfoContext(ctx, "resuming an interrupted job commit", "job", j.rec.JobID,
			"completed_before", len(r.st.completed))
	} else {
		if err := r.jl.add(ctx, journalEntry{Op: opBegin}); err != nil {
			return nil, err
		}
		r.st.began, r.st.beganAt = true, time.Now()
	}
	if err := r.run(ctx); err != nil {
		return j.failCommit(ctx, r, err, lk)
	}
	return j.committed(ctx, r, lk), nil
}

// sealForCommit checks a job whose commit has not begun (the expected
// tasks, valid pendingsets), seals it against late task commits and reads
// it again: a task may have published in between. A check that fails
// after the seal unseals the job, so that nothing has changed.
func (j *job) sealForCommit(ctx context.Context, s *snapshot, opts CommitOptions) (*snapshot, error) {
	if err := opts.checkExpected(ctx, j.h, j.l, s); err != nil {
		return nil, err
	}
	if len(s.setProblems) > 0 {
		return nil, s.setProblems[0]
	}
	if s.sealed {
		return s, nil
	}
	if err := j.seal(ctx); err != nil {
		return nil, err
	}
	s, err := j.snapshot(ctx)
	if err == nil {
		err = opts.checkExpected(ctx, j.h, j.l, s)
	}
	if err == nil && len(s.setProblems) > 0 {
		err = s.setProblems[0]
	}
	if err == nil {
		// Before anything is written: a deferred file the driver cannot
		// read as recorded stops the commit here, with nothing changed.
		err = j.checkDeferred(ctx, s)
	}
	if err != nil {
		if uerr := j.unseal(ctx); uerr != nil {
			return nil, errors.Join(err, uerr)
		}
		return nil, err
	}
	return s, nil
}

// run completes every upload, deletes the old objects in replace mode and
// writes _SUCCESS.
func (r *commitRun) run(ctx context.Context) error {
	tel := r.j.c.tel
	pctx, phase := tel.startPhase(ctx, phaseComplete)
	err := r.completeAll(pctx)
	phase.end(pctx, err)
	if err != nil {
		return err
	}
	if r.j.rec.Conflict == committer.ConflictReplace {
		pctx, phase = tel.startPhase(ctx, phaseDelete)
		err = r.deleteOld(pctx)
		phase.end(pctx, err)
		if err != nil {
			return err
		}
	}
	pctx, phase = tel.startPhase(ctx, phaseWriteSuccess)
	err = r.writeSuccess(pctx)
	phase.end(pctx, err)
	return err
}

// committed journals that the job is committed and cleans up.
func (j *job) committed(ctx context.Context, r *commitRun, lk *jobLock) *CommitResult {
	if err := r.jl.add(ctx, journalEntry{Op: opSuccess}); err != nil {
		// _SUCCESS is written: the job is committed whatever the journal says.
		j.c.opts.Logger.WarnContext(ctx, "could not journal the end of the commit", "error", err)
	}
	r.st.succeeded = true
	r.jobCommitted(ctx)
	_ = r.jl.Close() // closed before the job's directory is removed (NFS)
	return j.finishCommit(ctx, r.s, r, lk)
}

// completeAll completes every upload not completed yet and writes every
// deferred file not written yet, in parallel.
func (r *commitRun) completeAll(ctx context.Context) error {
	c := r.j.c
	total := len(r.ups) + len(r.deferred)
	var done int
	c.progress(PhaseComplete, 0, total)
	return forEach(ctx, total, c.opts.CommitConcurrency, true, func(ctx context.Context, i int) error {
		var (
			key, etag string
			err       error
		)
		if i < len(r.ups) {
			key = r.ups[i].Key
			etag, err = r.complete(ctx, r.ups[i])
		} else {
			d := r.deferred[i-len(r.ups)]
			key = d.Key
			etag, err = r.put(ctx, d)
		}
		if err != nil {
			return err
		}
		r.mu.Lock()
		r.etags[key] = etag
		done++
		n := done
		r.mu.Unlock()
		c.progress(PhaseComplete, n, total)
		return nil
	})
}

// deleteOld is the replace mode: once every new object is complete, it
// deletes the objects of the destination (directory mode) or of the
// partitions the job wrote (partitioned mode) that are not part of the new
// output. The list is journaled first, whole, so that a resumed commit
// deletes the same objects; from then on the commit is past its point of
// no return.
func (r *commitRun) deleteOld(ctx context.Context) error {
	j := r.j
	if r.st.deleted {
		return nil
	}
	if !r.st.deleteListed {
		keys, err := r.oldObjects(ctx)
		if err != nil {
			return err
		}
		if err := addDeleteList(ctx, r.jl, keys); err != nil {
			return err
		}
		r.st.deleting, r.st.deleteListed = keys, true
	}
	keys := r.st.deleting
	j.c.progress(PhaseDelete, 0, len(keys))
	if err := j.deleteKeys(ctx, keys); err != nil {
		return fmt.Errorf("delete the old objects (replace conflict mode): %w", err)
	}
	j.c.progress(PhaseDelete, len(keys), len(keys))
	r.mu.Lock()
	r.deleted = len(keys)
	r.mu.Unlock()
	if err := r.jl.add(ctx, journalEntry{Op: opDeleted}); err != nil {
		return err
	}
	r.st.deleted = true
	return nil
}

// oldObjects lists the objects replace mode deletes.
func (r *commitRun) oldObjects(ctx context.Context) ([]string, error) {
	j := r.j
	keep := make(map[string]bool, len(r.ups)+len(r.deferred))
	for _, p := range r.ups {
		keep[p.Key] = true
	}
	for _, d := range r.deferred {
		keep[d.Key] = true
	}
	var old []string
	collect := func(key string, _ multipart.ObjectInfo) bool {
		if !keep[key] {
			old = append(old, key)
		}
		return true
	}
	if j.rec.Mode == committer.ModeDirectory {
		for obj, err := range j.c.store.ListObjects(ctx, j.prefix()) {
			if err != nil {
				return nil, fmt.Errorf("list the old objects of s3://%s/%s: %w", j.rec.Bucket, j.prefix(), err)
			}
			collect(obj.Key, obj)
		}
		return old, nil
	}
	for _, p := range slices.Sorted(maps.Keys(r.s.partitions())) {
		if err := j.listPartition(ctx, p, collect); err != nil {
			return nil, err
		}
	}
	slices.Sort(old)
	return slices.Compact(old), nil
}

// outputSize is the size of a job's output: its files and bytes, those
// of the deferred files among them.
type outputSize struct {
	files, deferredFiles int
	bytes, deferredBytes int64
}

// sizeOf returns the size of the output of uploads ups and deferred files
// ds: what _SUCCESS lists, CommitResult reports and the job's metrics
// count.
func sizeOf(ups []*pendingset.Upload, ds []*pendingset.DeferredPut) outputSize {
	var out outputSize
	for _, p := range ups {
		out.bytes += p.Length
	}
	for _, d := range ds {
		out.deferredBytes += d.Length
	}
	out.files, out.deferredFiles = len(ups)+len(ds), len(ds)
	out.bytes += out.deferredBytes
	return out
}

// writeSuccess writes _SUCCESS, listing every committed object.
func (r *commitRun) writeSuccess(ctx context.Context) error {
	j := r.j
	name := string(j.rec.Mode)
	d := success.New(name, j.rec.JobID)
	d.Description = "s3commit staging committer (" + name + ", conflict mode " + string(j.rec.Conflict) + ")"
	files := make([]success.File, 0, len(r.ups)+len(r.deferred))
	for _, p := range r.ups {
		files = append(files, success.File{Key: p.Key, Size: p.Length, ETag: r.etags[p.Key],
			ChecksumAlgorithm: string(p.Checksum.Algorithm), Checksum: p.Checksum.Value})
	}
	for _, p := range r.deferred {
		files = append(files, success.File{Key: p.Key, Size: p.Length, ETag: r.etags[p.Key],
			ChecksumAlgorithm: string(p.Checksum.Algorithm), Checksum: p.Checksum.Value})
	}
	sort.Slice(files, func(a, b int) bool { return files[a].Key < files[b].Key })
	for _, f := range files {
		d.AddFile(f)
	}
	out := sizeOf(r.ups, r.deferred)
	took := time.Since(r.start).Milliseconds()
	d.Metrics["files"] = int64(out.files)
	d.Metrics["bytes"] = out.bytes
	d.Metrics["tasks"] = int64(len(r.s.sets))
	d.Metrics["uploads_completed"] = int64(r.completed)
	if out.deferredFiles > 0 {
		d.Metrics["deferred_files"] = int64(out.deferredFiles)
		d.Metrics["deferred_bytes"] = out.deferredBytes
		d.Metrics["deferred_files_put"] = int64(r.puts)
	}
	d.Metrics["old_objects_deleted"] = int64(r.deleted)
	d.Metrics["commit_job_ms"] = took

	stats := &d.IOStatistics
	stats.Counters["committer_commits_completed"] = int64(out.files)
	stats.Counters["committer_bytes_committed"] = out.bytes
	stats.Counters["committer_tasks_completed"] = int64(len(r.s.sets))
	stats.Counters["object_delete_objects"] = int64(r.deleted)
	addDuration(stats, "committer_commit_job", []int64{took})
	var taskMs []int64
	for _, s := range r.s.sets {
		if v, err := strconv.ParseInt(s.set.ExtraData[taskDurationKey], 10, 64); err == nil {
			taskMs = append(taskMs, v)
		}
	}
	addDuration(stats, "committer_commit_task", taskMs)

	d.Diagnostics["destination"] = "s3a://" + j.rec.Bucket + "/" + j.rec.Destination
	d.Diagnostics["conflict-mode"] = string(j.rec.Conflict)
	d.Diagnostics["unique-filenames"] = strconv.FormatBool(j.rec.UniqueFilenames)
	if r.resumed {
		d.Diagnostics["resumed"] = "true"
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	r.writingSuccess = true
	if err := success.Write(ctx, j.c.store, j.successKey(), d); err != nil {
		return fmt.Errorf("write %s: %w", SuccessMarker, err)
	}
	return nil
}

// addDuration records durations in milliseconds as Hadoop records a
// duration statistic: a counter of samples and the minimum, maximum and
// mean under "<name>.min", "<name>.max" and "<name>.mean".
func addDuration(stats *success.IOStatistics, name string, ms []int64) {
	if len(ms) == 0 {
		return
	}
	lo, hi, sum := ms[0], ms[0], int64(0)
	for _, v := range ms {
		lo, hi, sum = min(lo, v), max(hi, v), sum+v
	}
	stats.Counters[name] = int64(len(ms))
	stats.Minimums[name+".min"] = lo
	stats.Maximums[name+".max"] = hi
	stats.MeanStatistics[name+".mean"] = success.MeanStatistic{Samples: int64(len(ms)), Sum: sum}
}

// failCommit handles an error of a commit run. A _SUCCESS whose write
// failed may have reached the store: if it names the job, the job is
// committed. Otherwise the snapshot decides (see failureAction): a run
// past the point of no return and an interrupted one (a cancelled context
// is a crash: nothing is undone) keep their state, as KeepStateOnFailure
// does; any other is reverted.
func (j *job) failCommit(ctx context.Context, r *commitRun, cause error, lk *jobLock) (*CommitResult, error) {
	interrupted := ctx.Err() != nil
	if r.writingSuccess && !interrupted {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		owned, err := j.successOwned(rctx)
		cancel()
		if err == nil && owned {
			j.c.opts.Logger.InfoContext(ctx, "the _SUCCESS write failed but reached the store: the job is committed", "job", j.rec.JobID, "error", cause)
			return j.committed(ctx, r, lk), nil
		}
	}
	_ = r.jl.Close()
	transient := multipart.IsRetryable(cause)
	switch r.s.failureAction(interrupted, transient, j.c.opts.KeepStateOnFailure) {
	case failRollForward:
		return nil, fmt.Errorf("%w; %w: replace mode had begun deleting the old objects, so the job's state is kept and only CommitJob may finish it (AbortJob refuses)",
			cause, ErrPastPointOfNoReturn)
	case failKeep:
		if interrupted {
			return nil, fmt.Errorf("%w; the commit was interrupted: CommitJob resumes it, AbortJob rolls it back", cause)
		}
		if transient {
			return nil, fmt.Errorf("%w; the store did not answer after the retries, so what the calls did is not known and nothing is undone: "+
				"the job's state is kept, CommitJob resumes it once the store answers, AbortJob rolls it back", cause)
		}
		return nil, fmt.Errorf("%w; the job's state is kept (KeepStateOnFailure): CommitJob resumes it, AbortJob rolls it back", cause)
	}
	j.c.opts.Logger.WarnContext(ctx, "job commit failed; reverting", "job", j.rec.JobID, "error", cause)
	if err := j.rollback(ctx, r.s, lk, nil); err != nil {
		return nil, fmt.Errorf("%w; reverting failed too: %w; AbortJob retries the rollback", cause, err)
	}
	return nil, fmt.Errorf("%w; the job was reverted: none of its objects is visible", cause)
}

// journalSuccess journals that the job is committed, found so by its
// _SUCCESS where the journal did not say it; a failure leaves the journal
// as it was, and the next CommitJob or AbortJob finds the _SUCCESS again.
func (j *job) journalSuccess(ctx context.Context, lk *jobLock) {
	if jl, err := j.h.openJournal(ctx, j.l, lk); err == nil {
		_ = jl.add(ctx, journalEntry{Op: opSuccess})
		_ = jl.Close()
	}
}

// successOwned reports whether the destination's _SUCCESS names this job.
func (j *job) successOwned(ctx context.Context) (bool, error) {
	d, err := success.ReadManifest(ctx, j.c.store, j.successKey())
	switch {
	case errors.Is(err, multipart.ErrNotFound),
		errors.Is(err, success.ErrInvalidManifest), errors.Is(err, success.ErrClassicMarker):
		return false, nil
	case err != nil:
		return false, err
	}
	return d.JobID == j.rec.JobID, nil
}
