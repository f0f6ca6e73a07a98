package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes of s3commit, documented in the root command's help and the
// README.
const (
	// exitOK: the command did what it was asked.
	exitOK = 0
	// exitError: the command failed (store error, bad file, …).
	exitError = 1
	// exitUsage: the command line is wrong (unknown command or flag, bad
	// argument, unknown URL scheme).
	exitUsage = 2
	// exitCountMismatch: --expect N did not match the number of selected
	// items; nothing was changed.
	exitCountMismatch = 3
)

// globalOptions are the persistent flags shared by every command.
type globalOptions struct {
	// EndpointURL is --endpoint-url (default: AWS_ENDPOINT_URL_S3,
	// AWS_ENDPOINT_URL, or the AWS endpoint).
	EndpointURL string
	// Region is --region (default: AWS_REGION, the profile's region, or
	// us-east-1 when an endpoint is set).
	Region string
	// Profile is --profile (default: AWS_PROFILE).
	Profile string
	// PathStyle is --path-style (or S3COMMIT_PATH_STYLE=true).
	PathStyle bool
	// MaxAttempts is AWS_MAX_ATTEMPTS, the attempts of each store call; 0
	// means multipart's default.
	MaxAttempts int
	// JSON is --json: print one JSON document instead of tables.
	JSON bool
}

// usageError is a mistake on the command line; it exits with exitUsage.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usageErrorf returns a usageError with a formatted message; %w wraps.
func usageErrorf(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// countMismatchError reports that --expect did not match the selection; it
// exits with exitCountMismatch.
type countMismatchError struct {
	// What names one selected item, e.g. "upload".
	What string
	// Expected is the --expect value; Selected the number selected.
	Expected, Selected int
}

func (e *countMismatchError) Error() string {
	return fmt.Sprintf("--expect %d but %s selected, nothing changed; check the selection, or rerun with --expect %d",
		e.Expected, count(e.Selected, e.What), e.Selected)
}

const rootLong = `s3commit inspects and repairs s3commit jobs and the multipart uploads they
leave pending on S3-compatible stores (AWS S3, MinIO, versitygw, ...).

Store settings follow the AWS conventions: AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE, AWS_REGION,
AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_S3), the shared config and credentials
files, and instance roles. --endpoint-url, --region and --profile override
them. MinIO and most on-premises stores need path-style addressing:
--path-style, or S3COMMIT_PATH_STYLE=true. A store request that fails with
throttling, a 5xx error or a network error is retried with backoff, up to
AWS_MAX_ATTEMPTS attempts in all (default 5). Credentials are never printed.

Output is a human-readable table on stdout; --json prints one JSON document
instead (field names snake_case, times RFC 3339 in UTC, durations in
seconds; each command's help shows its shape). Errors are one line on
stderr: "s3commit: <what happened>; <what to do>".

Exit codes:
  0  success
  1  error (store, file or job error); see the message
  2  usage error (unknown command or flag, bad argument, unknown URL scheme)
  3  count mismatch: --expect N differed from the selection; nothing changed`

const rootExample = `  # uploads pending under a prefix on MinIO
  AWS_ENDPOINT_URL=http://127.0.0.1:9000 S3COMMIT_PATH_STYLE=true \
    s3commit uploads list s3://bucket/tables/events/

  # print a _SUCCESS manifest
  s3commit success show s3://bucket/tables/events/_SUCCESS

  # shell completion (bash, zsh, fish, powershell)
  source <(s3commit completion bash)`

// newRootCommand builds the s3commit command tree writing to stdout and
// stderr.
func newRootCommand(stdout, stderr io.Writer) *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:           "s3commit",
		Short:         "Inspect and repair s3commit jobs and pending multipart uploads",
		Long:          rootLong,
		Example:       rootExample,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return g.applyEnv(cmd)
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &usageError{err: fmt.Errorf("%w; see --help", err)}
	})
	pf := root.PersistentFlags()
	pf.StringVar(&g.EndpointURL, "endpoint-url", "", "S3 endpoint URL, e.g. http://127.0.0.1:9000 (default: AWS_ENDPOINT_URL)")
	pf.StringVar(&g.Region, "region", "", "signing region (default: AWS_REGION, the profile's, or us-east-1 with an endpoint)")
	pf.StringVar(&g.Profile, "profile", "", "shared config profile (default: AWS_PROFILE)")
	pf.BoolVar(&g.PathStyle, "path-style", false, "path-style addressing (http://host/bucket/key), needed by MinIO (or S3COMMIT_PATH_STYLE=true)")
	pf.BoolVar(&g.JSON, "json", false, "print one JSON document instead of a table")

	root.AddCommand(
		newUploadsCommand(g, stdout, stderr),
		newPendingCommand(g, stdout, stderr),
		newSuccessCommand(g, stdout, stderr),
		newJobsCommand(g, stdout, stderr),
		newDoctorCommand(g, stdout, stderr),
	)
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			addCompletionExamples(c)
		}
	}
	addGroupExamples(root)
	return root
}

