package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/bench/internal/localminio"
)

// TestMain runs the command itself when a test starts this test binary as
// the s3commit side of a run (os.Executable is the test binary then).
func TestMain(m *testing.M) {
	if os.Getenv("S3PEERS_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{
		"262144": 262144, "256KiB": 256 << 10, "256MiB": 256 << 20, "1GiB": 1 << 30, "2G": 2 << 30, "64K": 64 << 10, "100B": 100,
	} {
		got, err := parseBytes(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "0", "-1KiB", "1.5GiB", "KiB", "1TiB"} {
		_, err := parseBytes(in)
		assert.Error(t, err, in)
	}
}

func TestParseFlags(t *testing.T) {
	c, err := parseFlags(nil)
	require.NoError(t, err)
	assert.Equal(t, 500, c.smallFiles)
	assert.Equal(t, byteSize(256<<10), c.smallSize)
	assert.Equal(t, 1, c.largeFiles)
	assert.Equal(t, byteSize(1<<30), c.largeSize)
	assert.Equal(t, 5, c.runs)
	assert.Equal(t, "s3commit,s3commit-deferred,mc,rclone,aws", c.tools)

	c, err = parseFlags([]string{"--small-files", "100", "--large-size", "256MiB", "--runs", "3",
		"--rclone", "/opt/rclone", "--rclone-flags", "--transfers 16"})
	require.NoError(t, err)
	assert.Equal(t, 100, c.smallFiles)
	assert.Equal(t, byteSize(256<<20), c.largeSize)
	assert.Equal(t, "/opt/rclone", c.paths[toolRclone])
	assert.Equal(t, "--transfers 16", c.extra[toolRclone])

	for _, args := range [][]string{
		{"--runs", "0"},
		{"--small-files", "0", "--large-files", "0"},
		{"--endpoint-url", "http://x"},
		{"--bucket", "b"},
		{"--tools", "s3commit,gsutil"},
		{"--large-size", "lots"},
		{"extra"},
	} {
		_, err := parseFlags(args)
		assert.Error(t, err, "%q", args)
	}
}

func TestSummarize(t *testing.T) {
	s := summarize([]sample{
		{Wall: 3, CPU: 1, ServerCPU: 5, MaxRSS: 10},
		{Wall: 1, CPU: 3, ServerCPU: 4, MaxRSS: 30},
		{Wall: 2, CPU: 2, ServerCPU: 6, MaxRSS: 20},
		{Wall: 9, CPU: 4, ServerCPU: 7, MaxRSS: 5},
	})
	assert.Equal(t, 3.0, s.wall, "the upper median of an even count")
	assert.Equal(t, 1.0, s.wallMin)
	assert.Equal(t, 9.0, s.wallMax)
	assert.Equal(t, 3.0, s.cpu, "CPU is the median of its own")
	assert.Equal(t, 6.0, s.serverCPU)
	assert.Equal(t, int64(30), s.maxRSS)
	assert.Equal(t, 4, s.runs)
	assert.Zero(t, summarize(nil).runs)
}

func TestMarkdown(t *testing.T) {
	r := &report{
		Started: time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC), Machine: "2 cores", Store: "local MinIO", Runs: 3,
		Versions: map[string]string{"minio": "github.com/minio/minio@v0"},
		Tools: []toolReport{
			{Name: toolS3commit, Command: "staging", Version: "abc"},
			{Name: toolMC, Command: "mc cp --recursive", Version: "mc@v0"},
			{Name: toolRclone, Command: "rclone copy", Missing: "not installed; install: `go install …`"},
			{Name: toolAWS, Command: "aws s3 cp --recursive", Version: "aws-cli/1"},
		},
		Workloads: []workloadReport{{
			Name: "small", Label: "100 × 256 KiB", Files: 100, BytesPerFile: 256 << 10,
			Results: []toolResult{
				{Tool: toolS3commit, Samples: []sample{{Wall: 2, CPU: 1, ServerCPU: 3, MaxRSS: 20 << 20}, {Wall: 1, CPU: 1}, {Wall: 3, CPU: 2}}},
				{Tool: toolMC, Samples: []sample{{Wall: 4, CPU: 3}, {Wall: 4, CPU: 3}, {Wall: 4, CPU: 3}}},
				{Tool: toolAWS, Error: "boom | bang"},
			},
		}},
	}
	md := markdown(r)
	assert.Contains(t, md, "local MinIO (github.com/minio/minio@v0)")
	assert.Contains(t, md, "Median of 3 runs")
	assert.Contains(t, md, "- **rclone** was not run: not installed")
	assert.Contains(t, md, "## 100 × 256 KiB (25 MiB)")
	assert.Contains(t, md, "| s3commit | 2.00 (1.00–3.00) | 1.00 | 12 | 1.00 | 1.00 | 10.00 | – | 20 |")
	assert.Contains(t, md, "| mc | 4.00 (4.00–4.00) | 2.00 | 6 | 3.00 | 3.00 | 30.00 | – | 0 |")
	assert.Contains(t, md, `| aws | failed: boom \| bang |`)

	// Without s3commit's figures there are no ratios.
	r.Workloads[0].Results = r.Workloads[0].Results[1:2]
	assert.Contains(t, markdown(r), "| mc | 4.00 (4.00–4.00) | – | 6 | 3.00 | – | 30.00 | – | 0 |")
}

