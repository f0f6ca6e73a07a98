package staging

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
)

// This file is the read-only inspection API that tools (the s3commit CLI)
// use to see the jobs of a staging dir and to reconcile a job with its
// store. Nothing here writes to the staging dir or to the store.

// JobState is the state of a job in a staging dir, as [ListJobs] and
// [InspectJob] derive it from the job record, the pendingsets, the
// job-commit journal and the job's lock.
type JobState string

// The states of a job.
const (
	// StateSetUp: the job record exists, no task has committed.
	StateSetUp JobState = "set_up"
	// StateTasksCommitted: at least one task committed (its pendingset is
	// published) and no job commit has begun.
	StateTasksCommitted JobState = "tasks_committed"
	// StateCommitting: a CommitJob or AbortJob of the job is running now,
	// in some process sharing the staging dir: it holds the job's lock
	// (flock on <staging>/<jobID>/lock).
	StateCommitting JobState = "committing"
	// StateInterrupted: a job commit began (the journal says so) but did
	// not finish, and no process holds the job's lock: its driver died or
	// gave up. CommitJob resumes it, AbortJob rolls it back.
	StateInterrupted JobState = "interrupted"
	// StateMustResume: a job commit in replace mode began deleting the old
	// objects and did not finish (interrupted, or failed past that
	// point): CommitJob finishes it; AbortJob refuses, as a rollback
	// would lose the old and the new data.
	StateMustResume JobState = "must_resume"
	// StateReverting: a rollback of the job (a failed commit's revert, or
	// an AbortJob) began and did not finish: objects the commit had
	// completed may be deleted already. AbortJob finishes the rollback;
	// CommitJob refuses.
	StateReverting JobState = "reverting"
	// StateCommitted: the journal records that _SUCCESS was written (or,
	// when InspectJob was given a store, the destination's _SUCCESS names
	// the job); only the cleanup is left, which CommitJob or AbortJob
	// finish.
	StateCommitted JobState = "committed"
	// StateReverted: the journal records a completed rollback; only the
	// cleanup of the staging dir is left.
	StateReverted JobState = "reverted"
)

// StaleUploadWarning is the age of a job's oldest pending upload from
// which tools warn: MinIO deletes uncompleted multipart uploads 24 hours
// after their creation by default (MINIO_API_STALE_UPLOADS_EXPIRY), after
// which the job can no longer be committed.
const StaleUploadWarning = 20 * time.Hour

// JobInfo describes one job of a staging dir, from its local records only.
type JobInfo struct {
	// ID is the job ID.
	ID string
	// Bucket and Destination are where the job writes: the key prefix
	// Destination in Bucket.
	Bucket, Destination string
	// Mode, Conflict and UniqueFilenames are the job's settings.
	Mode            committer.Mode
	Conflict        committer.ConflictMode
	UniqueFilenames bool
	// Created is when the job was set up.
	Created time.Time
	// State is the job's state (see [JobState]).
	State JobState
	// Tasks are the committed tasks, by task ID.
	Tasks []TaskInfo
	// Files and Bytes total the files of the committed tasks.
	Files int
	Bytes int64
	// OldestUpload is when the oldest upload of a committed task was
	// created; zero when there is none.
	OldestUpload time.Time
	// CompletedUploads is how many uploads the job-commit journal records
	// as completed, and deferred files as written (an interrupted or
	// running commit).
	CompletedUploads int
	// Attempts are the task attempts that recorded intents (keys they
	// planned or uploads they created) but did not publish the pendingset
	// of their task: failed, killed, running or losing attempts.
	Attempts []AttemptInfo
	// Problems are the invalid pendingsets and pendingset entries, each
	// an error naming the file and the problem and matching
	// [committer.ErrInvalidPendingSet] (or [ErrRecordTooLarge]). Tasks
	// holds only the valid entries (a pendingset that cannot be decoded is
	// left out). CommitJob refuses a job with problems; AbortJob rolls it
	// back.
	Problems []error
	// RecordProblems are the intents and journal records that could not
	// be read, or named keys outside the job's destination, and were left
	// out. They stop neither CommitJob nor AbortJob, but uploads they
	// named may be left in the store.
	RecordProblems []error
}

