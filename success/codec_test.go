package success_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/success"
)

var update = flag.Bool("update", false, "rewrite the generated files in testdata")

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return data
}

// s3commitSample is the manifest of testdata/s3commit.json: what a job
// commit of s3commit writes, with a fixed time and host.
func s3commitSample() *success.Data {
	d := success.New("directory", "job-20251122-0001")
	d.Timestamp = 1763779800000
	d.Date = "Sat Nov 22 02:50:00 UTC 2025"
	d.Hostname = "driver-0"
	d.Description = "s3commit staging committer, directory mode"
	d.State = "committed"
	d.Stage = "job_commit"
	d.AddFile(success.File{Key: "events/part-0000-job-20251122-0001.jsonl", Size: 1024, ETag: "9b2cf535f27731c974343645a3985328",
		ChecksumAlgorithm: "CRC64NVME", Checksum: "Zmq3RVHIUPY="})
	d.AddFile(success.File{Key: "events/sub/part-0001-job-20251122-0001.jsonl", Size: 0, ETag: "d41d8cd98f00b204e9800998ecf8427e-1"})
	d.Metrics["files"] = 2
	d.Metrics["bytes"] = 1024
	d.Metrics["uploads_completed"] = 2
	d.Diagnostics["conflict"] = "fail"
	d.IOStatistics.Counters["job_commit"] = 1
	d.IOStatistics.Counters["upload_complete"] = 2
	d.IOStatistics.Minimums["upload_complete.min"] = 12
	d.IOStatistics.Maximums["upload_complete.max"] = 30
	d.IOStatistics.MeanStatistics["upload_complete.mean"] = success.MeanStatistic{Samples: 2, Sum: 42}
	d.IOStatistics.MeanStatistics["task_commit.mean"] = success.MeanStatistic{Samples: 2, Sum: 250}
	return d
}

func TestS3CommitSample(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, s3commitSample().Encode(&buf))
	if *update {
		require.NoError(t, os.WriteFile(filepath.Join("testdata", "s3commit.json"), buf.Bytes(), 0o644))
	}
	assert.Equal(t, string(readTestdata(t, "s3commit.json")), buf.String(),
		"testdata/s3commit.json is out of date; rerun with -update")
}

func TestDecodeSamples(t *testing.T) {
	tests := []struct {
		file        string
		writer      success.Writer
		committer   string
		jobID       string
		success     bool
		state       string
		filenames   int
		files       int
		counters    int
		meanSamples map[string]int64
	}{
		{file: "hadoop-s3a-directory.json", writer: success.WriterS3A, committer: "directory",
			jobID: "b4a0c3e2-7f1d-4c9a-9d1e-2f3a4b5c6d7e", success: true, filenames: 3, counters: 6,
			meanSamples: map[string]int64{"committer_materialize_file.mean": 3, "committer_commit_job.failures.mean": 0}},
		{file: "hadoop-3.1-partitioned.json", writer: success.WriterS3A, committer: "partitioned",
			jobID: "job_20181008120000_0001", success: true, filenames: 1},
		{file: "hadoop-3.2-directory.json", writer: success.WriterS3A, committer: "directory",
			success: true, filenames: 2},
		{file: "hadoop-manifest.json", writer: success.WriterManifest, committer: success.ManifestCommitter,
			jobID: "job_202511220244_0007", success: true, filenames: 2, counters: 6,
			meanSamples: map[string]int64{"op_rename_file.mean": 2}},
		{file: "hadoop-manifest-named.json", writer: success.WriterManifest, committer: success.ManifestCommitter,
			jobID: "job_202511220246_0008", success: true, state: "committed", filenames: 1, counters: 1},
		{file: "hadoop-manifest-failed.json", writer: success.WriterManifest, committer: success.ManifestCommitter,
			jobID: "job_202511220248_0009", success: false},
		{file: "s3commit.json", writer: success.WriterS3Commit, committer: "directory",
			jobID: "job-20251122-0001", success: true, state: "committed", filenames: 2, files: 2, counters: 2,
			meanSamples: map[string]int64{"upload_complete.mean": 2}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			d, err := success.Decode(bytes.NewReader(readTestdata(t, tt.file)))
			require.NoError(t, err)
			assert.Equal(t, tt.writer, d.Writer())
			assert.Equal(t, tt.committer, d.Committer)
			assert.Equal(t, tt.jobID, d.JobID)
			assert.Equal(t, tt.success, d.Success)
			assert.Equal(t, tt.state, d.State)
			assert.Len(t, d.Filenames, tt.filenames)
			assert.Len(t, d.Files, tt.files)
			assert.Len(t, d.IOStatistics.Counters, tt.counters)
			for k, n := range tt.meanSamples {
				assert.Equal(t, n, d.IOStatistics.MeanStatistics[k].Samples, k)
			}
			// Maps are never nil, whatever the file had.
			assert.NotNil(t, d.Metrics)
			assert.NotNil(t, d.Diagnostics)
			assert.NotNil(t, d.Filenames)
			assert.NotNil(t, d.IOStatistics.Gauges)
			assert.NotNil(t, d.IOStatistics.MeanStatistics)

			// Round trip: what decodes encodes and decodes to an equal value.
			var buf bytes.Buffer
			require.NoError(t, d.Encode(&buf))
			again, err := success.Decode(&buf)
			require.NoError(t, err)
			assert.Equal(t, d, again)
		})
	}
}

