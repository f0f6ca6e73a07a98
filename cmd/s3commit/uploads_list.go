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
    "uploads": [
      {
        "key": "tables/events/part-0000-job1.json",
        "upload_id": "…",
        "initiated": "2026-01-02T03:04:05Z",
        "age_seconds": 7200,
        "parts": 2,                    // with --parts
        "bytes": 10485760              // with --parts
      }
    ]
  }`

// uploadsSelectHelp explains the prefix and the selection flags.
const uploadsSelectHelp = `The prefix is a path: s3://bucket/dest selects the upload at key "dest"
and every upload under "dest/", not those under "dest2/".
--older-than selects uploads initiated longer ago than a duration more
than zero (Go syntax plus days: 90m, 36h, 2d, 1d12h; at most 106751 days).
--job selects the uploads of one job: keys whose file name carries
"-JOB_ID" where unique filenames put it (part-0000-JOB_ID.parquet).

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
	Bucket  string       `json:"bucket"`
	Prefix  string       `json:"prefix"`
	Count   int          `json:"count"`
	Bytes   *int64       `json:"bytes,omitempty"`
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
    uploads list s3://bucket/tables/events --job job-20260101`,
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
	uploads, err := selectUploads(ctx, st, u.Key, o.selectOptions, time.Now())
	if err != nil {
		return err
	}
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
	if g.JSON {
		return writeJSON(stdout, res)
	}
	if len(uploads) == 0 {
		fmt.Fprintf(stdout, "no uploads under %s\n", u)
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
	summary := fmt.Sprintf("%s under %s", count(len(uploads), "upload"), u)
	if o.Parts {
		summary += ", " + formatBytes(*res.Bytes)
	}
	fmt.Fprintln(stdout, summary)
	return nil
}
