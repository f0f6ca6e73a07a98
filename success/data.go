package success

import (
	"os"
	"strings"
	"time"

	"github.com/s3commit/s3commit/internal/javadate"
	"github.com/s3commit/s3commit/multipart"
)

const (
	// Name is the "name" of every _SUCCESS manifest: Hadoop's SuccessData
	// version 1, written by Hadoop's S3A committers, its manifest committer
	// and s3commit alike.
	Name = "org.apache.hadoop.fs.s3a.commit.files.SuccessData/1"
	// ManifestName is a name [Decode] accepts besides [Name] for manifests
	// that name Hadoop's manifest committer's class. Hadoop's sources write
	// [Name] from that class too; this package never writes ManifestName.
	ManifestName = "org.apache.hadoop.mapreduce.lib.output.committer.manifest.files.ManifestSuccessData/1"
	// ManifestCommitter is the "committer" Hadoop's manifest committer
	// records: its class name.
	ManifestCommitter = "org.apache.hadoop.mapreduce.lib.output.committer.manifest.ManifestCommitter"
	// JobIDSource is the "jobIdSource" of manifests s3commit writes.
	JobIDSource = "s3commit"
	// MaxFilenames is how many files [Data.AddFile] lists in
	// [Data.Filenames], as Hadoop's S3A committers do.
	MaxFilenames = 100
	// MaxInlineFiles is how many files [Write] keeps in the manifest
	// itself; a longer list goes to a sidecar object.
	MaxInlineFiles = 1000
)

// Data is a _SUCCESS manifest: Hadoop's SuccessData plus the list of
// committed files that s3commit adds. The JSON name of each field is given
// in its tag.
type Data struct {
	// Name identifies the format: [Name] (or [ManifestName]).
	Name string `json:"name"`
	// Success reports whether the job succeeded. Hadoop's S3A committers
	// do not write it; a manifest without it reads as true.
	Success bool `json:"success"`
	// Timestamp is when the manifest was created, in milliseconds since
	// the Unix epoch.
	Timestamp int64 `json:"timestamp"`
	// Date is Timestamp in a human-readable form; nothing parses it.
	Date string `json:"date"`
	// Hostname is the host that committed the job.
	Hostname string `json:"hostname"`
	// Committer names the committer: "directory" or "partitioned" for
	// s3commit and Hadoop's staging committers, "magic", or
	// [ManifestCommitter].
	Committer string `json:"committer"`
	// Description is free text.
	Description string `json:"description"`
	// JobID is the ID of the committed job.
	JobID string `json:"jobId"`
	// JobIDSource says where JobID came from: [JobIDSource] for s3commit.
	JobIDSource string `json:"jobIdSource"`
	// Metrics are named counts, sizes and durations, each ≥ 0.
	Metrics map[string]int64 `json:"metrics"`
	// Diagnostics are named notes.
	Diagnostics map[string]string `json:"diagnostics"`
	// Filenames lists up to [MaxFilenames] committed files, each "/" + key
	// (Hadoop's manifest committer writes full URIs).
	Filenames []string `json:"filenames"`
	// IOStatistics are Hadoop-style statistics of the commit.
	IOStatistics IOStatistics `json:"iostatistics"`
	// State is the job's final state where the writer records it, e.g.
	// "committed" or "aborted"; empty otherwise.
	State string `json:"state"`
	// Stage is the last stage the writer executed, if it records one.
	Stage string `json:"stage"`
	// Files lists every committed file (an s3commit addition). It is nil
	// in manifests written by Hadoop, and nil in the JSON of a manifest
	// whose list is in a sidecar ([Read] loads it).
	Files []File `json:"s3commitFiles,omitempty"`
	// FilesSidecar, when set, names the object that holds Files: a name in
	// the manifest's own directory, starting with '_' (an s3commit
	// addition, set by [Write]).
	FilesSidecar string `json:"s3commitFilesSidecar,omitempty"`
}

// File is one committed object.
type File struct {
	// Key is the object key.
	Key string `json:"key"`
	// Size is the object's length in bytes.
	Size int64 `json:"size"`
	// ETag is the object's ETag, without quotes.
	ETag string `json:"etag"`
	// ChecksumAlgorithm and Checksum are the whole file's checksum as its
	// writer computed it before the upload (base64, type FULL_OBJECT;
	// "CRC64NVME" for s3commit), in the shape of Hadoop's UploadEtag;
	// empty when the writer computed none.
	ChecksumAlgorithm string `json:"checksumAlgorithm,omitempty"`
	Checksum          string `json:"checksum,omitempty"`
}

// FileChecksum returns f's checksum; zero when it has none.
func (f File) FileChecksum() multipart.Checksum {
	return multipart.Checksum{Algorithm: multipart.ChecksumAlgorithm(f.ChecksumAlgorithm), Value: f.Checksum}
}