func TestDecodeS3CommitSampleEqualsSource(t *testing.T) {
	d, err := success.Decode(bytes.NewReader(readTestdata(t, "s3commit.json")))
	require.NoError(t, err)
	assert.Equal(t, s3commitSample(), d)
	assert.InDelta(t, 21.0, d.IOStatistics.MeanStatistics["upload_complete.mean"].Mean(), 1e-9)
	assert.Zero(t, success.MeanStatistic{}.Mean())
}

func TestDecodeClassicMarker(t *testing.T) {
	for _, file := range []string{"classic-empty", "classic-whitespace"} {
		t.Run(file, func(t *testing.T) {
			d, err := success.Decode(bytes.NewReader(readTestdata(t, file)))
			require.ErrorIs(t, err, success.ErrClassicMarker)
			assert.NotErrorIs(t, err, success.ErrInvalidManifest)
			assert.Contains(t, err.Error(), "classic rename committer")
			assert.Contains(t, err.Error(), "FileOutputCommitter")
			assert.Nil(t, d)
		})
	}
}

func TestDecodeIgnoresUnknownFields(t *testing.T) {
	in := `{"name":"` + success.Name + `","jobId":"j","somethingNew":{"a":[1,2]},"iostatistics":{"counters":{"c":1},"extra":3}}`
	d, err := success.Decode(strings.NewReader(in))
	require.NoError(t, err)
	assert.True(t, d.Success, "a manifest without success reads as a success")
	assert.Equal(t, map[string]int64{"c": 1}, d.IOStatistics.Counters)
}

func TestDecodeNormalizesETags(t *testing.T) {
	in := `{"name":"` + success.Name + `","jobId":"j","s3commitFiles":[{"key":"k","size":1,"etag":"\"abc\""}]}`
	d, err := success.Decode(strings.NewReader(in))
	require.NoError(t, err)
	assert.Equal(t, []success.File{{Key: "k", Size: 1, ETag: "abc"}}, d.Files)
}

