package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/s3commit/s3commit/multipart"
)

const uploadsAbortLong = `Abort the uncompleted multipart uploads under s3://BUCKET[/PREFIX] that the
flags select. Without --force it only prints what it would abort (a dry
run: nothing changes). With --force it aborts them and prints each result:
"aborted", "gone" (completed, aborted or expired meanwhile: not an error) or
"failed" (exit code 1). --expect N checks the number of selected uploads
first: if it differs, nothing is aborted and the exit code is 3. Warnings
about the selection (see --job below) are printed before anything is
aborted; check them in the dry run.

Aborting the uploads of a job that is still running makes its job commit
fail; to roll back one job of a staging dir, prefer "s3commit jobs abort".

` + uploadsSelectHelp + `

JSON output (--json):
  {
    "bucket": "bucket",
    "prefix": "tables/events",
    "dry_run": false,
    "count": 1,                        // selected uploads
    "aborted": 1, "gone": 0, "failed": 0,
    "ambiguous_job_matches": 0,        // with --job, as in 'uploads list'
    "staging_dir": "/shared/staging",  // with --staging-dir
    "not_in_job_records": 0,           // with --staging-dir
    "unreadable_job_records": 0,       // with --staging-dir
    "uploads": [
      {
        "key": "tables/events/part-0000-job1.json",
        "upload_id": "…",
        "initiated": "2026-01-02T03:04:05Z",
        "age_seconds": 7200,
        "ambiguous_job_match": true,   // only when set
        "result": "aborted",           // "would abort" in a dry run, "gone", "failed"
        "error": "…"                   // when failed
      }
    ]
  }`

// Results of aborting one upload.
const (
	resultWouldAbort = "would abort"
	resultAborted    = "aborted"
	resultGone       = "gone"
	resultFailed     = "failed"
)

// uploadsAbortOptions are the flags of "uploads abort".
type uploadsAbortOptions struct {
	selectOptions
	// Force aborts; without it the command is a dry run.
	Force bool
	// Expect is --expect; negative when not given.
	Expect int
}

// abortedUpload is one upload in the "uploads abort" output.
type abortedUpload struct {
	uploadInfo
	Result string `json:"result"`
	Error  string `json:"error,omitempty"`
}

// uploadsAbortResult is the JSON document of "uploads abort".
type uploadsAbortResult struct {
	Bucket  string `json:"bucket"`
	Prefix  string `json:"prefix"`
	DryRun  bool   `json:"dry_run"`
	Count   int    `json:"count"`
	Aborted int    `json:"aborted"`
	Gone    int    `json:"gone"`
	Failed  int    `json:"failed"`
	jobCheckJSON
	Uploads []abortedUpload `json:"uploads"`
}

func newUploadsAbortCommand(g *globalOptions, stdout, stderr io.Writer) *cobra.Command {
	o := &uploadsAbortOptions{}
	cmd := &cobra.Command{
		Use:   "abort s3://BUCKET[/PREFIX]",
		Short: "Abort uncompleted multipart uploads under a prefix (dry run without --force)",
		Long:  uploadsAbortLong,
		Example: `  # what would be aborted: uploads older than a day
  s3commit uploads abort s3://bucket/tables/events --older-than 1d

  # abort them, checking the count seen in the dry run
  s3commit uploads abort s3://bucket/tables/events --older-than 1d --expect 12 --force

  # abort the uploads a dead job left behind
  s3commit uploads abort s3://bucket/tables/events --job job-20260101 --force

  # only those its records in the staging dir account for
  s3commit uploads abort s3://bucket/tables/events --job job-20260101 --staging-dir /shared/staging --force`,
		Args: exactArgs(1, "s3://BUCKET[/PREFIX]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			if !cmd.Flags().Changed("expect") {
				o.Expect = -1
			} else if o.Expect < 0 {
				return usageErrorf("--expect %d is negative; give the number of uploads you expect to abort", o.Expect)
			}
			return runUploadsAbort(cmd.Context(), g, o, args[0], stdout, stderr)
		},
	}
	addSelectFlags(cmd, &o.selectOptions)
	f := cmd.Flags()
	f.BoolVar(&o.Force, "force", false, "abort the selected uploads (without it: a dry run that changes nothing)")
	f.IntVar(&o.Expect, "expect", 0, "abort only if exactly this many uploads are selected; otherwise exit with code 3 and abort nothing")
	return cmd
}

