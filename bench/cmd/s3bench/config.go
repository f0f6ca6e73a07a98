package main

import (
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/s3commit/s3commit/bench/internal/results"
	"github.com/s3commit/s3commit/multipart"
)

// config is the command line of a run.
type config struct {
	mode        string
	out         string
	endpointURL string
	bucket      string
	region      string
	pathStyle   bool
	latency     string
	bandwidth   int
	tasks       int
	workloads   string
	strategies  string
	homes       string
	telemetry   string
	checksums   string
	// deferredPuts is the list of --deferred-puts, uploadAtClose that of
	// --upload-at-close; deferred and atClose are the values parsed from
	// them, in the order given.
	deferredPuts  string
	deferred      []int64
	uploadAtClose string
	atClose       []bool
	computeDelay  time.Duration
	sweep         bool
	keepObjects   bool
	profile       bool
	trace         bool
	repeat        int
	workDir       string
}

// parseFlags reads the command line into a config.
func parseFlags(args []string) (*config, error) {
	fs := flag.NewFlagSet("s3bench", flag.ContinueOnError)
	c := &config{}
	fs.StringVar(&c.mode, "mode", results.ModeQuick, `sizes: "quick" (a few minutes on 2 cores) or "full"`)
	fs.StringVar(&c.out, "out", "", "directory for results.json (default results/<UTC time>-<mode> under the current directory)")
	fs.StringVar(&c.endpointURL, "endpoint-url", "", "S3 endpoint to benchmark instead of a local MinIO (credentials from the standard AWS_* variables)")
	fs.StringVar(&c.bucket, "bucket", "", "existing bucket on --endpoint-url (required with it)")
	fs.StringVar(&c.region, "region", "", "signing region with --endpoint-url (default AWS_REGION, else us-east-1)")
	fs.BoolVar(&c.pathStyle, "path-style", true, "address buckets by path (MinIO, versitygw, FlashBlade); false for virtual-host addressing")
	fs.StringVar(&c.latency, "latency", "", "round-trip latency added by a toxiproxy in front of the local MinIO, e.g. 20ms (make bench installs toxiproxy)")
	fs.IntVar(&c.bandwidth, "bandwidth", 0, "with --latency: limit each direction of each connection to this many KiB/s (0: no limit)")
	fs.IntVar(&c.tasks, "tasks", 4, "task attempts that write and commit at the same time")
	fs.StringVar(&c.workloads, "workloads", "", "comma-separated workloads to run (default all): "+strings.Join(workloadNames, ","))
	fs.StringVar(&c.strategies, "strategies", "", "comma-separated strategies to run (default all): staging,direct,rename")
	fs.StringVar(&c.homes, "staging-homes", results.StagingHomeFS+","+results.StagingHomeStore,
		"comma-separated staging homes the staging strategy is measured with on small-files and large-files: "+
			"fs (a local directory) and store (s3://<bucket>/<prefix> beside the destination); the other workloads use fs")
	fs.StringVar(&c.telemetry, "telemetry", results.TelemetryNone,
		"comma-separated OpenTelemetry settings the staging strategy is measured with on small-files: none (the default: no providers), "+
			"noop (OpenTelemetry's no-op providers) and sdk (the SDK's providers, every metric and span made and dropped); the other workloads use none")
	fs.StringVar(&c.checksums, "checksum-modes", results.ChecksumsVerified,
		"comma-separated checksum modes (staging.Options.Checksums) the staging strategy is measured with on small-files and large-files, with each staging home: "+
			"verified (the default: each part's CRC64NVME sent and checked by the store), record-only (computed and recorded, not sent) "+
			"and off (none); the other workloads use verified")
	fs.StringVar(&c.deferredPuts, "deferred-puts", "0",
		"comma-separated deferred-PUT thresholds (staging.Options.DeferredPutThreshold) the staging strategy is measured with on small-files and partitioned, "+
			"with each home and checksum mode: bytes or a size such as 256KiB or 1MiB; files of at most that size are written with one PutObject "+
			"at job commit instead of being uploaded at task commit; 0, the default, defers nothing; the other workloads use 0")
	fs.StringVar(&c.uploadAtClose, "upload-at-close", results.UploadAtCloseOff,
		"comma-separated settings of staging.Options.UploadAtClose the staging strategy is measured with on paced-files: "+
			"off (the default: every file is uploaded at task commit) and on (each file starts uploading when it is closed); the other workloads use off")
	fs.DurationVar(&c.computeDelay, "compute-delay", defaultComputeDelay,
		"on paced-files, how long the task computes (sleeps) after closing each file but the last before it creates the next; "+
			"long enough for one file's upload to finish")
	fs.BoolVar(&c.sweep, "sweep", true, "run the concurrency sweep of the staging strategy")
	fs.BoolVar(&c.keepObjects, "keep-objects", false, "leave the written objects in the bucket (default: delete each destination after its measurement)")
	fs.BoolVar(&c.profile, "profile", false, "write a CPU profile of the run and a heap profile (cpu.pprof, heap.pprof) into --out")
	fs.BoolVar(&c.trace, "trace-requests", false, "write every request of each measured repetition (phase, start, duration, operation, status, key) as CSV into --out/requests/")
	fs.StringVar(&c.workDir, "work-dir", "",
		"directory under which the tasks write their local files (buffer dir, fs staging home, direct's files); "+
			"default a temporary directory, on the same volume as the local MinIO's drive. A directory on another volume "+
			"(e.g. /dev/shm) keeps the local files' I/O off the store's disk, as with a remote store")
	fs.IntVar(&c.repeat, "repeat", 1, "measure each workload and strategy this many times and keep the run with the median total time")
	err := fs.Parse(args)
	if err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q: s3bench takes flags only", fs.Args())
	}
	if c.mode != results.ModeQuick && c.mode != results.ModeFull {
		return nil, fmt.Errorf("--mode %q: want quick or full", c.mode)
	}
	if c.endpointURL != "" && c.bucket == "" {
		return nil, errors.New("--endpoint-url needs --bucket (an existing bucket)")
	}
	if c.endpointURL == "" && c.bucket != "" {
		return nil, errors.New("--bucket needs --endpoint-url; without it a local MinIO with a bucket of its own is used")
	}
	if c.latency != "" {
		if c.endpointURL != "" {
			return nil, errors.New("--latency applies to the local MinIO only; drop --endpoint-url or --latency")
		}
		if _, err := time.ParseDuration(c.latency); err != nil {
			return nil, fmt.Errorf("--latency %q: %w", c.latency, err)
		}
	}
	if c.bandwidth < 0 || (c.bandwidth > 0 && c.latency == "") {
		return nil, errors.New("--bandwidth needs --latency (use --latency 0s for a bandwidth limit alone) and a positive rate")
	}
	if c.repeat < 1 {
		return nil, fmt.Errorf("--repeat %d: want at least 1", c.repeat)
	}
	if c.tasks < 1 {
		return nil, fmt.Errorf("--tasks %d: want at least 1", c.tasks)
	}
	if err := checkHomes(c.homes); err != nil {
		return nil, err
	}
	if err := checkList("--telemetry", "setting", c.telemetry, telemetryNames); err != nil {
		return nil, err
	}
	if err := checkList("--checksum-modes", "checksum mode", c.checksums, checksumModeNames); err != nil {
		return nil, err
	}
	if c.deferred, err = parseThresholds(c.deferredPuts); err != nil {
		return nil, err
	}
	if err := checkList("--upload-at-close", "setting", c.uploadAtClose, uploadAtCloseNames); err != nil {
		return nil, err
	}
	c.atClose = nil
	for _, v := range uploadAtCloseNames {
		if selected(c.uploadAtClose, v) {
			c.atClose = append(c.atClose, v == results.UploadAtCloseOn)
		}
	}
	if c.computeDelay < 0 {
		return nil, fmt.Errorf("--compute-delay %s: want 0 or more", c.computeDelay)
	}
	if c.out == "" {
		c.out = filepath.Join("results", time.Now().UTC().Format("20060102T150405Z")+"-"+c.mode)
	}
	return c, nil
}

