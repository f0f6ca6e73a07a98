package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/staging"
)

const jobsCommitLong = `Commit a job whose tasks committed but whose driver did not (it died, or
gave up): complete every pending upload, resolve conflicts with the job's
conflict mode, write _SUCCESS last, and clean up the staging dir — exactly
what the driver's CommitJob does, with the same guarantees. An interrupted
job commit is resumed where its journal says it stopped.

The store is on the bucket of the job record; the destination, mode and
conflict mode come from the job record too, so no s3:// URL is needed. Store
settings come from the global flags and AWS_* variables. A staging dir in the
store (s3://BUCKET/PREFIX) is read and written through the same store, and
must be in the job's bucket.

With --expect-task (once per task ID) or --expect-tasks N, the commit
refuses to begin, changing nothing, unless exactly those tasks have
committed: a commit started after a task failed for good would publish part
of the output. Give the task IDs on NFS, where a listing may lag behind
other hosts: each task's pendingset is then looked up by name.

On a permanent store error the commit reverts (deletes what it completed,
aborts the rest) unless --keep-state, which keeps the partial state so that
a later 'jobs commit' resumes or 'jobs abort' rolls back. A replace-mode
commit that had begun deleting the old objects never reverts: it keeps its
state for the next 'jobs commit'. A pending upload that vanished (see
'jobs show') makes the commit fail.

JSON shape (--json):
  {
    "id": "job-1",
    "destination": "s3://bucket/tables/events",
    "files_completed": 3,              // files listed in the job's _SUCCESS
    "bytes": 6,
    "success": "s3://bucket/tables/events/_SUCCESS",
    "orphan_uploads_aborted": 1        // uploads of other attempts cleaned up
  }`

const jobsCommitExample = `  s3commit jobs commit /shared/staging job-1
  s3commit jobs commit --expect-tasks 16 /shared/staging job-1
  AWS_ENDPOINT_URL=http://127.0.0.1:9000 S3COMMIT_PATH_STYLE=true \
    s3commit jobs commit --json /shared/staging job-1
  s3commit jobs commit s3://lake/_staging job-1`

// jobsCommitJSON is the --json output of "jobs commit".
type jobsCommitJSON struct {
	ID                   string `json:"id"`
	Destination          string `json:"destination"`
	FilesCompleted       int    `json:"files_completed"`
	Bytes                int64  `json:"bytes"`
	Success              string `json:"success"`
	OrphanUploadsAborted int    `json:"orphan_uploads_aborted"`
}

func newJobsCommitCommand(g *globalOptions, stdout, stderr io.Writer) *cobra.Command {
	var (
		op     jobOp
		expect staging.CommitOptions
	)
	cmd := &cobra.Command{
		Use:     "commit STAGING_DIR JOB_ID",
		Short:   "Finish (or resume) the commit of a job whose driver died",
		Long:    jobsCommitLong,
		Example: jobsCommitExample,
		Args:    exactArgs(2, "STAGING_DIR JOB_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if expect.ExpectedTaskCount < 0 {
				return usageErrorf("--expect-tasks %d: give the number of tasks the job ran, or leave it out", expect.ExpectedTaskCount)
			}
			return jobsCommit(cmd.Context(), g, args[0], args[1], op, expect, stdout, stderr)
		},
	}
	cmd.Flags().BoolVar(&op.keepState, "keep-state", false, "on a permanent store error keep the partial state instead of reverting")
	bufferDirFlag(cmd, &op)
	cmd.Flags().IntVar(&expect.ExpectedTaskCount, "expect-tasks", 0, "refuse to begin unless exactly N tasks have committed")
	cmd.Flags().StringArrayVar(&expect.ExpectedTasks, "expect-task", nil, "refuse to begin unless this task has committed (repeat for every task; no other task may have committed)")
	return cmd
}

// openedJob is a job opened through the staging committer with a store on
// its bucket.
type openedJob struct {
	report    *staging.JobReport // the job's records, read before the operation
	committer *staging.Committer
	prog      *commitProgress
}

// jobOp is what "jobs commit" or "jobs abort" is asked to do.
type jobOp struct {
	abort     bool   // roll back (else commit)
	keepState bool   // commit: keep the state on a permanent error
	bufferDir string // the buffer dir whose directory of the job to remove; "" for none
}

// bufferDirFlag adds --buffer-dir to a jobs command.
func bufferDirFlag(cmd *cobra.Command, op *jobOp) {
	cmd.Flags().StringVar(&op.bufferDir, "buffer-dir", "",
		"also remove the job's directory under this buffer dir (the BufferDir its tasks used, on a volume this machine shares); by default no buffer dir is touched")
}

