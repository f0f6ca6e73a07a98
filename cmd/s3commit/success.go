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

--verify (for an s3:// manifest) also checks the manifest's directory
against its file list and reports every difference: missing, extra, or a
different size, ETag or checksum (exit code 1 on a difference). Objects
whose name starts with '_' or '.' (such as _SUCCESS) are not extra. How
the content of each file is checked depends on the mode:

  --verify, --verify=checksum
      the full-object checksum the store keeps of each file (a HEAD
      request each, no data read) is compared with the manifest's; a file
      of which the store keeps none, or none of the manifest's algorithm,
      is read back and its checksum computed
  --verify=data
      every file is read back and its checksum computed: the bytes
      themselves are checked, at the cost of reading them all
  --verify=listing
      sizes and ETags from a listing only, no request per file (what
      --verify did before manifests recorded checksums)

Every mode checks sizes and ETags from a listing. Files whose manifest entry
has no checksum (manifests of older s3commit versions) are checked by size
and ETag only; the output says how many files were checked each way.
--verify-concurrency sets how many files are checked at a time (16).
The mode is given with '=': --verify=data.

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
    "s3commitFiles": [{"key": "dest/part-0000-job1.json", "size": 123, "etag": "…",
                       "checksumAlgorithm": "CRC64NVME", "checksum": "…"}],
    "s3commitFilesSidecar": "…"
  }
With --verify the object has one more member, which readers of the
manifest ignore:
    "verification": {
      "mode": "checksum", "destination": "s3://bucket/dest", "matches": false,
      "files": 12, "byStoredChecksum": 11, "byData": 1, "bySizeAndETag": 0,
      "differences": [{"kind": "checksum differs", "key": "dest/part-0003-job1.json",
                       "manifest": {"key": "…", "size": 123, "etag": "…", …},
                       "store": {"size": 123, "etag": "…", "checksumAlgorithm": "CRC64NVME",
                                 "checksum": "…", "checksumSource": "data"},
                       "text": "checksum differs: …"}]
    }`

// successShowOptions are the flags of "success show".
type successShowOptions struct {
	// Verify compares the destination with the manifest's file list, in
	// one of the modes of success.VerifyWith.
	Verify verifyFlag
	// VerifyConcurrency is the number of files checked at a time; 0 means
	// success.DefaultVerifyConcurrency.
	VerifyConcurrency int
}

// verifyFlag is the value of --verify: off, or a mode of
// success.VerifyWith. "--verify" alone is "--verify=checksum"; "true" and
// "false" are accepted as well, as when --verify was a bool flag.
type verifyFlag struct {
	on   bool
	mode success.VerifyMode
}

// verifyModes are the values of --verify, as success.VerifyMode names them.
var verifyModes = []success.VerifyMode{success.VerifyChecksums, success.VerifyData, success.VerifyListing}

// String returns the mode, or "" when off.
func (v *verifyFlag) String() string {
	if !v.on {
		return ""
	}
	return v.mode.String()
}

// Set parses a mode: checksum (or true), data, listing, or false.
func (v *verifyFlag) Set(s string) error {
	switch s = strings.ToLower(s); s {
	case "true", "checksums":
		*v = verifyFlag{on: true, mode: success.VerifyChecksums}
		return nil
	case "false":
		*v = verifyFlag{}
		return nil
	}
	for _, m := range verifyModes {
		if s == m.String() {
			*v = verifyFlag{on: true, mode: m}
			return nil
		}
	}
	return errors.New("want checksum (the default of --verify alone), data or listing")
}

// Type names the value in the help.
func (v *verifyFlag) Type() string { return "mode" }

// isVerifyMode reports whether s names a mode of --verify.
func isVerifyMode(s string) bool {
	var v verifyFlag
	return v.Set(s) == nil && v.on
}

func newSuccessShowCommand(g *globalOptions, stdout, stderr io.Writer) *cobra.Command {
	o := &successShowOptions{}
	cmd := &cobra.Command{
		Use:   "show s3://BUCKET/PATH/_SUCCESS | FILE",
		Short: "Print a _SUCCESS manifest (s3commit's, Hadoop S3A's or the manifest committer's)",
		Long:  successShowLong,
		Example: `  # the manifest of a committed job
  s3commit success show s3://bucket/tables/events/_SUCCESS

  # check that the destination holds exactly the files it lists, by the
  # checksums the store keeps
  s3commit success show s3://bucket/tables/events/_SUCCESS --verify

  # read every file back and check its checksum
  s3commit success show s3://bucket/tables/events/_SUCCESS --verify=data

  # a local copy, as JSON
  s3commit success show ./_SUCCESS --json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 2 && o.Verify.on && cmd.Flags().Changed("verify") {
				for _, a := range args {
					if isVerifyMode(a) {
						return usageErrorf("give the mode of --verify with '=': --verify=%s", strings.ToLower(a))
					}
				}
			}
			return exactArgs(1, "s3://BUCKET/PATH/_SUCCESS or FILE")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSuccessShow(cmd.Context(), g, o, args[0], cmd.InOrStdin(), stdout, stderr)
		},
	}
	f := cmd.Flags().VarPF(&o.Verify, "verify", "",
		"for an s3:// manifest: check that its directory holds exactly the files it lists; mode checksum (the default: the checksums the store keeps), data (read every file back) or listing (sizes and ETags only)")
	f.NoOptDefVal = success.VerifyChecksums.String()
	cmd.Flags().IntVar(&o.VerifyConcurrency, "verify-concurrency", success.DefaultVerifyConcurrency,
		"with --verify: the number of files checked at a time")
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
	if o.Verify.on && !isS3 {
		return usageErrorf("--verify needs an s3:// manifest, not the local file %q", arg)
	}
	if o.VerifyConcurrency < 0 {
		return usageErrorf("--verify-concurrency is %d; want 1 or more (0 means %d)", o.VerifyConcurrency, success.DefaultVerifyConcurrency)
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
		if o.Verify.on {
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
	if o.Verify.on {
		return showVerified(ctx, st, u, d, o, stdout, g.JSON)
	}
	if g.JSON {
		if err := d.Encode(stdout); err != nil {
			return fmt.Errorf("print %s: %w", where, err)
		}
	} else if err := success.Print(stdout, d); err != nil {
		return fmt.Errorf("print %s: %w", where, err)
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
