package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"
)

const uploadsListLong = `List the uncompleted multipart uploads under s3://BUCKET[/PREFIX]: key,
upload ID, when it was initiated and its age, sorted by key then initiated
time. --parts adds the number of parts and their bytes (one ListParts
request per upload).

` + uploadsSelectHelp + `

JSON output (--json):
  {
    "bucket": "bucket",
    "prefix": "tables/events",
    "count": 1,
    "bytes": 10485760,                 // with --parts: sum over the uploads
    "ambiguous_job_matches": 0,        // with --job: keys that may carry a longer job ID
    "staging_dir": "/shared/staging",  // with --staging-dir
    "not_in_job_records": 0,           // with --staging-dir: --job matches left out
    "unreadable_job_records": 0,       // with --staging-dir
    "uploads": [
      {
        "key": "tables/events/part-0000-job1.json",
        "upload_id": "…",
        "initiated": "2026-01-02T03:04:05Z",
        "age_seconds": 7200,
        "parts": 2,                    // with --parts
        "bytes": 10485760,             // with --parts
        "ambiguous_job_match": true    // only when set
      }
    ]
  }`

// uploadsSelectHelp explains the prefix and the selection flags.
const uploadsSelectHelp = `The prefix is a path: s3://bucket/dest selects the upload at key "dest"
and every upload under "dest/", not those under "dest2/".
--older-than selects uploads initiated longer ago than a duration more
than zero (Go syntax plus days: 90m, 36h, 2d, 1d12h; at most 106751 days).
--job selects the uploads of one job: keys whose file name carries
"-JOB_ID" where unique filenames put it (part-0000-JOB_ID.parquet). Keys
without it (a job without unique filenames) are not selected; 's3commit
jobs abort' rolls such a job back.

The match is by name, so a job whose ID is longer and ends in "-JOB_ID"
matches too: --job job-1 also selects part-0000-backfill-job-1.parquet,
which may be job backfill-job-1's. When a selected key looks like that
(a '-' and a word that is not only digits before "-JOB_ID"), a warning on
stderr names how many and one of them (in --json, "ambiguous_job_matches"
and "ambiguous_job_match" on each such upload). --staging-dir DIR, with
--job, settles it: only the uploads that the job's records in the staging
dir DIR account for are selected (those its committed tasks' pendingsets
list and those its task attempts recorded, as 's3commit jobs show DIR
JOB_ID' reports them); the others --job matched are left out, with a note
on stderr. The job must write to the bucket of the s3:// URL. DIR may be a
staging dir in the store, s3://BUCKET/PREFIX, in that same bucket: its
records are read through the same store.

To find uploads under a prefix on every store, two listings are made: by
the prefix (complete on AWS S3 and versitygw) and of the whole bucket,
filtered here (MinIO only matches exact keys, so listing by a shorter
prefix returns nothing there); the results are merged by upload ID. The
bucket-wide listing costs one request per 1000 uploads in the bucket;
--prefix-only skips it on stores that list prefixes correctly.`

// uploadsListOptions are the flags of "uploads list".
type uploadsListOptions struct {
	selectOptions
	// Parts adds part counts and bytes (ListParts).
	Parts bool
}

// uploadsListResult is the JSON document of "uploads list".
type uploadsListResult struct {
	Bucket string `json:"bucket"`
	Prefix string `json:"prefix"`
	Count  int    `json:"count"`
	Bytes  *int64 `json:"bytes,omitempty"`
	jobCheckJSON
	Uploads []uploadInfo `json:"uploads"`
}

func newUploadsListCommand(g *globalOptions, stdout, stderr io.Writer) *cobra.Command {
	o := &uploadsListOptions{}
	cmd := &cobra.Command{
		Use:   "list s3://BUCKET[/PREFIX]",
		Short: "List uncompleted multipart uploads under a prefix",
		Long:  uploadsListLong,
		Example: `  # every pending upload under a table, with part counts and bytes
  s3commit uploads list s3://bucket/tables/events --parts

  # uploads older than two days, as JSON
  s3commit uploads list s3://bucket/tables/events --older-than 2d --json

  # the uploads of one job on MinIO
  s3commit --endpoint-url http://127.0.0.1:9000 --path-style \
    uploads list s3://bucket/tables/events --job job-20260101

  # only those its records in the staging dir account for
  s3commit uploads list s3://bucket/tables/events --job job-20260101 --staging-dir /shared/staging`,
		Args: exactArgs(1, "s3://BUCKET[/PREFIX]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			return runUploadsList(cmd.Context(), g, o, args[0], stdout, stderr)
		},
	}
	addSelectFlags(cmd, &o.selectOptions)
	cmd.Flags().BoolVar(&o.Parts, "parts", false, "add the number of parts and bytes of each upload (one ListParts request per upload)")
	return cmd
}

// runUploadsList lists the selected uploads under target.
func runUploadsList(ctx context.Context, g *globalOptions, o *uploadsListOptions, target string, stdout, stderr io.Writer) error {
	u, st, err := uploadsTarget(ctx, g, target)
	if err != nil {
		return err
	}
	sel, err := selectUploads(ctx, st, u.Key, o.selectOptions, time.Now())
	if err != nil {
		return err
	}
	uploads := sel.Uploads
	res := uploadsListResult{Bucket: u.Bucket, Prefix: u.Key}
	if o.Parts {
		if uploads, err = addPartCounts(ctx, st, uploads, stderr); err != nil {
			return err
		}
		var total int64
		for _, up := range uploads {
			total += *up.Bytes
		}
		res.Bytes = &total
	}
	res.Uploads, res.Count = uploads, len(uploads)
	res.jobCheckJSON = jobCheck(stderr, o.selectOptions, sel, uploads)
	if g.JSON {
		return writeJSON(stdout, res)
	}
	if len(uploads) == 0 {
		fmt.Fprintf(stdout, "no uploads under %s\n", termText(u.String()))
		return nil
	}
	headers := []string{"KEY", "UPLOAD ID", "INITIATED", "AGE"}
	if o.Parts {
		headers = append(headers, "PARTS", "BYTES")
	}
	t := newTable(stdout, headers...)
	for _, up := range uploads {
		cells := []string{up.Key, up.UploadID, formatTime(up.Initiated), formatAge(up.age)}
		if o.Parts {
			cells = append(cells, strconv.Itoa(*up.Parts), formatBytes(*up.Bytes))
		}
		t.row(cells...)
	}
	if err := t.flush(); err != nil {
		return err
	}
	summary := fmt.Sprintf("%s under %s", count(len(uploads), "upload"), termText(u.String()))
	if o.Parts {
		summary += ", " + formatBytes(*res.Bytes)
	}
	fmt.Fprintln(stdout, summary)
	return nil
}
