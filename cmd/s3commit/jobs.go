package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/staging"
)

const jobsLong = `Inspect, finish and abort the jobs of a staging dir (the StagingDir the
job's driver and tasks share): a directory, or s3://BUCKET/PREFIX for a
staging dir in the store, whose records are objects under PREFIX/JOB_ID/
(s3a:// is taken for s3://; any other URL is refused).

A staging dir in the store is read through a store on BUCKET, configured
like every other store (--endpoint-url, --region, --profile, --path-style
and the AWS_* variables): every jobs command needs the store settings then,
'jobs list' included, which reads a directory without any store. A job
whose staging dir is in another bucket than its output (the library's
Options.StagingStore) is read through a store on the staging bucket and
reconciled with one on the output's, with the same settings.

A job's state is derived from its records in the staging dir:
  set_up           the job is set up, no task has committed
  tasks_committed  tasks committed (pendingsets published), no job commit began
  committing       a job commit or abort is running now: a process holds the
                   job's lock (flock on STAGING_DIR/JOB_ID/lock; in the store,
                   a claim on the job's journal that was not released)
  interrupted      a job commit began (its journal says so) but no process
                   holds the lock: the driver died or gave up. 'jobs commit'
                   resumes it, 'jobs abort' rolls it back
  committed        _SUCCESS is written; only the staging dir's cleanup is left
  reverted         a rollback finished; only the staging dir's cleanup is left

The probe of the lock is non-blocking and released at once; a job commit
starting in that very instant fails as busy and can be retried.

In the store the lock is a lease kept by a heartbeat, not an flock that the
kernel releases: a driver that gives up releases it (the job shows as
interrupted), but one killed in its job commit leaves it claimed, and the job
shows as committing. 'jobs commit' and 'jobs abort' then watch the journal
for a lease (15 seconds) and take the job over when no heartbeat came, or
fail as busy when its driver is alive.

MinIO deletes uncompleted uploads 24 hours after their creation by default
(MINIO_API_STALE_UPLOADS_EXPIRY); a job whose oldest pending upload is older
than that can no longer be committed. 'jobs list' warns from 20 hours.`

// newJobsCommand returns "s3commit jobs" with list, show, commit and abort.
func newJobsCommand(g *globalOptions, stdout, stderr io.Writer) *cobra.Command {
	cmd := newGroupCommand("jobs", "Inspect, finish and abort the jobs in a staging dir", jobsLong)
	cmd.AddCommand(
		newJobsListCommand(g, stdout, stderr),
		newJobsShowCommand(g, stdout, stderr),
		newJobsCommitCommand(g, stdout, stderr),
		newJobsAbortCommand(g, stdout, stderr),
	)
	return cmd
}

// checkStagingDir fails with a one-line error when dir is not an existing
// directory. A URL is parsed by parseStagingDir before.
func checkStagingDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("staging dir %s does not exist; give the staging dir the job was set up with", dir)
	case err != nil:
		return fmt.Errorf("staging dir %s: %w", dir, err)
	case !fi.IsDir():
		return fmt.Errorf("staging dir %s is not a directory; give the staging dir the job was set up with", dir)
	}
	return nil
}

// jobError rewrites the errors of the staging package that an operator
// meets most into a message saying what to do.
func jobError(err error, dir, jobID string) error {
	switch {
	case errors.Is(err, committer.ErrJobNotFound):
		return fmt.Errorf("job %q not found in staging dir %s (%w: never set up, or already committed or aborted); run 's3commit jobs list %s' to see its jobs",
			jobID, dir, committer.ErrJobNotFound, dir)
	case errors.Is(err, committer.ErrInvalidID):
		return usageErrorf("%w", err)
	}
	return err
}

// inspectLocal reads a job's records in a directory without a store.
func inspectLocal(ctx context.Context, dir, jobID string) (*staging.JobReport, error) {
	if err := checkStagingDir(dir); err != nil {
		return nil, err
	}
	rep, err := staging.InspectJob(ctx, nil, dir, jobID)
	if err != nil {
		return nil, jobError(err, dir, jobID)
	}
	return rep, nil
}

