package staging

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
	// StateCommitted: the journal records that _SUCCESS was written; only
	// the cleanup of the staging dir is left.
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
	// as completed (an interrupted or running commit).
	CompletedUploads int
	// Attempts are the task attempts that recorded intents (keys they
	// planned or uploads they created) but did not publish the pendingset
	// of their task: failed, killed, running or losing attempts.
	Attempts []AttemptInfo
	// Problems are the invalid pendingsets and pendingset entries, each
	// an error naming the file and the problem and matching
	// [committer.ErrInvalidPendingSet]. Tasks holds only the valid
	// entries (a pendingset that cannot be decoded is left out). CommitJob
	// refuses a job with problems; AbortJob rolls it back.
	Problems []error
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
	// StatusVanished: the upload is not in the store and the journal does
	// not record it completed: it expired (MinIO reaps uploads after 24 h
	// by default) or was aborted by someone else. The job cannot commit
	// it; abort the job and run it again.
	StatusVanished UploadStatus = "vanished"
)

// FileInfo is one pending upload of a committed task.
type FileInfo struct {
	// Key is the object key the upload becomes.
	Key string
	// Size is the object's size in bytes.
	Size int64
	// UploadID is the multipart upload ID.
	UploadID string
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

// OrphanUpload is an upload in the store at one of the job's keys that no
// pendingset records.
type OrphanUpload struct {
	Key       string
	UploadID  string
	Initiated time.Time // zero when the store does not report it
	// Attempt is the attempt whose intents record the upload or, for an
	// upload no intent records by ID, the one attempt that recorded an
	// upload creation at that key whose answer was lost (Uncertain is
	// then true). It is empty when no attempt accounts for the upload
	// (without unique filenames, it may be another job's upload at the
	// same key).
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
	fi, err := os.Stat(stagingDir)
	if err != nil {
		return nil, fmt.Errorf("staging: list jobs: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("staging: list jobs: %s is not a directory", stagingDir)
	}
	entries, err := os.ReadDir(stagingDir)
	if err != nil {
		return nil, fmt.Errorf("staging: list jobs: %w", err)
	}
	var out []JobInfo
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		info, err := inspectLocal(stagingDir, e.Name())
		if errors.Is(err, committer.ErrJobNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("staging: list jobs: %w", err)
		}
		out = append(out, info.JobInfo)
	}
	return out, nil
}

// InspectJob describes job jobID of stagingDir like [ListJobs] and, when
// store is not nil, reconciles it with the store, which must be on the
// job's bucket: for every key of the job (those of its pendingsets and of
// its attempts' intents) it lists the uploads of that exact key (which
// works on MinIO) and reports which pending uploads still exist, which
// vanished, and which uploads no pendingset records (orphans). Uploads
// that no intent records and that were initiated more than a minute before
// the job was set up are not the job's and are left out.
//
// A job that does not exist is [committer.ErrJobNotFound].
func InspectJob(ctx context.Context, store multipart.Store, stagingDir, jobID string) (*JobReport, error) {
	if err := committer.ValidateID("job ID", jobID); err != nil {
		return nil, fmt.Errorf("staging: inspect job: %w", err)
	}
	if _, err := os.Stat(stagingDir); err != nil {
		return nil, fmt.Errorf("staging: inspect job %s: %w", jobID, err)
	}
	rep, err := inspectLocal(stagingDir, jobID)
	if err != nil {
		return nil, fmt.Errorf("staging: inspect job %s: %w", jobID, err)
	}
	if store == nil {
		return &rep.JobReport, nil
	}
	if store.Bucket() != rep.Bucket {
		return nil, fmt.Errorf("staging: inspect job %s: the job writes to bucket %q but the store is on bucket %q",
			jobID, rep.Bucket, store.Bucket())
	}
	if err := rep.reconcile(ctx, store); err != nil {
		return nil, fmt.Errorf("staging: inspect job %s: %w", jobID, err)
	}
	return &rep.JobReport, nil
}

// localReport is a JobReport with what reconciliation needs.
type localReport struct {
	JobReport
	journal *journalState
	intents map[string][]intent // by attempt name
}

// inspectLocal reads one job's records. A directory without job record
// is committer.ErrJobNotFound.
func inspectLocal(stagingDir, jobID string) (*localReport, error) {
	l := newLayout(stagingDir, "", jobID)
	rec, err := readJobRecord(l.record())
	if err != nil {
		if isNotExist(err) {
			return nil, fmt.Errorf("%w: no job record at %s", committer.ErrJobNotFound, l.record())
		}
		return nil, err
	}
	if rec.JobID != jobID {
		return nil, fmt.Errorf("the job record %s names job %q", l.record(), rec.JobID)
	}
	j := &job{rec: rec, l: l}
	sets, problems, err := j.readPendingSets()
	if err != nil {
		return nil, err
	}
	st, err := readJournal(l.journal())
	if err != nil {
		return nil, err
	}
	byAttempt, err := readIntentsByAttempt(l.attemptsDir())
	if err != nil {
		return nil, fmt.Errorf("read the intents in %s: %w", l.attemptsDir(), err)
	}
	r := &localReport{journal: st, intents: byAttempt}
	info := &r.JobInfo
	*info = JobInfo{
		ID: rec.JobID, Bucket: rec.Bucket, Destination: rec.Destination,
		Mode: rec.Mode, Conflict: rec.Conflict, UniqueFilenames: rec.UniqueFilenames,
		Created: rec.createdTime().UTC(), CompletedUploads: len(st.completed),
		Problems: problems,
	}
	winners := make(map[string]string) // task ID → winning attempt
	for _, s := range sets {
		t := TaskInfo{
			ID:         strings.TrimSuffix(s.file, pendingSetSuffix),
			Attempt:    s.set.ExtraData[multipart.TaskAttemptIDKey],
			PendingSet: filepath.Join(l.tasksDir(), s.file),
		}
		winners[t.ID] = t.Attempt
		for i := range s.set.Commits {
			c := &s.set.Commits[i]
			f := FileInfo{Key: c.Key, Size: c.Length, UploadID: c.UploadID, Parts: len(c.ETags), Created: c.CreatedTime()}
			t.Files = append(t.Files, f)
			t.Bytes += f.Size
			if info.OldestUpload.IsZero() || f.Created.Before(info.OldestUpload) {
				info.OldestUpload = f.Created
			}
		}
		sort.Slice(t.Files, func(a, b int) bool { return t.Files[a].Key < t.Files[b].Key })
		info.Files += len(t.Files)
		info.Bytes += t.Bytes
		info.Tasks = append(info.Tasks, t)
	}
	names := make([]string, 0, len(byAttempt))
	for name := range byAttempt {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		taskID, attempt := splitAttemptName(name)
		w, committed := winners[taskID]
		if committed && w == name {
			continue
		}
		a := AttemptInfo{Name: name, TaskID: taskID, Attempt: attempt, TaskCommitted: committed}
		keys := make(map[string]bool)
		for _, in := range byAttempt[name] {
			keys[in.Key] = true
			switch {
			case in.UploadID != "":
				a.Uploads = append(a.Uploads, UploadRef{Key: in.Key, UploadID: in.UploadID})
			case in.Uncertain:
				a.Uncertain++
			}
		}
		a.Keys = sortedKeys(keys)
		info.Attempts = append(info.Attempts, a)
	}
	info.State = jobState(l, len(sets) > 0, st)
	return r, nil
}

// jobState derives a job's state. A held lock means a CommitJob or
// AbortJob is running; otherwise the journal tells.
func jobState(l layout, tasks bool, st *journalState) JobState {
	switch {
	case lockHeld(filepath.Join(l.jobDir, lockName)):
		return StateCommitting
	case st.succeeded:
		return StateCommitted
	case st.reverted:
		return StateReverted
	case st.began:
		return StateInterrupted
	case tasks:
		return StateTasksCommitted
	default:
		return StateSetUp
	}
}

// lockHeld probes a job's lock without waiting and without creating the
// lock file: a job that never committed or aborted has none.
func lockHeld(path string) bool {
	if _, err := os.Stat(path); err != nil {
		return false
	}
	unlock, err := lockFile(path)
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
		return name, 0
	}
	n, err := strconv.Atoi(name[i+1:])
	if err != nil {
		return name, 0
	}
	return name[:i], n
}

