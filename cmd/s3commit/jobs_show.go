package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/s3commit/s3commit/staging"
)

const jobsShowLong = `Show one job of a staging dir: its settings and state, its committed tasks
with their files (key, size, parts, upload ID, age), the task attempts that
recorded uploads but published no pendingset, and a reconciliation with the
store (on the bucket of the job record; store settings from the global flags
and AWS_* variables):

  pending    the upload still exists: the job can complete it
  vanished   the upload is gone and no job commit completed it: it expired
             (MinIO deletes uploads 24h after their creation by default) or
             someone aborted it; the job cannot be committed: abort it and
             run it again
  completed  a job commit completed it (journal)
  orphans    uploads at the job's keys that no pendingset records: left by
             killed or failed task attempts; 'jobs abort' (and 'jobs commit',
             for the uploads its attempts recorded) aborts them

Every key of the job (those of its pendingsets and of its attempts' intent
records) is listed by its exact key, which also works on MinIO. --local skips
the store; a staging dir in the store (s3://BUCKET/PREFIX) is still read
through it, then, but no upload is listed and no _SUCCESS read.

JSON shape (--json): the fields of a job in 'jobs list --json', plus
  {
    "reconciled": true,                // false with --local
    "pending": 2, "vanished": 1, "completed": 0,
    "tasks": [{"id": "t0", "attempt": "t0_0", "pendingset": "/path", // or s3://…
               "bytes": 5, "files": [{"key": "...", "size": 3, "parts": 1,
               "upload_id": "...", "created": "...", "age_seconds": 60,
               "status": "pending"}]}],     // status "" with --local
    "attempts": [{"name": "t1_0", "task_id": "t1", "attempt": 0,
                  "keys": ["..."], "uploads": [{"key": "...", "upload_id": "..."}],
                  "uncertain": 0, "task_committed": false}],
    "orphans": [{"key": "...", "upload_id": "...", "initiated": "...",
                 "age_seconds": 60, "attempt": "t1_0",
                 "uncertain": false}]   // attempt "" if no attempt accounts for it;
                                        // uncertain: its creation answer was lost
  }`

const jobsShowExample = `  s3commit jobs show /shared/staging job-1
  AWS_ENDPOINT_URL=http://127.0.0.1:9000 S3COMMIT_PATH_STYLE=true \
    s3commit jobs show --json /shared/staging job-1 | jq '.orphans'
  s3commit jobs show --local /shared/staging job-1
  s3commit jobs show s3://lake/_staging job-1`

// jobsShowJSON is the --json output of "jobs show".
type jobsShowJSON struct {
	jobJSON
	Reconciled bool          `json:"reconciled"`
	Pending    int           `json:"pending"`
	Vanished   int           `json:"vanished"`
	Completed  int           `json:"completed"`
	Tasks      []taskJSON    `json:"tasks"`
	Attempts   []attemptJSON `json:"attempts"`
	Orphans    []orphanJSON  `json:"orphans"`
}

type taskJSON struct {
	ID         string     `json:"id"`
	Attempt    string     `json:"attempt"`
	PendingSet string     `json:"pendingset"`
	Bytes      int64      `json:"bytes"`
	Files      []fileJSON `json:"files"`
}

type fileJSON struct {
	Key        string `json:"key"`
	Size       int64  `json:"size"`
	Parts      int    `json:"parts"`
	UploadID   string `json:"upload_id"`
	Deferred   string `json:"deferred_path,omitempty"`
	Created    string `json:"created"`
	AgeSeconds int64  `json:"age_seconds"`
	Status     string `json:"status"`
}

type attemptJSON struct {
	Name          string       `json:"name"`
	TaskID        string       `json:"task_id"`
	Attempt       int          `json:"attempt"`
	Keys          []string     `json:"keys"`
	Uploads       []uploadJSON `json:"uploads"`
	Uncertain     int          `json:"uncertain"`
	TaskCommitted bool         `json:"task_committed"`
}

type uploadJSON struct {
	Key      string `json:"key"`
	UploadID string `json:"upload_id"`
}

