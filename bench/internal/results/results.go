// Package results defines the JSON document a benchmark run writes: the
// machine, the versions, the settings and one Result per workload, strategy
// and setting. The report package reads the same types.
package results

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// FileName is the name of the results document inside a run's directory.
const FileName = "results.json"

// Strategy names.
const (
	StrategyStaging = "staging"
	StrategyDirect  = "direct"
	StrategyRename  = "rename"
)

// Phase names used as keys of Result.Phases (seconds). PhaseTotal is the
// task commit and the job commit together; the write phase, which
// generates the files, is not part of it.
const (
	PhaseWrite      = "write"
	PhaseTaskCommit = "task_commit"
	PhaseJobCommit  = "job_commit"
	PhaseTotal      = "total"
	// PhaseCloseToCommitEnd is the time from the Close of a workload's
	// last file to the end of the task commit: what a task that writes
	// its files over time still waits for once it has written them.
	// Measured on WorkloadPacedFiles only, where the task commit starts
	// right after that Close; it overlaps PhaseWrite and PhaseTaskCommit.
	PhaseCloseToCommitEnd = "close_to_commit_end"
)

// Workload names. The concurrency workloads measure the staging strategy
// alone at each upload concurrency (on large files) and each commit
// concurrency (on small files).
const (
	WorkloadSmallFiles        = "small-files"
	WorkloadLargeFiles        = "large-files"
	WorkloadPartitioned       = "partitioned"
	WorkloadJobCommitSeries   = "job-commit-series"
	WorkloadConcurrencyUpload = "concurrency-upload"
	WorkloadConcurrencyCommit = "concurrency-commit"
	// WorkloadPacedFiles is one task writing a few large files one after
	// the other with a compute delay (SettingComputeDelay) after each but
	// the last, as a task that computes its output does: the workload of
	// uploads at close (SettingUploadAtClose).
	WorkloadPacedFiles = "paced-files"
)

// Keys of Result.Settings.
const (
	SettingTasks             = "tasks"
	SettingUploadConcurrency = "upload_concurrency"
	SettingCommitConcurrency = "commit_concurrency"
	SettingPartSize          = "part_size"
	SettingPartitions        = "partitions"
	// SettingRepeats is how many times the measurement ran; the result
	// is the repetition with the median total time.
	SettingRepeats = "repeats"
	// SettingStagingHome is where the staging strategy keeps its staging
	// dir: StagingHomeFS or StagingHomeStore. A staging result without
	// it (runs before the store home existed) used the filesystem.
	SettingStagingHome = "staging_home"
	// SettingChecksums is what the staging strategy's task commit does
	// with the CRC64NVME checksum of every part and file
	// (staging.Options.Checksums): ChecksumsVerified, ChecksumsRecordOnly
	// or ChecksumsOff. A staging result without it (runs before the
	// setting existed) is taken for the default, ChecksumsVerified, when
	// results are selected; those runs measured a library that computed
	// no checksums.
	SettingChecksums = "checksums"
	// SettingDeferredPutThreshold is the staging strategy's
	// staging.Options.DeferredPutThreshold in bytes, in decimal: files of
	// at most that many bytes are not uploaded at task commit but written
	// with one PutObject each at job commit. "0" defers nothing; a staging
	// result without it (runs before the setting existed) deferred
	// nothing.
	SettingDeferredPutThreshold = "deferred_put_threshold"
	// SettingUploadAtClose is the staging strategy's
	// staging.Options.UploadAtClose: UploadAtCloseOn or UploadAtCloseOff.
	// A staging result without it (runs before the setting existed) is
	// taken for UploadAtCloseOff.
	SettingUploadAtClose = "upload_at_close"
	// SettingTelemetry is the OpenTelemetry providers the staging
	// strategy's committer was given (staging.Options.MeterProvider and
	// TracerProvider): TelemetryNone, TelemetryNoop or TelemetrySDK. A
	// staging result without it (runs before the setting existed) is
	// taken for TelemetryNone.
	SettingTelemetry = "telemetry"
	// SettingComputeDelay is how long the task of WorkloadPacedFiles
	// waits after each file but the last before it creates the next, as
	// a Go duration ("1s").
	SettingComputeDelay = "compute_delay"
)

// Values of SettingTelemetry.
const (
	// TelemetryNone gives the committer no providers: the global ones,
	// which record nothing.
	TelemetryNone = "none"
	// TelemetryNoop gives it OpenTelemetry's no-op providers.
	TelemetryNoop = "noop"
	// TelemetrySDK gives it the SDK's providers: a meter provider with a
	// manual reader, collected once at the end, and a tracer provider
	// whose batch processor hands every span to an exporter that drops
	// it. Every metric and span is made; none is sent anywhere.
	TelemetrySDK = "sdk"
)

// Values of SettingUploadAtClose.
const (
	UploadAtCloseOff = "off"
	UploadAtCloseOn  = "on"
)

