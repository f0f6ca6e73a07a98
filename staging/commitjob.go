package staging

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/success"
)

// completeTimeout bounds one CompleteUpload call, which runs on after
// CommitJob's context ends.
const completeTimeout = 2 * time.Minute

// commitRun is the state of one CommitJob call.
type commitRun struct {
	j       *job
	start   time.Time
	sets    []taskSet
	ups     []*multipart.PendingUpload
	st      *journalState
	jl      *journal
	resumed bool

	mu        sync.Mutex
	etags     map[string]string // key → ETag of completed uploads
	completed int               // completed by this run
	deleted   int               // old objects deleted by this run
}

// CommitJob commits the job: it validates every pendingset before any
// store call, completes every upload (with If-None-Match: * in the fail
// conflict mode), in replace mode deletes the old objects that are not
// part of the new output, writes _SUCCESS last and removes the job's
// staging directory and the buffer directories it can reach. Progress is
// journaled: a CommitJob whose context ends behaves like a crash and a
// later CommitJob resumes. A permanent store error reverts the job unless
// Options.KeepStateOnFailure is set. While another CommitJob or AbortJob
// of the job runs (in any process sharing the staging dir) it returns
// [ErrJobBusy]; there is no waiting.
func (j *job) CommitJob(ctx context.Context) error {
	if err := j.checkOpen(); err != nil {
		return fmt.Errorf("staging: commit job: %w", err)
	}
	unlock, err := j.lock()
	if err != nil {
		return fmt.Errorf("staging: commit job: %w", err)
	}
	defer unlock()
	if err := j.checkOpen(); err != nil { // finished while we waited
		return fmt.Errorf("staging: commit job: %w", err)
	}
	if err := j.commitJob(ctx); err != nil {
		return fmt.Errorf("staging: commit job %s: %w", j.rec.JobID, err)
	}
	return nil
}

func (j *job) commitJob(ctx context.Context) error {
	r := &commitRun{j: j, start: time.Now(), etags: make(map[string]string)}
	var err error
	if r.sets, err = j.loadPendingSets(); err != nil {
		return err
	}
	r.ups = uploads(r.sets)
	if r.st, err = readJournal(j.l.journal()); err != nil {
		return err
	}
	switch {
	case r.st.reverted:
		return fmt.Errorf("%w: it was rolled back; its staging directory %s is left over: AbortJob removes it",
			committer.ErrJobFinished, j.l.jobDir)
	case r.st.succeeded:
		// Committed by an earlier run that stopped before its cleanup.
		return j.finishCommit(ctx, r)
	}
	if r.jl, err = openJournal(j.l); err != nil {
		return err
	}
	defer r.jl.Close()
	if r.st.began {
		r.resumed = true
		j.c.opts.Logger.InfoContext(ctx, "resuming an interrupted job commit", "job", j.rec.JobID,
			"completed_before", len(r.st.completed))
	} else if err := r.jl.add(journalEntry{Op: opBegin}); err != nil {
		return err
	} else {
		r.st.began, r.st.beganAt = true, time.Now()
	}
	if err := r.completeAll(ctx); err != nil {
		return j.failCommit(ctx, r, err)
	}
	if j.rec.Conflict == committer.ConflictReplace {
		if err := r.deleteOld(ctx); err != nil {
			return j.failCommit(ctx, r, err)
		}
	}
	if err := r.writeSuccess(ctx); err != nil {
		return j.failCommit(ctx, r, err)
	}
	if err := r.jl.add(journalEntry{Op: opSuccess}); err != nil {
		// _SUCCESS is written: the job is committed whatever the journal says.
		j.c.opts.Logger.WarnContext(ctx, "could not journal the end of the commit", "error", err)
	}
	return j.finishCommit(ctx, r)
}

// completeAll completes every upload not completed yet, in parallel.
func (r *commitRun) completeAll(ctx context.Context) error {
	c := r.j.c
	total := len(r.ups)
	var done int
	c.progress(PhaseComplete, 0, total)
	return forEach(ctx, total, c.opts.CommitConcurrency, true, func(ctx context.Context, i int) error {
		etag, err := r.complete(ctx, r.ups[i])
		if err != nil {
			return err
		}
		r.mu.Lock()
		r.etags[r.ups[i].Key] = etag
		done++
		n := done
		r.mu.Unlock()
		c.progress(PhaseComplete, n, total)
		return nil
	})
}