// noArgs rejects positional arguments with a usage error naming the unknown
// command.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("unknown command %q for %q; run '%s --help'", args[0], cmd.CommandPath(), cmd.CommandPath())
	}
	return nil
}

// exactArgs requires n positional arguments, named in use for the message.
func exactArgs(n int, use string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErrorf("%s takes %d argument(s) (%s), got %d; run '%s --help'",
				cmd.CommandPath(), n, use, len(args), cmd.CommandPath())
		}
		return nil
	}
}

// newGroupCommand returns a command that only holds subcommands: without
// one it prints its help, with an unknown one it fails with a usage error.
func newGroupCommand(use, short, long string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long,
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
}

// run executes s3commit with args and returns the exit code. Errors are
// printed to stderr as one line.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCommand(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, "s3commit: "+termText(oneLine(err.Error())))
	return exitCode(err)
}

// exitCode maps an error returned by a command to the exit code.
func exitCode(err error) int {
	var usage *usageError
	var mismatch *countMismatchError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &mismatch):
		return exitCountMismatch
	case errors.As(err, &usage), isCobraUsageError(err):
		return exitUsage
	}
	return exitError
}

// isCobraUsageError recognises the command-line errors cobra returns as
// plain errors (an unknown subcommand of the root command).
func isCobraUsageError(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "unknown command ") || strings.HasPrefix(msg, "invalid argument ")
}

// oneLine folds a multi-line message into one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

// addCompletionExamples gives cobra's completion command and its
// subcommands an Example section, like every other command.
func addCompletionExamples(cmd *cobra.Command) {
	cmd.Example = `  # bash, for the current shell
  source <(s3commit completion bash)

  # zsh, for every new shell
  s3commit completion zsh > "${fpath[1]}/_s3commit"`
	for _, sub := range cmd.Commands() {
		switch sub.Name() {
		case "bash":
			sub.Example = "  source <(s3commit completion bash)"
		case "zsh":
			sub.Example = `  s3commit completion zsh > "${fpath[1]}/_s3commit"`
		case "fish":
			sub.Example = "  s3commit completion fish > ~/.config/fish/completions/s3commit.fish"
		case "powershell":
			sub.Example = "  s3commit completion powershell | Out-String | Invoke-Expression"
		}
	}
}

// addGroupExamples gives every command that has subcommands but no Example
// of its own the first example of each subcommand, so that every --help
// shows examples.
func addGroupExamples(cmd *cobra.Command) {
	var examples []string
	for _, sub := range cmd.Commands() {
		addGroupExamples(sub)
		if sub.Example != "" && sub.IsAvailableCommand() {
			first, _, _ := strings.Cut(sub.Example, "\n\n")
			examples = append(examples, first)
		}
	}
	if cmd.Example == "" && len(examples) > 0 {
		cmd.Example = strings.Join(examples, "\n\n")
	}
}
