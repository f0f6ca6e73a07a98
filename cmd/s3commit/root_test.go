package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// commandPaths returns the path (without "s3commit") of every command.
func commandPaths(t *testing.T) [][]string {
	t.Helper()
	var out [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		out = append(out, path)
		for _, sub := range c.Commands() {
			if sub.Name() == "help" {
				continue
			}
			walk(sub, append(append([]string{}, path...), sub.Name()))
		}
	}
	walk(newRootCommand(&bytes.Buffer{}, &bytes.Buffer{}), nil)
	require.Greater(t, len(out), 10)
	return out
}

func TestHelp(t *testing.T) {
	paths := commandPaths(t)
	var names []string
	for _, p := range paths {
		names = append(names, strings.Join(p, " "))
	}
	for _, want := range []string{"uploads list", "uploads abort", "pending show", "success show", "jobs", "completion bash"} {
		assert.Contains(t, names, want)
	}
	for _, p := range paths {
		t.Run(strings.Join(append([]string{"s3commit"}, p...), " "), func(t *testing.T) {
			res := runCLI(t, cliRun{Args: append(append([]string{}, p...), "--help")})
			require.Equal(t, exitOK, res.Code, res.Stderr)
			assert.Contains(t, res.Stdout, "Examples:", "every command's help has examples")
			assert.Contains(t, res.Stdout, "Usage:")
			assert.Empty(t, res.Stderr)
		})
	}

	res := runCLI(t, cliRun{})
	require.Equal(t, exitOK, res.Code)
	for _, want := range []string{"Exit codes:", "0  success", "1  error", "2  usage error", "3  count mismatch", "AWS_ENDPOINT_URL", "S3COMMIT_PATH_STYLE"} {
		assert.Contains(t, res.Stdout, want)
	}
	for _, cmd := range []string{"uploads list", "uploads abort", "pending show", "success show"} {
		res := runCLI(t, cliRun{Args: append(strings.Fields(cmd), "--help")})
		assert.Contains(t, res.Stdout, "JSON output (--json)", "%s documents its JSON shape", cmd)
	}
}

func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		res := runCLI(t, cliRun{Args: []string{"completion", shell}})
		require.Equal(t, exitOK, res.Code, res.Stderr)
		assert.Contains(t, res.Stdout, "s3commit")
		assert.Greater(t, len(res.Stdout), 500)
	}
	// Cobra's hidden completion request lists the subcommands.
	res := runCLI(t, cliRun{Args: []string{"__complete", "uploads", ""}})
	require.Equal(t, exitOK, res.Code, res.Stderr)
	assert.Contains(t, res.Stdout, "list")
	assert.Contains(t, res.Stdout, "abort")
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		env  []string
		want string
	}{
		{[]string{"bogus"}, nil, `unknown command "bogus" for "s3commit"`},
		{[]string{"uploads", "bogus"}, nil, `unknown command "bogus" for "s3commit uploads"`},
		{[]string{"--bogus"}, nil, "unknown flag: --bogus"},
		{[]string{"uploads", "list", "--bogus", "s3://bkt"}, nil, "unknown flag: --bogus"},
		{[]string{"uploads", "list"}, nil, "takes 1 argument(s) (s3://BUCKET[/PREFIX]), got 0"},
		{[]string{"uploads", "list", "s3://abc", "s3://bkt"}, nil, "got 2"},
		{[]string{"uploads", "list", "s3://bkt/p", "--older-than", "-1h"}, nil, `invalid duration "-1h": negative`},
		{[]string{"uploads", "list", "s3://bkt/p", "--older-than", "soon"}, nil, `invalid duration "soon"`},
		{[]string{"uploads", "list", "s3://bkt/p", "--job", "bad/id"}, nil, "--job: invalid ID"},
		{[]string{"uploads", "abort", "s3://bkt/p", "--expect", "-1"}, nil, "--expect -1 is negative"},
		{[]string{"uploads", "abort", "s3://bkt/p", "--expect", "many"}, nil, `invalid argument "many"`},
		{[]string{"uploads", "list", "gs://b/p"}, nil, `unknown URL scheme "gs"`},
		{[]string{"uploads", "list", "s3://bkt/p"}, []string{envPathStyle + "=maybe"}, envPathStyle + `="maybe" is not a boolean`},
		{[]string{"uploads", "list", "s3://bkt/p"}, []string{envMaxAttempts + "=many"}, envMaxAttempts + `="many" is not a number of attempts`},
		{[]string{"uploads", "list", "s3://bkt/p"}, []string{envMaxAttempts + "=0"}, envMaxAttempts + `="0" is not a number of attempts`},
		{[]string{"pending", "show", "s3://bucket/"}, nil, "names no object"},
		{[]string{"--endpoint-url", "ftp://host", "uploads", "list", "s3://bkt"}, nil, `--endpoint-url "ftp://host" must start with http://`},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			res := runCLI(t, cliRun{Args: tc.args, Env: tc.env})
			assert.Equal(t, exitUsage, res.Code)
			assert.Empty(t, res.Stdout)
			assert.Equal(t, 1, strings.Count(res.Stderr, "\n"), "one line: %q", res.Stderr)
			assert.True(t, strings.HasPrefix(res.Stderr, "s3commit: "), res.Stderr)
			assert.Contains(t, res.Stderr, tc.want)
		})
	}
}

func TestExitCode(t *testing.T) {
	cases := []struct {
		err  error
		want int
	}{
		{nil, exitOK},
		{errors.New("boom"), exitError},
		{usageErrorf("bad"), exitUsage},
		{fmt.Errorf("wrapped: %w", usageErrorf("bad")), exitUsage},
		{&countMismatchError{What: "upload", Expected: 1, Selected: 2}, exitCountMismatch},
		{fmt.Errorf("wrapped: %w", &countMismatchError{}), exitCountMismatch},
		{errors.New(`unknown command "x" for "s3commit"`), exitUsage},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, exitCode(tc.err), "%v", tc.err)
	}
}

func TestRunInProcess(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"uploads", "list", "ftp://x"}, &stdout, &stderr)
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout.String())
	assert.Equal(t, `s3commit: unknown URL scheme "ftp" in "ftp://x"; only s3://BUCKET[/PREFIX] is supported (set the endpoint with --endpoint-url)`+"\n", stderr.String())

	stdout.Reset()
	stderr.Reset()
	code = run([]string{"pending", "show", "--json", "../../pendingset/testdata/hadoop-3.1-v1.pendingset"}, &stdout, &stderr)
	assert.Equal(t, exitOK, code, stderr.String())
	assert.Contains(t, stdout.String(), `"commits"`)
}

func TestOneLine(t *testing.T) {
	assert.Equal(t, "a; b c", oneLine("a\nb   c\n"))
	assert.Equal(t, "a; b", oneLine("  a\r\nb"))
}

// TestStoreConfigErrors checks configuration errors found before any
// request: they name the flag or variable to set.
func TestStoreConfigErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"uploads", "list", "s3://bkt/p"}, "no region configured: set --region, AWS_REGION or a region in the AWS profile"},
		{[]string{"--profile", "nope", "uploads", "list", "s3://bkt/p"}, "failed to get shared config profile, nope"},
	}
	for _, tc := range cases {
		res := runCLI(t, cliRun{Args: tc.args})
		assert.Equal(t, exitError, res.Code)
		assert.Empty(t, res.Stdout)
		assert.Equal(t, 1, strings.Count(res.Stderr, "\n"), "one line: %q", res.Stderr)
		assert.Contains(t, res.Stderr, tc.want)
		assert.NotContains(t, res.Stderr, "Options.")
	}
}
