package staging

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/pendingset"
	"github.com/s3commit/s3commit/success"
)

// ErrDamagedRecords is matched by the error of an AbortJob that rolled the
// job back (or finished its cleanup) although some of its records could
// not be read: uploads those named may be left in the store. The job is
// gone from the staging dir all the same.
var ErrDamagedRecords = errors.New("staging: records of the job could not be read")

// AbortJob rolls the job back: it seals the job against late task commits,
// aborts every upload the job recorded (in pendingsets and in the
// attempts' intent records), aborts uploads at the job's keys whose
// creation answer was lost (with unique filenames), deletes the objects an
// interrupted CommitJob had completed (each checked to be the one its
// upload made) and the job's _SUCCESS and sidecar if written, and removes
// the job's staging and buffer directories. It touches no key outside the
// job's destination. AbortJob is idempotent and returns nil when the
// staging directory is gone. While another CommitJob or AbortJob of the
// job runs (in any process sharing the staging dir) it returns
// [ErrJobBusy].
//
// A committed job is not rolled back, whether its journal says so or only
// the destination's _SUCCESS names it: AbortJob finishes its cleanup
// (aborting what its attempts left) and returns [committer.ErrJobFinished].
// A replace commit past its point of no return is not rolled back either:
// AbortJob returns [ErrPastPointOfNoReturn] and CommitJob finishes it.
// Damaged records do not stop AbortJob: it does what the readable ones
// allow and returns an error matching [ErrDamagedRecords].
func (j *job) AbortJob(ctx context.Context) error {
	_, err := j.abort(ctx)
	return err
}

// AbortJob rolls job jobID back, like the job's own AbortJob, and says
// what it undid: the uploads it aborted and the objects of an interrupted
// commit it deleted. The result is not nil when the job could be opened,
// also with an error (for one matching [ErrDamagedRecords] the job is
// rolled back all the same). A job whose staging directory is gone is
// [committer.ErrJobNotFound].
func (c *Committer) AbortJob(ctx context.Context, jobID string) (*AbortResult, error) {
	start := time.Now()
	j, err := c.openJob(ctx, jobID)
	if err != nil {
		return nil, err
	}
	res, err := j.abort(ctx)
	res.Duration = time.Since(start)
	return res, err
}

// abort is AbortJob; its result counts what it undid, also when it
// returns an error.
func (j *job) abort(ctx context.Context) (_ *AbortResult, err error) {
	ctx, op := j.startJob(ctx, "AbortJob")
	defer func() { op.end(ctx, err) }()
	res := &AbortResult{JobID: j.rec.JobID}
	if ok, err := j.h.jobExists(ctx, j.l); err == nil && !ok {
		j.gone(ctx)
		return res, nil
	}
	lk, err := j.lock(ctx)
	if errors.Is(err, committer.ErrJobNotFound) {
		j.gone(ctx) // removed meanwhile by a commit or abort
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("staging: abort job: %w", err)
	}
	defer lk.release()
	if _, err := j.h.readJobRecord(ctx, j.l); isNotExist(err) {
		j.removeDirs(ctx, lk) // committed or aborted meanwhile, or never set up completely
		j.setFinished()
		return res, nil
	}
	var tally undoTally
	err = j.abortLocked(ctx, lk, &tally)
	res.UploadsAborted, res.ObjectsDeleted = int(tally.aborted.Load()), int(tally.deleted.Load())
	if err != nil {
		return res, fmt.Errorf("staging: abort job %s: %w", j.rec.JobID, err)
	}
	return res, nil
}

func (j *job) abortLocked(ctx context.Context, lk *jobLock, tally *undoTally) error {
	if err := j.seal(ctx); err != nil {
		return err
	}
	s, err := j.snapshot(ctx)
	if err != nil {
		return err
	}
	owned := false
	if s.journal.began || s.journal.unreadable {
		if owned, err = j.successOwned(ctx); err != nil {
			return fmt.Errorf("read %s to learn whether the job committed: %w; AbortJob again retries", j.successKey(), err)
		}
	}
	for _, p := range s.setProblems {
		j.c.opts.Logger.WarnContext(ctx, "ignoring an invalid pendingset entry while aborting", "job", j.rec.JobID, "problem", p)
	}
	switch s.abortAction(owned) {
	case abortRefuse:
		return fmt.Errorf("%w: the commit (replace mode) had begun deleting the old objects, so rolling it back would lose the old and the new data; "+
			"resume it with CommitJob (s3commit jobs commit) to finish it", ErrPastPointOfNoReturn)
	case abortRemoveOnly:
		j.removeDeferredFiles(ctx, s)
		j.removeDirs(ctx, lk)
		j.setFinished()
		return nil
	case abortFinishCleanup:
		if owned && !s.journal.succeeded {
			j.journalSuccess(ctx, lk)
		}
		if err := j.cleanup(ctx, s, tally); err != nil {
			return fmt.Errorf("the job is committed (its _SUCCESS is written) and its output stays, but its cleanup failed: %w; AbortJob again retries it", err)
		}
		j.removeDeferredFiles(ctx, s)
		j.removeDirs(ctx, lk)
		j.setFinished()
		msg := fmt.Errorf("%w: it is committed (its _SUCCESS is written), its output stays; its cleanup is finished", committer.ErrJobFinished)
		if err := recordProblemsError(s); err != nil {
			return errors.Join(msg, err)
		}
		return msg
	}
	if err := j.rollback(ctx, s, lk, tally); err != nil {
		return fmt.Errorf("%w; the staging directory %s is kept: AbortJob again retries", err, j.l.jobDir)
	}
	return recordProblemsError(s)
}

