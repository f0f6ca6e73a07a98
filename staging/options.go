package staging

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
)

// DefaultCommitConcurrency is the number of uploads CommitJob completes at
// the same time when [Options.CommitConcurrency] is zero. It is sized for
// stores with high latency, where each completion is a round trip.
const DefaultCommitConcurrency = 32

// ErrInvalidOptions is matched by every error [New] returns for options it
// refuses.
var ErrInvalidOptions = errors.New("staging: invalid options")

// Options configure a [Committer]. The Hadoop S3A option with the same
// meaning is named for each field where one exists.
type Options struct {
	// StagingDir holds the job records, the pendingsets of committed
	// tasks, the attempts' intents and the job-commit journal. It is
	// either a directory that the driver and every task see (a shared
	// volume such as NFS when they run on different machines), or
	// s3://bucket/prefix: the records are then objects under
	// prefix/<jobID>/ in the store, and nothing but the store is shared
	// between processes (see the package doc, "Two homes"). The bucket is
	// the output store's, or StagingStore's when it is given; the prefix
	// must not overlap Destination. Required. Hadoop:
	// fs.s3a.committer.staging.tmp.path (which Hadoop keeps on the cluster
	// filesystem).
	StagingDir string
	// StagingStore is the store of a StagingDir s3://bucket/prefix whose
	// bucket is not the output's (on the same or another endpoint); nil
	// means the output store. Its retries should be off, as for the
	// output store: the committer retries.
	StagingStore multipart.Store
	// BufferDir is the local directory under which task attempts write
	// their files before task commit. Default: a directory of the user's
	// own, filepath.Join(os.TempDir(), "s3commit-buffer-<uid>"), created
	// 0700 and refused when it exists as a symlink, open to other users or
	// owned by another user. A job's directory in a BufferDir given here
	// is removed when the job ends; in the default one only when it is
	// empty. Hadoop: fs.s3a.buffer.dir.
	BufferDir string
	// BufferPerm is the permission of the files task attempts create in
	// the buffer dir (their directories get the matching execute bits);
	// 0 means [DefaultBufferPerm], 0600: only the job's user reads the
	// output before it is committed. Give 0640 or 0660 where processes of
	// other users share the buffer dir.
	BufferPerm fs.FileMode
	// Destination is the key prefix, in the store's bucket, that receives
	// the job's output, without a leading '/'; a trailing '/' is trimmed.
	// Required by SetupJob, which records it in the job record; a process
	// that only opens existing jobs (a task worker, a tool) leaves it
	// empty and works with the destination of each job's record. Hadoop:
	// the job's output path.
	Destination string
	// Mode is the committer: directory (default) or partitioned. Hadoop:
	// fs.s3a.committer.name ("directory" or "partitioned").
	Mode committer.Mode
	// Conflict says what happens when the destination already holds
	// objects: fail (default), append or replace. Hadoop:
	// fs.s3a.committer.staging.conflict-mode.
	Conflict committer.ConflictMode
	// DisableUniqueFilenames turns off the insertion of "-<jobID>" into
	// every file name (part-0000.parquet → part-0000-<jobID>.parquet).
	// Without unique filenames a job may overwrite objects of other jobs
	// in append mode, and the job cannot sweep the store for uploads whose
	// creation answer was lost (they may be left; such an upload could be
	// another job's). The replace conflict mode refuses it: a completion
	// would overwrite an old object of the same name, which a revert could
	// not bring back. Hadoop: fs.s3a.committer.staging.unique-filenames
	// (default true).
	DisableUniqueFilenames bool
	// PartSize is the size of the parts files are uploaded in; 0 means
	// [multipart.DefaultPartSize]. It is grown when a file would need more
	// than 10,000 parts. Hadoop: fs.s3a.multipart.size.
	PartSize int64
	// DeferredPutThreshold defers files of at most this many bytes to the
	// job commit: a task commit records such a file (its path in the
	// buffer dir, size and CRC64NVME checksum) in its pendingset instead
	// of uploading it, and the job commit writes it with one PutObject
	// (If-None-Match: * in the fail conflict mode), journaled like a
	// completion and deleted by a rollback: one request per small file
	// instead of three. The file stays in the buffer dir until the job
	// commit or abort has dealt with it, so the buffer dir must be a
	// volume the driver sees at the same path as the tasks (the shared
	// volume of a cluster, or one machine); the job commit checks every
	// deferred file's size and checksum before it writes anything, and
	// fails with [ErrDeferredFile], changing nothing, where it cannot. It
	// also reads every deferred byte once more, and its window grows with
	// them. 0, the default, defers nothing; at most
	// 5 GiB ([multipart.MaxPartSize], the largest single PutObject). Hadoop has no such option.
	DeferredPutThreshold int64
	// UploadAtClose starts the upload of a file written through Create
	// when it is closed, in the background, while the task goes on to its
	// next file: CommitTask then waits for those uploads, uploads what is
	// left (files written through Dir, or changed since they were
	// closed) and publishes. Each upload is recorded in the attempt's
	// intents before it is created, as at task commit; AbortTask and a
	// failed CommitTask abort them.
	UploadAtClose bool
	// UploadConcurrency bounds the parts a task commit uploads at the same
	// time (files are uploaded in parallel too); 0 means
	// [multipart.DefaultConcurrency]. Hadoop: fs.s3a.fast.upload.active.blocks
	// and fs.s3a.threads.max, roughly.
	UploadConcurrency int
	// Checksums says what a task commit does with the CRC64NVME checksum it
	// computes for every part and file (see [multipart.ChecksumMode]). The
	// default, [multipart.ChecksumStoreVerified], has the store check each
	// part on upload and each whole file at job commit, and records the
	// file's checksum in its pending record and in _SUCCESS; use
	// [multipart.ChecksumRecordOnly] for a store that refuses checksum
	// requests (`s3commit doctor` tells). Task attempts of one job may use
	// different modes: each record says how its upload was created.
	Checksums multipart.ChecksumMode
	// HadoopTrunkPendingsets writes the part ETags of pendingsets as the
	// {"etag", "checksumAlgorithm", "checksum"} objects of Hadoop trunk
	// (3.5.0-SNAPSHOT, class UploadEtag), which only trunk reads, instead
	// of the list of strings Hadoop 3.3.1 to 3.4 read (the default; the
	// part checksums then go beside them, see [pendingset.Upload]).
	// s3commit reads both forms. Set it when Hadoop trunk's committer is
	// to read the job's pendingsets.
	HadoopTrunkPendingsets bool
	// CommitConcurrency bounds the uploads a job commit completes (and the
	// objects it deletes or aborts) at the same time; 0 means
	// [DefaultCommitConcurrency]. Hadoop: fs.s3a.committer.threads.
	CommitConcurrency int
	// KeepStateOnFailure keeps what a job commit had done when it fails
	// with a permanent store error, instead of reverting it, so that an
	// operator can inspect the job and resume it (CommitJob) or roll it
	// back (AbortJob) later. Hadoop has no such option: it aborts what it
	// has not completed and leaves what it has.
	KeepStateOnFailure bool
	// LockLease is, with the staging dir in the store, the lease of the
	// driver that commits or aborts a job: it writes a heartbeat to the
	// job's journal every LockLease/3, and a CommitJob or AbortJob that
	// finds the journal claimed and not released watches it for LockLease
	// before it takes it over (a chunk written meanwhile means the holder
	// lives: ErrJobBusy). The store cannot tell that a process died, as a
	// flock on a shared filesystem does, so a driver that resumes the job
	// of one that crashed waits this long. 0 means 15 seconds. Unused with
	// a staging dir on a filesystem.
	LockLease time.Duration
	// Retry is the policy for transient store errors (throttling, 5xx,
	// connection resets) in task and job commit. Hadoop: fs.s3a.retry.limit
	// and fs.s3a.retry.interval.
	Retry multipart.RetryPolicy
	// Logger receives debug and warning messages; nil discards them.
	Logger *slog.Logger
	// Progress, if not nil, is called as task and job commit advance. It
	// is called from several goroutines, never at the same time.
	Progress func(Progress)
	// MeterProvider receives the committer's OpenTelemetry metrics (files
	// and bytes committed, uploads, retries and errors by kind, durations
	// of commits and of their phases), from the meter named
	// [InstrumentationScope]; nil means the global provider
	// (otel.GetMeterProvider), which records nothing unless the program
	// sets one. The README lists the metrics.
	MeterProvider metric.MeterProvider
	// TracerProvider receives the committer's OpenTelemetry spans:
	// SetupJob, CommitTask, CommitJob, AbortTask and AbortJob, the phases
	// of the commits below them, and one span per store request. nil means
	// the global provider (otel.GetTracerProvider), which records nothing
	// unless the program sets one.
	TracerProvider trace.TracerProvider
}

