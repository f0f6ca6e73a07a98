package staging

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"time"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/success"
)

// AbortJob rolls the job back: it aborts every upload the job recorded
// (in pendingsets and in the attempts' intent records), aborts uploads at
// the job's keys whose creation answer was lost (with unique filenames),
// deletes the objects an interrupted CommitJob had completed and the
// job's _SUCCESS if one was written, and removes the job's staging and
// buffer directories. It touches no key the job did not record. AbortJob
// is idempotent and returns nil when the staging directory is gone. While
// another CommitJob or AbortJob of the job runs (in any process sharing
// the staging dir) it returns [ErrJobBusy].
//
// A job whose commit had finished (its _SUCCESS written) is not rolled
// back: AbortJob removes what is left of its staging directory and
// returns [committer.ErrJobFinished].
func (j *job) AbortJob(ctx context.Context) error {
	if _, err := os.Stat(j.l.jobDir); isNotExist(err) {
		j.removeDirs(ctx)
		j.setFinished()
		return nil
	}
	unlock, err := j.lock()
	if errors.Is(err, committer.ErrJobNotFound) {
		j.removeDirs(ctx) // removed meanwhile by a commit or abort
		j.setFinished()
		return nil
	}
	if err != nil {
		return fmt.Errorf("staging: abort job: %w", err)
	}
	defer unlock()
	if _, err := os.Stat(j.l.record()); isNotExist(err) {
		j.removeDirs(ctx) // committed or aborted meanwhile, or never set up completely
		j.setFinished()
		return nil
	}
	st, err := readJournal(j.l.journal())
	if err != nil {
		return fmt.Errorf("staging: abort job %s: %w", j.rec.JobID, err)
	}
	if st.succeeded {
		j.removeDirs(ctx)
		j.setFinished()
		return fmt.Errorf("staging: abort job %s: %w: its commit had finished, its output stays", j.rec.JobID, committer.ErrJobFinished)
	}
	// Invalid pendingsets do not stop a rollback: the uploads of the
	// valid commits are aborted, those of corrupt ones are found through
	// the attempts' intents, and keys outside the destination or in
	// another bucket are never touched.
	sets, problems, err := j.readPendingSets()
	if err != nil {
		return fmt.Errorf("staging: abort job %s: %w", j.rec.JobID, err)
	}
	for _, p := range problems {
		j.c.opts.Logger.WarnContext(ctx, "ignoring an invalid pendingset entry while aborting", "job", j.rec.JobID, "problem", p)
	}
	if err := j.rollback(ctx, sets, st); err != nil {
		return fmt.Errorf("staging: abort job %s: %w; the staging directory %s is kept: AbortJob again retries",
			j.rec.JobID, err, j.l.jobDir)
	}
	return nil
}

// rollback undoes the job: the uploads of its pendingsets are aborted or,
// if completed by an interrupted commit, their objects deleted; the
// uploads of its attempts are aborted; its _SUCCESS is deleted. When all
// of that succeeded, the journal records it and the staging and buffer
// directories are removed.
func (j *job) rollback(ctx context.Context, sets []taskSet, st *journalState) error {
	c := j.c
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if st.deleting != nil {
		c.opts.Logger.WarnContext(ctx, "rolling back a replace commit that had begun deleting the old objects: those are lost",
			"job", j.rec.JobID, "old_objects", len(st.deleting))
	}
	ups := uploads(sets)
	keys := make(map[string]bool)
	var (
		toDelete []string
		errs     []error
	)
	type verdict struct {
		del bool
		err error
	}
	verdicts := make([]verdict, len(ups))
	_ = forEach(ctx, len(ups), c.opts.CommitConcurrency, false, func(ctx context.Context, i int) error {
		del, err := j.undoUpload(ctx, ups[i], st)
		verdicts[i] = verdict{del, err}
		return nil
	})
	for i, p := range ups {
		keys[p.Key] = true
		if verdicts[i].err != nil {
			errs = append(errs, verdicts[i].err)
		}
		if verdicts[i].del {
			toDelete = append(toDelete, p.Key)
		}
	}
	if err := j.deleteKeys(ctx, toDelete); err != nil {
		errs = append(errs, fmt.Errorf("delete the objects the job had completed: %w", err))
	}
	in, err := readAllIntents(j.l.attemptsDir())
	if err != nil {
		errs = append(errs, err)
	}
	for _, i := range in {
		keys[i.Key] = true
	}
	errs = append(errs, j.abortUploads(ctx, in), j.sweepOrphans(ctx, sortedKeys(keys)))
	if st.began {
		errs = append(errs, j.deleteOwnSuccess(ctx))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if st.began {
		if jl, err := openJournal(j.l); err == nil {
			_ = jl.add(journalEntry{Op: opReverted})
			_ = jl.Close()
		}
	}
	j.removeDirs(ctx)
	j.setFinished()
	return nil
}

// undoUpload aborts one upload of a pendingset and says whether its object
// must be deleted: when the journal shows it completed, or when the
// upload is gone and the object exists with the recorded size, written
// after the commit began (completed by a run that crashed before
// journaling it).
func (j *job) undoUpload(ctx context.Context, p *multipart.PendingUpload, st *journalState) (bool, error) {
	c := j.c
	if done, ok := st.completed[p.Key]; ok && done.UploadID == p.UploadID {
		return true, nil
	}
	_, err := do(ctx, c, "AbortUpload", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, c.store.AbortUpload(ctx, p.Key, p.UploadID)
	})
	switch {
	case err == nil:
		return false, nil
	case !errors.Is(err, multipart.ErrNoSuchUpload):
		return false, err
	case !st.began:
		return false, nil // no commit ran: nothing was completed
	}
	info, err := do(ctx, c, "HeadObject", func(ctx context.Context) (multipart.ObjectInfo, error) {
		return c.store.HeadObject(ctx, p.Key)
	})
	switch {
	case errors.Is(err, multipart.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return info.Size == p.Length && !info.LastModified.Before(st.beganAt.Add(-timeSkew)), nil
}

// deleteOwnSuccess deletes the destination's _SUCCESS (and its sidecar)
// if this job wrote it.
func (j *job) deleteOwnSuccess(ctx context.Context) error {
	d, err := success.Read(ctx, j.c.store, j.successKey())
	switch {
	case errors.Is(err, multipart.ErrNotFound):
		return nil
	case errors.Is(err, success.ErrInvalidManifest) || errors.Is(err, success.ErrClassicMarker):
		return nil // not ours
	case err != nil:
		return fmt.Errorf("read %s: %w", j.successKey(), err)
	}
	if d.JobID != j.rec.JobID {
		return nil
	}
	keys := []string{j.successKey()}
	if d.FilesSidecar != "" {
		keys = append(keys, sidecarKey(j.successKey(), d.FilesSidecar))
	}
	return j.deleteKeys(ctx, keys)
}

// timeSkew is the clock difference between hosts that comparisons of a
// store's timestamps with local ones allow for.
const timeSkew = time.Minute

// sidecarKey is the key of a _SUCCESS sidecar named in the manifest at
// key: a name in the same directory.
func sidecarKey(key, name string) string { return path.Dir(key) + "/" + name }
