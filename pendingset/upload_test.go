package pendingset

import (
	"bytes"
	"encoding/json"
	"errors"
	"github.com/s3commit/s3commit/multipart"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return data
}

func TestDecodePendingSetHadoopSamples(t *testing.T) {
	tests := []struct {
		file string
		want *Set
	}{
		{
			// Hadoop 3.3 partitioned staging committer: pendingset version 3,
			// ETags as unquoted strings, a key with a space (percent-encoded
			// in uri), an empty file, iostatistics everywhere.
			file: "hadoop-3.3-partitioned.pendingset",
			want: &Set{
				Version: 3,
				JobID:   "5b2f1c3e-8d7a-4e61-9c0f-2a4b6d8e0f13",
				Commits: []Upload{{
					Version:  2,
					URI:      "s3a://lake/events/city=New%20York/part-00003-5b2f1c3e-8d7a-4e61-9c0f-2a4b6d8e0f13.snappy.parquet",
					Bucket:   "lake",
					Key:      "events/city=New York/part-00003-5b2f1c3e-8d7a-4e61-9c0f-2a4b6d8e0f13.snappy.parquet",
					UploadID: "2~Jq0kRpQ1mQWc3x1d3b1Vx9v8oQ4kXy7aPbQeH3z2",
					Created:  1714558542123,
					Saved:    1714558542123,
					Date:     "Wed May 01 10:15:42 UTC 2024",
					JobID:    "5b2f1c3e-8d7a-4e61-9c0f-2a4b6d8e0f13",
					TaskID:   "attempt_202405011015_0001_m_000003_0",
					Text:     "partition: city=New York",
					ETags: []string{
						"0f343b0931126a20f133d67c2b018a3b",
						"5d41402abc4b2a76b9719d911017c592",
						"7d793037a0760186574b0282f2f435e7",
					},
					Length: 157286400,
				}, {
					Version:  2,
					URI:      "s3a://lake/events/city=Paris/part-00003-5b2f1c3e-8d7a-4e61-9c0f-2a4b6d8e0f13.snappy.parquet",
					Bucket:   "lake",
					Key:      "events/city=Paris/part-00003-5b2f1c3e-8d7a-4e61-9c0f-2a4b6d8e0f13.snappy.parquet",
					UploadID: "2~8Hc1tYvX0pLmN4qR7sUwZ2bD5fG9jK3eA6iO1uT4",
					Created:  1714558543456,
					Saved:    1714558543456,
					Date:     "Wed May 01 10:15:43 UTC 2024",
					JobID:    "5b2f1c3e-8d7a-4e61-9c0f-2a4b6d8e0f13",
					TaskID:   "attempt_202405011015_0001_m_000003_0",
					Text:     "partition: city=Paris",
					ETags:    []string{"d41d8cd98f00b204e9800998ecf8427e"},
					Length:   0,
				}},
				ExtraData: map[string]string{TaskAttemptIDKey: "attempt_202405011015_0001_m_000003_0"},
			},
		},
		{
			// Hadoop 3.4 (AWS SDK v2): ETags as strings that keep their quotes.
			file: "hadoop-3.4-quoted-etags.pendingset",
			want: &Set{
				Version: 3,
				JobID:   "c0ffee00-1234-4abc-8def-000000000042",
				Commits: []Upload{{
					Version:  2,
					URI:      "s3a://warehouse/sales/part-00000-c0ffee00-1234-4abc-8def-000000000042.csv",
					Bucket:   "warehouse",
					Key:      "sales/part-00000-c0ffee00-1234-4abc-8def-000000000042.csv",
					UploadID: "ZDJlNzY1MzQtYjA3Ny00YjE0LWE0ZjAtZTA1ZGE4ZGNjYjQ1LjE3MzA4NDA5NzM3Nzc",
					Created:  1730840973777,
					Saved:    1730840973777,
					Date:     "Tue Nov 05 21:09:33 UTC 2024",
					JobID:    "c0ffee00-1234-4abc-8def-000000000042",
					TaskID:   "attempt_202411052109_0007_r_000000_1",
					ETags:    []string{"9b2cf535f27731c974343645a3985328", "c4ca4238a0b923820dcc509a6f75849b"},
					Length:   73400320,
				}},
				ExtraData: map[string]string{TaskAttemptIDKey: "attempt_202411052109_0007_r_000000_1"},
			},
		},
		{
			// Hadoop trunk: ETags as {"etag", "checksumAlgorithm", "checksum"}
			// objects, with null checksums in one commit (kept as zero
			// checksums, so that the record is written back as objects) and
			// CRC32 in the other.
			file: "hadoop-trunk-etag-objects.pendingset",
			want: &Set{
				Version: 3,
				JobID:   "0b7e7c55-39f4-4d2f-a1f5-6f1de2a9c8b0",
				Commits: []Upload{{
					Version:       2,
					URI:           "s3a://lake/clicks/dt=2025-09-17/part-00012-0b7e7c55-39f4-4d2f-a1f5-6f1de2a9c8b0.json",
					Bucket:        "lake",
					Key:           "clicks/dt=2025-09-17/part-00012-0b7e7c55-39f4-4d2f-a1f5-6f1de2a9c8b0.json",
					UploadID:      "VXBsb2FkSWQtMDAwMTItY2xpY2tz",
					Created:       1758120005250,
					Saved:         1758120005250,
					Date:          "Wed Sep 17 14:40:05 UTC 2025",
					JobID:         "0b7e7c55-39f4-4d2f-a1f5-6f1de2a9c8b0",
					TaskID:        "attempt_202509171440_0002_m_000012_0",
					Text:          "partition: dt=2025-09-17",
					ETags:         []string{"e2fc714c4727ee9395f324cd2e7f331f", "bf072e9119077b4e76437a93986787ef"},
					PartChecksums: []PartChecksum{{}, {}},
					ETagObjects:   true,
					Length:        104857600,
				}, {
					Version:  2,
					URI:      "s3a://lake/clicks/dt=2025-09-18/part-00012-0b7e7c55-39f4-4d2f-a1f5-6f1de2a9c8b0.json",
					Bucket:   "lake",
					Key:      "clicks/dt=2025-09-18/part-00012-0b7e7c55-39f4-4d2f-a1f5-6f1de2a9c8b0.json",
					UploadID: "VXBsb2FkSWQtMDAwMTMtY2xpY2tz",
					Created:  1758120006001,
					Saved:    1758120006001,
					Date:     "Wed Sep 17 14:40:06 UTC 2025",
					JobID:    "0b7e7c55-39f4-4d2f-a1f5-6f1de2a9c8b0",
					TaskID:   "attempt_202509171440_0002_m_000012_0",
					Text:     "partition: dt=2025-09-18",
					ETags:    []string{"3858f62230ac3c915f300c664312c63f", "a87ff679a2f3e71d9181a67b7542122c"},
					PartChecksums: []PartChecksum{
						{Algorithm: "CRC32", Value: "yZRlqg=="},
						{Algorithm: "CRC32", Value: "NSRBwg=="},
					},
					ETagObjects: true,
					Length:      83886080,
				}},
				ExtraData: map[string]string{TaskAttemptIDKey: "attempt_202509171440_0002_m_000012_0"},
			},
		},
		{
			// Hadoop 3.1: pendingset and commits version 1, no jobId.
			file: "hadoop-3.1-v1.pendingset",
			want: &Set{
				Version: 1,
				Commits: []Upload{{
					Version:  1,
					URI:      "s3a://legacy-bucket/output/part-m-00000",
					Bucket:   "legacy-bucket",
					Key:      "output/part-m-00000",
					UploadID: "VXBsb2FkSWRGb3JMZWdhY3lCdWNrZXQ",
					Created:  1552291337905,
					Saved:    1552291337905,
					Date:     "Mon Mar 11 08:02:17 UTC 2019",
					ETags:    []string{"6512bd43d9caa6e02c990b0a82652dca"},
					Length:   4096,
				}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := DecodeSet(bytes.NewReader(readTestdata(t, tt.file)))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestDecodePendingUploadHadoopSamples(t *testing.T) {
	tests := []struct {
		file string
		want *Upload
	}{
		{
			// Hadoop 3.4 magic committer .pending file: quoted ETag,
			// percent-encoded uri, iostatistics.
			file: "hadoop-3.4-magic.pending",
			want: &Upload{
				Version:  2,
				URI:      "s3a://warehouse/reports/summary%202024.csv",
				Bucket:   "warehouse",
				Key:      "reports/summary 2024.csv",
				UploadID: "TWFnaWNDb21taXR0ZXJVcGxvYWRJZA",
				Created:  1730840973777,
				Saved:    1730840973777,
				Date:     "Tue Nov 05 21:09:33 UTC 2024",
				ETags:    []string{"1f0e3dad99908345f7439f8ffabdffc4"},
				Length:   2048,
			},
		},
		{
			file: "hadoop-trunk-etag-objects.pending",
			want: &Upload{
				Version:       2,
				URI:           "s3a://lake/tables/t1/part-00000.parquet",
				Bucket:        "lake",
				Key:           "tables/t1/part-00000.parquet",
				UploadID:      "Q2hlY2tzdW1VcGxvYWQ",
				Created:       1758120005250,
				Saved:         1758120005250,
				Date:          "Wed Sep 17 14:40:05 UTC 2025",
				ETags:         []string{"70efdf2ec9b086079795c442636b55fb"},
				PartChecksums: []PartChecksum{{Algorithm: "CRC32C", Value: "4waSgw=="}},
				ETagObjects:   true,
				Length:        1024,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := DecodeUpload(bytes.NewReader(readTestdata(t, tt.file)))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestPendingUploadRoundTrip(t *testing.T) {
	created := time.Date(2024, 5, 1, 10, 15, 42, 123_000_000, time.UTC)
	withMeta := NewUpload("lake", "events/part-00000.parquet", "up-1", []string{`"abc"`, "def"}, 6<<20, created)
	withMeta.JobID, withMeta.TaskID, withMeta.Text = "job-1", "task-7", "partition: dt=2024-05-01"
	withMeta.ExtraData = map[string]string{"origin": "s3commit", "a&b": "<c>"}
	withSums := NewUpload("lake", "k", "up-2", []string{"e1", "e2"}, 10, created)
	withSums.PartChecksums = []PartChecksum{{Algorithm: "CRC32", Value: "AAAAAA=="}, {}}
	withWhole := NewUpload("lake", "k", "up-3", []string{"e1", "e2"}, 10, created)
	withWhole.PartChecksums = []PartChecksum{{Algorithm: multipart.ChecksumCRC64NVME, Value: "AAAAAAAAAAE="}, {Algorithm: multipart.ChecksumCRC64NVME, Value: "AAAAAAAAAAI="}}
	withWhole.Checksum = multipart.Checksum{Algorithm: multipart.ChecksumCRC64NVME, Value: "AAAAAAAAAAM="}
	wholeOnly := NewUpload("lake", "k", "up-4", []string{"e1"}, 10, created)
	wholeOnly.Checksum = multipart.Checksum{Algorithm: multipart.ChecksumCRC64NVME, Value: "AAAAAAAAAAM="}
	noSums := NewUpload("lake", "k", "up-5", []string{"e1", "e2"}, 10, created)
	noSums.PartChecksums = []PartChecksum{{}, {}}
	noURI := NewUpload("b", "k", "u", []string{"e"}, 0, created)
	noURI.URI = ""
	tests := []struct {
		name string
		p    *Upload
	}{
		{"minimal", NewUpload("b", "k", "u", []string{"e"}, 0, created)},
		{"with metadata", withMeta},
		{"with checksums", withSums},
		{"with part and whole-file checksums", withWhole},
		{"with the whole file's checksum only", wholeOnly},
		{"with etag objects but no checksum", noSums},
		{"key needing escapes", NewUpload("b", "dir/a b?c#d%e/ü.txt", "u", []string{"e"}, 1, created)},
		{"without uri", noURI},
		{"version 1", &Upload{Version: 1, Bucket: "b", Key: "k", UploadID: "u", ETags: []string{"e"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, tt.p.Encode(&buf))
			got, err := DecodeUpload(&buf)
			require.NoError(t, err)
			assert.Equal(t, tt.p, got)
		})
	}
}

func TestPendingSetRoundTrip(t *testing.T) {
	created := time.Date(2024, 5, 1, 10, 15, 42, 0, time.UTC)
	a := NewUpload("lake", "out/a", "u1", []string{"e1", "e2"}, 7<<20, created)
	b := NewUpload("lake", "out/b", "u2", []string{"e3"}, 3, created)
	b.JobID = "job-1"
	built := NewSet("job-1", []Upload{*a, *b})
	built.ExtraData = map[string]string{TaskAttemptIDKey: "attempt_1"}

	tests := []struct {
		name string
		s    *Set
	}{
		{"built", built},
		{"no commits", NewSet("job-2", nil)},
	}
	for _, file := range []string{
		"hadoop-3.3-partitioned.pendingset",
		"hadoop-3.4-quoted-etags.pendingset",
		"hadoop-trunk-etag-objects.pendingset",
		"hadoop-3.1-v1.pendingset",
		"s3commit-v2.pendingset",
		"s3commit-v3.pendingset",
	} {
		s, err := DecodeSet(bytes.NewReader(readTestdata(t, file)))
		require.NoError(t, err)
		tests = append(tests, struct {
			name string
			s    *Set
		}{file, s})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, tt.s.Encode(&buf))
			got, err := DecodeSet(&buf)
			require.NoError(t, err)
			assert.Equal(t, tt.s, got)
		})
	}
}

func TestPendingUploadEncodeFormat(t *testing.T) {
	p := NewUpload("lake", "out/a&b.csv", "up-1", []string{`"e1"`, "e2"}, 42,
		time.Date(2024, 5, 1, 10, 15, 42, 123_000_000, time.UTC))
	var buf bytes.Buffer
	require.NoError(t, p.Encode(&buf))
	want := `{
  "version": 2,
  "uri": "s3a://lake/out/a&b.csv",
  "uploadId": "up-1",
  "bucket": "lake",
  "destinationKey": "out/a&b.csv",
  "created": 1714558542123,
  "saved": 1714558542123,
  "date": "Wed May 01 10:15:42 UTC 2024",
  "jobId": "",
  "taskId": "",
  "text": "",
  "etags": [
    "e1",
    "e2"
  ],
  "extraData": {},
  "length": 42
}
`
	assert.Equal(t, want, buf.String())
}

func TestPendingSetEncodeFormat(t *testing.T) {
	p := NewUpload("lake", "out/a", "up-1", []string{"e1"}, 1, time.UnixMilli(1714558542123).UTC())
	s := NewSet("job-1", []Upload{*p})
	s.ExtraData = map[string]string{TaskAttemptIDKey: "attempt_1"}
	var buf bytes.Buffer
	require.NoError(t, s.Encode(&buf))
	out := buf.String()
	assert.True(t, strings.HasSuffix(out, "}\n"), "ends with a newline: %q", out)
	assert.True(t, strings.HasPrefix(out, "{\n  \"version\": 3,\n  \"jobId\": \"job-1\",\n  \"commits\": [\n    {\n      \"version\": 2,"), out)

	var generic map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &generic))
	assert.Equal(t, map[string]any{TaskAttemptIDKey: "attempt_1"}, generic["extraData"])
	commit := generic["commits"].([]any)[0].(map[string]any)
	assert.Equal(t, []any{"e1"}, commit["etags"], "etags are written as a list of strings")
	assert.ElementsMatch(t, []string{
		"version", "uri", "uploadId", "bucket", "destinationKey", "created", "saved",
		"date", "jobId", "taskId", "text", "etags", "extraData", "length",
	}, keys(commit))

	buf.Reset()
	require.NoError(t, NewSet("job-1", nil).Encode(&buf))
	assert.Equal(t, "{\n  \"version\": 3,\n  \"jobId\": \"job-1\",\n  \"commits\": [],\n  \"extraData\": {}\n}\n", buf.String())
}

func TestEncodeChecksumsBesideStringETags(t *testing.T) {
	p := NewUpload("b", "k", "u", []string{"e1", "e2"}, 1, time.UnixMilli(0))
	p.PartChecksums = []PartChecksum{{Algorithm: "CRC32", Value: "yZRlqg=="}, {}}
	data, err := json.Marshal(p)
	require.NoError(t, err)
	var generic map[string]any
	require.NoError(t, json.Unmarshal(data, &generic))
	assert.Equal(t, []any{"e1", "e2"}, generic["etags"], "Hadoop 3.4's strings")
	assert.Equal(t, []any{
		map[string]any{"checksumAlgorithm": "CRC32", "checksum": "yZRlqg=="},
		map[string]any{},
	}, generic["s3commitPartChecksums"])
	var got Upload
	require.NoError(t, json.Unmarshal(data, &got))
	assert.Equal(t, p, &got, "the record reads back")
}

func TestEncodeChecksumsAsObjects(t *testing.T) {
	p := NewUpload("b", "k", "u", []string{"e1", "e2"}, 1, time.UnixMilli(0))
	p.PartChecksums = []PartChecksum{{Algorithm: "CRC32", Value: "yZRlqg=="}, {}}
	p.ETagObjects = true
	data, err := json.Marshal(p)
	require.NoError(t, err)
	var generic map[string]any
	require.NoError(t, json.Unmarshal(data, &generic))
	assert.Equal(t, []any{
		map[string]any{"etag": "e1", "checksumAlgorithm": "CRC32", "checksum": "yZRlqg=="},
		map[string]any{"etag": "e2"},
	}, generic["etags"])
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestNewPendingUpload(t *testing.T) {
	created := time.Date(2024, 5, 1, 10, 15, 42, 123_456_789, time.UTC)
	etags := []string{`"abc"`, " def ", "W/\"ghi\""}
	p := NewUpload("lake", "events/part-0.parquet", "up-1", etags, 12345, created)

	assert.Equal(t, UploadVersion, p.Version)
	assert.Equal(t, "s3a://lake/events/part-0.parquet", p.URI)
	assert.Equal(t, "lake", p.Bucket)
	assert.Equal(t, "events/part-0.parquet", p.Key)
	assert.Equal(t, "up-1", p.UploadID)
	assert.Equal(t, int64(1714558542123), p.Created)
	assert.Equal(t, p.Created, p.Saved)
	assert.Equal(t, "Wed May 01 10:15:42 UTC 2024", p.Date)
	assert.Equal(t, created.Truncate(time.Millisecond), p.CreatedTime())
	assert.Equal(t, p.CreatedTime(), p.SavedTime())
	assert.Equal(t, []string{"abc", "def", "ghi"}, p.ETags)
	assert.Equal(t, `"abc"`, etags[0], "the caller's slice is not modified")
	assert.Equal(t, int64(12345), p.Length)
	assert.Empty(t, p.JobID)
	assert.Nil(t, p.ExtraData)
	require.NoError(t, p.Validate())

	paris := time.FixedZone("CEST", 2*60*60)
	assert.Equal(t, "Wed May 01 12:15:42 CEST 2024", NewUpload("b", "k", "u", []string{"e"}, 0, created.In(paris)).Date)

	spaced := NewUpload("b", "dir/a b.txt", "u", []string{"e"}, 0, created)
	assert.Equal(t, "s3a://b/dir/a%20b.txt", spaced.URI, "the key is percent-encoded as Hadoop writes it")
	require.NoError(t, spaced.Validate())

	before := time.Now().Truncate(time.Millisecond)
	now := NewUpload("b", "k", "u", []string{"e"}, 0, time.Time{})
	after := time.Now()
	assert.False(t, now.CreatedTime().Before(before) || now.CreatedTime().After(after), "a zero time means now")
}

func TestNewPendingUploadAwkwardKeys(t *testing.T) {
	for _, key := range []string{
		"a b", "q?x=1", "frag#x", "100%", "%zz", "%20", "ü/ö", "nul\x00byte",
		"/leading", "dir//double", "trailing/", "a/../b", "colon:x", "at@x", "[bracket]", "semi;x", "plus+x",
	} {
		p := NewUpload("bucket.with-dots", key, "u", []string{"e"}, 1, time.UnixMilli(0))
		require.NoError(t, p.Validate(), "key %q uri %q", key, p.URI)
		var buf bytes.Buffer
		require.NoError(t, p.Encode(&buf))
		got, err := DecodeUpload(&buf)
		require.NoError(t, err, "key %q", key)
		assert.Equal(t, p, got, "key %q", key)
	}

	// JSON cannot carry such a key: it would come back naming another object.
	p := NewUpload("b", "bad\xffutf8", "u", []string{"e"}, 1, time.UnixMilli(0))
	requireRecordError(t, p.Validate(), "destinationKey", "not valid UTF-8")
	requireRecordError(t, p.Encode(io.Discard), "destinationKey", "not valid UTF-8")
}

func TestPendingUploadParts(t *testing.T) {
	p := NewUpload("b", "k", "u", []string{"e1", "e2", "e3"}, 0, time.UnixMilli(0))
	assert.Equal(t, []multipart.Part{{Number: 1, ETag: "e1"}, {Number: 2, ETag: "e2"}, {Number: 3, ETag: "e3"}}, p.Parts())

	c1 := multipart.Checksum{Algorithm: multipart.ChecksumCRC64NVME, Value: "AAAAAAAAAAE="}
	c3 := multipart.Checksum{Algorithm: multipart.ChecksumCRC64NVME, Value: "AAAAAAAAAAM="}
	p.PartChecksums = []PartChecksum{c1, {}, c3}
	assert.Equal(t, []multipart.Part{{Number: 1, ETag: "e1", Checksum: c1}, {Number: 2, ETag: "e2"}, {Number: 3, ETag: "e3", Checksum: c3}}, p.Parts())
}

func TestVersionsWritten(t *testing.T) {
	assert.Equal(t, 3, SetVersion, "Hadoop's Set.VERSION")
	assert.Equal(t, 2, UploadVersion, "Hadoop's PersistentCommitData.VERSION")
	assert.Equal(t, SetVersion, NewSet("j", nil).Version)
	assert.Equal(t, UploadVersion, NewUpload("b", "k", "u", []string{"e"}, 0, time.UnixMilli(0)).Version)
}

// TestDecodeEarlierPendingSet reads a pendingset of version 2, as earlier
// releases of this package wrote them.
func TestDecodeEarlierPendingSet(t *testing.T) {
	s, err := DecodeSet(bytes.NewReader(readTestdata(t, "s3commit-v2.pendingset")))
	require.NoError(t, err)
	commit := func(key, uploadID string, etags []string, length int64) Upload {
		p := NewUpload("lake", key, uploadID, etags, length, time.UnixMilli(1767322800000).UTC())
		p.JobID, p.TaskID, p.Text = "job-20260102", "task-0", "partition: dt=2026-01-02"
		return *p
	}
	want := &Set{
		Version: 2,
		JobID:   "job-20260102",
		Commits: []Upload{
			commit("warehouse/events/dt=2026-01-02/part-00000-job-20260102.json", "upload-a",
				[]string{"5d41402abc4b2a76b9719d911017c592", "7d793037a0760186574b0282f2f435e7"}, 73400320),
			commit("warehouse/events/dt=2026-01-02/part 00001-job-20260102.json", "upload-b",
				[]string{"0f343b0931126a20f133d67c2b018a3b"}, 1024),
		},
		ExtraData: map[string]string{TaskAttemptIDKey: "task-0_0", "s3commit.task.commit.duration.ms": "812"},
	}
	assert.Equal(t, want, s)
	assert.Equal(t, "s3a://lake/warehouse/events/dt=2026-01-02/part%2000001-job-20260102.json", s.Commits[1].URI)
}

// goldenPendingSet is the pendingset of testdata/s3commit-v3.pendingset:
// one commit with part and whole-file checksums, one without any.
func goldenPendingSet() *Set {
	created := time.UnixMilli(1767322800000).UTC()
	a := NewUpload("lake", "warehouse/events/dt=2026-01-02/part-00000-job-20260102.json", "upload-a",
		[]string{`"5d41402abc4b2a76b9719d911017c592"`, `"7d793037a0760186574b0282f2f435e7"`}, 70<<20, created)
	a.PartChecksums = []PartChecksum{
		{Algorithm: multipart.ChecksumCRC64NVME, Value: "u5UAAsB1+QY="},
		{Algorithm: multipart.ChecksumCRC64NVME, Value: "x2M3iwnXxSk="},
	}
	a.Checksum = multipart.Checksum{Algorithm: multipart.ChecksumCRC64NVME, Value: "GRKNlb5ZzpU="}
	b := NewUpload("lake", "warehouse/events/dt=2026-01-02/part 00001-job-20260102.json", "upload-b",
		[]string{"0f343b0931126a20f133d67c2b018a3b"}, 1024, created)
	b.PartChecksums = []PartChecksum{{}}
	for _, p := range []*Upload{a, b} {
		p.JobID, p.TaskID, p.Text = "job-20260102", "task-0", "partition: dt=2026-01-02"
	}
	s := NewSet("job-20260102", []Upload{*a, *b})
	s.ExtraData = map[string]string{TaskAttemptIDKey: "task-0_0"}
	return s
}

// TestPendingSetGolden compares what this package writes with
// testdata/s3commit-v3.pendingset. After a deliberate change of format,
// rewrite the file with S3COMMIT_UPDATE_GOLDEN=1 go test -run
// TestPendingSetGolden ./multipart/.
func TestPendingSetGolden(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, goldenPendingSet().Encode(&buf))
	path := filepath.Join("testdata", "s3commit-v3.pendingset")
	if os.Getenv("S3COMMIT_UPDATE_GOLDEN") != "" {
		require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	}
	assert.Equal(t, string(readTestdata(t, "s3commit-v3.pendingset")), buf.String(),
		"the written format changed: if on purpose, rewrite %s with S3COMMIT_UPDATE_GOLDEN=1", path)
	got, err := DecodeSet(&buf)
	require.NoError(t, err)
	assert.Equal(t, goldenPendingSet(), got)
}

func TestWholeFileChecksumJSON(t *testing.T) {
	p := NewUpload("lake", "out/a", "up-1", []string{"e1"}, 42, time.UnixMilli(1714558542123).UTC())
	p.Checksum = multipart.Checksum{Algorithm: multipart.ChecksumCRC64NVME, Value: "AAAAAAAAAAM="}
	var buf bytes.Buffer
	require.NoError(t, p.Encode(&buf))
	assert.Contains(t, buf.String(), `  "length": 42,
  "checksumAlgorithm": "CRC64NVME",
  "checksum": "AAAAAAAAAAM="
}`, "top-level properties after length")
	var generic map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &generic))
	assert.Equal(t, []any{"e1"}, generic["etags"], "a whole-file checksum alone keeps etags as strings")

	got, err := DecodeUpload(&buf)
	require.NoError(t, err)
	assert.Equal(t, p.Checksum, got.Checksum)

	// Absent, null and empty all read as no checksum.
	for _, extra := range []string{``, `, "checksumAlgorithm": null, "checksum": null`, `, "checksumAlgorithm": "", "checksum": ""`} {
		data := `{"version": 2, "bucket": "b", "destinationKey": "k", "uploadId": "u", "etags": ["e"]` + extra + `}`
		got, err := DecodeUpload(strings.NewReader(data))
		require.NoError(t, err, data)
		assert.True(t, got.Checksum.IsZero(), data)
	}
}

func TestChecksumsComeInPairs(t *testing.T) {
	base := func() *Upload {
		return NewUpload("b", "k", "u", []string{"e1", "e2"}, 1, time.UnixMilli(0))
	}
	p := base()
	p.Checksum = multipart.Checksum{Value: "AAAAAAAAAAM="}
	requireRecordError(t, p.Validate(), "checksumAlgorithm", `is empty while checksum is "AAAAAAAAAAM=", want both or neither`)
	p = base()
	p.Checksum = multipart.Checksum{Algorithm: multipart.ChecksumCRC64NVME}
	requireRecordError(t, p.Validate(), "checksum", `is empty while checksumAlgorithm is "CRC64NVME", want both or neither`)
	p = base()
	p.PartChecksums = []PartChecksum{{Algorithm: multipart.ChecksumCRC32C}, {}}
	requireRecordError(t, p.Validate(), "etags", `has checksumAlgorithm "CRC32C" with checksum "" for part 1, want both or neither`)
	p = base()
	p.Checksum = multipart.Checksum{Algorithm: multipart.ChecksumCRC64NVME, Value: "\xff"}
	requireRecordError(t, p.Validate(), "checksum", "not valid UTF-8")

	for _, tt := range []struct {
		json, field, msg string
	}{
		{`"checksumAlgorithm": "CRC64NVME"`, "checksum", "is empty while checksumAlgorithm"},
		{`"checksum": "AAAAAAAAAAM="`, "checksumAlgorithm", "is empty while checksum"},
		{`"checksum": 5`, "checksum", "is a JSON number, want a string"},
		{`"checksumAlgorithm": ["CRC64NVME"]`, "checksumAlgorithm", "is a JSON array, want a string"},
	} {
		data := `{"version": 2, "bucket": "b", "destinationKey": "k", "uploadId": "u", "etags": ["e"], ` + tt.json + `}`
		_, err := DecodeUpload(strings.NewReader(data))
		requireRecordError(t, err, tt.field, tt.msg)
	}
}

// validUploadJSON returns a valid SinglePendingCommit as a generic map that
// rejection tests modify.
func validUploadJSON() map[string]any {
	return map[string]any{
		"version":        2,
		"uri":            "s3a://lake/out/part-0",
		"uploadId":       "up-1",
		"bucket":         "lake",
		"destinationKey": "out/part-0",
		"created":        1714558542123,
		"saved":          1714558542123,
		"date":           "Wed May 01 10:15:42 UTC 2024",
		"jobId":          "job-1",
		"taskId":         "",
		"text":           "",
		"etags":          []any{"e1", "e2"},
		"extraData":      map[string]any{},
		"length":         6 << 20,
		"iostatistics":   map[string]any{"counters": map[string]any{}},
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	return data
}

// requireRecordError checks that err is an invalid-record error naming field
// and whose message contains each of msg.
func requireRecordError(t *testing.T, err error, field string, msg ...string) *RecordError {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, ErrInvalidRecord)
	var re *RecordError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, field, re.Field, "field of %q", err)
	if field != "" {
		assert.Contains(t, err.Error(), `field "`+field+`"`)
	}
	for _, m := range msg {
		assert.Contains(t, err.Error(), m)
	}
	return re
}

func TestDecodePendingUploadRejects(t *testing.T) {
	set := func(k string, v any) func(map[string]any) {
		return func(m map[string]any) { m[k] = v }
	}
	del := func(k string) func(map[string]any) {
		return func(m map[string]any) { delete(m, k) }
	}
	tests := []struct {
		name   string
		mutate func(map[string]any)
		field  string
		msg    string
	}{
		{"version 0", set("version", 0), "version", "is 0, want 1 or 2"},
		{"version 3", set("version", 3), "version", "is 3, want 1 or 2"},
		{"version missing", del("version"), "version", "is 0"},
		{"version as string", set("version", "2"), "version", "is a JSON string, want an integer"},
		{"bucket empty", set("bucket", ""), "bucket", "is empty"},
		{"bucket missing", del("bucket"), "bucket", "is empty"},
		{"destinationKey empty", set("destinationKey", ""), "destinationKey", "is empty"},
		{"uploadId empty", set("uploadId", ""), "uploadId", "is empty"},
		{"uploadId null", set("uploadId", nil), "uploadId", "is empty"},
		{"length negative", set("length", -1), "length", "is -1"},
		{"length fractional", set("length", 1.5), "length", "want an integer"},
		{"uri other bucket", set("uri", "s3a://other/out/part-0"), "uri", `want "s3a://lake/out/part-0"`},
		{"uri other key", set("uri", "s3a://lake/out/part-1"), "uri", "s3a://lake/out/part-1"},
		{"uri other scheme", set("uri", "s3://lake/out/part-0"), "uri", "s3://lake/out/part-0"},
		{"uri with query", set("uri", "s3a://lake/out/part-0?x=1"), "uri", "?x=1"},
		{"etags missing", del("etags"), "etags", "is empty"},
		{"etags null", set("etags", nil), "etags", "is empty"},
		{"etags empty list", set("etags", []any{}), "etags", "is empty"},
		{"etags not a list", set("etags", "e1"), "etags", "is a JSON string, want a list"},
		{"etag empty", set("etags", []any{"e1", ""}), "etags", "empty ETag for part 2"},
		{"etag only quotes", set("etags", []any{`""`}), "etags", "empty ETag for part 1"},
		{"etag null", set("etags", []any{"e1", nil}), "etags", "empty ETag for part 2"},
		{"etag with inner quote", set("etags", []any{`"a"b"`}), "etags", "not a valid unquoted ETag"},
		{"etag number", set("etags", []any{"e1", 7}), "etags", "JSON number for part 2"},
		{"etag list", set("etags", []any{[]any{"e1"}}), "etags", "JSON list for part 1"},
		{"etag object without etag", set("etags", []any{map[string]any{"checksum": "x"}}), "etags", "empty ETag for part 1"},
		{"etag object with number", set("etags", []any{map[string]any{"etag": 5}}), "etags", `invalid object for part 1: field "etag" is a JSON number`},
		{"checksum without algorithm", set("etags", []any{map[string]any{"etag": "e1", "checksum": "x"}}), "etags", "want both or neither"},
		{"extraData not strings", set("extraData", map[string]any{"a": 1}), "extraData", "is a JSON number, want a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := validUploadJSON()
			tt.mutate(m)
			p, err := DecodeUpload(bytes.NewReader(mustJSON(t, m)))
			assert.Nil(t, p)
			re := requireRecordError(t, err, tt.field, tt.msg, "invalid pending upload: ")
			assert.Equal(t, -1, re.Commit)
		})
	}
}