// Values of SettingStagingHome.
const (
	// StagingHomeFS is a staging dir on the filesystem (a local directory
	// here; a shared volume such as NFS in a distributed job).
	StagingHomeFS = "fs"
	// StagingHomeStore is a staging dir in the object store
	// (StagingDir s3://bucket/prefix), beside the destination.
	StagingHomeStore = "store"
)

// Values of SettingChecksums, after multipart.ChecksumMode.
const (
	// ChecksumsVerified is multipart.ChecksumStoreVerified, the library's
	// default: every part is hashed just before it is sent, and the store
	// checks each part and, at job commit, the whole object.
	ChecksumsVerified = "verified"
	// ChecksumsRecordOnly is multipart.ChecksumRecordOnly: the checksums
	// are computed and recorded, none is sent.
	ChecksumsRecordOnly = "record-only"
	// ChecksumsOff is multipart.ChecksumOff: no checksum is computed.
	ChecksumsOff = "off"
)

// Mode names.
const (
	ModeQuick = "quick"
	ModeFull  = "full"
)

// Run is one benchmark run: where and how it ran and what it measured.
type Run struct {
	Started  time.Time         `json:"started"`
	Mode     string            `json:"mode"`
	Machine  Machine           `json:"machine"`
	Versions map[string]string `json:"versions"`
	Target   string            `json:"target"`
	Latency  string            `json:"latency"`
	// WorkDir is where the tasks wrote their local files (buffer dir,
	// fs staging home, direct's files) when --work-dir chose it; empty
	// for the default temporary directory, on the local MinIO's volume.
	WorkDir string   `json:"work_dir,omitempty"`
	Results []Result `json:"results"`
}

// Machine describes the client machine.
type Machine struct {
	Cores       int    `json:"cores"`
	MemoryBytes int64  `json:"memory_bytes"`
	OS          string `json:"os"`
	Arch        string `json:"arch"`
	CPU         string `json:"cpu"`
}

// Result is the measurement of one workload with one strategy and one set
// of settings.
type Result struct {
	Workload     string            `json:"workload"`
	Strategy     string            `json:"strategy"`
	Settings     map[string]string `json:"settings,omitempty"`
	Files        int               `json:"files"`
	BytesPerFile int64             `json:"bytes_per_file"`
	TotalBytes   int64             `json:"total_bytes"`
	// Phases holds wall times in seconds by phase (see the Phase constants).
	Phases map[string]float64 `json:"phases"`
	// MiBPerSecond is the task commit (staging) or upload throughput: the
	// bytes uploaded at task commit over its time. A staging result that
	// deferred every file (SettingDeferredPutThreshold) uploaded none at
	// task commit and has 0.
	MiBPerSecond float64 `json:"mib_per_second"`
	// CompletionsPerSecond is the job commit rate (staging only): the
	// files made visible (uploads completed, deferred files PUT) over the
	// job-commit time.
	CompletionsPerSecond float64 `json:"completions_per_second,omitempty"`
	// Requests counts HTTP requests by S3 operation, task and job commit
	// together.
	Requests map[string]int64 `json:"requests"`
	// PhaseRequests splits Requests by phase (PhaseTaskCommit,
	// PhaseJobCommit), then by operation.
	PhaseRequests map[string]map[string]int64 `json:"phase_requests,omitempty"`
	// StagingDirRequests counts, by phase and operation, the requests
	// among PhaseRequests whose key or prefix lies in the staging dir in
	// the store (SettingStagingHome StagingHomeStore): what keeping the
	// records in the store costs. Absent for every other result.
	StagingDirRequests map[string]map[string]int64 `json:"staging_dir_requests,omitempty"`
	CPUSeconds         float64                     `json:"cpu_seconds"`
	// ServerCPUSeconds is the CPU time the local MinIO used during the
	// measurement (task and job commit); 0 for an endpoint, whose server
	// the harness cannot see.
	ServerCPUSeconds float64 `json:"server_cpu_seconds,omitempty"`
	// OtherCPUSeconds is the CPU time every other process of the machine
	// (neither the client nor the local MinIO; the latency proxy, with
	// one) used during the task and the job commit, from /proc/stat
	// (Linux only): work that competed with the measurement for the
	// cores. 0 where it is not measured.
	OtherCPUSeconds float64 `json:"other_cpu_seconds,omitempty"`
	PeakHeapBytes   int64   `json:"peak_heap_bytes"`
	PeakRSSBytes    int64   `json:"peak_rss_bytes"`
	// Trace, when requests were traced (s3bench --trace-requests), is the
	// path, relative to the run's directory, of the gzipped CSV that
	// lists every request of the measurement.
	Trace string `json:"trace,omitempty"`
	Error string `json:"error,omitempty"`
}

// Read decodes a results document from path.
func Read(path string) (*Run, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	var r Run
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("results: decode %s: %w", path, err)
	}
	return &r, nil
}

// Write encodes r as indented JSON into dir/results.json, creating dir.
func Write(dir string, r *Run) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("results: %w", err)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", fmt.Errorf("results: encode: %w", err)
	}
	path := filepath.Join(dir, FileName)
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("results: %w", err)
	}
	return path, nil
}