// openJob reads the job's records, builds a store on the job's bucket and
// opens the job. No upload is listed: the commit or abort finds what it
// needs and says what it did. A job with invalid pendingsets is refused
// unless op.abort (AbortJob rolls such a job back).
// The committer's buffer dir is op.bufferDir or, when empty, a temporary
// directory of its own that holds nothing of the job: no buffer dir on
// this machine is removed unless the operator names it. A staging dir in
// the store is kept through a store on its bucket, the job's or another
// (staging.Options.StagingStore).
func openJob(ctx context.Context, g *globalOptions, dir, jobID string, op jobOp, stderr io.Writer) (*openedJob, error) {
	keepState, abort := op.keepState, op.abort
	d, err := parseStagingDir(dir)
	if err != nil {
		return nil, err
	}
	rep, err := readJob(ctx, g, d, jobID)
	if errors.Is(err, committer.ErrJobNotFound) {
		// Nothing to commit or abort; what a crash left of setting it up
		// or removing it goes.
		removeRemnants(ctx, g, d, jobID)
	}
	if err != nil {
		return nil, err
	}
	if err := problemsError(&rep.JobInfo); err != nil {
		if !abort {
			return nil, err
		}
		fmt.Fprintf(stderr, "s3commit: warning: %s; rolling back the job's valid uploads and its attempts' uploads\n", termText(oneLine(err.Error())))
	}
	st, err := g.store(ctx, rep.Bucket)
	if err != nil {
		return nil, err
	}
	prog := &commitProgress{stderr: stderr}
	// The committer retries its store calls itself, with Options.Retry:
	// it gets the store without the CLI's retry layer, so that each call
	// is retried in one layer.
	bufferDir := op.bufferDir
	if bufferDir == "" {
		// A path of its own that does not exist: the committer finds
		// nothing of the job there to remove.
		tmp, err := os.MkdirTemp("", "s3commit-no-buffer-")
		if err != nil {
			return nil, err
		}
		if err := os.Remove(tmp); err != nil {
			return nil, err
		}
		bufferDir = tmp
	}
	var records multipart.Store
	if d.inStore() && d.bucket != rep.Bucket {
		// The records are in another bucket than the output.
		rs, err := g.stagingStore(ctx, d)
		if err != nil {
			return nil, err
		}
		records = rs.Unwrap()
	}
	c, err := staging.New(st.Unwrap(), staging.Options{
		StagingDir:         d.path(),
		StagingStore:       records,
		BufferDir:          bufferDir,
		Destination:        rep.Destination,
		KeepStateOnFailure: keepState,
		Retry:              g.retryPolicy(),
		Progress:           prog.report,
	})
	if err != nil {
		return nil, err
	}
	return &openedJob{report: rep, committer: c, prog: prog}, nil
}

// jobsCommit commits job jobID of dir.
func jobsCommit(ctx context.Context, g *globalOptions, dir, jobID string, op jobOp, expect staging.CommitOptions,
	stdout, stderr io.Writer) error {
	oj, err := openJob(ctx, g, dir, jobID, op, stderr)
	if err != nil {
		return err
	}
	res, err := oj.committer.CommitJob(ctx, jobID, expect)
	oj.prog.finish()
	if err != nil {
		// The error says what became of the job: reverted, kept for a
		// resume, or busy.
		return fmt.Errorf("commit job %s: %w", jobID, jobError(err, dir, jobID))
	}
	out := jobsCommitJSON{
		ID:                   jobID,
		Destination:          destURL(&oj.report.JobInfo),
		FilesCompleted:       res.Files,
		Bytes:                res.Bytes,
		Success:              s3URL{Bucket: res.Bucket, Key: res.SuccessKey}.String(),
		OrphanUploadsAborted: res.OrphanUploadsAborted,
	}
	if res.CleanupErr != nil {
		fmt.Fprintf(stderr, "s3commit: warning: job %s is committed but its cleanup failed (%s): uploads of its attempts may remain; "+
			"'s3commit jobs abort %s %s' finishes the cleanup\n", jobID, termText(oneLine(res.CleanupErr.Error())), dir, jobID)
	}
	if g.JSON {
		return writeJSON(stdout, out)
	}
	fmt.Fprintf(stdout, "Committed job %s: %s completed (%s) in %s\n", jobID, count(out.FilesCompleted, "file"), formatBytes(out.Bytes), termText(out.Destination))
	fmt.Fprintf(stdout, "Manifest: %s\n", termText(out.Success))
	if out.OrphanUploadsAborted > 0 {
		fmt.Fprintf(stdout, "Orphan uploads aborted: %d\n", out.OrphanUploadsAborted)
	}
	return nil
}