type orphanJSON struct {
	Key        string `json:"key"`
	UploadID   string `json:"upload_id"`
	Initiated  string `json:"initiated"`
	AgeSeconds *int64 `json:"age_seconds"` // null when the store gives no time
	Attempt    string `json:"attempt"`
	Uncertain  bool   `json:"uncertain"`
}

func newJobsShowCommand(g *globalOptions, stdout, stderr io.Writer) *cobra.Command {
	var local bool
	cmd := &cobra.Command{
		Use:     "show STAGING_DIR JOB_ID",
		Short:   "Show a job's tasks and files, reconciled with the store",
		Long:    jobsShowLong,
		Example: jobsShowExample,
		Args:    exactArgs(2, "STAGING_DIR JOB_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return jobsShow(cmd.Context(), g, args[0], args[1], local, stdout, stderr)
		},
	}
	cmd.Flags().BoolVar(&local, "local", false, "read the staging dir only; do not reconcile with the store")
	return cmd
}

// jobsShow prints one job, reconciled with the store unless local.
func jobsShow(ctx context.Context, g *globalOptions, dir, jobID string, local bool, stdout, stderr io.Writer) error {
	d, err := parseStagingDir(dir)
	if err != nil {
		return err
	}
	check := func(rep *staging.JobReport) error { return problemsError(&rep.JobInfo) }
	var rep *staging.JobReport
	if local {
		if rep, err = readJob(ctx, g, d, jobID); err == nil {
			err = check(rep)
		}
	} else {
		rep, _, err = reconcileJob(ctx, g, d, jobID, check)
	}
	if err != nil {
		return err
	}
	for i := range rep.Tasks {
		rep.Tasks[i].PendingSet = pendingSetName(d, rep.Tasks[i].PendingSet)
	}
	now := time.Now()
	out := showJSON(rep, now)
	if out.Warning != "" {
		fmt.Fprintln(stderr, "s3commit: warning: "+out.Warning)
	}
	if rep.Vanished > 0 {
		fmt.Fprintf(stderr, "s3commit: warning: %s of job %s vanished from the store (expired or aborted by someone else); the job cannot be committed: abort it and run it again\n",
			count(rep.Vanished, "pending upload"), jobID)
	}
	if g.JSON {
		return writeJSON(stdout, out)
	}
	return printJobReport(stdout, rep, now)
}

// showJSON builds the --json output of "jobs show".
func showJSON(rep *staging.JobReport, now time.Time) jobsShowJSON {
	out := jobsShowJSON{
		jobJSON:    newJobJSON(&rep.JobInfo, now),
		Reconciled: rep.Reconciled,
		Pending:    rep.Pending,
		Vanished:   rep.Vanished,
		Completed:  rep.Completed,
		Tasks:      []taskJSON{},
		Attempts:   []attemptJSON{},
		Orphans:    []orphanJSON{},
	}
	for _, t := range rep.Tasks {
		tj := taskJSON{ID: t.ID, Attempt: t.Attempt, PendingSet: t.PendingSet, Bytes: t.Bytes, Files: []fileJSON{}}
		for _, f := range t.Files {
			tj.Files = append(tj.Files, fileJSON{Key: f.Key, Size: f.Size, Parts: f.Parts, UploadID: f.UploadID, Deferred: f.Deferred,
				Created: formatTime(f.Created), AgeSeconds: seconds(now.Sub(f.Created)), Status: string(f.Status)})
		}
		out.Tasks = append(out.Tasks, tj)
	}
	for _, a := range rep.Attempts {
		aj := attemptJSON{Name: a.Name, TaskID: a.TaskID, Attempt: a.Attempt, Keys: a.Keys, Uploads: []uploadJSON{},
			Uncertain: a.Uncertain, TaskCommitted: a.TaskCommitted}
		if aj.Keys == nil {
			aj.Keys = []string{}
		}
		for _, u := range a.Uploads {
			aj.Uploads = append(aj.Uploads, uploadJSON{Key: u.Key, UploadID: u.UploadID})
		}
		out.Attempts = append(out.Attempts, aj)
	}
	for _, o := range rep.Orphans {
		oj := orphanJSON{Key: o.Key, UploadID: o.UploadID, Initiated: formatTime(o.Initiated), Attempt: o.Attempt, Uncertain: o.Uncertain}
		if !o.Initiated.IsZero() {
			age := seconds(now.Sub(o.Initiated))
			oj.AgeSeconds = &age
		}
		out.Orphans = append(out.Orphans, oj)
	}
	return out
}

