package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"
)

const jobsListLong = `List the jobs of a staging dir: ID, destination, mode, state, committed
tasks, files, bytes and the age of the oldest pending upload. Reads the
staging dir only: a directory needs no store; a staging dir in the store,
s3://BUCKET/PREFIX, is read through a store on BUCKET (one listing of PREFIX
and a few reads per job), which needs the store settings (--endpoint-url,
--region, --profile, --path-style, AWS_* variables) like every other store.

A job whose oldest pending upload is 20 hours old or more gets a warning on
stderr (and in the "warning" field of --json): MinIO deletes uploads 24 hours
after their creation by default.

JSON shape (--json):
  {
    "staging_dir": "/shared/staging",   // as given: a directory or s3://bucket/prefix
    "jobs": [{
      "id": "job-1",
      "destination": "s3://bucket/tables/events",
      "bucket": "bucket", "prefix": "tables/events",
      "mode": "directory", "conflict": "fail", "unique_filenames": true,
      "created": "2026-01-02T03:04:05Z",
      "state": "tasks_committed",     // set_up, tasks_committed, committing,
                                      // interrupted, committed, reverted
      "committed_tasks": 2, "files": 3, "bytes": 6,
      "oldest_upload": "2026-01-02T03:05:00Z",   // null without uploads
      "oldest_upload_age_seconds": 120,          // null without uploads
      "completed_uploads": 0,         // completed by a job commit (journal)
      "uncommitted_attempts": 0,      // attempts with uploads but no pendingset
      "warning": "..."                // only near MinIO's expiry
    }]
  }`

const jobsListExample = `  s3commit jobs list /shared/staging
  s3commit jobs list --json /shared/staging | jq '.jobs[] | select(.state == "interrupted") | .id'
  AWS_ENDPOINT_URL=http://127.0.0.1:9000 S3COMMIT_PATH_STYLE=true \
    s3commit jobs list s3://lake/_staging`

// jobsListJSON is the --json output of "jobs list".
type jobsListJSON struct {
	StagingDir string    `json:"staging_dir"`
	Jobs       []jobJSON `json:"jobs"`
}

func newJobsListCommand(g *globalOptions, stdout, stderr io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:     "list STAGING_DIR",
		Short:   "List the jobs of a staging dir with their state, files and upload ages",
		Long:    jobsListLong,
		Example: jobsListExample,
		Args:    exactArgs(1, "STAGING_DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return jobsList(cmd.Context(), g, args[0], stdout, stderr)
		},
	}
}

// jobsList prints the jobs of dir.
func jobsList(ctx context.Context, g *globalOptions, dir string, stdout, stderr io.Writer) error {
	d, err := parseStagingDir(dir)
	if err != nil {
		return err
	}
	jobs, err := listJobs(ctx, g, d)
	if err != nil {
		return err
	}
	now := time.Now()
	out := jobsListJSON{StagingDir: dir, Jobs: make([]jobJSON, 0, len(jobs))}
	for i := range jobs {
		if err := problemsError(&jobs[i]); err != nil {
			return err
		}
	}
	for i := range jobs {
		j := newJobJSON(&jobs[i], now)
		if j.Warning != "" {
			fmt.Fprintln(stderr, "s3commit: warning: "+j.Warning)
		}
		out.Jobs = append(out.Jobs, j)
	}
	if g.JSON {
		return writeJSON(stdout, out)
	}
	t := newTable(stdout, "ID", "DESTINATION", "MODE", "STATE", "TASKS", "FILES", "BYTES", "OLDEST UPLOAD")
	for i := range jobs {
		j := &jobs[i]
		t.row(j.ID, destURL(j), string(j.Mode), stateText(j.State),
			strconv.Itoa(len(j.Tasks)), strconv.Itoa(j.Files), formatBytes(j.Bytes), oldestAge(j, now))
	}
	return t.flush()
}