func TestDecodeRejectsMalformedJSON(t *testing.T) {
	valid := mustJSON(t, validUploadJSON())
	tests := []struct {
		name string
		data string
		msg  string
	}{
		{"empty", "", "malformed JSON"},
		{"white space", " \n", "malformed JSON"},
		{"truncated", string(valid[:len(valid)-1]), "malformed JSON"},
		{"trailing garbage", string(valid) + "x", "malformed JSON"},
		{"two values", string(valid) + "\n" + string(valid), "malformed JSON"},
		{"list", "[]", "is a JSON array, want an object"},
		{"string", `"pending"`, "is a JSON string, want an object"},
		{"null", "null", `field "version" is 0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeUpload(strings.NewReader(tt.data))
			require.ErrorIs(t, err, ErrInvalidRecord)
			assert.Contains(t, err.Error(), "invalid pending upload: ")
			assert.Contains(t, err.Error(), tt.msg)

			_, err = DecodeSet(strings.NewReader(tt.data))
			require.ErrorIs(t, err, ErrInvalidRecord)
			assert.Contains(t, err.Error(), "invalid pendingset: ")
		})
	}
	// Trailing white space is fine.
	_, err := DecodeUpload(bytes.NewReader(append(valid, " \n\t"...)))
	require.NoError(t, err)
}

func TestDecodeReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	_, err := DecodeUpload(&failingReader{err: boom})
	require.ErrorIs(t, err, boom)
	assert.NotErrorIs(t, err, ErrInvalidRecord)

	_, err = DecodeSet(&failingReader{err: boom})
	require.ErrorIs(t, err, boom)
	assert.NotErrorIs(t, err, ErrInvalidRecord)
}

type failingReader struct{ err error }

func (r *failingReader) Read([]byte) (int, error) { return 0, r.err }

// validSetJSON returns a valid Set with three commits as a generic
// map that rejection tests modify.
func validSetJSON() map[string]any {
	var commits []any
	for _, k := range []string{"out/k0", "out/k1", "out/k2"} {
		c := validUploadJSON()
		c["destinationKey"] = k
		c["uri"] = "s3a://lake/" + k
		commits = append(commits, c)
	}
	return map[string]any{
		"version":      3,
		"jobId":        "job-1",
		"commits":      commits,
		"extraData":    map[string]any{TaskAttemptIDKey: "attempt_1"},
		"iostatistics": map[string]any{"counters": map[string]any{"x": 1}},
	}
}

func TestDecodePendingSetRejects(t *testing.T) {
	commit := func(i int, k string, v any) func(map[string]any) {
		return func(m map[string]any) {
			c := m["commits"].([]any)[i].(map[string]any)
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
	}
	tests := []struct {
		name   string
		mutate func(map[string]any)
		field  string
		commit int
		msg    string
	}{
		{"version 0", func(m map[string]any) { m["version"] = 0 }, "version", -1, "invalid pendingset: field \"version\" is 0, want 1, 2 or 3"},
		{"version 4", func(m map[string]any) { m["version"] = 4 }, "version", -1, "is 4"},
		{"commit without uploadId", commit(1, "uploadId", ""), "uploadId", 1,
			`invalid pendingset: commits[1] (destinationKey "out/k1"): field "uploadId" is empty`},
		{"commit without key", commit(2, "destinationKey", ""), "destinationKey", 2,
			`invalid pendingset: commits[2]: field "destinationKey" is empty`},
		{"commit with bad version", commit(0, "version", 3), "version", 0, `commits[0] (destinationKey "out/k0"): field "version" is 3`},
		{"commit with empty etags", commit(2, "etags", []any{}), "etags", 2, `commits[2] (destinationKey "out/k2"): field "etags" is empty`},
		{"commit with bad etag element", commit(1, "etags", []any{true}), "etags", 1, `commits[1]: field "etags" has a JSON bool for part 1`},
		{"commit with wrong type", commit(1, "length", "big"), "length", 1, `commits[1]: field "length" is a JSON string`},
		{"commit not an object", func(m map[string]any) { m["commits"].([]any)[1] = 5 }, "", 1, "commits[1]: is a JSON number, want an object"},
		{"commit null", func(m map[string]any) { m["commits"].([]any)[1] = nil }, "version", 1, `commits[1]: field "version" is 0`},
		{"duplicate key", func(m map[string]any) {
			commit(2, "destinationKey", "out/k0")(m)
			commit(2, "uri", "s3a://lake/out/k0")(m)
		}, "destinationKey", 2,
			`commits[2] (destinationKey "out/k0"): field "destinationKey" is also the key of commits[0]`},
		{"other job", commit(1, "jobId", "job-2"), "jobId", 1,
			`commits[1] (destinationKey "out/k1"): field "jobId" is "job-2", want the pendingset's jobId "job-1"`},
		{"commits not a list", func(m map[string]any) { m["commits"] = map[string]any{} }, "commits", -1, "is a JSON object, want a list"},
		{"jobId not a string", func(m map[string]any) { m["jobId"] = 1 }, "jobId", -1, "is a JSON number, want a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := validSetJSON()
			tt.mutate(m)
			s, err := DecodeSet(bytes.NewReader(mustJSON(t, m)))
			assert.Nil(t, s)
			re := requireRecordError(t, err, tt.field, tt.msg, "invalid pendingset: ")
			assert.Equal(t, tt.commit, re.Commit)
		})
	}
}