// IOStatistics are statistics in the shape of Hadoop's IOStatisticsSnapshot.
type IOStatistics struct {
	// Counters are named counts.
	Counters map[string]int64 `json:"counters"`
	// Gauges are named current values.
	Gauges map[string]int64 `json:"gauges"`
	// Minimums are named minimum values (Hadoop writes -1 where no sample
	// was taken).
	Minimums map[string]int64 `json:"minimums"`
	// Maximums are named maximum values.
	Maximums map[string]int64 `json:"maximums"`
	// MeanStatistics are named means kept as a sum and a sample count.
	MeanStatistics map[string]MeanStatistic `json:"meanstatistics"`
}

// AddDuration records one sample of the duration of operation name in
// milliseconds, as Hadoop's duration trackers do: it increments
// Counters[name], lowers Minimums[name+".min"], raises
// Maximums[name+".max"] and adds to MeanStatistics[name+".mean"]. Nil
// maps are created.
func (s *IOStatistics) AddDuration(name string, d time.Duration) {
	ms := d.Milliseconds()
	if s.Counters == nil {
		s.Counters = map[string]int64{}
	}
	if s.Minimums == nil {
		s.Minimums = map[string]int64{}
	}
	if s.Maximums == nil {
		s.Maximums = map[string]int64{}
	}
	if s.MeanStatistics == nil {
		s.MeanStatistics = map[string]MeanStatistic{}
	}
	s.Counters[name]++
	if m, ok := s.Minimums[name+".min"]; !ok || m < 0 || ms < m {
		s.Minimums[name+".min"] = ms
	}
	if m, ok := s.Maximums[name+".max"]; !ok || ms > m {
		s.Maximums[name+".max"] = ms
	}
	m := s.MeanStatistics[name+".mean"]
	m.Samples++
	m.Sum += ms
	s.MeanStatistics[name+".mean"] = m
}

// MeanStatistic is a mean kept as the sum of its samples and their count,
// as Hadoop's MeanStatistic.
type MeanStatistic struct {
	// Samples is the number of samples; 0 means empty.
	Samples int64 `json:"samples"`
	// Sum is the sum of the samples.
	Sum int64 `json:"sum"`
}

// Mean returns Sum / Samples, or 0 when there are no samples.
func (m MeanStatistic) Mean() float64 {
	if m.Samples <= 0 {
		return 0
	}
	return float64(m.Sum) / float64(m.Samples)
}

// New returns the manifest of a successful job committed now by this host:
// Name, Success, Timestamp, Date (Java's Date.toString() layout, as
// Hadoop's S3A committers write it), Hostname, Committer, JobID and
// JobIDSource ([JobIDSource]) are set, the maps are empty.
func New(committerName, jobID string) *Data {
	now := time.Now()
	host, _ := os.Hostname()
	return &Data{
		Name:        Name,
		Success:     true,
		Timestamp:   now.UnixMilli(),
		Date:        javadate.Format(now),
		Hostname:    host,
		Committer:   committerName,
		JobID:       jobID,
		JobIDSource: JobIDSource,
		Metrics:     map[string]int64{},
		Diagnostics: map[string]string{},
		Filenames:   []string{},
		IOStatistics: IOStatistics{
			Counters:       map[string]int64{},
			Gauges:         map[string]int64{},
			Minimums:       map[string]int64{},
			Maximums:       map[string]int64{},
			MeanStatistics: map[string]MeanStatistic{},
		},
	}
}

// AddFile records a committed file: it appends f to Files, its ETag
// without quotes, and, while Filenames holds fewer than [MaxFilenames]
// entries, f.Key with a leading '/' to Filenames (added unless the key has
// one, as Hadoop's S3A committers do).
func (d *Data) AddFile(f File) {
	f.ETag = multipart.NormalizeETag(f.ETag)
	d.Files = append(d.Files, f)
	if len(d.Filenames) < MaxFilenames {
		name := f.Key
		if !strings.HasPrefix(name, "/") {
			name = "/" + name
		}
		d.Filenames = append(d.Filenames, name)
	}
}

// Writer is the kind of program that wrote a manifest, as told by
// [Data.Writer].
type Writer int

const (
	// WriterUnknown: a writer of Hadoop's format this package does not
	// recognize.
	WriterUnknown Writer = iota
	// WriterS3Commit: s3commit (jobIdSource [JobIDSource], or a file list).
	WriterS3Commit
	// WriterS3A: one of Hadoop's S3A committers ("directory",
	// "partitioned", "magic", "staging").
	WriterS3A
	// WriterManifest: Hadoop's manifest committer.
	WriterManifest
)

// String returns a short description of the writer.
func (w Writer) String() string {
	switch w {
	case WriterS3Commit:
		return "s3commit"
	case WriterS3A:
		return "Hadoop S3A committer"
	case WriterManifest:
		return "Hadoop manifest committer"
	default:
		return "unknown writer"
	}
}

// Writer tells which committer wrote the manifest, from its jobIdSource,
// file list, name and committer fields.
func (d *Data) Writer() Writer {
	switch {
	case d.JobIDSource == JobIDSource || d.Files != nil || d.FilesSidecar != "":
		return WriterS3Commit
	case d.Name == ManifestName || d.Committer == ManifestCommitter:
		return WriterManifest
	}
	switch d.Committer {
	case "directory", "partitioned", "magic", "staging":
		return WriterS3A
	}
	return WriterUnknown
}