func TestToolCommands(t *testing.T) {
	s := &store{endpoint: "http://127.0.0.1:9000", bucket: "b", region: "us-east-1", pathStyle: true, accessKey: "ak", secretKey: "s/k", local: true}
	env := func(kv []string, key string) string {
		for _, x := range kv {
			if k, v, _ := strings.Cut(x, "="); k == key {
				return v
			}
		}
		return "(unset)"
	}

	args, kv := (&tool{name: toolS3commit, bin: "/self"}).command(s, "/src", "p/x", "/work", "/conf")
	assert.Equal(t, []string{"/self", "commit", "--bucket", "b", "--region", "us-east-1", "--path-style=true",
		"--dest", "p/x", "--work", "/work", "--endpoint-url", "http://127.0.0.1:9000", "/src"}, args)
	assert.Equal(t, "ak", env(kv, "AWS_ACCESS_KEY_ID"))
	assert.Equal(t, "/conf/aws-config", env(kv, "AWS_CONFIG_FILE"))

	args, _ = (&tool{name: toolS3commitDeferred, bin: "/self"}).command(s, "/src", "p/x", "/work", "/conf")
	assert.Equal(t, []string{"/self", "commit", "--bucket", "b", "--region", "us-east-1", "--path-style=true",
		"--dest", "p/x", "--work", "/work", "--endpoint-url", "http://127.0.0.1:9000", "--deferred-put-threshold", "1048576", "/src"}, args)

	args, kv = (&tool{name: toolMC, bin: "mc", extra: []string{"--disable-multipart"}}).command(s, "/src", "p/x", "/work", "/conf")
	assert.Equal(t, []string{"mc", "--config-dir", "/conf/mc", "--quiet", "--no-color", "cp", "--recursive", "--disable-multipart", "/src/", "peers/b/p/x/"}, args)
	assert.Equal(t, "http://ak:s%2Fk@127.0.0.1:9000", env(kv, "MC_HOST_peers"))

	args, kv = (&tool{name: toolRclone, bin: "rclone"}).command(s, "/src", "p/x", "/work", "/conf")
	assert.Equal(t, []string{"rclone", "copy", "/src", "peers:b/p/x"}, args)
	assert.Equal(t, "s3", env(kv, "RCLONE_CONFIG_PEERS_TYPE"))
	assert.Equal(t, "Minio", env(kv, "RCLONE_CONFIG_PEERS_PROVIDER"))
	assert.Equal(t, "http://127.0.0.1:9000", env(kv, "RCLONE_CONFIG_PEERS_ENDPOINT"))
	assert.Equal(t, "s/k", env(kv, "RCLONE_CONFIG_PEERS_SECRET_ACCESS_KEY"))
	assert.Equal(t, "/conf/rclone.conf", env(kv, "RCLONE_CONFIG"))

	args, _ = (&tool{name: toolAWS, bin: "aws"}).command(s, "/src", "p/x", "/work", "/conf")
	assert.Equal(t, []string{"aws", "s3", "cp", "--recursive", "--only-show-errors", "--endpoint-url", "http://127.0.0.1:9000", "/src", "s3://b/p/x/"}, args)

	s.token = "tok"
	assert.Equal(t, "http://ak:s%2Fk:tok@127.0.0.1:9000", mcHost(s))
}

