package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/s3commit/s3commit/multipart/awsstore"
)

const doctorLong = `Probe what a store really does before trusting it with a job's output, and
say for each check what s3commit does about it: it works, works with a cost,
refuses (and which option changes that), or is unsafe.

The checks, in order:
  put_if_none_match            If-None-Match: * on PutObject: a second writer gets 412
  put_if_none_match_race       the same with N writers at once (--racers): exactly one wins
  complete_if_none_match       If-None-Match: * on CompleteMultipartUpload: a second writer gets 412
  repeated_completion          what a completion sent again after it took effect answers
  complete_if_none_match_race  N completions at once at one key: exactly one wins
  abort_unknown_upload         what aborting an upload aborted already answers
  list_uploads_by_prefix       whether uploads are listed by a prefix or only by their exact key
  checksum_crc64nvme           a full-object CRC64NVME checksum: accepted, a wrong one refused,
                               reported by HeadObject as FULL_OBJECT
  checksum_crc32c              the same with CRC32C
  mp_object_size               x-amz-mp-object-size one byte off: refused or ignored
  clock_skew                   this host's clock against the store's HTTP Date header
  upload_expiry                how long the store keeps uncompleted uploads (MinIO: 24 h)
  lifecycle_abort_incomplete   a bucket lifecycle rule that aborts incomplete uploads
With --staging DIR: DIR can be written and fsynced, link(2) fails on a taken
name, flock refuses a second lock, the directory fsyncs, and its filesystem
(NFS mounted with nolock or local_lock=flock|all keeps flock on each host).
With --staging s3://BUCKET/PREFIX: the prefix lies outside the destination,
and conditional PutObject holds, one writer and N at once.

Answers are reported as the store's client classifies them (the store
backends already map some: an abort of an unknown upload on MinIO, which
answers success, is looked up first and reported as NoSuchUpload).

The probe writes only under PREFIX/.s3commit-doctor-<random>/ (and the same
under the staging prefix) and removes every object and upload it made when it
ends, also when it fails or is interrupted (Ctrl-C): the clean-up runs with
its own time limit of 45 s (a second Ctrl-C does not cut it short). The probe
uploads about 10 MiB (two uploads with a 5 MiB part) in about 110 requests,
clean-up included, and sends 3 unauthenticated GETs to the endpoint for its
Date and Server headers. What it could not remove is listed. On a bucket with
versioning, the deletions leave delete markers and old versions behind. A
doctor killed outright (SIGKILL, a lost host) cannot clean up: what it made
is under PREFIX/.s3commit-doctor-<random>/, where 's3commit uploads abort
s3://BUCKET/PREFIX/.s3commit-doctor-<random>/' and a delete of the prefix
remove it.

Exit status: 0 when s3commit can run safely on the store (no check refuses
or is unsafe, every required check could tell, nothing was left behind),
1 otherwise or when interrupted, 2 for usage errors.

JSON output (--json):
  {
    "target": "s3://bucket/tables",
    "endpoint": "http://127.0.0.1:9000",
    "server": "MinIO",
    "probe_prefix": "tables/.s3commit-doctor-0123456789abcdef/",
    "staging": "/shared/staging",      // with --staging
    "safe": true,
    "interrupted": true,               // only when cut short
    "rows": [
      {
        "id": "put_if_none_match",
        "check": "If-None-Match: * on PutObject, a second writer",
        "result": "412 PreconditionFailed; the object is the first writer's",
        "verdict": "works",            // works, works with a cost, refuses, unsafe, unknown
        "s3commit": "a staging dir in this store ... can hold the job records ...",
        "required": true               // unknown here makes the store not safe
      }
    ],
    "removed": {"objects": 14, "uploads": 9},
    "left": []
  }`

const doctorExample = `  # what a MinIO does
  s3commit --endpoint-url http://127.0.0.1:9000 --path-style doctor s3://lake/tables

  # with the staging dir the jobs will use, as JSON
  s3commit doctor s3://lake/tables --staging /shared/staging --json
  s3commit doctor s3://lake/tables --staging s3://lake/_staging`

// doctorOptions are the flags of "doctor".
type doctorOptions struct {
	// Staging is --staging: a directory or s3://BUCKET/PREFIX.
	Staging string
	// Racers is --racers, the writers of the race checks.
	Racers int
}

// maxRacers bounds --racers.
const maxRacers = 64

