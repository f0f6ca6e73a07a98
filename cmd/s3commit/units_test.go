package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
)

// TestParseAge checks the --older-than parser: the accepted forms, and the
// values it refuses with an error naming the value and the accepted form:
// NaN, infinities and other float spellings of days, results that do not
// fit a time.Duration, and results that are not more than zero (each of
// which would select every upload).
func TestParseAge(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		// why is a part of the error message; empty for a valid value.
		why string
	}{
		{in: "90m", want: 90 * time.Minute},
		{in: "36h", want: 36 * time.Hour},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "2d", want: 48 * time.Hour},
		{in: "1.5d", want: 36 * time.Hour},
		{in: ".5d", want: 12 * time.Hour},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "1ms", want: time.Millisecond},
		{in: " 2d ", want: 48 * time.Hour},
		{in: "106751d", want: 106751 * 24 * time.Hour},
		{in: "2562047h", want: 2562047 * time.Hour},
		{in: "", why: "empty"},
		{in: "-1h", why: "negative"},
		{in: "-2d", why: "negative"},
		{in: "d", why: "not a number"},
		{in: "xd", why: "not a number"},
		{in: "1e3d", why: "not a number"},
		{in: "2dd", why: "not a Go duration"},
		{in: "1d-1h", why: "negative"},
		{in: "3 days", why: "not a number"},
		{in: "1w", why: "not a Go duration"},
		// Float spellings that are not a plain decimal number of days.
		{in: "NaNd", why: "not a number"},
		{in: "nand", why: "not a number"},
		{in: "Infd", why: "not a number"},
		{in: "+Infd", why: "not a number"},
		{in: "infinityd", why: "not a number"},
		{in: "0x1p3d", why: "not a number"},
		{in: "1_0d", why: "not a number"},
		// Results that overflow a time.Duration (about 106751.99 days).
		{in: "40000000d", why: "too long"},
		{in: "106752d", why: "too long"},
		{in: "106751d24h", why: "too long"},
		{in: "36500d2562047h", why: "too long"},
		{in: "1e300d", why: "not a number"},
		{in: "2562048h", why: "not a Go duration"},
		// Results that are not more than zero.
		{in: "0", why: "not more than zero"},
		{in: "0s", why: "not more than zero"},
		{in: "0d", why: "not more than zero"},
		{in: "0d0h", why: "not more than zero"},
		{in: "0.00000000000001d", why: "not more than zero"},
	}
	for _, tc := range cases {
		got, err := parseAge(tc.in)
		if tc.why != "" {
			if !assert.Error(t, err, "%q gives %v", tc.in, got) {
				continue
			}
			assert.Contains(t, err.Error(), strconv.Quote(tc.in), "the message names the value")
			assert.Contains(t, err.Error(), tc.why, "%q", tc.in)
			assert.Contains(t, err.Error(), "e.g. 90m, 36h, 2d or 1d12h", "the message shows the accepted form")
			continue
		}
		if assert.NoError(t, err, "%q", tc.in) {
			assert.Equal(t, tc.want, got, "%q", tc.in)
		}
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

// TestAmbiguousJobMatch checks which keys --job matches that could also
// belong to a job whose ID is longer and ends in "-JOB_ID": those whose file
// name has, before "-JOB_ID", a '-' and then a word that is not only digits
// (part numbers are) and could start a job ID.
func TestAmbiguousJobMatch(t *testing.T) {
	long := strings.Repeat("x", committer.MaxIDLength-len("-job1")+1)
	cases := []struct {
		key, job string
		want     bool
	}{
		{"dest/part-0000-job1.json", "job1", false},
		{"dest/part-0000-job1", "job1", false},
		{"dest/part-0000-backfill-job1.json", "job1", true},
		{"dest/part-0000-backfill-job1", "job1", true},
		{"dest/part-0000-job-20260101.json", "20260101", true},
		{"dest/part-00000-c000-job1.snappy.parquet", "job1", true},
		{"dest/part-0000-abc-def.csv", "def", true},
		{"dest/part-0000-abc-def.csv", "abc-def", false},
		{"dest/part-0000-x_y-job1.csv", "job1", true},
		{"dest/part-2026-01-01-job1.csv", "job1", false},
		{"dest/backfill-job1.csv", "job1", false},
		{"dest/part-0000-_x-job1.csv", "job1", false},
		{"dest/part-0000-a=b-job1.csv", "job1", false},
		{"dest/part-0000-é-job1.csv", "job1", false},
		{"dest/part-0000-" + long + "-job1.csv", "job1", false},
		{"dest/part-0000-" + long[1:] + "-job1.csv", "job1", true},
		{"dest/part-0000-job1-job1.csv", "job1", true},
		{"dest/part-0000-backfill-job12.csv", "job1", false},
		{"dest/part-0000.x-backfill-job1.csv", "job1", false},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, ambiguousJobMatch(tc.key, tc.job), "%q with --job %q", tc.key, tc.job)
	}
}