func TestPendingSetJobIDRule(t *testing.T) {
	tests := []struct {
		set, commit string
		ok          bool
	}{
		{"", "", true},
		{"job-1", "", true},
		{"", "job-1", true},
		{"job-1", "job-1", true},
		{"job-1", "job-2", false},
	}
	for _, tt := range tests {
		p := NewUpload("b", "k", "u", []string{"e"}, 0, time.UnixMilli(0))
		p.JobID = tt.commit
		err := NewSet(tt.set, []Upload{*p}).Validate()
		if tt.ok {
			assert.NoError(t, err, "set %q commit %q", tt.set, tt.commit)
		} else {
			requireRecordError(t, err, "jobId")
		}
	}
}

func TestValidateMessages(t *testing.T) {
	p := NewUpload("b", "k", "", []string{"e"}, 0, time.UnixMilli(0))
	err := p.Validate()
	require.ErrorIs(t, err, ErrInvalidRecord)
	assert.EqualError(t, err, `invalid pending upload: field "uploadId" is empty`)

	q := NewUpload("b", "out/x", "u", nil, 0, time.UnixMilli(0))
	err = NewSet("j", []Upload{*NewUpload("b", "out/w", "u", []string{"e"}, 0, time.UnixMilli(0)), *q}).Validate()
	require.ErrorIs(t, err, ErrInvalidRecord)
	assert.EqualError(t, err, `invalid pendingset: commits[1] (destinationKey "out/x"): field "etags" is empty, want one ETag per part`)

	r := NewUpload("b", "k", "u", []string{`"e"`}, 0, time.UnixMilli(0))
	r.ETags[0] = `"e"`
	requireRecordError(t, r.Validate(), "etags", `has ETag "\"e\"" for part 1`)

	s := NewUpload("b", "k", "u", []string{"e1", "e2"}, 0, time.UnixMilli(0))
	s.PartChecksums = []PartChecksum{{Algorithm: "CRC32", Value: "x"}}
	requireRecordError(t, s.Validate(), "etags", "1 part checksums for 2 parts")
}