// newDoctorCommand returns "s3commit doctor".
func newDoctorCommand(g *globalOptions, stdout, _ io.Writer) *cobra.Command {
	o := &doctorOptions{}
	cmd := &cobra.Command{
		Use:     "doctor s3://BUCKET[/PREFIX]",
		Short:   "Check what a store (and a staging dir) really does, and what s3commit makes of it",
		Long:    doctorLong,
		Example: doctorExample,
		Args:    exactArgs(1, "s3://BUCKET[/PREFIX]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDoctorCommand(cmd.Context(), g, o, args[0], stdout)
		},
	}
	cmd.Flags().StringVar(&o.Staging, "staging", "", "also check a staging dir: a directory, or s3://BUCKET/PREFIX")
	cmd.Flags().IntVar(&o.Racers, "racers", defaultRacers, fmt.Sprintf("concurrent writers of the race checks (2 to %d)", maxRacers))
	return cmd
}

// runDoctorCommand builds the stores from the global flags, probes, prints
// the report and returns an error when s3commit cannot run safely.
func runDoctorCommand(ctx context.Context, g *globalOptions, o *doctorOptions, arg string, stdout io.Writer) error {
	u, err := parseS3URL(arg)
	if err != nil {
		return err
	}
	if o.Racers < 2 || o.Racers > maxRacers {
		return usageErrorf("--racers %d is out of range; give 2 to %d", o.Racers, maxRacers)
	}
	var staging *stagingTarget
	if o.Staging != "" {
		d, err := parseStagingDir(o.Staging)
		if err != nil {
			return err
		}
		staging = &stagingTarget{Dir: d}
		if d.inStore() {
			st, err := g.stagingStore(ctx, d)
			if err != nil {
				return err
			}
			staging.Store = st.Unwrap()
		}
	}
	st, err := g.store(ctx, u.Bucket)
	if err != nil {
		return err
	}
	in := doctorInput{Store: st.Unwrap(), Target: u, Racers: o.Racers, Staging: staging, Retry: g.retryPolicy()}
	if a, ok := in.Store.(*awsstore.Store); ok {
		opts := a.Client().Options()
		in.Lifecycle = awsLifecycleLookup(a.Client(), u.Bucket)
		in.HTTPClient = opts.HTTPClient
		in.Endpoint = aws.ToString(opts.BaseEndpoint)
		if in.Endpoint == "" {
			in.Endpoint = "https://s3." + opts.Region + ".amazonaws.com/"
		}
	}
	rep, perr := runDoctorProbes(ctx, in)
	return finishDoctor(g.JSON, rep, perr, stdout)
}

// finishDoctor prints the report and returns the command's error: the
// interruption, or why s3commit cannot run safely on the store.
func finishDoctor(asJSON bool, rep *doctorReport, perr error, stdout io.Writer) error {
	if rep == nil {
		return perr // the store did not answer before the first probe
	}
	var err error
	if asJSON {
		err = writeJSON(stdout, rep)
	} else {
		err = printDoctorReport(stdout, rep)
	}
	if err != nil {
		return err
	}
	switch {
	case perr != nil && errors.Is(perr, context.Canceled):
		return &cliError{msg: fmt.Sprintf("doctor %s: interrupted; %s", rep.Target, leftSummary(rep)), err: perr}
	case perr != nil:
		return fmt.Errorf("doctor %s: %w; %s", rep.Target, perr, leftSummary(rep))
	case len(rep.Left) > 0:
		return &cliError{msg: fmt.Sprintf("doctor %s: %s", rep.Target, leftSummary(rep)), err: errDoctorUnsafe}
	case !rep.Safe:
		var ids []string
		for _, row := range rep.Rows {
			if row.blocks() {
				ids = append(ids, fmt.Sprintf("%s (%s)", row.ID, row.Verdict))
			}
		}
		return &cliError{msg: fmt.Sprintf("doctor %s: s3commit cannot run safely here: %s; see the rows above", rep.Target, strings.Join(ids, ", ")),
			err: errDoctorUnsafe}
	}
	return nil
}

// errDoctorUnsafe is the cause of doctor's exit status 1 when the store
// (or staging dir) is not safe for s3commit.
var errDoctorUnsafe = errors.New("not safe for s3commit")

// leftSummary says what the clean-up left behind.
func leftSummary(rep *doctorReport) string {
	if len(rep.Left) == 0 {
		return "the probe's objects and uploads were removed"
	}
	return fmt.Sprintf("the clean-up left %d things behind (listed above): remove them, e.g. with 's3commit uploads abort' and a delete of s3://%s/%s",
		len(rep.Left), bucketOf(rep.Target), rep.ProbePrefix)
}