// complete completes one upload and journals it. An upload the journal
// shows completed is skipped; one the store no longer knows (NoSuchUpload)
// counts as completed by an earlier, interrupted run when its object
// exists with the recorded size and was written after that run began.
func (r *commitRun) complete(ctx context.Context, p *multipart.PendingUpload) (string, error) {
	j, c := r.j, r.j.c
	r.mu.Lock()
	done, ok := r.st.completed[p.Key]
	r.mu.Unlock()
	if ok && done.UploadID == p.UploadID {
		return done.ETag, nil
	}
	opts := multipart.CompleteOptions{IfNoneMatch: j.rec.Conflict == committer.ConflictFail}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	// A completion under way is not cut off when ctx ends: a store may
	// lose the upload's parts when its completion is interrupted (MinIO
	// does), and a finished completion is journaled, so a resume knows it.
	etag, err := do(ctx, c, "CompleteUpload", func(context.Context) (string, error) {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), completeTimeout)
		defer cancel()
		return c.store.CompleteUpload(cctx, p.Key, p.UploadID, p.Parts(), opts)
	})
	switch {
	case errors.Is(err, multipart.ErrNoSuchUpload) || errors.Is(err, multipart.ErrInvalidPart):
		// Gone: completed by an earlier run whose answer was lost (MinIO
		// answers InvalidPart for an upload it has completed), or
		// aborted or expired.
		info, herr := do(ctx, c, "HeadObject", func(ctx context.Context) (multipart.ObjectInfo, error) {
			return c.store.HeadObject(ctx, p.Key)
		})
		if herr != nil || info.Size != p.Length || info.LastModified.Before(r.st.beganAt.Add(-timeSkew)) {
			if errors.Is(err, multipart.ErrInvalidPart) {
				return "", fmt.Errorf("%w; if the upload has no parts left, a completion of it was cut off in flight (MinIO abandons such a completion "+
					"and keeps the upload without its parts) and the file must be written again", err)
			}
			return "", fmt.Errorf("the upload %s of s3://%s/%s is missing: %w; it was aborted (by AbortJob, an operator or a lifecycle rule), "+
				"or the store expired it (MinIO deletes uploads older than 24 h by default, MINIO_API_STALE_UPLOADS_EXPIRY); "+
				"the job's output is incomplete and must be written again", p.UploadID, p.Bucket, p.Key, err)
		}
		etag = info.ETag
	case errors.Is(err, multipart.ErrPreconditionFailed):
		return "", fmt.Errorf("%w: s3://%s/%s was written by someone else during the job (fail conflict mode): %w",
			committer.ErrDestinationExists, p.Bucket, p.Key, err)
	case err != nil:
		return "", err
	}
	etag = multipart.NormalizeETag(etag)
	if err := r.jl.add(journalEntry{Op: opCompleted, Key: p.Key, UploadID: p.UploadID, ETag: etag}); err != nil {
		return "", err
	}
	r.mu.Lock()
	r.completed++
	r.st.completed[p.Key] = completion{UploadID: p.UploadID, ETag: etag}
	r.mu.Unlock()
	return etag, nil
}

// deleteOld is the replace mode: once every new object is complete, it
// deletes the objects of the destination (directory mode) or of the
// partitions the job wrote (partitioned mode) that are not part of the new
// output. The list is journaled first so that a resumed commit deletes
// the same objects.
func (r *commitRun) deleteOld(ctx context.Context) error {
	j := r.j
	if r.st.deleted {
		return nil
	}
	keys := r.st.deleting
	if keys == nil {
		var err error
		if keys, err = r.oldObjects(ctx); err != nil {
			return err
		}
		if err := r.jl.add(journalEntry{Op: opDelete, Keys: keys}); err != nil {
			return err
		}
	}
	j.c.progress(PhaseDelete, 0, len(keys))
	if err := j.deleteKeys(ctx, keys); err != nil {
		return fmt.Errorf("delete the old objects (replace conflict mode): %w", err)
	}
	j.c.progress(PhaseDelete, len(keys), len(keys))
	r.mu.Lock()
	r.deleted = len(keys)
	r.mu.Unlock()
	return r.jl.add(journalEntry{Op: opDeleted})
}