// runUploadsAbort selects uploads under target and aborts them (or, without
// --force, shows what it would abort).
func runUploadsAbort(ctx context.Context, g *globalOptions, o *uploadsAbortOptions, target string, stdout, stderr io.Writer) error {
	u, st, err := uploadsTarget(ctx, g, target)
	if err != nil {
		return err
	}
	sel, err := selectUploads(ctx, st, u.Key, o.selectOptions, time.Now())
	if err != nil {
		return err
	}
	uploads := sel.Uploads
	// Warnings go out before anything is aborted.
	check := jobCheck(stderr, o.selectOptions, sel, uploads)
	if o.Expect >= 0 && o.Expect != len(uploads) {
		return &countMismatchError{What: "upload", Expected: o.Expect, Selected: len(uploads)}
	}
	res := uploadsAbortResult{Bucket: u.Bucket, Prefix: u.Key, DryRun: !o.Force, Count: len(uploads), jobCheckJSON: check, Uploads: []abortedUpload{}}
	for _, up := range uploads {
		res.Uploads = append(res.Uploads, abortedUpload{uploadInfo: up, Result: resultWouldAbort})
	}
	if o.Force {
		abortUploads(ctx, st, res.Uploads, stderr)
	}
	var firstErr string
	for _, up := range res.Uploads {
		switch up.Result {
		case resultAborted:
			res.Aborted++
		case resultGone:
			res.Gone++
		case resultFailed:
			res.Failed++
			if firstErr == "" {
				firstErr = up.Error
			}
		}
	}
	if err := printAbortResult(stdout, stderr, g.JSON, u, res); err != nil {
		return err
	}
	if res.Failed > 0 {
		return fmt.Errorf("%d of %s could not be aborted, the first: %s; fix the cause and rerun", res.Failed, count(res.Count, "upload"), firstErr)
	}
	return nil
}

// abortUploads aborts each upload, a few at a time, recording the result
// in place. Progress goes to stderr when it is a terminal.
func abortUploads(ctx context.Context, st multipart.Store, uploads []abortedUpload, stderr io.Writer) {
	const workers = 8
	prog := newProgress(stderr, "aborting uploads", len(uploads))
	defer prog.finish()
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i := range uploads {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem; prog.add(1) }()
			up := &uploads[i]
			err := st.AbortUpload(ctx, up.Key, up.UploadID)
			switch {
			case err == nil:
				up.Result = resultAborted
			case errors.Is(err, multipart.ErrNoSuchUpload):
				up.Result = resultGone
			default:
				up.Result = resultFailed
				up.Error = storeError(fmt.Sprintf("abort s3://%s/%s (upload %s)", st.Bucket(), up.Key, up.UploadID), err).Error()
			}
		})
	}
	wg.Wait()
}

// printAbortResult prints the abort result as JSON or a table.
func printAbortResult(stdout, stderr io.Writer, asJSON bool, u s3URL, res uploadsAbortResult) error {
	const dryRunNote = "dry run: nothing aborted; rerun with --force"
	if asJSON {
		if err := writeJSON(stdout, res); err != nil {
			return err
		}
		if res.DryRun {
			fmt.Fprintln(stderr, dryRunNote)
		}
		return nil
	}
	if len(res.Uploads) == 0 {
		fmt.Fprintf(stdout, "no uploads under %s selected; nothing to abort\n", termText(u.String()))
		return nil
	}
	t := newTable(stdout, "KEY", "UPLOAD ID", "INITIATED", "AGE", "RESULT")
	for _, up := range res.Uploads {
		result := up.Result
		if up.Error != "" {
			result += ": " + oneLine(up.Error)
		}
		t.row(up.Key, up.UploadID, formatTime(up.Initiated), formatAge(up.age), result)
	}
	if err := t.flush(); err != nil {
		return err
	}
	if res.DryRun {
		fmt.Fprintf(stdout, "%s under %s would be aborted\n%s\n", count(res.Count, "upload"), termText(u.String()), dryRunNote)
		return nil
	}
	fmt.Fprintf(stdout, "%s under %s: %d aborted, %d gone already, %d failed\n", count(res.Count, "upload"), termText(u.String()), res.Aborted, res.Gone, res.Failed)
	return nil
}