// reconcileConcurrency bounds the ListUploads calls in flight.
const reconcileConcurrency = 16

// reconcile lists the uploads of every key of the job, by exact key.
func (r *localReport) reconcile(ctx context.Context, store multipart.Store) error {
	keys := make(map[string]bool)
	recorded := make(map[UploadRef]bool) // in a pendingset
	for _, t := range r.Tasks {
		for _, f := range t.Files {
			keys[f.Key] = true
			recorded[UploadRef{f.Key, f.UploadID}] = true
		}
	}
	intended := make(map[UploadRef]string) // upload → attempt whose intents record it
	uncertain := make(map[string][]string) // key → attempts with a lost creation answer there
	for name, ins := range r.intents {
		for _, in := range ins {
			keys[in.Key] = true
			switch {
			case in.UploadID != "":
				intended[UploadRef{in.Key, in.UploadID}] = name
			case in.Uncertain && !slices.Contains(uncertain[in.Key], name):
				uncertain[in.Key] = append(uncertain[in.Key], name)
			}
		}
	}
	list := sortedKeys(keys)
	found := make([][]multipart.Upload, len(list))
	err := forEach(ctx, len(list), reconcileConcurrency, true, func(ctx context.Context, i int) error {
		for up, err := range store.ListUploads(ctx, list[i]) {
			if err != nil {
				return fmt.Errorf("list the uploads of s3://%s/%s: %w", store.Bucket(), list[i], err)
			}
			if up.Key == list[i] {
				found[i] = append(found[i], up)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	exists := make(map[UploadRef]bool)
	notBefore := r.Created.Add(-timeSkew)
	for _, ups := range found {
		for _, up := range ups {
			ref := UploadRef{up.Key, up.UploadID}
			exists[ref] = true
			if recorded[ref] {
				continue
			}
			o := OrphanUpload{Key: up.Key, UploadID: up.UploadID, Initiated: up.Initiated}
			attempt, ok := intended[ref]
			switch {
			case ok:
				o.Attempt = attempt
			case !up.Initiated.IsZero() && up.Initiated.Before(notBefore):
				continue // older than the job: not its upload
			case len(uncertain[up.Key]) == 1:
				o.Attempt, o.Uncertain = uncertain[up.Key][0], true
			}
			r.Orphans = append(r.Orphans, o)
		}
	}
	sort.Slice(r.Orphans, func(a, b int) bool {
		if r.Orphans[a].Key != r.Orphans[b].Key {
			return r.Orphans[a].Key < r.Orphans[b].Key
		}
		return r.Orphans[a].UploadID < r.Orphans[b].UploadID
	})
	for ti := range r.Tasks {
		for fi := range r.Tasks[ti].Files {
			f := &r.Tasks[ti].Files[fi]
			done, completed := r.journal.completed[f.Key]
			switch {
			case completed && done.UploadID == f.UploadID:
				f.Status = StatusCompleted
				r.Completed++
			case exists[UploadRef{f.Key, f.UploadID}]:
				f.Status = StatusPending
				r.Pending++
			default:
				f.Status = StatusVanished
				r.Vanished++
			}
		}
	}
	r.Reconciled = true
	return nil
}
