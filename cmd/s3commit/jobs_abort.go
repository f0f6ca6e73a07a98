package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/staging"
)

const jobsAbortLong = `Roll a job back: abort every upload the job recorded (in its pendingsets
and its attempts' intent records), abort uploads at the job's keys whose
creation answer was lost, delete the objects an interrupted job commit had
completed and the job's _SUCCESS, and remove the job's staging dir — exactly
what the driver's AbortJob does. Only this job's uploads are touched, never
another job's under the same prefix. A job whose commit had finished (its
_SUCCESS written, even if its journal missed it) is not rolled back: its
cleanup is finished and its output stays. A replace-mode commit that had
begun deleting the old objects is not rolled back either (that would lose
the old and the new data): finish it with 'jobs commit'.

The store is on the bucket of the job record; store settings come from the
global flags and AWS_* variables. A staging dir in the store
(s3://BUCKET/PREFIX) is read and cleaned through the same store, and must be
in the job's bucket; the job's records under PREFIX/JOB_ID/ are removed.

JSON shape (--json):
  {
    "id": "job-1",
    "destination": "s3://bucket/tables/events",
    "uploads_aborted": 4,    // uploads the abort aborted: pending, of attempts, found by key
    "objects_deleted": 0     // objects of an interrupted job commit it deleted
  }`

const jobsAbortExample = `  s3commit jobs abort /shared/staging job-1
  AWS_ENDPOINT_URL=http://127.0.0.1:9000 S3COMMIT_PATH_STYLE=true \
    s3commit jobs abort --json /shared/staging job-1
  s3commit jobs abort s3://lake/_staging job-1`

// jobsAbortJSON is the --json output of "jobs abort".
type jobsAbortJSON struct {
	ID             string `json:"id"`
	Destination    string `json:"destination"`
	UploadsAborted int    `json:"uploads_aborted"`
	ObjectsDeleted int    `json:"objects_deleted"`
}

func newJobsAbortCommand(g *globalOptions, stdout, stderr io.Writer) *cobra.Command {
	op := jobOp{abort: true}
	cmd := &cobra.Command{
		Use:     "abort STAGING_DIR JOB_ID",
		Short:   "Roll a job back: abort its uploads and remove its staging dir",
		Long:    jobsAbortLong,
		Example: jobsAbortExample,
		Args:    exactArgs(2, "STAGING_DIR JOB_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return jobsAbort(cmd.Context(), g, args[0], args[1], op, stdout, stderr)
		},
	}
	bufferDirFlag(cmd, &op)
	return cmd
}

// jobsAbort rolls job jobID of dir back.
func jobsAbort(ctx context.Context, g *globalOptions, dir, jobID string, op jobOp, stdout, stderr io.Writer) error {
	oj, err := openJob(ctx, g, dir, jobID, op, stderr)
	if err != nil {
		return err
	}
	res, err := oj.committer.AbortJob(ctx, jobID)
	oj.prog.finish()
	switch {
	case errors.Is(err, staging.ErrPastPointOfNoReturn):
		return fmt.Errorf("abort job %s: refused: its commit (replace mode) had begun deleting the old objects, so a rollback would lose the old and the new data; "+
			"finish it with 's3commit jobs commit %s %s': %w", jobID, dir, jobID, err)
	case errors.Is(err, committer.ErrJobFinished):
		return fmt.Errorf("abort job %s: its commit had finished (_SUCCESS written), its output stays and its cleanup is done; %w", jobID, committer.ErrJobFinished)
	case errors.Is(err, staging.ErrDamagedRecords):
		return fmt.Errorf("abort job %s: the job is rolled back, but %w", jobID, err)
	case err != nil:
		return fmt.Errorf("abort job %s: %w", jobID, jobError(err, dir, jobID))
	}
	out := jobsAbortJSON{
		ID:             jobID,
		Destination:    destURL(&oj.report.JobInfo),
		UploadsAborted: res.UploadsAborted,
		ObjectsDeleted: res.ObjectsDeleted,
	}
	if g.JSON {
		return writeJSON(stdout, out)
	}
	fmt.Fprintf(stdout, "Aborted job %s (%s): %s aborted, %s deleted\n",
		jobID, termText(out.Destination), count(out.UploadsAborted, "upload"), count(out.ObjectsDeleted, "completed object"))
	return nil
}