// OldestUploadAge is the age at now of the oldest pending upload; zero
// when the job has none.
func (j *JobInfo) OldestUploadAge(now time.Time) time.Duration {
	if j.OldestUpload.IsZero() {
		return 0
	}
	return now.Sub(j.OldestUpload)
}

// NearExpiry reports whether the oldest pending upload is at least
// [StaleUploadWarning] old at now.
func (j *JobInfo) NearExpiry(now time.Time) bool {
	return !j.OldestUpload.IsZero() && j.OldestUploadAge(now) >= StaleUploadWarning
}

// TaskInfo is a committed task: its pendingset.
type TaskInfo struct {
	// ID is the task ID.
	ID string
	// Attempt is the attempt that committed ("<taskID>_<attempt>"), as
	// recorded in the pendingset; empty if not recorded.
	Attempt string
	// PendingSet is the path of the task's pendingset.
	PendingSet string
	// Files are the task's pending uploads, in key order.
	Files []FileInfo
	// Bytes totals the sizes of Files.
	Bytes int64
}

// UploadStatus is what a reconciliation with the store says about a
// pending upload.
type UploadStatus string

// The statuses of a pending upload.
const (
	// StatusUnknown: not reconciled (no store given).
	StatusUnknown UploadStatus = ""
	// StatusPending: the upload still exists in the store.
	StatusPending UploadStatus = "pending"
	// StatusCompleted: the job-commit journal records it completed.
	StatusCompleted UploadStatus = "completed"
	// StatusDeferred: a deferred file (Options.DeferredPutThreshold) that
	// the job commit has not written yet: it is in the buffer dir, not
	// in the store.
	StatusDeferred UploadStatus = "deferred"
	// StatusVanished: the upload is not in the store and the journal does
	// not record it completed: it expired (MinIO reaps uploads after 24 h
	// by default) or was aborted by someone else. The job cannot commit
	// it; abort the job and run it again.
	StatusVanished UploadStatus = "vanished"
)

// FileInfo is one pending upload, or one deferred file, of a committed
// task.
type FileInfo struct {
	// Key is the object key the upload becomes.
	Key string
	// Size is the object's size in bytes.
	Size int64
	// UploadID is the multipart upload ID; "" for a deferred file.
	UploadID string
	// Deferred is, for a deferred file, its path relative to the job's
	// directory in the buffer dir ("<taskID>_<attempt>/<file>"); the job
	// commit writes it with a PutObject. "" for an upload.
	Deferred string
	// Parts is the number of parts.
	Parts int
	// Created is when the upload was created.
	Created time.Time
	// Status is set by [InspectJob] with a store.
	Status UploadStatus
}

// AttemptInfo is a task attempt with intent records but no published
// pendingset.
type AttemptInfo struct {
	// Name is "<taskID>_<attempt>".
	Name string
	// TaskID and Attempt are parsed from Name.
	TaskID  string
	Attempt int
	// Keys are the keys the attempt planned to upload, sorted.
	Keys []string
	// Uploads are the uploads the attempt recorded as created.
	Uploads []UploadRef
	// Uncertain is how many upload creations had an unknown outcome.
	Uncertain int
	// TaskCommitted says whether another attempt of the task committed
	// (this one lost, or was retried after a failure).
	TaskCommitted bool
}

// UploadRef names one multipart upload.
type UploadRef struct {
	Key      string
	UploadID string
}

// OrphanUpload is an upload of the job in the store, at one of its keys,
// that no pendingset records: CommitJob's cleanup and AbortJob abort it.
type OrphanUpload struct {
	Key       string
	UploadID  string
	Initiated time.Time // zero when the store does not report it
	// Attempt is the attempt whose intents record the upload or, for an
	// upload no intent records by ID (Uncertain is then true), the one
	// attempt whose records say an unrecorded upload may exist at that
	// key (a creation whose answer was lost, or a run that died between
	// a creation and its record); empty when none or several do. Uploads
	// no intent records are the job's only with unique filenames (the key
	// carries the job ID) and when initiated after the job was set up;
	// other uploads at the job's keys are other writers' and are not
	// listed.
	Attempt   string
	Uncertain bool
}

// JobReport is a job and, when a store was given, its reconciliation with
// the store.
type JobReport struct {
	JobInfo
	// Reconciled says whether the store was consulted; the fields below
	// and FileInfo.Status are set only then.
	Reconciled bool
	// Pending, Completed and Vanished count the pending uploads by status.
	Pending, Completed, Vanished int
	// Orphans are uploads at the job's keys (those of its pendingsets and
	// of its attempts' intents, listed by exact key) that no pendingset
	// records, sorted by key.
	Orphans []OrphanUpload
}

