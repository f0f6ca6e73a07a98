package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/spf13/cobra"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/success"
)

// newSuccessCommand returns "s3commit success" with show.
func newSuccessCommand(g *globalOptions, stdout, stderr io.Writer) *cobra.Command {
	cmd := newGroupCommand("success", "Print _SUCCESS manifests",
		`Print _SUCCESS manifests from the store or a local file.`)
	cmd.Example = `  s3commit success show s3://bucket/tables/events/_SUCCESS`
	cmd.AddCommand(newSuccessShowCommand(g, stdout, stderr))
	return cmd
}

const successShowLong = `Print a _SUCCESS manifest: who wrote it (s3commit, a Hadoop S3A committer,
Hadoop's manifest committer), the job, date and host, the metrics, the
iostatistics, the diagnostics and the files (with sizes and ETags where the
manifest lists them; a large s3commit file list kept in a sidecar object is
loaded).

The argument is s3://BUCKET/PATH/_SUCCESS (s3://BUCKET/PATH/ means the
_SUCCESS in that directory), a local file, or "-" for standard input.

An empty _SUCCESS is the marker of Hadoop's classic rename committer
(FileOutputCommitter): it carries no manifest. It is reported as such and
is not an error (exit code 0); with --json nothing is printed on stdout (the
content is empty) and the note goes to stderr. A corrupt manifest is an
error (exit code 1).

--verify (for an s3:// manifest) also lists the manifest's directory and
reports every difference with the manifest's file list: missing, extra, or
different size or ETag (exit code 1 on a difference).

JSON output (--json): the manifest in its own format, Hadoop's SuccessData
JSON (name "org.apache.hadoop.fs.s3a.commit.files.SuccessData/1") with
s3commit's additions, which reads back as the same manifest:
  {
    "name": "org.apache.hadoop.fs.s3a.commit.files.SuccessData/1",
    "success": true,
    "timestamp": 1767322800000,
    "date": "…", "hostname": "…", "committer": "s3commit",
    "description": "…", "jobId": "job1", "jobIdSource": "s3commit",
    "metrics": {…}, "diagnostics": {…}, "filenames": ["/dest/part-0000-job1.json"],
    "iostatistics": {"counters": {…}, "gauges": {…}, "minimums": {…},
                     "maximums": {…}, "meanstatistics": {"name": {"samples": 1, "sum": 5}}},
    "state": "…", "stage": "…",
    "s3commitFiles": [{"key": "dest/part-0000-job1.json", "size": 123, "etag": "…"}],
    "s3commitFilesSidecar": "…"
  }`

// successShowOptions are the flags of "success show".
type successShowOptions struct {
	// Verify compares the destination with the manifest's file list.
	Verify bool
}

func newSuccessShowCommand(g *globalOptions, stdout, stderr io.Writer) *cobra.Command {
	o := &successShowOptions{}
	cmd := &cobra.Command{
		Use:   "show s3://BUCKET/PATH/_SUCCESS | FILE",
		Short: "Print a _SUCCESS manifest (s3commit's, Hadoop S3A's or the manifest committer's)",
		Long:  successShowLong,
		Example: `  # the manifest of a committed job
  s3commit success show s3://bucket/tables/events/_SUCCESS

  # check that the destination holds exactly the files it lists
  s3commit success show s3://bucket/tables/events/_SUCCESS --verify

  # a local copy, as JSON
  s3commit success show ./_SUCCESS --json`,
		Args: exactArgs(1, "s3://BUCKET/PATH/_SUCCESS or FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSuccessShow(cmd.Context(), g, o, args[0], cmd.InOrStdin(), stdout, stderr)
		},
	}
	cmd.Flags().BoolVar(&o.Verify, "verify", false, "for an s3:// manifest: check that its directory holds exactly the files it lists")
	return cmd
}

// successName is the name of the manifest in a job's destination.
const successName = "_SUCCESS"