// TestTermText checks the one rule of the human output: printable text as
// is, anything else (and text that begins with a double quote) as a Go
// string literal.
func TestTermText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"dest/part-0000-job1.json", "dest/part-0000-job1.json"},
		{"a b", "a b"},
		{"tables/événements/日本/ü.csv", "tables/événements/日本/ü.csv"},
		{`back\slash`, `back\slash`},
		{"title\x1b]0;pwned\x07", `"title\x1b]0;pwned\a"`},
		{"\x1b[2J", `"\x1b[2J"`},
		{"tab\tnew\nline\r", `"tab\tnew\nline\r"`},
		{"del\x7f", `"del\x7f"`},
		{"c1\u009b2J", `"c1\u009b2J"`},
		{"rtl\u202eoverride", `"rtl\u202eoverride"`},
		{"nbsp\u00a0", `"nbsp\u00a0"`},
		{"bad\xffutf8", `"bad\xffutf8"`},
		{`"quoted"`, `"\"quoted\""`},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, termText(tc.in), "%q", tc.in)
	}
}

// TestEscapeJSON checks that the JSON output escapes what encoding/json
// leaves raw and still decodes to the same value.
func TestEscapeJSON(t *testing.T) {
	for _, s := range []string{
		"plain", "é日本", "\x1b]0;pwned\x07", "c1\u009b2J", "rtl\u202e", "tag\U000e0041", "back\\\u202e", "line\u2028sep",
	} {
		var buf bytes.Buffer
		require.NoError(t, writeJSON(&buf, map[string]string{s: s}))
		out := buf.String()
		assert.True(t, printable(strings.ReplaceAll(out, "\n", "")), "%q gives %q", s, out)
		var back map[string]string
		require.NoError(t, json.Unmarshal(buf.Bytes(), &back), out)
		assert.Equal(t, map[string]string{s: s}, back)
	}
	plain := []byte("{\n  \"a\": \"b\"\n}\n")
	assert.Equal(t, plain, escapeJSON(plain))
	assert.Equal(t, `"a\ufffdb"`, string(escapeJSON([]byte("\"a\xffb\""))))
}

func TestFormat(t *testing.T) {
	assert.Equal(t, "0s", formatAge(-time.Second))
	assert.Equal(t, "45s", formatAge(45*time.Second))
	assert.Equal(t, "12m", formatAge(12*time.Minute+5*time.Second))
	assert.Equal(t, "5h03m", formatAge(5*time.Hour+3*time.Minute))
	assert.Equal(t, "3d04h", formatAge(76*time.Hour+59*time.Minute))
	assert.Equal(t, "-", formatTime(time.Time{}))
	assert.Equal(t, "2026-01-02T03:04:05Z", formatTime(time.Date(2026, 1, 2, 4, 4, 5, 0, time.FixedZone("CET", 3600))))
}

func TestFormatBytes(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{-1, "0 B"},
		{512, "512 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},
		{10 << 10, "10 KiB"},
		{1462622, "1.4 MiB"},
		{150 << 20, "150 MiB"},
		{1<<30 - 1, "1024 MiB"},
		{3 << 30, "3.0 GiB"},
		{33_500_000_000, "31 GiB"},
		{1 << 40, "1.0 TiB"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, formatBytes(tt.n), "%d bytes", tt.n)
	}
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
