package pendingset

import (
	"bytes"
	"encoding/json"
	"github.com/s3commit/s3commit/multipart"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func deferredSet() *Set {
	up := NewUpload("bucket", "out/big-job1.bin", "upload-1", []string{"e1"}, 10, time.UnixMilli(1714558542123))
	s := NewSet("job1", []Upload{*up})
	s.Version = SetVersionDeferred
	s.Deferred = []DeferredPut{{
		Bucket: "bucket", Key: "out/small-job1.csv", Path: "task_1_0/small.csv", Length: 3,
		Checksum: multipart.Checksum{Algorithm: multipart.ChecksumCRC64NVME, Value: "AAAAAAAAAAA="}, JobID: "job1", TaskID: "task_1",
	}}
	return s
}

func TestDeferredPutRoundTrip(t *testing.T) {
	s := deferredSet()
	var buf bytes.Buffer
	require.NoError(t, s.Encode(&buf))
	assert.Contains(t, buf.String(), `"s3commitDeferred"`)
	assert.Contains(t, buf.String(), `"version": 4`)
	got, err := DecodeSet(&buf)
	require.NoError(t, err)
	assert.Equal(t, s.Deferred, got.Deferred)
	assert.Len(t, got.Commits, 1, "the deferred file is no commit")

	// A pendingset without deferred files has no such member.
	plain := NewSet("job1", nil)
	buf.Reset()
	require.NoError(t, plain.Encode(&buf))
	assert.NotContains(t, buf.String(), "s3commitDeferred")
}

func TestDeferredPutRejects(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Set)
		field  string
		reason string
	}{
		{"deferred files in version 3", func(s *Set) { s.Version = SetVersion }, "version", "want 4 for a pendingset with deferred files"},
		{"version 4 without deferred files", func(s *Set) { s.Deferred = nil }, "version", "without deferred files"},
		{"no bucket", func(s *Set) { s.Deferred[0].Bucket = "" }, "s3commitDeferred[0].bucket", "is empty"},
		{"no key", func(s *Set) { s.Deferred[0].Key = "" }, "s3commitDeferred[0].destinationKey", "is empty"},
		{"no path", func(s *Set) { s.Deferred[0].Path = "" }, "s3commitDeferred[0].path", "is empty"},
		{"path up", func(s *Set) { s.Deferred[0].Path = "../other/x" }, "s3commitDeferred[0].path", "clean path"},
		{"absolute path", func(s *Set) { s.Deferred[0].Path = "/etc/passwd" }, "s3commitDeferred[0].path", "clean path"},
		{"unclean path", func(s *Set) { s.Deferred[0].Path = "a/./b" }, "s3commitDeferred[0].path", "clean path"},
		{"backslash", func(s *Set) { s.Deferred[0].Path = `a\..\b` }, "s3commitDeferred[0].path", "slash-separated"},
		{"negative length", func(s *Set) { s.Deferred[0].Length = -1 }, "s3commitDeferred[0].length", "≥ 0"},
		{"no checksum", func(s *Set) { s.Deferred[0].Checksum = multipart.Checksum{} }, "s3commitDeferred[0].checksum", "is empty"},
		{"unknown algorithm", func(s *Set) { s.Deferred[0].Checksum.Algorithm = "MD5" }, "s3commitDeferred[0].checksumAlgorithm", "unsupported"},
		{"key of a commit", func(s *Set) { s.Deferred[0].Key = s.Commits[0].Key }, "s3commitDeferred[0].destinationKey", "commits[0]"},
		{"key twice", func(s *Set) { s.Deferred = append(s.Deferred, s.Deferred[0]) }, "s3commitDeferred[1].destinationKey", "s3commitDeferred[0]"},
		{"other job", func(s *Set) { s.Deferred[0].JobID = "job2" }, "s3commitDeferred[0].jobId", "job1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := deferredSet()
			tt.change(s)
			data, err := json.Marshal(s)
			require.NoError(t, err)
			_, err = DecodeSet(bytes.NewReader(data))
			requireRecordError(t, err, tt.field, tt.reason)
			require.Error(t, s.Encode(&bytes.Buffer{}), "an invalid pendingset is not written")
		})
	}
}

func TestDeferredPutWrongType(t *testing.T) {
	data, err := json.Marshal(deferredSet())
	require.NoError(t, err)
	bad := strings.Replace(string(data), `"length":3`, `"length":"3"`, 1)
	require.NotEqual(t, string(data), bad)
	_, err = DecodeSet(strings.NewReader(bad))
	re := requireRecordError(t, err, "s3commitDeferred[0].length")
	assert.Equal(t, -1, re.Commit)
}