// problemsError is the error of a job with invalid pendingsets, or nil.
func problemsError(j *staging.JobInfo) error {
	switch len(j.Problems) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("job %s: %w", j.ID, j.Problems[0])
	}
	return fmt.Errorf("job %s: %w (and %s; see 'jobs abort')", j.ID, j.Problems[0], count(len(j.Problems)-1, "more problem"))
}

// destURL is the s3:// URL of a job's destination.
func destURL(j *staging.JobInfo) string { return s3URL{Bucket: j.Bucket, Key: j.Destination}.String() }

// jobJSON is one job in the JSON output of "jobs list" and "jobs show".
type jobJSON struct {
	ID              string  `json:"id"`
	Destination     string  `json:"destination"` // s3://bucket/prefix
	Bucket          string  `json:"bucket"`
	Prefix          string  `json:"prefix"`
	Mode            string  `json:"mode"`
	Conflict        string  `json:"conflict"`
	UniqueFilenames bool    `json:"unique_filenames"`
	Created         string  `json:"created"`
	State           string  `json:"state"`
	CommittedTasks  int     `json:"committed_tasks"`
	Files           int     `json:"files"`
	Bytes           int64   `json:"bytes"`
	OldestUpload    *string `json:"oldest_upload"`             // RFC 3339; null without pending uploads
	OldestUploadAge *int64  `json:"oldest_upload_age_seconds"` // null without pending uploads
	CompletedByJob  int     `json:"completed_uploads"`         // journaled by a job commit
	OpenAttempts    int     `json:"uncommitted_attempts"`
	Warning         string  `json:"warning,omitempty"`
}

func newJobJSON(j *staging.JobInfo, now time.Time) jobJSON {
	out := jobJSON{
		ID:              j.ID,
		Destination:     destURL(j),
		Bucket:          j.Bucket,
		Prefix:          j.Destination,
		Mode:            string(j.Mode),
		Conflict:        string(j.Conflict),
		UniqueFilenames: j.UniqueFilenames,
		Created:         formatTime(j.Created),
		State:           string(j.State),
		CommittedTasks:  len(j.Tasks),
		Files:           j.Files,
		Bytes:           j.Bytes,
		CompletedByJob:  j.CompletedUploads,
		OpenAttempts:    len(j.Attempts),
		Warning:         expiryWarning(j, now),
	}
	if !j.OldestUpload.IsZero() {
		t, age := formatTime(j.OldestUpload), seconds(j.OldestUploadAge(now))
		out.OldestUpload, out.OldestUploadAge = &t, &age
	}
	return out
}

// expiryWarning is the warning for a job whose oldest pending upload
// approaches MinIO's default expiry, or "".
func expiryWarning(j *staging.JobInfo, now time.Time) string {
	if !j.NearExpiry(now) {
		return ""
	}
	return fmt.Sprintf("the oldest pending upload of job %s is %s old: MinIO deletes uploads 24h after their creation by default (MINIO_API_STALE_UPLOADS_EXPIRY); commit or abort the job soon",
		j.ID, formatAge(j.OldestUploadAge(now)))
}

// oldestAge formats the age of a job's oldest pending upload, "-" if none.
func oldestAge(j *staging.JobInfo, now time.Time) string {
	if j.OldestUpload.IsZero() {
		return "-"
	}
	return formatAge(j.OldestUploadAge(now))
}

// stateText is a job state for people.
func stateText(s staging.JobState) string {
	switch s {
	case staging.StateSetUp:
		return "set up"
	case staging.StateTasksCommitted:
		return "tasks committed"
	case staging.StateMustResume:
		return "must resume (replace mode began deleting old objects: only 'jobs commit' can finish it)"
	case staging.StateReverting:
		return "reverting (a rollback began: only 'jobs abort' can finish it)"
	}
	return string(s)
}

// commitProgress adapts staging progress reports to a progress line on a
// terminal.
type commitProgress struct {
	stderr io.Writer
	phase  staging.Phase
	p      *progress
	done   int
}

func (c *commitProgress) report(p staging.Progress) {
	if p.Phase != c.phase || c.p == nil {
		c.p.finish()
		c.phase, c.done = p.Phase, 0
		c.p = newProgress(c.stderr, string(p.Phase), p.Total)
	}
	if p.Done > c.done {
		c.p.add(p.Done - c.done)
		c.done = p.Done
	}
}

func (c *commitProgress) finish() { c.p.finish() }
