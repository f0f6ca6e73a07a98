package main

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseAge(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{in: "90m", want: 90 * time.Minute},
		{in: "36h", want: 36 * time.Hour},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "2d", want: 48 * time.Hour},
		{in: "1.5d", want: 36 * time.Hour},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "0d", want: 0},
		{in: "0", want: 0},
		{in: "1ms", want: time.Millisecond},
		{in: "", bad: true},
		{in: "-1h", bad: true},
		{in: "-2d", bad: true},
		{in: "d", bad: true},
		{in: "xd", bad: true},
		{in: "1e3d", bad: true},
		{in: "2dd", bad: true},
		{in: "1d-1h", bad: true},
		{in: "3 days", bad: true},
		{in: "40000000d", bad: true},
		{in: "1w", bad: true},
	}
	for _, tc := range cases {
		got, err := parseAge(tc.in)
		if tc.bad {
			assert.Error(t, err, "%q", tc.in)
			continue
		}
		require.NoError(t, err, "%q", tc.in)
		assert.Equal(t, tc.want, got, "%q", tc.in)
	}
}

func TestParseS3URL(t *testing.T) {
	cases := []struct {
		in          string
		bucket, key string
		bad         bool
	}{
		{in: "s3://bucket", bucket: "bucket"},
		{in: "s3://bucket/", bucket: "bucket"},
		{in: "s3://bucket/dest", bucket: "bucket", key: "dest"},
		{in: "s3://bucket/dest/", bucket: "bucket", key: "dest/"},
		{in: "s3://bucket/a b/c=1/_SUCCESS", bucket: "bucket", key: "a b/c=1/_SUCCESS"},
		{in: "s3a://bucket/dest", bucket: "bucket", key: "dest"},
		{in: "S3://bucket/dest", bucket: "bucket", key: "dest"},
		{in: "gs://bucket/dest", bad: true},
		{in: "http://host/bucket", bad: true},
		{in: "file:///tmp/x", bad: true},
		{in: "bucket/dest", bad: true},
		{in: "s3://", bad: true},
		{in: "s3:///dest", bad: true},
		{in: "s3://user@bucket/x", bad: true},
	}
	for _, tc := range cases {
		u, err := parseS3URL(tc.in)
		if tc.bad {
			var ue *usageError
			assert.ErrorAs(t, err, &ue, "%q", tc.in)
			continue
		}
		require.NoError(t, err, "%q", tc.in)
		assert.Equal(t, s3URL{Bucket: tc.bucket, Key: tc.key}, u, "%q", tc.in)
	}
	assert.Equal(t, "s3://b", s3URL{Bucket: "b"}.String())
	assert.Equal(t, "s3://b/k/", s3URL{Bucket: "b", Key: "k/"}.String())
}

func TestUnderPrefix(t *testing.T) {
	cases := []struct {
		key, prefix string
		want        bool
	}{
		{"dest/a", "", true},
		{"dest/a", "dest", true},
		{"dest", "dest", true},
		{"dest/sub/a", "dest", true},
		{"dest2/a", "dest", false},
		{"destination", "dest", false},
		{"dest/a", "dest/", true},
		{"dest", "dest/", false},
		{"other/dest/a", "dest", false},
		{"dest/a", "dest/a", true},
		{"dest/ab", "dest/a", false},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, underPrefix(tc.key, tc.prefix), "%q under %q", tc.key, tc.prefix)
	}
}

func TestKeyHasJob(t *testing.T) {
	cases := []struct {
		key, job string
		want     bool
	}{
		{"dest/part-0000-job1.json", "job1", true},
		{"dest/part-0000-job1.snappy.parquet", "job1", true},
		{"dest/part-0000-job1", "job1", true},
		{"dest/year=2026/part-0000-job1.json", "job1", true},
		{"dest/part-0000-job1.2.json", "job1.2", true},
		{"dest/part-0000-job1.2", "job1.2", true},
		{"dest/part-0000-job12.json", "job1", false},
		{"dest/part-0000-job1x", "job1", false},
		{"dest/part-0000.json", "job1", false},
		{"dest/part-0000.x-job1.json", "job1", false},
		{"dest-job1/part-0000.json", "job1", false},
		{"dest/part-0000-job1.json/", "job1", false},
		{"part-0000-abc-def.csv", "abc-def", true},
		{"part-0000-abc-def.csv", "def", true},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, keyHasJob(tc.key, tc.job), "%q has %q", tc.key, tc.job)
	}
}

func TestFormat(t *testing.T) {
	assert.Equal(t, "0s", formatAge(-time.Second))
	assert.Equal(t, "45s", formatAge(45*time.Second))
	assert.Equal(t, "12m", formatAge(12*time.Minute+5*time.Second))
	assert.Equal(t, "5h03m", formatAge(5*time.Hour+3*time.Minute))
	assert.Equal(t, "3d04h", formatAge(76*time.Hour+59*time.Minute))
	assert.Equal(t, "512 B", formatBytes(512))
	assert.Equal(t, "1.5 KiB", formatBytes(1536))
	assert.Equal(t, "3.0 GiB", formatBytes(3<<30))
	assert.Equal(t, "-", formatTime(time.Time{}))
	assert.Equal(t, "2026-01-02T03:04:05Z", formatTime(time.Date(2026, 1, 2, 4, 4, 5, 0, time.FixedZone("CET", 3600))))
}

func TestProgressSilentWhenNotATerminal(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, "aborting uploads", 100)
	for range 100 {
		p.add(1)
	}
	p.finish()
	assert.Empty(t, buf.String(), "no progress on a pipe or file")

	f, err := os.CreateTemp(t.TempDir(), "stderr")
	require.NoError(t, err)
	defer f.Close()
	assert.False(t, isTerminal(f))
	var nilProgress *progress
	nilProgress.add(1)
	nilProgress.finish()
}

func TestCount(t *testing.T) {
	assert.Equal(t, "0 uploads", count(0, "upload"))
	assert.Equal(t, "1 upload", count(1, "upload"))
	assert.Equal(t, "3 uploads", count(3, "upload"))
}
