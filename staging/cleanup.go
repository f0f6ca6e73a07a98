package staging

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
)

// finishCommit cleans up after a committed job: it aborts the uploads of
// attempts that did not win and the job's uploads nobody recorded (swept
// by exact key where the records say one may exist), then removes the
// job's staging and buffer directories. r is the run that committed, nil
// when an earlier run did.
//
// When the cleanup cannot abort every upload, the staging directory is
// kept, with its journal saying that the job is committed: a later
// CommitJob or AbortJob (or the CLI) redoes the cleanup. The job is
// committed either way, so CommitJob returns nil.
func (j *job) finishCommit(ctx context.Context, s *snapshot, r *commitRun, lk *jobLock) *CommitResult {
	if r != nil && r.jl != nil {
		_ = r.jl.Close()
	}
	res := j.commitResult(s, r)
	var tally undoTally
	pctx, phase := j.c.tel.startPhase(ctx, phaseCleanup)
	err := j.cleanup(pctx, s, &tally)
	phase.end(pctx, err)
	res.OrphanUploadsAborted = int(tally.aborted.Load())
	if err != nil {
		j.c.opts.Logger.WarnContext(ctx, "the job is committed but uploads of other attempts could not all be aborted; "+
			"CommitJob or AbortJob again (or s3commit jobs abort) finishes the cleanup", "job", j.rec.JobID, "error", err)
		res.CleanupErr = err
		return res
	}
	j.warnRecordProblems(ctx, s)
	j.removeDeferredFiles(ctx, s)
	j.removeDirs(ctx, lk)
	j.setFinished()
	return res
}

// commitResult describes the committed job of snapshot s and what run r
// did (nil: an earlier run committed it).
func (j *job) commitResult(s *snapshot, r *commitRun) *CommitResult {
	res := &CommitResult{
		JobID: j.rec.JobID, Bucket: j.rec.Bucket, Destination: j.rec.Destination, SuccessKey: j.successKey(),
		Tasks: len(s.sets),
	}
	out := sizeOf(s.uploads(), s.deferred())
	res.Files, res.Bytes = out.files, out.bytes
	if r == nil {
		res.AlreadyCommitted = true
		return res
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	res.UploadsCompleted, res.DeferredFilesPut, res.OldObjectsDeleted = r.completed, r.puts, r.deleted
	res.Resumed = r.resumed
	return res
}

// cleanup aborts, after a commit, what the job left in the store: the
// uploads its attempts recorded that no pendingset holds, and the uploads
// found by exact key where an upload nobody knows the ID of may exist.
func (j *job) cleanup(ctx context.Context, s *snapshot, tally *undoTally) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	x := s.index()
	errs := []error{j.abortUploads(ctx, s.staleUploads(x), tally)}
	errs = append(errs, j.sweep(ctx, s, x, tally))
	return errors.Join(errs...)
}

// sweep lists the uploads at the snapshot's sweep keys and aborts those
// that belong to the job but to no committed task.
func (j *job) sweep(ctx context.Context, s *snapshot, x *uploadIndex, tally *undoTally) error {
	keys := s.sweepKeys(x)
	if len(keys) == 0 {
		return nil
	}
	listed, err := listUploadsAt(ctx, j.c.store, keys, j.c.opts.CommitConcurrency)
	if err != nil {
		return err
	}
	var refs []UploadRef
	for _, o := range s.orphans(x, listed) {
		refs = append(refs, UploadRef{Key: o.Key, UploadID: o.UploadID})
	}
	return j.abortUploads(ctx, refs, tally)
}

// warnRecordProblems logs the records that could not be read: uploads
// they named may be left in the store.
func (j *job) warnRecordProblems(ctx context.Context, s *snapshot) {
	for _, p := range s.recordProblems {
		j.c.opts.Logger.WarnContext(ctx, "a record of the job could not be read; uploads it named may be left "+
			"(with unique filenames, s3commit uploads list --job finds them)", "job", j.rec.JobID, "problem", p)
	}
}

// removeDirs removes the job's records from the staging dir (see
// home.removeJob) and its buffer directory.
func (j *job) removeDirs(ctx context.Context, lk *jobLock) {
	j.h.removeJob(ctx, j.l, lk)
	if err := j.removeBuffer(); err != nil {
		j.c.opts.Logger.WarnContext(ctx, "could not remove the job's buffer directory", "dir", j.l.bufferDir, "error", err)
	}
}

// The hidden names of a job's directory while it is set up and once it
// is removed.
const (
	setupPrefix = ".setup-"
	trashPrefix = ".trash-"
)

func trashName(jobID string) string { return trashPrefix + jobID + "-" + randomSuffix() }
func setupName(jobID string) string { return setupPrefix + jobID + "-" + randomSuffix() }

func randomSuffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// RemoveRemnants removes from stagingDir what a crash left of setting up
// or removing job jobID: the hidden directories SetupJob fills before it
// renames one into place, and those a finished job's directory is renamed
// to before it is removed. OpenJob of a job that is not there does the
// same; tools that find a job missing call it. A missing stagingDir has no
// remnants.
func RemoveRemnants(stagingDir, jobID string) error {
	return RemoveRemnantsContext(context.Background(), nil, stagingDir, jobID)
}

// RemoveRemnantsContext is [RemoveRemnants] for a staging dir on a
// filesystem or in the store (s3://bucket/prefix, read through store):
// there, the records left of job jobID once its job record is gone.
func RemoveRemnantsContext(ctx context.Context, store multipart.Store, stagingDir, jobID string) error {
	if err := committer.ValidateID("job ID", jobID); err != nil {
		return fmt.Errorf("staging: remove remnants: %w", err)
	}
	if inStore(stagingDir) {
		h, _, err := openHomeFor(store, stagingDir)
		if err != nil {
			return fmt.Errorf("staging: remove remnants of job %s: %w", jobID, err)
		}
		h.sweepRemnants(ctx, jobID)
		return nil
	}
	fsys, err := openRootFS(stagingDir)
	if isNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("staging: remove remnants of job %s: %w", jobID, err)
	}
	defer fsys.root.Close()
	sweepRemnants(fsys, jobID)
	return nil
}

// sweepRemnants removes what a crash left of setting up or removing job
// jobID ("" for every job): hidden directories that no process uses once
// the job is gone or set up.
func sweepRemnants(fsys fsys, jobID string) {
	entries, err := fsys.ReadDir(".")
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		remnant := strings.HasPrefix(name, trashPrefix) && (jobID == "" || strings.HasPrefix(name, trashPrefix+jobID+"-")) ||
			jobID != "" && strings.HasPrefix(name, setupPrefix+jobID+"-")
		if remnant {
			_ = fsys.RemoveAll(name)
		}
	}
}

// removingJobDir, when not nil, is called right before a job's staging
// directory is removed; tests check there that no file of it is open.
var removingJobDir func(dir string)

// recordProblemsError reports the records a finished operation could not
// read, or nil.
func recordProblemsError(s *snapshot) error {
	if len(s.recordProblems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %d record(s) of the job could not be read, so uploads they named may be left "+
		"(with unique filenames, s3commit uploads list --job finds them); the first: %w",
		ErrDamagedRecords, len(s.recordProblems), s.recordProblems[0])
}
