package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/s3commit/s3commit/pendingset"
)

// newPendingCommand returns "s3commit pending" with show.
func newPendingCommand(g *globalOptions, stdout, stderr io.Writer) *cobra.Command {
	cmd := newGroupCommand("pending", "Print pendingsets (s3commit's or Hadoop's)",
		`Print pendingset files: the uncompleted multipart uploads a committed task
recorded, which the job commit completes.`)
	cmd.Example = `  s3commit pending show /shared/staging/JOB_ID/tasks/task-0001.pendingset`
	cmd.AddCommand(newPendingShowCommand(g, stdout, stderr))
	return cmd
}

const pendingShowLong = `Print a pendingset: the job ID, the task attempt, and each commit (the
destination key, upload ID, number of parts, length and creation time).

FILE is a local file, "-" for standard input, or an s3:// object (Hadoop's
magic committer keeps its pendingsets in the bucket). s3commit's pendingsets
and Hadoop's (.pendingset, versions 1 to 3) are read; a single Hadoop
.pending record is shown as a pendingset of one commit.

JSON output (--json): the record in Hadoop's PendingSet format
(org.apache.hadoop.fs.s3a.commit.files.PendingSet, the format s3commit
writes), which reads back as the same pendingset; a .pending record is
printed as Hadoop's SinglePendingCommit (one element of "commits"):
  {
    "version": 3,
    "jobId": "job1",
    "commits": [
      {
        "version": 2,
        "uri": "s3a://bucket/dest/part-0000-job1.json",
        "bucket": "bucket",
        "destinationKey": "dest/part-0000-job1.json",
        "uploadId": "…",
        "created": 1767322800000,      // milliseconds since the epoch
        "saved": 1767322800000,
        "date": "…",
        "jobId": "job1",
        "taskId": "task-0001",
        "text": "",
        "etags": ["…", "…"],
        "length": 10485760
      }
    ],
    "extraData": {"task.attempt.id": "…"}
  }`

func newPendingShowCommand(g *globalOptions, stdout, stderr io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "show FILE",
		Short: "Print a pendingset (s3commit's or Hadoop's)",
		Long:  pendingShowLong,
		Example: `  # a task's pendingset in an s3commit staging dir
  s3commit pending show /shared/staging/JOB_ID/tasks/task-0001.pendingset

  # Hadoop's, re-encoded as JSON
  s3commit pending show task_0001.pendingset --json`,
		Args: exactArgs(1, "FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPendingShow(cmd.Context(), g, args[0], cmd.InOrStdin(), stdout)
		},
	}
}

// runPendingShow reads and prints one pendingset (or .pending record).
func runPendingShow(ctx context.Context, g *globalOptions, arg string, stdin io.Reader, stdout io.Writer) error {
	if stdin == nil {
		stdin = os.Stdin
	}
	data, name, err := readSource(ctx, g, arg, stdin)
	if err != nil {
		return err
	}
	if isSinglePending(data) {
		one, err := pendingset.DecodeUpload(bytes.NewReader(data))
		if err != nil {
			return &cliError{msg: fmt.Sprintf("%s: %v; check that it is a .pending or .pendingset file", name, err), err: err}
		}
		if g.JSON {
			return encodeJSON(stdout, one.Encode)
		}
		set := &pendingset.Set{Version: one.Version, JobID: one.JobID, Commits: []pendingset.Upload{*one}}
		return printPendingSet(stdout, name, "pending upload", set)
	}
	set, err := pendingset.DecodeSet(bytes.NewReader(data))
	if err != nil {
		return &cliError{msg: fmt.Sprintf("%s: %v; check that it is a .pendingset file", name, err), err: err}
	}
	if g.JSON {
		return encodeJSON(stdout, set.Encode)
	}
	return printPendingSet(stdout, name, "pendingset", set)
}

// encodeJSON writes to w the JSON that encode writes, with the
// non-printable characters JSON leaves raw escaped (see escapeJSON).
func encodeJSON(w io.Writer, encode func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := encode(&buf); err != nil {
		return err
	}
	return writeEscapedJSON(w, buf.Bytes())
}

// isSinglePending reports whether data is one JSON object with a
// "destinationKey" and no "commits": a single pending upload (Hadoop's
// .pending), not a pendingset.
func isSinglePending(data []byte) bool {
	var fields map[string]json.RawMessage
	if json.Unmarshal(data, &fields) != nil {
		return false
	}
	_, hasKey := fields["destinationKey"]
	_, hasCommits := fields["commits"]
	return hasKey && !hasCommits
}

// printPendingSet prints a pendingset as a header and a table of commits.
func printPendingSet(w io.Writer, name, what string, s *pendingset.Set) error {
	var total int64
	for _, c := range s.Commits {
		total += c.Length
	}
	attempt := s.ExtraData[pendingset.TaskAttemptIDKey]
	if attempt == "" {
		attempt = "-"
	}
	jobID := s.JobID
	if jobID == "" {
		jobID = "-"
	}
	fmt.Fprintf(w, "%s %s (version %d)\n", what, termText(name), s.Version)
	t := newTable(w)
	t.row("  job ID:", jobID)
	t.row("  task attempt:", attempt)
	t.row("  commits:", fmt.Sprintf("%d, %s (%d bytes)", len(s.Commits), formatBytes(total), total))
	if err := t.flush(); err != nil {
		return err
	}
	var extra []string
	for _, k := range slices.Sorted(maps.Keys(s.ExtraData)) {
		if k != pendingset.TaskAttemptIDKey {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		fmt.Fprintf(w, "\nextra data (%d)\n", len(extra))
		t = newTable(w)
		for _, k := range extra {
			// The empty first cell indents the row by the table's padding,
			// outside the key (which termText may quote).
			t.row("", k, s.ExtraData[k])
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	if len(s.Commits) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	t = newTable(w, "KEY", "UPLOAD ID", "PARTS", "LENGTH", "CREATED", "TASK")
	for _, c := range s.Commits {
		created := "-"
		if c.Created > 0 {
			created = formatTime(time.UnixMilli(c.Created))
		}
		task := c.TaskID
		if task == "" {
			task = "-"
		}
		t.row(c.Key, c.UploadID, strconv.Itoa(len(c.ETags)), strconv.FormatInt(c.Length, 10), created, task)
	}
	return t.flush()
}
