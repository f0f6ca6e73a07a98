//go:build unix

package datajob

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunParquet runs the job in its default format, Parquet, on MinIO,
// with one task whose first attempt fails before its commit and one whose
// first attempt is killed in the middle of its commit, and reads the
// output back as a Parquet reader does: every event exactly once, with its
// fields, in the partition of its day; _SUCCESS listing exactly the
// .snappy.parquet files; no upload pending. verify agrees.
func TestRunParquet(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const events, days = 3000, 3
	flags := e.flags("tables")
	flags = flags[:len(flags)-2] // the default format
	r := e.command(t, nil, append([]string{"run", "--mode", "partitioned", "--tasks", "4", "--parallel", "2",
		"--events", fmt.Sprint(events), "--days", fmt.Sprint(days), "--fail-task", "1", "--crash-task", "2"}, flags...)...)
	require.Zero(t, r.code, r.stderr)
	assert.Contains(t, r.stderr, "task 1 attempt 0: failed (exit status 1); retrying as attempt 1")
	assert.Contains(t, r.stderr, "task 2 attempt 0: crashed (signal: killed); retrying as attempt 1")
	assert.Contains(t, r.stderr, "task 2 attempt 1: committed 750 records in 3 files")
	jobID := jobIDOf(t, r)
	assert.Contains(t, r.stdout, "committed job "+jobID+": 12 files")

	got := e.readBack(t, "tables", jobID, nil)
	for _, rec := range got {
		assert.Regexp(t, `^tables/dt=2026-11-0[1-3]/part-0000[0-3]-`+jobID+`\.snappy\.parquet$`, rec.Key)
	}
	assertExactlyOnce(t, syntheticWant(1, events, days), got)

	v := e.command(t, nil, append([]string{"verify", "--job-id", jobID, "--mode", "partitioned",
		"--events", fmt.Sprint(events), "--days", fmt.Sprint(days)}, flags...)...)
	require.Zero(t, v.code, v.stderr)
	assert.Contains(t, v.stdout, "files: 12, records: 3000, expected: 3000")
	assert.Contains(t, v.stdout, "exactly once: ok")
}