// Phase names a step of a commit reported through [Progress].
type Phase string

// The phases reported to [Options.Progress].
const (
	// PhaseUpload counts the files a task commit has uploaded.
	PhaseUpload Phase = "upload"
	// PhaseComplete counts the uploads a job commit has completed.
	PhaseComplete Phase = "complete"
	// PhaseDelete counts the old objects a job commit in replace mode has
	// deleted.
	PhaseDelete Phase = "delete"
	// PhaseAbort counts the uploads an abort or revert has aborted.
	PhaseAbort Phase = "abort"
)

// Progress reports how far a phase of a commit has come: Done of Total
// items.
type Progress struct {
	Phase Phase
	Done  int
	Total int
}

// validate checks the options and fills in the defaults.
func (o *Options) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidOptions, fmt.Sprintf(format, args...))
	}
	if o.StagingDir == "" {
		return bad("StagingDir is empty; give a directory that the driver and every task can reach")
	}
	if scheme, ok := urlScheme(o.StagingDir); ok && scheme != "s3" {
		return bad("StagingDir %q is a %s:// URL: give a directory that the driver and every task can reach (a shared volume such as NFS), "+
			"or s3://bucket/prefix for a staging dir in the store", o.StagingDir, scheme)
	}
	if scheme, ok := urlScheme(o.BufferDir); ok {
		return bad("BufferDir %q is a %s:// URL, not a directory: give a local directory", o.BufferDir, scheme)
	}
	if o.BufferDir == "" {
		o.BufferDir = defaultBufferDir()
	}
	if o.BufferPerm == 0 {
		o.BufferPerm = DefaultBufferPerm
	}
	if o.BufferPerm&^fs.ModePerm != 0 || o.BufferPerm&0o600 != 0o600 {
		return bad("BufferPerm %v: give permission bits that let the owner read and write, e.g. 0600 or 0640", o.BufferPerm)
	}
	if o.Destination != "" {
		if err := validateDestination(o.Destination); err != nil {
			return bad("Destination: %v", err)
		}
		o.Destination = strings.TrimRight(o.Destination, "/")
	}
	if o.Mode == "" {
		o.Mode = committer.ModeDirectory
	}
	if _, err := committer.ParseMode(string(o.Mode)); err != nil {
		return bad("Mode: %v", err)
	}
	if o.Conflict == "" {
		o.Conflict = committer.ConflictFail
	}
	if _, err := committer.ParseConflictMode(string(o.Conflict)); err != nil {
		return bad("Conflict: %v", err)
	}
	if o.Conflict == committer.ConflictReplace && o.DisableUniqueFilenames {
		return bad("the replace conflict mode needs unique filenames: without them (DisableUniqueFilenames) a completion overwrites an old object " +
			"of the same name, and a job that then fails cannot bring it back; keep unique filenames, or use the fail or append mode")
	}
	if o.PartSize == 0 {
		o.PartSize = multipart.DefaultPartSize
	}
	if _, err := multipart.PlanParts(0, o.PartSize); err != nil {
		return bad("PartSize: %v", err)
	}
	if o.Checksums < multipart.ChecksumStoreVerified || o.Checksums > multipart.ChecksumOff {
		return bad("Checksums: unknown mode %v", o.Checksums)
	}
	if o.DeferredPutThreshold < 0 || o.DeferredPutThreshold > multipart.MaxPartSize {
		return bad("DeferredPutThreshold %d: give a size from 0 (defer nothing) to %d bytes, the largest single PutObject",
			o.DeferredPutThreshold, multipart.MaxPartSize)
	}
	if o.LockLease < 0 {
		return bad("LockLease %v must not be negative; 0 means the default, %v", o.LockLease, defaultLease)
	}
	if o.UploadConcurrency < 0 || o.CommitConcurrency < 0 || o.Retry.MaxAttempts < 0 {
		return bad("UploadConcurrency (%d), CommitConcurrency (%d) and Retry.MaxAttempts (%d) must not be negative",
			o.UploadConcurrency, o.CommitConcurrency, o.Retry.MaxAttempts)
	}
	if o.UploadConcurrency == 0 {
		o.UploadConcurrency = multipart.DefaultConcurrency
	}
	if o.CommitConcurrency == 0 {
		o.CommitConcurrency = DefaultCommitConcurrency
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// validateDestination checks a destination prefix: not empty, no leading
// '/', and each segment a valid path segment.
func validateDestination(dest string) error {
	trimmed := strings.TrimRight(dest, "/")
	switch {
	case trimmed == "":
		return fmt.Errorf("the destination %q is empty; give a key prefix such as \"warehouse/events\"", dest)
	case strings.HasPrefix(trimmed, "/"):
		return fmt.Errorf("the destination %q starts with '/'; give the key prefix without it, e.g. %q", dest, strings.TrimLeft(trimmed, "/"))
	}
	if _, err := committer.CleanRelativePath(trimmed); err != nil {
		return fmt.Errorf("the destination: %w", err)
	}
	return nil
}

// urlScheme reports whether dir is a URL ("s3://bucket/x", "file:///x")
// rather than a path, with its scheme. Taken as a path, "s3://b/x" would
// be the relative directory "s3:/b/x".
func urlScheme(dir string) (string, bool) {
	scheme, _, ok := strings.Cut(dir, "://")
	if !ok || scheme == "" {
		return "", false
	}
	for i, r := range scheme {
		letter := 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
		if !letter && (i == 0 || !('0' <= r && r <= '9' || r == '+' || r == '-' || r == '.')) {
			return "", false
		}
	}
	return scheme, true
}