// TestInvalid checks that every invalid field is rejected with an error
// that names it and matches ErrInvalidManifest, both by Decode and by
// Validate (and so by Encode).
func TestInvalid(t *testing.T) {
	file := func(key string, size int64, etag string) success.File {
		return success.File{Key: key, Size: size, ETag: etag}
	}
	tests := []struct {
		name   string
		modify func(d *success.Data)
		field  string
		reason string
	}{
		{"no name", func(d *success.Data) { d.Name = "" }, `"name"`, "not a _SUCCESS manifest"},
		{"other name", func(d *success.Data) { d.Name = "org.example.Other/1" }, `"name"`, `"org.example.Other/1"`},
		{"other version", func(d *success.Data) { d.Name = "org.apache.hadoop.fs.s3a.commit.files.SuccessData/2" }, `"name"`, "SuccessData/2"},
		{"negative timestamp", func(d *success.Data) { d.Timestamp = -1 }, `"timestamp"`, "want ≥ 0"},
		{"aborted success", func(d *success.Data) { d.State = "aborted" }, `"state"`, "success is true"},
		{"failed success", func(d *success.Data) { d.State = "FAILED" }, `"state"`, "success is true"},
		{"committed failure", func(d *success.Data) { d.Success = false; d.State = "committed" }, `"state"`, "success is false"},
		{"negative metric", func(d *success.Data) { d.Metrics["bytes"] = -5 }, `"metrics[\"bytes\"]"`, "is -5"},
		{"negative samples", func(d *success.Data) {
			d.IOStatistics.MeanStatistics["m"] = success.MeanStatistic{Samples: -1}
		}, `"iostatistics.meanstatistics[\"m\"].samples"`, "is -1"},
		{"empty key", func(d *success.Data) { d.Files[1] = file("", 1, "e") }, `"s3commitFiles[1].key"`, "is empty"},
		{"negative size", func(d *success.Data) { d.Files[0].Size = -1 }, `"s3commitFiles[0].size"`, "is -1"},
		{"empty etag", func(d *success.Data) { d.Files[1].ETag = "" }, `"s3commitFiles[1].etag"`, "is empty"},
		{"quoted etag", func(d *success.Data) { d.Files[1].ETag = `a"b` }, `"s3commitFiles[1].etag"`, "without quotes"},
		{"duplicate key", func(d *success.Data) { d.AddFile(file(d.Files[0].Key, 1, "e")) }, `"s3commitFiles[2].key"`, "also the key of s3commitFiles[0]"},
		{"sidecar elsewhere", func(d *success.Data) { d.FilesSidecar = "../x" }, `"s3commitFilesSidecar"`, "starting with '_'"},
		{"sidecar in subdir", func(d *success.Data) { d.FilesSidecar = "_a/b" }, `"s3commitFilesSidecar"`, "starting with '_'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := s3commitSample()
			tt.modify(d)
			check := func(err error) {
				t.Helper()
				require.ErrorIs(t, err, success.ErrInvalidManifest)
				var me *success.ManifestError
				require.ErrorAs(t, err, &me)
				assert.Contains(t, err.Error(), "field "+tt.field)
				assert.Contains(t, err.Error(), tt.reason)
			}
			check(d.Validate())
			var buf bytes.Buffer
			check(d.Encode(&buf))
			assert.Zero(t, buf.Len(), "an invalid manifest is not written")

			// The same manifest as JSON, decoded.
			raw, err := jsonOf(d)
			require.NoError(t, err)
			got, err := success.Decode(bytes.NewReader(raw))
			check(err)
			assert.Nil(t, got)
		})
	}
}

func TestDecodeMalformed(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"not JSON", `{"name":`, "is not valid JSON"},
		{"array", `[1,2]`, "is not a JSON object"},
		{"string", `"x"`, "is not a JSON object"},
		{"null", `null`, `field "name" is missing`},
		{"empty object", `{}`, `field "name" is missing`},
		{"trailing data", `{"name":"` + success.Name + `","jobId":"j"} {}`, "is not valid JSON"},
		{"wrong type", `{"name":"` + success.Name + `","jobId":"j","timestamp":"now"}`, `field "timestamp" has the wrong type`},
		{"wrong map type", `{"name":"` + success.Name + `","jobId":"j","metrics":{"a":"b"}}`, `field "metrics" has the wrong type: a JSON string where int64 is expected`},
		{"fractional metric", `{"name":"` + success.Name + `","jobId":"j","metrics":{"a":1.5}}`, `has the wrong type`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := success.Decode(strings.NewReader(tt.in))
			require.ErrorIs(t, err, success.ErrInvalidManifest)
			assert.NotErrorIs(t, err, success.ErrClassicMarker)
			assert.Contains(t, err.Error(), tt.want)
			assert.Nil(t, d)
		})
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestDecodeReadError(t *testing.T) {
	_, err := success.Decode(failingReader{})
	require.Error(t, err)
	assert.NotErrorIs(t, err, success.ErrInvalidManifest)
	assert.Contains(t, err.Error(), "disk on fire")
}

func TestNewAndAddFile(t *testing.T) {
	d := success.New("partitioned", "job-1")
	assert.Equal(t, success.Name, d.Name)
	assert.True(t, d.Success)
	assert.Positive(t, d.Timestamp)
	assert.NotEmpty(t, d.Date)
	assert.Equal(t, success.JobIDSource, d.JobIDSource)
	assert.Equal(t, success.WriterS3Commit, d.Writer())
	require.NoError(t, d.Validate())
	for i := range success.MaxFilenames + 5 {
		d.AddFile(success.File{Key: "out/" + strings.Repeat("x", i+1), Size: int64(i), ETag: "e"})
	}
	assert.Len(t, d.Files, success.MaxFilenames+5)
	require.Len(t, d.Filenames, success.MaxFilenames)
	assert.Equal(t, "/out/x", d.Filenames[0])
	require.NoError(t, d.Validate())
}

