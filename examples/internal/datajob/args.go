package datajob

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/storekit"
	"github.com/s3commit/s3commit/staging"
)

// Subcommand names.
const (
	cmdRun    = "run"
	cmdSetup  = "setup"
	cmdTask   = "task"
	cmdCommit = "commit"
	cmdAbort  = "abort"
	cmdVerify = "verify"
)

// envTaskIndex is the variable a Kubernetes Indexed Job sets to the index
// of the pod's task; the task subcommand reads it when --task-index is not
// given.
const envTaskIndex = "JOB_COMPLETION_INDEX"

// subcommands lists the subcommands in the order of the usage text, with
// a one-line description each.
var subcommands = []struct{ name, usage string }{
	{cmdRun, "set up the job, run every task as a worker process with retries, commit the job"},
	{cmdSetup, "set up the job (the driver's first step)"},
	{cmdTask, "run one attempt of one task and commit it"},
	{cmdCommit, "commit the job (the driver's last step; resumes an interrupted commit)"},
	{cmdAbort, "abort the job: nothing of it stays in the store"},
	{cmdVerify, "read the committed output back and check every expected event is there exactly once"},
}

// Subcommands returns the names of the subcommands Main runs.
func Subcommands() []string {
	out := make([]string, len(subcommands))
	for i, s := range subcommands {
		out[i] = s.name
	}
	return out
}

// Flags returns the names (without dashes) of the flags a subcommand
// accepts, sorted; nil for an unknown subcommand.
func Flags(subcommand string) []string {
	if !knownSubcommand(subcommand) {
		return nil
	}
	var out []string
	newFlagSet(subcommand, &config{}).VisitAll(func(f *flag.Flag) { out = append(out, f.Name) })
	sort.Strings(out)
	return out
}

func knownSubcommand(name string) bool {
	for _, s := range subcommands {
		if s.name == name {
			return true
		}
	}
	return false
}

// takesInputs reports whether a subcommand accepts input files as
// positional arguments.
func takesInputs(sub string) bool {
	return sub == cmdRun || sub == cmdTask || sub == cmdVerify
}

// config is a parsed command line.
type config struct {
	sub string

	dest        string
	bucket      string // parsed from dest
	prefix      string // parsed from dest, without a trailing '/'
	endpointURL string
	region      string
	pathStyle   bool
	stagingDir  string
	// stagingBucket and stagingPrefix are parsed from a --staging-dir
	// s3://BUCKET/PREFIX (a staging dir in the store); both are empty for
	// a directory.
	stagingBucket string
	stagingPrefix string
	bufferDir     string
	jobID         string
	mode          string
	conflict      string
	tasks         int
	events        int
	seed          int64
	days          int
	createBucket  bool
	failTask      int
	crashTask     int
	logLevel      string
	format        string
	tel           telemetryConfig

	// run only.
	parallel    int
	maxAttempts int

	// task only. taskIndex is -1 when neither --task-index nor
	// JOB_COMPLETION_INDEX is set.
	taskIndex    int
	taskIndexSet bool
	attempt      int

	inputs []string
}

