//go:build unix

package datajob

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunWithTelemetry runs the job with a failing task, its metrics
// written in Prometheus text format and its spans to a file, and checks
// the driver's and the tasks' metrics and that the job is one trace: the
// task processes' spans below the driver's.
func TestRunWithTelemetry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := t.TempDir()
	metrics, spans := filepath.Join(dir, "job.prom"), filepath.Join(dir, "trace.jsonl")
	r := e.command(t, nil, append([]string{"run", "--tasks", "2", "--events", "600", "--days", "2", "--fail-task", "1",
		"--metrics-file", metrics, "--trace", spans}, e.flags("events")...)...)
	require.Zero(t, r.code, r.stderr)

	tests := []struct {
		file string
		want []string
	}{
		{"job.prom", []string{
			"s3commit_job_committed_files_total 2",
			"s3commit_jobs_committed_total 1",
			"s3commit_uploads_completed_total 2",
			`s3commit_phase_duration_seconds_count{s3commit_phase="complete"} 1`,
			"s3commit_job_commit_duration_seconds_count 1",
		}},
		{"job.task-00000_0.prom", []string{
			"s3commit_task_committed_files_total 1",
			"s3commit_uploads_created_total 1",
			"s3commit_task_commit_duration_seconds_count 1",
		}},
		{"job.task-00001_1.prom", []string{
			"s3commit_task_committed_files_total 1",
			"s3commit_uploads_created_total 1",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, tt.file))
			require.NoError(t, err)
			for _, line := range tt.want {
				assert.Regexp(t, "(?m)^"+regexp.QuoteMeta(line)+"$", string(data))
			}
		})
	}
	// The first attempt of task 1 failed before its commit: its process
	// wrote a metrics file without any commit in it.
	data, err := os.ReadFile(filepath.Join(dir, "job.task-00001_0.prom"))
	require.NoError(t, err)
	assert.NotContains(t, string(data), "s3commit_task_committed_files_total")

	f, err := os.Open(spans)
	require.NoError(t, err)
	defer f.Close()
	type span struct {
		Name        string
		SpanContext struct{ TraceID, SpanID string }
		Parent      struct{ SpanID string }
	}
	byID := map[string]span{}
	var traces = map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var s span
		require.NoError(t, json.Unmarshal(sc.Bytes(), &s))
		byID[s.SpanContext.SpanID] = s
		traces[s.SpanContext.TraceID] = true
	}
	require.NoError(t, sc.Err())
	assert.Len(t, traces, 1, "the driver and its task processes make one trace")
	parentName := func(s span) string { return byID[s.Parent.SpanID].Name }
	var commitTasks []string
	for _, s := range byID {
		switch {
		case s.Name == "CommitTask":
			commitTasks = append(commitTasks, parentName(s)+" > "+parentName(byID[s.Parent.SpanID]))
		case s.Name == "CommitJob" || s.Name == "SetupJob":
			assert.Equal(t, "datajob run", parentName(s), s.Name)
		case strings.HasPrefix(s.Name, "store."):
			assert.NotEmpty(t, parentName(s), "every store request has a parent: %s", s.Name)
		}
	}
	assert.ElementsMatch(t, []string{"datajob task > task 0 attempt 0", "datajob task > task 1 attempt 1"}, commitTasks)
}