// rollback undoes the job: the uploads of its pendingsets are aborted or,
// if completed by an interrupted commit, their objects deleted; the
// uploads of its attempts are aborted, and those nobody recorded swept;
// its _SUCCESS and sidecar are deleted. When all of that succeeded, the
// journal records it and the staging and buffer directories are removed.
func (j *job) rollback(ctx context.Context, s *snapshot, lk *jobLock, tally *undoTally) (err error) {
	c := j.c
	ctx, phase := c.tel.startPhase(ctx, phaseRollback)
	defer func() { phase.end(ctx, err) }()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	// Journaled first: once objects the commit completed start to go, the
	// job must never be resumed as a commit (it would write a _SUCCESS
	// listing them). A rollback that cannot say so does not begin.
	// (A journal that cannot be read cannot be resumed from either.)
	if !s.journal.reverting && !s.journal.unreadable {
		jl, err := j.h.openJournal(ctx, j.l, lk)
		if err == nil {
			err = jl.add(ctx, journalEntry{Op: opReverting})
			_ = jl.Close()
		}
		if err != nil {
			return fmt.Errorf("journal the rollback before it begins: %w", err)
		}
		s.journal.reverting = true
	}
	ups := s.uploads()
	type verdict struct {
		del bool
		err error
	}
	verdicts := make([]verdict, len(ups))
	_ = forEach(ctx, len(ups), c.opts.CommitConcurrency, false, func(ctx context.Context, i int) error {
		del, err := j.undoUpload(ctx, s, ups[i], tally)
		verdicts[i] = verdict{del, err}
		return nil
	})
	var (
		toDelete []string
		errs     []error
	)
	for i, p := range ups {
		if verdicts[i].err != nil {
			errs = append(errs, verdicts[i].err)
		}
		if verdicts[i].del {
			toDelete = append(toDelete, p.Key)
		}
	}
	puts, putErrs := j.undoPuts(ctx, s)
	errs = append(errs, putErrs...)
	toDelete = append(toDelete, puts...)
	if err := j.deleteKeys(ctx, toDelete); err != nil {
		errs = append(errs, fmt.Errorf("delete the objects the job had completed: %w", err))
	} else {
		tally.addDeleted(len(toDelete))
	}
	x := s.index()
	errs = append(errs, j.abortUploads(ctx, s.staleUploads(x), tally), j.sweep(ctx, s, x, tally))
	if s.journal.began || s.journal.unreadable {
		errs = append(errs, j.deleteOwnSuccess(ctx))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	// Journaled before the directory goes: should its removal fail, the
	// job reads as rolled back, not as one whose tasks could commit.
	if jl, err := j.h.openJournal(ctx, j.l, lk); err == nil {
		_ = jl.add(ctx, journalEntry{Op: opReverted})
		_ = jl.Close()
	}
	j.removeDeferredFiles(ctx, s)
	j.removeDirs(ctx, lk)
	j.setFinished()
	c.tel.jobsRolledBack.Add(ctx, 1)
	return nil
}

// gone finishes an AbortJob of a job whose staging directory is gone: it
// removes what is left of its buffer directory and of its removal.
func (j *job) gone(ctx context.Context) {
	j.h.sweepRemnants(ctx, j.rec.JobID)
	if err := j.removeBuffer(); err != nil {
		j.c.opts.Logger.WarnContext(ctx, "could not remove the job's buffer directory", "dir", j.l.bufferDir, "error", err)
	}
	j.setFinished()
}

// undoUpload aborts one upload of a pendingset and says whether its object
// must be deleted: when the journal shows it completed, or when a commit
// had begun (its completion may have taken effect unjournaled: a crash, a
// lost answer), and the object at its key is the one it made.
//
// A successful abort does not prove that the upload was not completed:
// MinIO answers 204 to aborting an upload it does not know, which the
// backends catch with a ListParts first, but not when that check's answer
// is lost. So once a commit had begun the object is checked either way.
func (j *job) undoUpload(ctx context.Context, s *snapshot, p *pendingset.Upload, tally *undoTally) (bool, error) {
	st := s.journal
	if done, ok := st.completed[p.Key]; ok && done.UploadID == p.UploadID {
		return j.ownObject(ctx, p, done.ETag, st.beganAt)
	}
	err := j.c.store.AbortUpload(ctx, p.Key, p.UploadID)
	switch {
	case err == nil:
		tally.addAborted(1)
	case !errors.Is(err, multipart.ErrNoSuchUpload):
		return false, err
	}
	if !st.began && !st.unreadable {
		return false, nil // no commit ran: nothing was completed
	}
	return j.ownObject(ctx, p, "", st.beganAt)
}

// deleteOwnSuccess deletes the destination's _SUCCESS if this job wrote
// it, and the job's sidecar, which carries the job ID in its name (it is
// written before the manifest, so it may exist without it).
func (j *job) deleteOwnSuccess(ctx context.Context) error {
	keys := []string{success.SidecarKey(j.successKey(), success.SidecarName(j.successKey(), j.rec.JobID))}
	owned, err := j.successOwned(ctx)
	if err != nil {
		return fmt.Errorf("read %s: %w", j.successKey(), err)
	}
	if owned {
		keys = append(keys, j.successKey())
	}
	return j.deleteKeys(ctx, keys)
}