// oldObjects lists the objects replace mode deletes.
func (r *commitRun) oldObjects(ctx context.Context) ([]string, error) {
	j := r.j
	keep := make(map[string]bool, len(r.ups))
	partitions := make(map[string]bool)
	for _, p := range r.ups {
		keep[p.Key] = true
		partitions[partitionOf(p.Key[len(j.prefix()):])] = true
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
	names := make([]string, 0, len(partitions))
	for p := range partitions {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		if err := j.listPartition(ctx, p, collect); err != nil {
			return nil, err
		}
	}
	sort.Strings(old)
	return slicesCompact(old), nil
}

func slicesCompact(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// writeSuccess writes _SUCCESS, listing every committed object.
func (r *commitRun) writeSuccess(ctx context.Context) error {
	j := r.j
	name := string(j.rec.Mode)
	d := success.New(name, j.rec.JobID)
	d.Description = "s3commit staging committer (" + name + ", conflict mode " + string(j.rec.Conflict) + ")"
	var bytes int64
	for _, p := range r.ups {
		d.AddFile(success.File{Key: p.Key, Size: p.Length, ETag: r.etags[p.Key]})
		bytes += p.Length
	}
	took := time.Since(r.start).Milliseconds()
	d.Metrics["files"] = int64(len(r.ups))
	d.Metrics["bytes"] = bytes
	d.Metrics["tasks"] = int64(len(r.sets))
	d.Metrics["uploads_completed"] = int64(r.completed)
	d.Metrics["old_objects_deleted"] = int64(r.deleted)
	d.Metrics["commit_job_ms"] = took

	stats := &d.IOStatistics
	stats.Counters["committer_commits_completed"] = int64(len(r.ups))
	stats.Counters["committer_bytes_committed"] = bytes
	stats.Counters["committer_tasks_completed"] = int64(len(r.sets))
	stats.Counters["object_delete_objects"] = int64(r.deleted)
	addDuration(stats, "committer_commit_job", []int64{took})
	var taskMs []int64
	for _, s := range r.sets {
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
	_, err := do(ctx, j.c, "write _SUCCESS", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, success.Write(ctx, j.c.store, j.successKey(), d)
	})
	if err != nil {
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

// finishCommit cleans up after a committed job: uploads of attempts that
// did not win, orphans of this job at its keys, the staging directory and
// the buffer directories.
func (j *job) finishCommit(ctx context.Context, r *commitRun) error {
	committed := make(map[string]bool)
	for _, p := range r.ups {
		committed[p.Key+"\x00"+p.UploadID] = true
	}
	winners := make(map[string]bool)
	for _, s := range r.sets {
		winners[s.set.ExtraData[multipart.TaskAttemptIDKey]] = true
	}
	byAttempt, err := readIntentsByAttempt(j.l.attemptsDir())
	if err != nil {
		j.c.opts.Logger.WarnContext(ctx, "could not read the attempts' intents", "error", err)
	}
	// Uploads of attempts that did not win are aborted by ID. Keys are
	// swept for uploads whose ID nobody knows: every key of an attempt that
	// did not win (it may have been killed between a creation and its
	// record), and the keys of winners whose creation was uncertain. A
	// commit where nothing went wrong lists no uploads.
	var stale []intent
	keys := make(map[string]bool)
	for name, in := range byAttempt {
		for _, i := range in {
			if !committed[i.Key+"\x00"+i.UploadID] {
				stale = append(stale, i)
			}
			if !winners[name] || i.Uncertain {
				keys[i.Key] = true
			}
		}
	}
	errs := []error{j.abortUploads(ctx, stale), j.sweepOrphans(ctx, sortedKeys(keys))}
	if err := errors.Join(errs...); err != nil {
		// The job is committed; what is left is cost, not correctness.
		j.c.opts.Logger.WarnContext(ctx, "the job is committed but uploads of other attempts could not all be aborted; AbortJob or the CLI cleans them up",
			"job", j.rec.JobID, "error", err)
		return nil
	}
	j.removeDirs(ctx)
	j.setFinished()
	return nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// removeDirs removes the job's staging directory and its buffer directory.
func (j *job) removeDirs(ctx context.Context) {
	for _, dir := range []string{j.l.jobDir, j.l.bufferDir} {
		if err := os.RemoveAll(dir); err != nil {
			j.c.opts.Logger.WarnContext(ctx, "could not remove a directory of the job", "dir", dir, "error", err)
		}
	}
	_ = syncDir(path.Dir(j.l.jobDir))
}

// failCommit handles an error of CommitJob: a cancelled context is a
// crash (nothing is undone); otherwise the job is reverted unless
// KeepStateOnFailure is set.
func (j *job) failCommit(ctx context.Context, r *commitRun, cause error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w; the commit was interrupted: CommitJob resumes it, AbortJob rolls it back", cause)
	}
	if j.c.opts.KeepStateOnFailure {
		return fmt.Errorf("%w; the job's state is kept (KeepStateOnFailure): CommitJob resumes it, AbortJob rolls it back", cause)
	}
	j.c.opts.Logger.WarnContext(ctx, "job commit failed; reverting", "job", j.rec.JobID, "error", cause)
	if err := j.rollback(ctx, r.sets, r.st); err != nil {
		return fmt.Errorf("%w; reverting failed too: %w; AbortJob retries the rollback", cause, err)
	}
	return fmt.Errorf("%w; the job was reverted: none of its objects is visible", cause)
}