func TestChildEnv(t *testing.T) {
	got := childEnv([]string{"PATH=/bin", "AWS_PROFILE=prod", "MC_HOST_x=http://a:b@h", "RCLONE_CONFIG=/x", "HOME=/root"})
	assert.Equal(t, []string{"PATH=/bin", "HOME=/root"}, got)
}

// script writes an executable shell script that prints out.
func script(t *testing.T, name, out string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\necho '"+out+"'\n"), 0o755))
	return p
}

func TestFindTools(t *testing.T) {
	paths := map[string]string{
		toolMC:     script(t, "mc", "GNU Midnight Commander 4.8.29"),
		toolRclone: filepath.Join(t.TempDir(), "no-rclone"),
		toolAWS:    script(t, "aws", "aws-cli/1.45.11 Python/3.11.7 Linux botocore/1.43.11"),
	}
	tools := findTools(toolNames, paths, map[string]string{toolAWS: "--no-progress"}, "/self")
	require.Len(t, tools, 5)
	for _, self := range tools[:2] {
		assert.Equal(t, "/self", self.bin, self.name)
		assert.Empty(t, self.missing, self.name)
	}
	tools = tools[1:]

	assert.Empty(t, tools[1].bin, "an mc that is not MinIO's client is not run")
	assert.Contains(t, tools[1].missing, "not the expected program")
	assert.Contains(t, tools[1].missing, "go install github.com/minio/mc@")

	assert.Empty(t, tools[2].bin)
	assert.Contains(t, tools[2].missing, "not installed")
	assert.Contains(t, tools[2].missing, "go install github.com/rclone/rclone@")
	assert.Contains(t, tools[2].missing, "apt-get install rclone")

	assert.Equal(t, paths[toolAWS], tools[3].bin)
	assert.Equal(t, "aws-cli/1.45.11 Python/3.11.7 Linux botocore/1.43.11", tools[3].version)
	assert.Equal(t, "aws s3 cp --recursive --no-progress", tools[3].display())
}

// TestRunLocal runs s3commit's side alone on the local MinIO, with small
// sizes, and checks the report and the runs it records.
func TestRunLocal(t *testing.T) {
	if testing.Short() {
		t.Skip("starts MinIO")
	}
	_, err := localminio.FindTool("minio")
	require.NoError(t, err, "the benchmark's tests need the pinned MinIO")
	t.Setenv("S3PEERS_TEST_MAIN", "1")
	out := filepath.Join(t.TempDir(), "out")
	c, err := parseFlags([]string{"--tools", "s3commit,s3commit-deferred", "--small-files", "12", "--small-size", "100KiB",
		"--large-files", "1", "--large-size", "6MiB", "--runs", "2", "--work", t.TempDir(), "--out", out})
	require.NoError(t, err)
	require.NoError(t, run(context.Background(), c))

	b, err := os.ReadFile(filepath.Join(out, "runs.json"))
	require.NoError(t, err)
	var r report
	require.NoError(t, json.Unmarshal(b, &r))
	require.Len(t, r.Workloads, 2)
	for _, w := range r.Workloads {
		require.Len(t, w.Results, 2, w.Label)
		for i, tool := range []string{toolS3commit, toolS3commitDeferred} {
			res := w.Results[i]
			assert.Equal(t, tool, res.Tool)
			assert.Empty(t, res.Error, w.Label)
			require.Len(t, res.Samples, 2)
			for _, s := range res.Samples {
				assert.Positive(t, s.Wall)
				assert.Positive(t, s.CPU)
			}
		}
	}
	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "## 12 × 100 KiB (1.2 MiB)")
	assert.Contains(t, string(md), "## 1 × 6 MiB (6 MiB)")
}
