package datajob

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var base = []string{"--dest", "s3://lake/events", "--staging-dir", "/shared/staging"}

func args(sub string, extra ...string) []string {
	return append(append([]string{sub}, base...), extra...)
}

// inStore is args with the staging dir stagingDir, a URL.
func inStore(sub, stagingDir string, extra ...string) []string {
	return append([]string{sub, "--dest", "s3://lake/events", "--staging-dir", stagingDir}, extra...)
}

func TestCheckArgs(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // a part of the error; "" for none
	}{
		{"run", args("run"), ""},
		{"run with everything", args("run", "--endpoint-url", "http://minio:9000", "--region", "eu-1", "--path-style",
			"--buffer-dir", "/tmp/b", "--mode", "partitioned", "--conflict", "replace", "--tasks", "8", "--events", "10",
			"--seed", "3", "--days", "2", "--create-bucket", "--fail-task", "1", "--crash-task", "7", "--log-level", "debug",
			"--parallel", "4", "--max-attempts", "5", "in.jsonl", "more.jsonl"), ""},
		{"equals form", []string{"setup", "--dest=s3://lake/events", "--staging-dir=/s", "--job-id=j-1", "--path-style=true"}, ""},
		{"single dash", []string{"setup", "-dest", "s3://lake/events", "-staging-dir", "/s", "-job-id", "j"}, ""},
		{"flags after inputs", []string{"task", "in.jsonl", "--dest", "s3://lake/e", "--staging-dir", "/s", "--job-id", "j"}, ""},
		{"double dash", append(args("verify", "--job-id", "j", "--"), "--not-a-flag.jsonl"), ""},
		{"task without index", args("task", "--job-id", "j"), ""},
		{"task with index", args("task", "--job-id", "j", "--task-index", "3", "--attempt", "2"), ""},
		{"kubernetes variables", []string{"task", "--dest", "s3://$(BUCKET)/events", "--endpoint-url", "$(S3_ENDPOINT)",
			"--staging-dir", "/shared/staging", "--job-id", "$(JOB_ID)", "--task-index=$(JOB_COMPLETION_INDEX)",
			"--tasks", "${TASKS}", "--path-style=$(PATH_STYLE)"}, ""},
		{"variable as whole dest", []string{"commit", "--dest", "$DEST", "--staging-dir", "$(STAGING)", "--job-id", "${JOB}"}, ""},
		{"argo templates", []string{"task", "--dest=s3://$(S3_BUCKET)/{{workflow.parameters.prefix}}", "--staging-dir=/work/staging",
			"--job-id={{workflow.uid}}", "--tasks={{workflow.parameters.tasks}}", "--task-index", "{{inputs.parameters.index}}",
			"--mode={{workflow.parameters.mode}}"}, ""},
		{"braces without a template", args("run", "--tasks", "{{4"), `invalid value "{{4" for flag --tasks`},
		{"bool value after a space", args("task", "--job-id", "j", "--path-style", "true"), "--path-style true: a boolean flag takes its value after '=': write --path-style=true"},
		{"bool variable after a space", args("task", "--job-id", "j", "--path-style", "$(PATH_STYLE)"), "write --path-style=$(PATH_STYLE)"},
		{"bool flag before an input", args("run", "--path-style", "in.jsonl"), ""},
		{"commit", args("commit", "--job-id", "j"), ""},
		{"abort", args("abort", "--job-id", "j"), ""},

		{"no subcommand", nil, "no subcommand"},
		{"unknown subcommand", []string{"launch"}, `unknown subcommand "launch"`},
		{"unknown flag", args("run", "--bogus", "1"), "unknown flag --bogus for run"},
		{"task flag on run", args("run", "--task-index", "1"), "unknown flag --task-index for run"},
		{"run flag on task", args("task", "--job-id", "j", "--parallel", "2"), "unknown flag --parallel for task"},
		{"missing dest", []string{"run", "--staging-dir", "/s"}, "run needs --dest s3://BUCKET/PREFIX"},
		{"dest without scheme", []string{"run", "--dest", "lake/events", "--staging-dir", "/s"}, `--dest "lake/events" is not an s3:// URL`},
		{"dest without prefix", []string{"run", "--dest", "s3://lake/", "--staging-dir", "/s"}, "has no prefix"},
		{"dest without bucket", []string{"run", "--dest", "s3:///x", "--staging-dir", "/s"}, "has no valid bucket"},
		{"missing staging dir", []string{"run", "--dest", "s3://lake/e"}, "run needs --staging-dir DIR"},
		{"staging dir in the store", inStore("setup", "s3://lake/_staging", "--job-id", "j"), ""},
		{"staging dir in the store, s3a", inStore("task", "s3a://lake/_staging", "--job-id", "j"), ""},
		{"staging dir in another bucket", inStore("run", "s3://lake-staging/jobs/"), ""},
		{"staging prefix next to the destination", inStore("run", "s3://lake/eventsx"), ""},
		{"staging dir in the store with variables", []string{"task", "--dest=s3://$(S3_BUCKET)/events",
			"--staging-dir=s3://$(S3_BUCKET)/_staging", "--buffer-dir=/buffer", "--job-id=$(JOB_ID)"}, ""},
		{"staging dir with a variable scheme", []string{"commit", "--dest", "s3://lake/e", "--staging-dir", "$(SCHEME)://x/y", "--job-id", "j"}, ""},
		{"staging dir of another scheme", inStore("run", "gs://lake/_staging"),
			"--staging-dir gs://lake/_staging: a gs:// URL is not supported; give a directory shared by the driver and every task (a mounted volume), or s3://BUCKET/PREFIX"},
		{"staging dir file URL", inStore("run", "file:///shared/staging"), "a file:// URL is not supported"},
		{"staging dir of another scheme with variables", []string{"task", "--dest=s3://$(B)/e", "--staging-dir=gs://$(B)/_staging", "--job-id=j"},
			"--staging-dir gs://$(B)/_staging: a gs:// URL is not supported"},
		{"staging dir neither path nor URL", inStore("run", "://lake/_staging"), "is neither a directory nor an s3:// URL"},
		{"staging dir without prefix", inStore("run", "s3://lake"), "--staging-dir s3://lake has no prefix; write s3://lake/PREFIX, such as s3://lake/_staging"},
		{"staging dir without prefix, slash", inStore("run", "s3://lake/"), "has no prefix"},
		{"staging dir bad bucket", inStore("run", "s3://Lake_1/x"), `--staging-dir s3://Lake_1/x: invalid bucket name "Lake_1"`},
		{"staging dir inside the destination", inStore("run", "s3://lake/events/_staging"),
			"--staging-dir s3://lake/events/_staging and --dest s3://lake/events contain one another"},
		{"destination inside the staging dir", []string{"run", "--dest", "s3://lake/tables/events", "--staging-dir", "s3a://lake/tables/"},
			"contain one another: the job's records would be taken for its output; give a staging prefix outside the destination, such as s3://lake/_staging"},
		{"staging dir the destination", inStore("run", "s3://lake/events"), "contain one another"},
		{"staging prefix the committer refuses", inStore("run", "s3://lake/_staging/./x"), `it has a "." segment`},
		{"missing job id", args("setup"), "setup needs --job-id ID"},
		{"bad job id", args("setup", "--job-id", "a/b"), `--job-id "a/b"`},
		{"bad endpoint", args("run", "--endpoint-url", "minio:9000"), "must start with http:// or https://"},
		{"bad mode", args("run", "--mode", "magic"), `--mode "magic": use directory or partitioned`},
		{"bad conflict", args("run", "--conflict", "merge"), `--conflict "merge": use fail, replace or append`},
		{"bad log level", args("run", "--log-level", "loud"), `--log-level "loud"`},
		{"bad number", args("run", "--tasks", "four"), `invalid value "four" for flag --tasks`},
		{"missing value", args("run", "--tasks"), "flag --tasks needs a value"},
		{"zero tasks", args("run", "--tasks", "0"), "--tasks 0: a job needs at least 1 task"},
		{"negative events", args("run", "--events", "-1"), "--events -1"},
		{"zero days", args("run", "--days", "0"), "--days 0"},
		{"fail task out of range", args("run", "--tasks", "2", "--fail-task", "2"), "--fail-task 2: give a task index from 0 to 1"},
		{"crash task out of range", args("run", "--crash-task", "-2"), "--crash-task -2"},
		{"zero parallel", args("run", "--parallel", "0"), "--parallel 0"},
		{"zero attempts", args("run", "--max-attempts", "0"), "--max-attempts 0"},
		{"task index out of range", args("task", "--job-id", "j", "--task-index", "4"), "--task-index 4: give a task index from 0 to 3"},
		{"bad attempt", args("task", "--job-id", "j", "--attempt", "-2"), "--attempt -2"},
		{"inputs to setup", args("setup", "--job-id", "j", "in.jsonl"), `setup takes no arguments, got "in.jsonl"`},
		{"variable in a flag name is not a value", args("run", "--$(FLAG)", "x"), "unknown flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckArgs(tt.args)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "\n", "one line")
		})
	}
}