// newFlagSet returns the flag set of a subcommand, bound to c.
func newFlagSet(sub string, c *config) *flag.FlagSet {
	fs := flag.NewFlagSet("datajob "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.dest, "dest", "", "destination of the job's output, s3://BUCKET/PREFIX (required)")
	fs.StringVar(&c.endpointURL, "endpoint-url", "", "S3 endpoint, e.g. http://127.0.0.1:9000 (default: AWS_ENDPOINT_URL or AWS)")
	fs.StringVar(&c.region, "region", "", "signing region (default: AWS_REGION, or us-east-1 with an endpoint)")
	fs.BoolVar(&c.pathStyle, "path-style", false, "path-style addressing (MinIO, FlashBlade, versitygw)")
	fs.StringVar(&c.stagingDir, "staging-dir", "", "staging dir (required): a directory shared by the driver and every task (a shared volume), "+
		"or s3://BUCKET/PREFIX to keep the job's records in the store, on the endpoint of --dest, outside its prefix")
	fs.StringVar(&c.bufferDir, "buffer-dir", "", "local directory where task attempts write before their commit, never shared "+
		"(default: $TMPDIR/s3commit-buffer-<uid>, private to the user)")
	jobUsage := "job ID (required)"
	if sub == cmdRun {
		jobUsage = "job ID (default: a new UUID, printed)"
	}
	fs.StringVar(&c.jobID, "job-id", "", jobUsage)
	fs.StringVar(&c.mode, "mode", string(committer.ModeDirectory), "committer: directory or partitioned")
	fs.StringVar(&c.conflict, "conflict", string(committer.ConflictFail), "when the destination holds objects: fail, replace or append")
	fs.IntVar(&c.tasks, "tasks", 4, "number of tasks of the job")
	fs.IntVar(&c.events, "events", 100000, "number of synthetic events (without input files)")
	fs.Int64Var(&c.seed, "seed", 1, "seed of the synthetic events")
	fs.IntVar(&c.days, "days", 7, "number of days (dt= partitions) of the synthetic events")
	fs.BoolVar(&c.createBucket, "create-bucket", false, "create the bucket if it is missing (setup and run)")
	fs.IntVar(&c.failTask, "fail-task", -1, "this task's first attempt fails after writing, before its commit (-1: none)")
	fs.IntVar(&c.crashTask, "crash-task", -1, "this task's first attempt kills itself (SIGKILL) in the middle of its commit (-1: none)")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	addFormatFlag(fs, c)
	c.addTelemetryFlags(fs)
	c.taskIndex, c.attempt = -1, -1
	switch sub {
	case cmdRun:
		fs.IntVar(&c.parallel, "parallel", 2, "task processes running at the same time")
		fs.IntVar(&c.maxAttempts, "max-attempts", 3, "attempts of a task before the job is aborted")
	case cmdTask:
		fs.IntVar(&c.taskIndex, "task-index", -1, "index of the task, 0 to --tasks - 1 (default: $"+envTaskIndex+")")
		fs.IntVar(&c.attempt, "attempt", -1, "attempt number (-1: the next unused one of the task)")
	}
	return fs
}

// usageError is a command line that Main refuses with exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// CheckArgs parses args (a subcommand, its flags and its positional
// arguments) as Main would and validates them without doing anything: no
// file is read, no environment variable and no store is consulted. An
// unknown subcommand or flag, a missing required flag or a bad value is an
// error naming it. Flag values that hold a shell or Kubernetes variable
// reference ($VAR, ${VAR}, $(VAR)) or an Argo Workflows template reference
// ({{workflow.parameters.tasks}}) are accepted unchecked, since only the
// shell, the kubelet or Argo expands them.
func CheckArgs(args []string) error {
	_, err := parseArgs(args, true)
	return err
}

// parseArgs parses and validates a command line. With vars, flag values
// holding a variable reference (see isVarRef) are replaced by a valid
// stand-in before parsing.
func parseArgs(args []string, vars bool) (*config, error) {
	if len(args) == 0 {
		return nil, usagef("no subcommand; use one of %s (datajob help shows them)", strings.Join(Subcommands(), ", "))
	}
	sub := args[0]
	if !knownSubcommand(sub) {
		return nil, usagef("unknown subcommand %q; use one of %s", sub, strings.Join(Subcommands(), ", "))
	}
	c := &config{sub: sub}
	fs := newFlagSet(sub, c)
	rest := args[1:]
	if err := checkBoolValues(fs, rest); err != nil {
		return nil, err
	}
	vared := map[string]bool{}
	if vars {
		rest, vared = standIns(fs, rest)
	}
	// Flags and positional arguments may be interspersed; "--" ends the
	// flags.
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, flagError(sub, err)
		}
		left := fs.Args()
		consumed := len(rest) - len(left)
		if consumed > 0 && rest[consumed-1] == "--" {
			c.inputs = append(c.inputs, left...)
			break
		}
		if len(left) == 0 {
			break
		}
		c.inputs = append(c.inputs, left[0])
		rest = left[1:]
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	c.taskIndexSet = set["task-index"]
	if err := c.validate(set, vared); err != nil {
		return nil, err
	}
	return c, nil
}