// printJobReport prints a job report for people.
func printJobReport(w io.Writer, rep *staging.JobReport, now time.Time) error {
	j := &rep.JobInfo
	unique := "unique filenames"
	if !j.UniqueFilenames {
		unique = "no unique filenames"
	}
	fmt.Fprintf(w, "Job:          %s\n", j.ID)
	fmt.Fprintf(w, "Destination:  %s\n", termText(destURL(j)))
	fmt.Fprintf(w, "Mode:         %s (conflict %s, %s)\n", j.Mode, j.Conflict, unique)
	fmt.Fprintf(w, "Created:      %s (%s ago)\n", formatTime(j.Created), formatAge(now.Sub(j.Created)))
	fmt.Fprintf(w, "State:        %s\n", stateText(j.State))
	fmt.Fprintf(w, "Files:        %s (%s) in %s; oldest upload %s old\n",
		count(j.Files, "file"), formatBytes(j.Bytes), count(len(j.Tasks), "committed task"), oldestAge(j, now))
	if j.CompletedUploads > 0 {
		fmt.Fprintf(w, "Job commit:   %s completed so far\n", count(j.CompletedUploads, "upload"))
	}
	if rep.Reconciled {
		fmt.Fprintf(w, "Store:        %d pending, %d vanished, %d completed, %s\n",
			rep.Pending, rep.Vanished, rep.Completed, count(len(rep.Orphans), "orphan upload"))
	} else {
		fmt.Fprintf(w, "Store:        not consulted (--local)\n")
	}
	if len(j.Tasks) > 0 {
		fmt.Fprintln(w)
		t := newTable(w, "TASK", "ATTEMPT", "KEY", "SIZE", "PARTS", "AGE", "UPLOAD ID", "STATUS")
		for _, task := range j.Tasks {
			for _, f := range task.Files {
				status := string(f.Status)
				if status == "" {
					status = "-"
				}
				if f.Deferred != "" {
					// No upload: the job commit writes the file from the buffer dir.
					t.row(task.ID, task.Attempt, f.Key, formatBytes(f.Size), "-", "-", "deferred: "+termText(f.Deferred), status)
					continue
				}
				t.row(task.ID, task.Attempt, f.Key, formatBytes(f.Size), strconv.Itoa(f.Parts),
					formatAge(now.Sub(f.Created)), f.UploadID, status)
			}
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	if len(j.Attempts) > 0 {
		fmt.Fprintln(w, "\nAttempts with uploads but no pendingset:")
		t := newTable(w, "ATTEMPT", "KEYS", "UPLOADS", "UNCERTAIN", "TASK COMMITTED")
		for _, a := range j.Attempts {
			t.row(a.Name, strconv.Itoa(len(a.Keys)), strconv.Itoa(len(a.Uploads)), strconv.Itoa(a.Uncertain),
				strconv.FormatBool(a.TaskCommitted))
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	if len(j.RecordProblems) > 0 {
		fmt.Fprintf(w, "\nRecords that could not be read (%d; uploads they named may be left, 'uploads list --job %s' finds them):\n",
			len(j.RecordProblems), j.ID)
		for _, p := range j.RecordProblems {
			fmt.Fprintf(w, "  %s\n", termText(oneLine(p.Error())))
		}
	}
	if len(rep.Orphans) > 0 {
		fmt.Fprintln(w, "\nOrphan uploads (no pendingset records them):")
		t := newTable(w, "KEY", "UPLOAD ID", "INITIATED", "AGE", "ATTEMPT")
		for _, o := range rep.Orphans {
			age, attempt := "-", o.Attempt
			if !o.Initiated.IsZero() {
				age = formatAge(now.Sub(o.Initiated))
			}
			switch {
			case attempt == "":
				attempt = "(unrecorded)"
			case o.Uncertain:
				attempt += " (creation not recorded)"
			}
			t.row(o.Key, o.UploadID, formatTime(o.Initiated), age, attempt)
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	return nil
}