// runSuccessShow reads and prints one _SUCCESS manifest.
func runSuccessShow(ctx context.Context, g *globalOptions, o *successShowOptions, arg string, stdin io.Reader, stdout, stderr io.Writer) error {
	var (
		d     *success.Data
		name  string
		err   error
		st    multipart.Store
		u     s3URL
		isS3  = isURL(arg)
		where string
	)
	if o.Verify && !isS3 {
		return usageErrorf("--verify needs an s3:// manifest, not the local file %q", arg)
	}
	if isS3 {
		if u, err = parseS3URL(arg); err != nil {
			return err
		}
		if u.Key == "" || strings.HasSuffix(u.Key, "/") {
			u.Key += successName
		}
		name = u.String()
		if st, err = g.store(ctx, u.Bucket); err != nil {
			return err
		}
		d, err = success.Read(ctx, st, u.Key)
		where = name
	} else {
		// Read once, as the decoder goes: it stops at the manifest's bound.
		var in io.ReadCloser
		if in, name, err = openSource(ctx, g, arg, stdin); err != nil {
			return err
		}
		defer in.Close()
		d, err = success.Decode(in)
		where = name
	}
	switch {
	case errors.Is(err, success.ErrClassicMarker):
		note := fmt.Sprintf("%s is empty: the marker of a classic rename committer (Hadoop's FileOutputCommitter); it carries no manifest", where)
		if g.JSON {
			fmt.Fprintln(stderr, note)
			return nil
		}
		fmt.Fprintln(stdout, note)
		if o.Verify {
			return fmt.Errorf("cannot verify %s: an empty _SUCCESS lists no files", where)
		}
		return nil
	case errors.Is(err, success.ErrInvalidManifest):
		return &cliError{msg: fmt.Sprintf("%s: %s; check that it is a _SUCCESS file", where, manifestReason(err)), err: err}
	case isS3 && errors.Is(err, multipart.ErrNotFound):
		hint := "check the path"
		if path.Base(u.Key) != successName {
			hint = fmt.Sprintf("give the _SUCCESS key, e.g. %s/_SUCCESS", strings.TrimSuffix(u.String(), "/"))
		}
		return &cliError{msg: fmt.Sprintf("read %s: no such object; %s", where, hint), err: err}
	case isS3 && err != nil:
		return storeError("read "+where, err)
	case err != nil:
		return fmt.Errorf("read %s: %w", where, err)
	}
	if g.JSON {
		if err := d.Encode(stdout); err != nil {
			return fmt.Errorf("print %s: %w", where, err)
		}
	} else if err := success.Print(stdout, d); err != nil {
		return fmt.Errorf("print %s: %w", where, err)
	}
	if o.Verify {
		return verifySuccess(ctx, st, u, d, stdout, g.JSON)
	}
	return nil
}

// manifestReason returns the innermost message of a manifest error: the
// field and reason, without the wrapping locations.
func manifestReason(err error) string {
	var me *success.ManifestError
	if errors.As(err, &me) {
		return me.Error()
	}
	return err.Error()
}

// verifySuccess compares the manifest's directory with its file list.
func verifySuccess(ctx context.Context, st multipart.Store, u s3URL, d *success.Data, stdout io.Writer, asJSON bool) error {
	dest := path.Dir(u.Key)
	if dest == "." {
		dest = ""
	}
	err := success.Verify(ctx, st, dest, d)
	var ve *success.VerifyError
	switch {
	case err == nil:
		if !asJSON {
			fmt.Fprintf(stdout, "\nverified: s3://%s/%s holds exactly the %d files of the manifest\n", u.Bucket, dest, len(d.Files))
		}
		return nil
	case errors.As(err, &ve):
		if !asJSON {
			fmt.Fprintf(stdout, "\ndifferences between s3://%s/%s and the manifest:\n", u.Bucket, dest)
			for _, diff := range ve.Differences {
				fmt.Fprintln(stdout, "  "+termText(diff.String()))
			}
		}
		summary, _, _ := strings.Cut(ve.Error(), "\n")
		return &cliError{msg: strings.TrimPrefix(summary, "success: ") + "; the destination was changed after the job commit, or the commit is incomplete", err: err}
	case errors.Is(err, success.ErrNoFileList):
		return &cliError{msg: fmt.Sprintf("cannot verify s3://%s/%s: the manifest lists no files with sizes and ETags (written by Hadoop?)", u.Bucket, dest), err: err}
	}
	return storeError(fmt.Sprintf("verify s3://%s/%s", u.Bucket, dest), err)
}