// checkBoolValues refuses a value given to a boolean flag as a separate
// argument ("--path-style true", "--path-style $(PATH_STYLE)"), which the
// flag package would take as an input file.
func checkBoolValues(fs *flag.FlagSet, args []string) error {
	for i, a := range args {
		if a == "--" {
			return nil
		}
		name := strings.TrimLeft(a, "-")
		if name == a || strings.Contains(name, "=") || i+1 >= len(args) {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue
		}
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !bf.IsBoolFlag() {
			continue
		}
		v := args[i+1]
		if _, err := strconv.ParseBool(v); err == nil || isVarRef(v) {
			return usagef("--%s %s: a boolean flag takes its value after '=': write --%s=%s", name, v, name, v)
		}
	}
	return nil
}

// flagError turns an error of package flag into a one-line usage error.
func flagError(sub string, err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return usagef("unknown flag --%s for %s; its flags are --%s", strings.TrimLeft(name, "-"), sub, strings.Join(Flags(sub), ", --"))
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return usagef("flag --%s needs a value: write --%s VALUE", name, name)
	}
	// "invalid value "x" for flag -tasks: parse error"
	if i := strings.Index(msg, " for flag -"); strings.HasPrefix(msg, "invalid ") && i > 0 {
		name, _, _ := strings.Cut(msg[i+len(" for flag -"):], ":")
		return usagef("%s for flag --%s: write a number", msg[:i], name)
	}
	return usagef("%s", msg)
}

// isVarRef reports whether a flag value holds a reference that a shell,
// the kubelet or Argo Workflows expands before datajob sees it.
func isVarRef(v string) bool {
	if strings.Contains(v, "$") {
		return true
	}
	i := strings.Index(v, "{{")
	return i >= 0 && strings.Contains(v[i:], "}}")
}

// standIns replaces the values of flags that hold a variable reference
// with a valid stand-in and returns the names of those flags.
func standIns(fs *flag.FlagSet, args []string) ([]string, map[string]bool) {
	out := make([]string, len(args))
	copy(out, args)
	vared := map[string]bool{}
	standIn := func(name, value string) string {
		switch name {
		case "dest":
			return "s3://bucket/prefix"
		case "staging-dir":
			// The scheme, when it is written out, is kept: a staging
			// dir in the store stays one, and an unsupported scheme
			// is refused whatever the variables hold.
			scheme, ok := urlScheme(value)
			switch {
			case !ok:
				return "/staging"
			case scheme == "s3" || scheme == "s3a":
				return "s3://bucket/staging"
			}
			return value
		case "endpoint-url":
			return "http://127.0.0.1:9000"
		case "job-id":
			return "job"
		case "task-index", "attempt":
			return "0"
		case "tasks", "events", "days", "seed", "parallel", "max-attempts":
			return "1"
		case "fail-task", "crash-task":
			return "-1"
		}
		if f := fs.Lookup(name); f != nil && f.DefValue != "" {
			return f.DefValue
		}
		return "x"
	}
	for i := 0; i < len(out); i++ {
		a := out[i]
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			continue
		}
		name := strings.TrimLeft(a, "-")
		if n, v, ok := strings.Cut(name, "="); ok {
			if isVarRef(v) && fs.Lookup(n) != nil {
				out[i] = "--" + n + "=" + standIn(n, v)
				vared[n] = true
			}
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue
		}
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
			continue
		}
		if i+1 < len(out) && isVarRef(out[i+1]) {
			out[i+1] = standIn(name, out[i+1])
			vared[name] = true
		}
		i++
	}
	return out, vared
}