// ListJobs describes every job in stagingDir, sorted by ID, from the
// local records only (no store calls). Directories without a job record
// are skipped (a job being set up or removed). A stagingDir that does not
// exist is an error matching fs.ErrNotExist; an invalid job record or
// journal is an error naming the file. Invalid pendingsets are reported
// in [JobInfo.Problems], not as an error.
//
// To tell a running commit from an interrupted one, ListJobs probes the
// job's lock with a non-blocking flock that it releases at once; a
// CommitJob or AbortJob starting in that instant fails with [ErrJobBusy]
// and can be retried. Where flock is not available a running commit shows
// as interrupted.
func ListJobs(stagingDir string) ([]JobInfo, error) {
	return ListJobsContext(context.Background(), nil, stagingDir)
}

// ListJobsContext is [ListJobs] for a staging dir on a filesystem or in
// the store (s3://bucket/prefix): then store, on that bucket, reads the
// records (one listing of the prefix and a few reads per job), and a job
// shows as committing while its journal is claimed and not released.
func ListJobsContext(ctx context.Context, store multipart.Store, stagingDir string) ([]JobInfo, error) {
	if inStore(stagingDir) {
		return listStoreJobs(ctx, store, stagingDir)
	}
	fi, err := os.Stat(stagingDir)
	if err != nil {
		return nil, fmt.Errorf("staging: list jobs: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("staging: list jobs: %s is not a directory", stagingDir)
	}
	fsys, err := openRootFS(stagingDir)
	if err != nil {
		return nil, fmt.Errorf("staging: list jobs: %w", err)
	}
	defer fsys.root.Close()
	entries, err := fsys.ReadDir(".")
	if err != nil {
		return nil, fmt.Errorf("staging: list jobs: %w", err)
	}
	var out []JobInfo
	for _, e := range entries {
		if !e.IsDir() || committer.ValidateID("job ID", e.Name()) != nil {
			continue
		}
		s, held, err := inspectLocal(context.Background(), &fsHome{fs: fsys, log: discardLogger}, fsys.root.Name(), e.Name())
		if errors.Is(err, committer.ErrJobNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("staging: list jobs: %w", err)
		}
		out = append(out, s.report(held, false).JobInfo)
	}
	return out, nil
}

// InspectJob describes job jobID of stagingDir like [ListJobs] and, when
// store is not nil, reconciles it with the store, which must be on the
// job's bucket: for every key of the job (those of its pendingsets and of
// its attempts' intents) it lists the uploads of that exact key (which
// works on MinIO) and reports which pending uploads still exist, which
// vanished, and which uploads of the job no pendingset records (orphans);
// for a job whose commit began and whose journal does not record its end,
// it reads the destination's _SUCCESS to learn whether the job committed.
// It decides with the same functions as CommitJob and AbortJob, so that
// what it reports is what they do.
//
// A stagingDir s3://bucket/prefix (a staging dir in the store) is read
// through store, which is then required and must be on that bucket.
//
// A job that does not exist is [committer.ErrJobNotFound].
func InspectJob(ctx context.Context, store multipart.Store, stagingDir, jobID string) (*JobReport, error) {
	return InspectJobWith(ctx, store, stagingDir, jobID, InspectOptions{})
}

// InspectOptions configure [InspectJobWith].
type InspectOptions struct {
	// StagingStore reads a staging dir in the store (s3://bucket/prefix)
	// whose bucket is not the job's, as Options.StagingStore does for the
	// committer; nil means the store given to InspectJobWith.
	StagingStore multipart.Store
}

// InspectJobWith is [InspectJob] with options: a staging dir in another
// bucket than the job's output is read through opts.StagingStore, and the
// job reconciled with store (nil: the records only, as with no store).
func InspectJobWith(ctx context.Context, store multipart.Store, stagingDir, jobID string, opts InspectOptions) (*JobReport, error) {
	if err := committer.ValidateID("job ID", jobID); err != nil {
		return nil, fmt.Errorf("staging: inspect job: %w", err)
	}
	records := opts.StagingStore
	if records == nil {
		records = store
	}
	h, closeHome, err := openHomeFor(records, stagingDir)
	if err != nil {
		return nil, fmt.Errorf("staging: inspect job %s: %w", jobID, err)
	}
	defer closeHome()
	s, held, err := inspectLocal(ctx, h, stagingDir, jobID)
	if err != nil {
		return nil, fmt.Errorf("staging: inspect job %s: %w", jobID, err)
	}
	if store == nil {
		rep := s.report(held, false)
		return &rep, nil
	}
	if store.Bucket() != s.rec.Bucket {
		return nil, fmt.Errorf("staging: inspect job %s: the job writes to bucket %q but the store is on bucket %q",
			jobID, s.rec.Bucket, store.Bucket())
	}
	listed, err := listUploadsAt(ctx, store, s.allKeys(), reconcileConcurrency)
	if err != nil {
		return nil, fmt.Errorf("staging: inspect job %s: %w", jobID, err)
	}
	owned := false
	if st := s.journal; (st.began || st.unreadable) && !st.succeeded && !st.reverted {
		j := &job{c: &Committer{store: store}, rec: s.rec}
		if owned, err = j.successOwned(ctx); err != nil {
			return nil, fmt.Errorf("staging: inspect job %s: read %s: %w", jobID, j.successKey(), err)
		}
	}
	rep := s.report(held, owned)
	s.reconcile(&rep, listed)
	return &rep, nil
}

// inspectLocal reads one job's records and probes its lock. A directory
// without job record is committer.ErrJobNotFound.
func inspectLocal(ctx context.Context, h home, dir, jobID string) (*snapshot, bool, error) {
	l := newLayout("", jobID)
	where := h.where(l.record())
	rec, err := h.readJobRecord(ctx, l)
	if err != nil {
		if isNotExist(err) {
			return nil, false, fmt.Errorf("%w: no job record at %s", committer.ErrJobNotFound, where)
		}
		return nil, false, err
	}
	if rec.JobID != jobID {
		return nil, false, fmt.Errorf("the job record %s names job %q", where, rec.JobID)
	}
	s, err := loadSnapshot(ctx, h, l, rec)
	if err != nil {
		return nil, false, err
	}
	s.dir, s.where = dir, h.where
	return s, h.lockHeld(ctx, l, s.journal), nil
}

// report describes the snapshot's job from its records: the pure part of
// ListJobs and InspectJob.
func (s *snapshot) report(lockHeld, successOwned bool) JobReport {
	rec := s.rec
	rep := JobReport{JobInfo: JobInfo{
		ID: rec.JobID, Bucket: rec.Bucket, Destination: rec.Destination,
		Mode: rec.Mode, Conflict: rec.Conflict, UniqueFilenames: rec.UniqueFilenames,
		Created: rec.createdTime().UTC(), CompletedUploads: len(s.journal.completed) + len(s.journal.put),
		Problems: s.setProblems, RecordProblems: s.recordProblems,
		State: s.state(lockHeld, successOwned),
	}}
	info := &rep.JobInfo
	winners := s.winners()
	for _, set := range s.sets {
		t := TaskInfo{ID: set.taskID(), Attempt: set.attempt(), PendingSet: s.recordPath(set.path)}
		for i := range set.set.Commits {
			c := &set.set.Commits[i]
			f := FileInfo{Key: c.Key, Size: c.Length, UploadID: c.UploadID, Parts: len(c.ETags), Created: c.CreatedTime()}
			t.Files = append(t.Files, f)
			t.Bytes += f.Size
			if info.OldestUpload.IsZero() || f.Created.Before(info.OldestUpload) {
				info.OldestUpload = f.Created
			}
		}
		for i := range set.set.Deferred {
			d := &set.set.Deferred[i]
			t.Files = append(t.Files, FileInfo{Key: d.Key, Size: d.Length, Deferred: d.Path})
			t.Bytes += d.Length
		}
		sort.Slice(t.Files, func(a, b int) bool { return t.Files[a].Key < t.Files[b].Key })
		info.Files += len(t.Files)
		info.Bytes += t.Bytes
		info.Tasks = append(info.Tasks, t)
	}
	for _, name := range s.attemptNames() {
		a := s.attempts[name]
		w, committed := winners[a.taskID]
		if committed && w == name {
			continue
		}
		ai := AttemptInfo{Name: name, TaskID: a.taskID, Attempt: a.attempt, TaskCommitted: committed, Keys: a.keys, Uploads: a.uploads}
		for _, n := range a.uncertain {
			ai.Uncertain += n
		}
		info.Attempts = append(info.Attempts, ai)
	}
	return rep
}

// reconcile fills in what the store's uploads at every key of the job say:
// the status of each pending upload and the orphans.
func (s *snapshot) reconcile(rep *JobReport, listed []multipart.Upload) {
	exists := make(map[UploadRef]bool, len(listed))
	for _, up := range listed {
		exists[UploadRef{Key: up.Key, UploadID: up.UploadID}] = true
	}
	rep.Orphans = s.orphans(s.index(), listed)
	for ti := range rep.Tasks {
		for fi := range rep.Tasks[ti].Files {
			f := &rep.Tasks[ti].Files[fi]
			done, completed := s.journal.completed[f.Key]
			_, put := s.journal.put[f.Key]
			switch {
			case f.Deferred != "" && put:
				f.Status = StatusCompleted
				rep.Completed++
			case f.Deferred != "":
				f.Status = StatusDeferred
			case completed && done.UploadID == f.UploadID:
				f.Status = StatusCompleted
				rep.Completed++
			case exists[UploadRef{Key: f.Key, UploadID: f.UploadID}]:
				f.Status = StatusPending
				rep.Pending++
			default:
				f.Status = StatusVanished
				rep.Vanished++
			}
		}
	}
	rep.Reconciled = true
}

// lockHeld probes a job's lock without waiting and without creating the
// lock file: a job that never committed or aborted has none.
func lockHeld(fsys fsys, name string) bool {
	if _, err := fsys.Lstat(name); err != nil {
		return false
	}
	unlock, err := fsys.Lock(name)
	if err != nil {
		return errors.Is(err, errLocked)
	}
	unlock()
	return false
}

// splitAttemptName splits "<taskID>_<attempt>" at its last '_'.
func splitAttemptName(name string) (string, int) {
	i := strings.LastIndexByte(name, '_')
	if i < 0 {
		return name, -1
	}
	n, err := strconv.Atoi(name[i+1:])
	if err != nil {
		return name, -1
	}
	return name[:i], n
}

// discardLogger logs nothing.
var discardLogger = slog.New(slog.DiscardHandler)

// openHomeFor opens a staging dir for the tools: a directory, or
// s3://bucket/prefix on store.
func openHomeFor(store multipart.Store, stagingDir string) (home, func(), error) {
	if inStore(stagingDir) {
		u, err := parseStagingURL(stagingDir)
		if err != nil {
			return nil, nil, err
		}
		if store == nil || store.Bucket() != u.bucket {
			return nil, nil, fmt.Errorf("the staging dir %s is in the store: give a store on bucket %q", u, u.bucket)
		}
		c := &Committer{stagingURL: u, stagingStore: store, opts: Options{Logger: discardLogger}}
		h, err := c.storeHome(context.Background())
		return h, func() {}, err
	}
	fsys, err := openRootFS(stagingDir)
	if err != nil {
		return nil, nil, err
	}
	return &fsHome{fs: fsys, log: discardLogger}, func() { fsys.root.Close() }, nil
}

// listStoreJobs lists the jobs of a staging dir in the store: the
// prefixes that hold a job record.
func listStoreJobs(ctx context.Context, store multipart.Store, stagingDir string) ([]JobInfo, error) {
	h, _, err := openHomeFor(store, stagingDir)
	if err != nil {
		return nil, fmt.Errorf("staging: list jobs: %w", err)
	}
	sh := h.(*storeHome)
	var ids []string
	for name, err := range sh.r.List(ctx, "") {
		if err != nil && name == "" {
			return nil, fmt.Errorf("staging: list jobs in %s: %w", sh.url, err)
		}
		id, rest, ok := strings.Cut(name, "/")
		if err == nil && ok && rest == jobRecordName && committer.ValidateID("job ID", id) == nil {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	var out []JobInfo
	for _, id := range ids {
		s, held, err := inspectLocal(ctx, h, stagingDir, id)
		if errors.Is(err, committer.ErrJobNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("staging: list jobs: %w", err)
		}
		out = append(out, s.report(held, false).JobInfo)
	}
	return out, nil
}