func TestWriterString(t *testing.T) {
	for w, want := range map[success.Writer]string{
		success.WriterUnknown:  "unknown writer",
		success.WriterS3Commit: "s3commit",
		success.WriterS3A:      "Hadoop S3A committer",
		success.WriterManifest: "Hadoop manifest committer",
	} {
		assert.Equal(t, want, w.String())
	}
	d := &success.Data{Name: success.Name, JobID: "j", Committer: "custom"}
	assert.Equal(t, success.WriterUnknown, d.Writer())
	d.Committer = "magic"
	assert.Equal(t, success.WriterS3A, d.Writer())
}

func TestAddDuration(t *testing.T) {
	var s success.IOStatistics
	s.AddDuration("job_commit", 1500*time.Millisecond)
	s.AddDuration("job_commit", 500*time.Millisecond)
	s.AddDuration("job_commit", 1000*time.Millisecond)
	assert.Equal(t, success.IOStatistics{
		Counters:       map[string]int64{"job_commit": 3},
		Minimums:       map[string]int64{"job_commit.min": 500},
		Maximums:       map[string]int64{"job_commit.max": 1500},
		MeanStatistics: map[string]success.MeanStatistic{"job_commit.mean": {Samples: 3, Sum: 3000}},
	}, s)
	assert.InDelta(t, 1000.0, s.MeanStatistics["job_commit.mean"].Mean(), 1e-9)

	// Hadoop's -1 for "no minimum yet" is replaced by the first sample.
	d := success.New("directory", "j")
	d.IOStatistics.Minimums["x.min"] = -1
	d.IOStatistics.AddDuration("x", 7*time.Millisecond)
	assert.Equal(t, int64(7), d.IOStatistics.Minimums["x.min"])
}

func TestAddFileNormalizesETag(t *testing.T) {
	d := success.New("directory", "j")
	d.AddFile(success.File{Key: "k", Size: 1, ETag: `"abc"`})
	assert.Equal(t, "abc", d.Files[0].ETag)
	require.NoError(t, d.Validate())
}

func TestEncodeKeepsHTMLCharacters(t *testing.T) {
	d := success.New("directory", "j")
	d.Diagnostics["a&b"] = "<x>"
	var buf bytes.Buffer
	require.NoError(t, d.Encode(&buf))
	assert.Contains(t, buf.String(), `"a&b": "<x>"`)
}

func TestAddFileKeepsLeadingSlash(t *testing.T) {
	d := success.New("directory", "j")
	d.AddFile(success.File{Key: "/abs", Size: 1, ETag: "e"})
	assert.Equal(t, []string{"/abs"}, d.Filenames)
}

// TestMissingFields reads the manifests of Hadoop 3.1 and 3.2, which have
// no jobId, jobIdSource or iostatistics (Hadoop's own validation checks
// only the name), and says which fields are absent; a JSON object that is
// not a manifest is still refused.
func TestMissingFields(t *testing.T) {
	for _, tt := range []struct {
		file    string
		missing []string
	}{
		{"hadoop-3.2-directory.json", []string{"jobId", "jobIdSource", "iostatistics"}},
		{"hadoop-3.1-partitioned.json", []string{"jobIdSource", "iostatistics"}},
		{"hadoop-s3a-directory.json", nil},
		{"s3commit.json", nil},
	} {
		t.Run(tt.file, func(t *testing.T) {
			d, err := success.Decode(bytes.NewReader(readTestdata(t, tt.file)))
			require.NoError(t, err)
			assert.Equal(t, tt.missing, d.MissingFields())
		})
	}
	for _, bad := range []string{`{}`, `{"jobId": "j"}`, `{"name": "org.apache.hadoop.fs.s3a.commit.files.PendingSet/2"}`} {
		_, err := success.Decode(strings.NewReader(bad))
		require.ErrorIs(t, err, success.ErrInvalidManifest, bad)
		assert.Contains(t, err.Error(), `"name"`, bad)
	}
}