func TestEncodeRejectsInvalid(t *testing.T) {
	var buf bytes.Buffer
	p := NewUpload("", "k", "u", []string{"e"}, 0, time.UnixMilli(0))
	requireRecordError(t, p.Encode(&buf), "bucket")
	assert.Zero(t, buf.Len(), "nothing is written")

	s := &Set{JobID: "j"}
	requireRecordError(t, s.Encode(&buf), "version")
	assert.Zero(t, buf.Len(), "nothing is written")
}

func TestURIForms(t *testing.T) {
	tests := []struct {
		uri, bucket, key string
		ok               bool
	}{
		{"s3a://b/k", "b", "k", true},
		{"s3a://b/dir/a b", "b", "dir/a b", true},
		{"s3a://b/dir/a%20b", "b", "dir/a b", true},
		{"s3a://b/dir/a%2520b", "b", "dir/a%20b", true},
		{"s3a://b/dir/a%20b", "b", "dir/a%20b", true}, // the plain form of this key
		{"s3a://b/dir/a%20b", "b", "dir/a%2520b", false},
		{"s3a://b/q?x", "b", "q?x", true},
		{"s3a://b/q%3Fx", "b", "q?x", true},
		{"s3a://b//lead", "b", "/lead", true},
		{"s3a://b/k", "c", "k", false},
		{"s3a://b/k/", "b", "k", false},
		{"s3://b/k", "b", "k", false},
		{"S3A://b/k", "b", "k", true},
		{"s3a://user@b/k", "b", "k", false},
		{"s3a://b/k#frag", "b", "k", false},
		{"s3a:/b/k", "b", "k", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.ok, uriNames(tt.uri, tt.bucket, tt.key), "uri %q bucket %q key %q", tt.uri, tt.bucket, tt.key)
	}
}

func TestUnmarshalJSONNullKeepsValue(t *testing.T) {
	p := NewUpload("b", "k", "u", []string{"e"}, 0, time.UnixMilli(0))
	before := *p
	require.NoError(t, json.Unmarshal([]byte("null"), p))
	assert.Equal(t, before, *p)

	s := NewSet("j", nil)
	require.NoError(t, json.Unmarshal([]byte("null"), s))
	assert.Equal(t, NewSet("j", nil), s)
}