// validate checks the values of a parsed command line. set holds the flags
// given, vared those whose value is a variable reference.
func (c *config) validate(set, vared map[string]bool) error {
	sub := c.sub
	if !set["dest"] || (c.dest == "" && !vared["dest"]) {
		return usagef("%s needs --dest s3://BUCKET/PREFIX: where the job's output goes", sub)
	}
	if !vared["dest"] {
		if err := c.parseDest(); err != nil {
			return err
		}
	}
	if c.stagingDir == "" {
		return usagef("%s needs --staging-dir DIR: a directory shared by the driver and every task, or s3://BUCKET/PREFIX for a staging dir in the store", sub)
	}
	if err := c.parseStagingDir(vared); err != nil {
		return err
	}
	if e := c.endpointURL; e != "" && !vared["endpoint-url"] && !strings.HasPrefix(e, "http://") && !strings.HasPrefix(e, "https://") {
		return usagef("--endpoint-url %q must start with http:// or https://", storekit.RedactURL(e))
	}
	if c.jobID == "" && sub != cmdRun {
		return usagef("%s needs --job-id ID: the ID the job was (or will be) set up with", sub)
	}
	if c.jobID != "" && !vared["job-id"] {
		if err := committer.ValidateID("job ID", c.jobID); err != nil {
			return usagef("--job-id %q: %v", c.jobID, err)
		}
	}
	if _, err := committer.ParseMode(c.mode); err != nil {
		return usagef("--mode %q: use directory or partitioned", c.mode)
	}
	if _, err := committer.ParseConflictMode(c.conflict); err != nil {
		return usagef("--conflict %q: use fail, replace or append", c.conflict)
	}
	if err := checkFormat(c.format); err != nil {
		return err
	}
	switch c.logLevel {
	case "debug", "info", "warn", "error":
	default:
		return usagef("--log-level %q: use debug, info, warn or error", c.logLevel)
	}
	if c.tasks < 1 {
		return usagef("--tasks %d: a job needs at least 1 task", c.tasks)
	}
	if c.events < 0 {
		return usagef("--events %d: give 0 or more events", c.events)
	}
	if c.days < 1 {
		return usagef("--days %d: give at least 1 day", c.days)
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"fail-task", c.failTask}, {"crash-task", c.crashTask}} {
		if !vared[f.name] && (f.v < -1 || f.v >= c.tasks) && !vared["tasks"] {
			return usagef("--%s %d: give a task index from 0 to %d (--tasks %d), or -1 for none", f.name, f.v, c.tasks-1, c.tasks)
		}
	}
	switch sub {
	case cmdRun:
		if c.parallel < 1 {
			return usagef("--parallel %d: run at least 1 task at a time", c.parallel)
		}
		if c.maxAttempts < 1 {
			return usagef("--max-attempts %d: give at least 1 attempt", c.maxAttempts)
		}
	case cmdTask:
		if c.taskIndexSet && !vared["task-index"] && !vared["tasks"] && (c.taskIndex < 0 || c.taskIndex >= c.tasks) {
			return usagef("--task-index %d: give a task index from 0 to %d (--tasks %d)", c.taskIndex, c.tasks-1, c.tasks)
		}
		if c.attempt < -1 {
			return usagef("--attempt %d: give an attempt number of 0 or more, or -1 for the next unused one", c.attempt)
		}
	}
	if len(c.inputs) > 0 && !takesInputs(sub) {
		return usagef("%s takes no arguments, got %q; input files go to run, task and verify", sub, c.inputs[0])
	}
	return nil
}

// parseDest splits --dest into bucket and prefix.
func (c *config) parseDest() error {
	scheme, rest, ok := strings.Cut(c.dest, "://")
	if !ok || (scheme != "s3" && scheme != "s3a") {
		return usagef("--dest %q is not an s3:// URL; write s3://BUCKET/PREFIX (set the endpoint with --endpoint-url)", c.dest)
	}
	bucket, prefix, _ := strings.Cut(rest, "/")
	prefix = strings.Trim(prefix, "/")
	if bucket == "" || strings.ContainsAny(bucket, "?#:@ ") {
		return usagef("--dest %q has no valid bucket; write s3://BUCKET/PREFIX", c.dest)
	}
	if prefix == "" {
		return usagef("--dest %q has no prefix; write s3://BUCKET/PREFIX (the job writes under a prefix, not the bucket's root)", c.dest)
	}
	c.bucket, c.prefix = bucket, prefix
	return nil
}

// urlScheme reports whether s is a URL ("s3://bucket/x", "file:///x")
// rather than a path, with its scheme in lower case. A scheme that holds a
// variable reference is no scheme: the value is taken as a path.
func urlScheme(s string) (string, bool) {
	scheme, _, ok := strings.Cut(s, "://")
	if !ok || scheme == "" {
		return "", false
	}
	for i, r := range scheme {
		letter := 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
		if !letter && (i == 0 || !('0' <= r && r <= '9' || r == '+' || r == '-' || r == '.')) {
			return "", false
		}
	}
	return strings.ToLower(scheme), true
}