// stagingHomes lists the staging homes in run order.
var stagingHomes = []string{results.StagingHomeFS, results.StagingHomeStore}

// checksumModeNames lists the checksum modes in run order.
var checksumModeNames = []string{results.ChecksumsVerified, results.ChecksumsRecordOnly, results.ChecksumsOff}

// telemetryNames lists the values of --telemetry in run order.
var telemetryNames = []string{results.TelemetryNone, results.TelemetryNoop, results.TelemetrySDK}

// uploadAtCloseNames lists the values of --upload-at-close in run order.
var uploadAtCloseNames = []string{results.UploadAtCloseOff, results.UploadAtCloseOn}

// defaultComputeDelay is the default of --compute-delay. An upload at
// close keeps pace with the task only when one file's upload fits in the
// delay: a slower store needs a longer one.
const defaultComputeDelay = time.Second

// parseThresholds reads the list of --deferred-puts: sizes (see
// parseSize) from 0 to multipart.MaxPartSize, the largest PutObject, at
// least one, each once, in the order given.
func parseThresholds(list string) ([]int64, error) {
	var out []int64
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		n, err := parseSize(s)
		if err != nil {
			return nil, fmt.Errorf("--deferred-puts: %w", err)
		}
		if n > multipart.MaxPartSize {
			return nil, fmt.Errorf("--deferred-puts: %s is above %s, the largest PutObject", s, size(multipart.MaxPartSize))
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("--deferred-puts is empty: give one or more thresholds, such as 0,1MiB (0 defers nothing)")
	}
	return out, nil
}

// sizeUnits are the suffixes parseSize accepts, by their factor.
var sizeUnits = []struct {
	suffix string
	factor int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"B", 1},
}

// parseSize reads a byte count: a whole number of bytes (1048576), or a
// whole number with a binary unit (256KiB, 1MiB, 5GiB; B for bytes),
// without a sign.
func parseSize(s string) (int64, error) {
	num, factor := s, int64(1)
	for _, u := range sizeUnits {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			num, factor = strings.TrimSpace(rest), u.factor
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || num == "" || num[0] == '+' || n > (1<<62)/factor {
		return 0, fmt.Errorf("size %q: want bytes or a whole number of KiB, MiB or GiB, such as 1048576 or 1MiB", s)
	}
	return n * factor, nil
}

// checkHomes checks the list of --staging-homes.
func checkHomes(list string) error { return checkList("--staging-homes", "home", list, stagingHomes) }

// checkList checks the comma-separated list of flag: every entry one of
// valid (a what), and at least one.
func checkList(flag, what, list string, valid []string) error {
	n := 0
	for _, h := range strings.Split(list, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if !slices.Contains(valid, h) {
			return fmt.Errorf("%s: unknown %s %q: want %s", flag, what, h, strings.Join(valid, ", "))
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("%s is empty: give one or more of %s", flag, strings.Join(valid, ", "))
	}
	return nil
}

// selected reports whether name is in the comma-separated list, an empty
// list selecting everything.
func selected(list, name string) bool {
	if list == "" {
		return true
	}
	for _, s := range strings.Split(list, ",") {
		if strings.TrimSpace(s) == name {
			return true
		}
	}
	return false
}

// itoa formats an int for a settings map.
func itoa(n int) string { return strconv.Itoa(n) }
