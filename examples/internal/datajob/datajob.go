// Package datajob is the example data job of s3commit: a job whose tasks
// turn events (JSON lines, synthetic or read from input files) into files
// partitioned by day, committed all or nothing through the staging
// committer: Parquet, dt=YYYY-MM-DD/part-NNNNN.snappy.parquet (the
// default), or gzip-compressed JSON lines, dt=YYYY-MM-DD/part-NNNNN.jsonl.gz
// (--format jsonl). The command examples/datajob runs it; its
// subcommands are the steps of the job, so that it runs either on one
// machine (run) or as separate processes and pods sharing a staging
// dir (setup, task, commit, abort), and checks its own output (verify).
// The staging dir is a directory they all see, or s3://BUCKET/PREFIX, a
// prefix of the store reached with the endpoint and credentials of the
// destination: then they share nothing but the store.
//
// --fail-task and --crash-task make one task's first attempt fail, or kill
// itself with SIGKILL in the middle of its task commit, to show that a
// retried task still yields exactly one copy of each record.
package datajob

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/s3commit/s3commit/multipart/awsstore"
)

// Exit codes of Main.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// Main runs the subcommand named by args[0] with the flags and arguments
// that follow and returns the exit code: 0 on success, 1 when the job or
// the check fails, 2 for a usage error (each a one-line message on stderr
// that names the problem and what to do).
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		if len(args) > 1 && knownSubcommand(args[1]) {
			printUsage(stdout, args[1])
		} else {
			printUsage(stdout, "")
		}
		return exitOK
	}
	c, err := parseArgs(args, false)
	if errors.Is(err, flag.ErrHelp) {
		printUsage(stdout, args[0])
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "datajob: %v\n", err)
		return exitUsage
	}
	r := &runner{c: c, stdout: stdout, stderr: stderr}
	err = r.run(ctx)
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "datajob: %v\n", err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "datajob %s: %v\n", c.sub, err)
		return exitFailure
	}
}

// printUsage writes the usage of a subcommand, or of the command when sub
// is empty.
func printUsage(w io.Writer, sub string) {
	if sub == "" {
		fmt.Fprintln(w, "usage: datajob SUBCOMMAND --dest s3://BUCKET/PREFIX --staging-dir DIR|s3://BUCKET/PREFIX [flags] [input.jsonl ...]")
		fmt.Fprintln(w, "\nsubcommands:")
		for _, s := range subcommands {
			fmt.Fprintf(w, "  %-7s %s\n", s.name, s.usage)
		}
		fmt.Fprintln(w, "\nThe staging dir is a directory every step and task sees (a shared volume), or s3://BUCKET/PREFIX:")
		fmt.Fprintln(w, "the job's records are then objects under PREFIX/JOB_ID/ in the store, on the endpoint of --dest,")
		fmt.Fprintln(w, "and nothing but the store is shared; --buffer-dir stays local to each task.")
		fmt.Fprintln(w, "\nRun \"datajob help SUBCOMMAND\" for its flags. Credentials come from the AWS_* variables.")
		return
	}
	args := ""
	if takesInputs(sub) {
		args = " [input.jsonl ...]"
	}
	fmt.Fprintf(w, "usage: datajob %s [flags]%s\n\nflags:\n", sub, args)
	fs := newFlagSet(sub, &config{})
	fs.SetOutput(w)
	fs.VisitAll(func(f *flag.Flag) {
		def := ""
		if f.DefValue != "" && f.DefValue != "false" {
			def = " (default " + f.DefValue + ")"
		}
		if strings.Contains(f.Usage, "(default") {
			def = ""
		}
		fmt.Fprintf(w, "  --%s\n        %s%s\n", f.Name, f.Usage, def)
	})
}

// runner runs one subcommand.
type runner struct {
	c              *config
	stdout, stderr io.Writer
	// staging is the store of a staging dir in the store on another
	// bucket than --dest's, once made (see runner.stagingStore).
	staging *awsstore.Store
	// tel holds the OpenTelemetry providers of the telemetry flags.
	tel *telemetry
}

func (r *runner) run(ctx context.Context) (err error) {
	ctx, stop, err := r.startTelemetry(ctx)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, stop(err)) }()
	return r.runSubcommand(ctx)
}

func (r *runner) runSubcommand(ctx context.Context) error {
	switch r.c.sub {
	case cmdRun:
		return r.driver(ctx)
	case cmdSetup:
		return r.setup(ctx)
	case cmdTask:
		return r.task(ctx)
	case cmdCommit:
		return r.commit(ctx)
	case cmdAbort:
		return r.abort(ctx)
	case cmdVerify:
		return r.verify(ctx)
	}
	return usagef("unknown subcommand %q", r.c.sub)
}