// parseStagingDir checks --staging-dir: a directory, or s3://BUCKET/PREFIX
// (s3a:// is taken for s3://), whose bucket and prefix it keeps. Any other
// URL is refused. A staging dir in the store must lie outside the
// destination; with neither flag a variable reference, the committer's own
// checks of the options run too (without any I/O), so that CheckArgs
// refuses what the committer would.
func (c *config) parseStagingDir(vared map[string]bool) error {
	scheme, ok := urlScheme(c.stagingDir)
	if !ok {
		if strings.Contains(c.stagingDir, "://") && !vared["staging-dir"] {
			return usagef("--staging-dir %q is neither a directory nor an s3:// URL; give a directory shared by the driver and every task, or s3://BUCKET/PREFIX", c.stagingDir)
		}
		return nil
	}
	if scheme != "s3" && scheme != "s3a" {
		return usagef("--staging-dir %s: a %s:// URL is not supported; give a directory shared by the driver and every task (a mounted volume), "+
			"or s3://BUCKET/PREFIX for a staging dir in the store", c.stagingDir, scheme)
	}
	_, rest, _ := strings.Cut(c.stagingDir, "://")
	bucket, prefix, _ := strings.Cut(rest, "/")
	prefix = strings.Trim(prefix, "/")
	if err := multipart.ValidateBucketName(bucket); err != nil {
		return usagef("--staging-dir %s: %v; write s3://BUCKET/PREFIX", c.stagingDir, err)
	}
	if prefix == "" {
		return usagef("--staging-dir %s has no prefix; write s3://%s/PREFIX, such as s3://%s/_staging (the job's records go under PREFIX/JOB_ID/)", c.stagingDir, bucket, bucket)
	}
	c.stagingBucket, c.stagingPrefix = bucket, prefix
	if vared["staging-dir"] || vared["dest"] {
		return nil
	}
	if bucket == c.bucket && (strings.HasPrefix(prefix+"/", c.prefix+"/") || strings.HasPrefix(c.prefix+"/", prefix+"/")) {
		return usagef("--staging-dir %s and --dest %s contain one another: the job's records would be taken for its output; "+
			"give a staging prefix outside the destination, such as s3://%s/_staging", c.stagingDir, c.dest, bucket)
	}
	if multipart.ValidateBucketName(c.bucket) != nil {
		return nil // the store of --dest refuses the bucket when the job runs
	}
	var stagingStore multipart.Store
	if bucket != c.bucket {
		stagingStore = bucketOnly{bucket: bucket}
	}
	_, err := staging.New(bucketOnly{bucket: c.bucket}, staging.Options{
		StagingDir:   c.stagingURL(),
		StagingStore: stagingStore,
		Destination:  c.prefix,
	})
	if err != nil {
		return usagef("--staging-dir %s: %v", c.stagingDir, err)
	}
	return nil
}

// stagingURL is the StagingDir of the committer's options: the directory
// as given, or s3://BUCKET/PREFIX for a staging dir in the store.
func (c *config) stagingURL() string {
	if c.stagingBucket == "" {
		return c.stagingDir
	}
	return "s3://" + c.stagingBucket + "/" + c.stagingPrefix
}

// bucketOnly is a store that knows its bucket and is never called: it
// lets parseStagingDir run the committer's checks of the options, which
// send no request.
type bucketOnly struct {
	multipart.Store // nil: a call panics
	bucket          string
}

func (b bucketOnly) Bucket() string { return b.bucket }

// resolveTaskIndex fills the task index from JOB_COMPLETION_INDEX when
// --task-index was not given.
func (c *config) resolveTaskIndex() error {
	if c.taskIndexSet {
		return nil
	}
	v, ok := os.LookupEnv(envTaskIndex)
	if !ok || v == "" {
		return usagef("task needs its index: give --task-index I or set %s (as a Kubernetes Indexed Job does)", envTaskIndex)
	}
	i, err := strconv.Atoi(v)
	if err != nil || i < 0 || i >= c.tasks {
		return usagef("%s=%q: give a task index from 0 to %d (--tasks %d)", envTaskIndex, v, c.tasks-1, c.tasks)
	}
	c.taskIndex = i
	return nil
}