// TestMainBadInput: usage errors exit 2 with one line on stderr that names
// the problem and what to do; nothing is done.
func TestMainBadInput(t *testing.T) {
	t.Setenv(envTaskIndex, "")
	missing := filepath.Join(t.TempDir(), "missing.jsonl")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown flag", args("run", "--bogus"), []string{"unknown flag --bogus for run", "its flags are --buffer-dir"}},
		{"bad dest", []string{"run", "--dest", "http://lake/events", "--staging-dir", "/s"}, []string{`--dest "http://lake/events" is not an s3:// URL`, "write s3://BUCKET/PREFIX"}},
		{"missing staging dir", []string{"setup", "--dest", "s3://lake/e", "--job-id", "j"}, []string{"setup needs --staging-dir DIR", "shared by the driver and every task",
			"or s3://BUCKET/PREFIX for a staging dir in the store"}},
		{"staging dir of another scheme", []string{"setup", "--dest", "s3://lake/e", "--job-id", "j", "--staging-dir", "gs://lake/x"},
			[]string{"--staging-dir gs://lake/x: a gs:// URL is not supported"}},
		{"task without index", args("task", "--job-id", "j"), []string{"give --task-index I or set JOB_COMPLETION_INDEX"}},
		{"bad task index variable", args("task", "--job-id", "j"), nil}, // filled below
		{"missing input file", args("run", missing), []string{"input file " + missing + " does not exist"}},
		{"unknown subcommand", []string{"launch"}, []string{`unknown subcommand "launch"; use one of run, setup, task, commit, abort, verify`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want == nil {
				t.Setenv(envTaskIndex, "seven")
				tt.want = []string{`JOB_COMPLETION_INDEX="seven": give a task index from 0 to 3`}
			}
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), tt.args, &stdout, &stderr)
			assert.Equal(t, 2, code)
			assert.Empty(t, stdout.String())
			msg := stderr.String()
			assert.Equal(t, 1, strings.Count(msg, "\n"), "one line: %q", msg)
			assert.True(t, strings.HasPrefix(msg, "datajob: "), msg)
			for _, w := range tt.want {
				assert.Contains(t, msg, w)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"help"}, "usage: datajob SUBCOMMAND"},
		{[]string{"--help"}, "verify"},
		{[]string{"help", "task"}, "--task-index"},
		{[]string{"run", "-h"}, "--max-attempts"},
		{[]string{"help"}, "s3://BUCKET/PREFIX:\nthe job's records are then objects under PREFIX/JOB_ID/"},
		{[]string{"help", "setup"}, "or s3://BUCKET/PREFIX to keep the job's records in the store"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			assert.Equal(t, 0, Main(context.Background(), tt.args, &stdout, &stderr))
			assert.Contains(t, stdout.String(), tt.want)
			assert.Empty(t, stderr.String())
		})
	}
}

func TestSubcommandsAndFlags(t *testing.T) {
	assert.Equal(t, []string{"run", "setup", "task", "commit", "abort", "verify"}, Subcommands())
	common := []string{"dest", "endpoint-url", "region", "path-style", "staging-dir", "buffer-dir", "job-id",
		"mode", "conflict", "tasks", "events", "seed", "days", "create-bucket", "fail-task", "crash-task", "log-level", "format"}
	common = append(common, "metrics-addr", "metrics-file", "trace") // telemetry.go
	extra := map[string][]string{"run": {"parallel", "max-attempts"}, "task": {"task-index", "attempt"}}
	for _, sub := range Subcommands() {
		want := append(append([]string{}, common...), extra[sub]...)
		assert.ElementsMatch(t, want, Flags(sub), sub)
	}
	assert.Nil(t, Flags("launch"))
}
