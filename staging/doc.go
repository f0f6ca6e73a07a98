// Package staging is the staging committer of s3commit: the Go counterpart
// of Hadoop S3A's "directory" and "partitioned" staging committers (the
// Netflix design), with all-or-nothing job output on S3-compatible stores
// and no rename.
//
// A task attempt writes its files into a local buffer directory
// ([committer.TaskAttempt.Create] or [committer.TaskAttempt.Dir]). Its
// CommitTask uploads every file as an uncompleted multipart upload and
// publishes the list of uploads (a Hadoop-format pendingset) in the staging
// directory, which the driver and every task share. The first attempt of a
// task to publish wins. CommitJob validates every pendingset before it
// touches the store, completes all uploads in parallel, resolves conflicts
// (fail, append, replace) and writes the JSON _SUCCESS manifest last.
// AbortJob aborts every upload of the job and nothing else.
//
// Two options change where the bytes go. With Options.DeferredPutThreshold
// a task commit records its small files in the pendingset instead of
// uploading them, and the job commit checks each in its own buffer dir
// (which it must share with the tasks) before it writes anything, then
// writes each with one PutObject, journaled and undone like a completion.
// With Options.UploadAtClose a file's upload starts when the task closes
// it; CommitTask keeps the uploads whose files are unchanged since and
// uploads the rest.
//
// # Which files are committed
//
// A task commit uploads every regular file under the attempt's directory
// except those whose own name starts with '_' or '.' (writers keep
// temporary files and markers there). Directories are descended whatever
// their names, as Hadoop's listing does: ".staging/part-0" is committed,
// "dir/.part-0.crc" is not. A file's key is Destination + "/" + its
// relative path, with "-<jobID>" inserted before the first '.' of its name
// unless [Options.DisableUniqueFilenames] is set.
//
// # Layout
//
//	<buffer>/<jobID>/<taskID>_<attempt>/...          files written by an attempt
//	<staging>/<jobID>/job.json                       job record (settings every process uses)
//	<staging>/<jobID>/tasks/<taskID>.pendingset      committed tasks, first publish wins
//	<staging>/<jobID>/tasks.sealed/                  the same directory, renamed when the job
//	                                                 commit (or abort) begins: no task commits after
//	<staging>/<jobID>/attempts/<taskID>_<attempt>.intents
//	                                                 keys an attempt plans and the uploads it
//	                                                 created, appended and fsynced as they happen
//	<staging>/<jobID>/commit/journal                 job-commit journal (resume and revert)
//	<staging>/<jobID>/lock                           flocked by CommitJob and AbortJob
//
// Records are written to a temporary file in the same directory, fsynced
// and renamed into place; a pendingset is published with link(2), which
// fails when the target exists, so exactly one attempt of a task wins. The
// directory is fsynced after each change. Intents and the journal are
// append-only: a last record torn by a crash is cut off before anything is
// appended.
//
// # Two homes
//
// The staging dir is a directory that the driver and every task share
// (NFS, a ReadWriteMany volume), or a prefix of the object store
// (StagingDir s3://bucket/prefix), where nothing is shared between
// processes but the store. The protocol is written once over the records
// it needs (home.go); each home keeps its guarantees with its own
// primitives:
//
//	                       directory                     store (s3://bucket/prefix)
//	job ID taken           rename(2) of a whole dir      PutObject If-None-Match: *
//	first attempt wins     link(2) of the pendingset     PutObject If-None-Match: *
//	seal the tasks         rename tasks/ to tasks.sealed commit/sealing, then commit/sealed naming
//	                                                     the pendingsets taken (a task that published
//	                                                     meanwhile waits for it)
//	intents                lines, fsynced per creation   one object per attempt: the planned keys
//	                                                     before the first upload, with the upload IDs
//	                                                     after the last
//	journal                lines; completions written,   numbered chunk objects, If-None-Match: *,
//	                       fsynced with the next entry   500 entries or 200 ms per chunk
//	                       that must be durable
//	one driver at a time   flock on <job>/lock           a claim on the journal (fencing) and a lease
//	                                                     kept by a heartbeat (Options.LockLease)
//	torn record            cut off when read             none: a PUT is whole or absent
//
// SetupJob with a store home checks once per Committer that the store
// enforces If-None-Match (ErrConditionalWritesIgnored). The flock is
// released by the kernel when a driver dies; a lease is not: a driver that
// resumes the job of a crashed one watches the journal for a lease first.
// A driver stalled for longer than a lease is fenced at its next chunk,
// within a batch interval; the completions it made meanwhile are of the
// job's own uploads, which the new holder settles by asking the store, as
// after a lost answer. In the store home the uploads of an attempt that
// crashes before it wrote their IDs are found by listing its planned keys
// (with unique filenames; without them they are left to the bucket's
// lifecycle rule, as lost creation answers are in the directory home).
//
// # One model of a job's state
//
// Every record of a job is read back as untrusted input (size-limited, keys
// checked to lie under the destination and, with unique filenames, to
// carry the job ID) into one snapshot, and CommitJob, AbortJob and
// InspectJob decide from it with the same pure functions: which phase the
// job is in, which uploads are its own, which keys to sweep for uploads
// nobody recorded. Damaged records stop neither a commit nor an abort; they
// are reported.
//
// # Crashes
//
// A CommitJob whose context is cancelled or expires behaves like a crash of
// the driver: nothing is reverted and the journal stays, so that a later
// CommitJob (in any process, with a new [Committer] and
// [Committer.OpenJob]) resumes, and a later AbortJob rolls back. A
// permanent store error during CommitJob reverts the job (deletes what it
// completed and aborts the rest) unless [Options.KeepStateOnFailure] is set.
// A failure the store did not answer (network errors, 5xx or throttling
// until the retries ran out) reverts nothing: what the calls did is not
// known, so the state is kept as after a crash, for CommitJob or AbortJob
// once the store answers. A rollback journals that it began; a job whose
// rollback did not finish is never resumed as a commit: CommitJob refuses
// it and AbortJob finishes the rollback.
//
// Two states are not rolled back. A job whose _SUCCESS naming it reached
// the store is committed, whatever its journal says: AbortJob finishes its
// cleanup and returns [committer.ErrJobFinished]. A replace commit that has
// journaled the old objects it deletes is past its point of no return: a
// rollback would lose the old and the new data, so a failure keeps the
// state and AbortJob refuses with [ErrPastPointOfNoReturn]; CommitJob
// finishes it.
//
// A call whose answer was lost may have taken effect. A completion sent
// again after one that took effect fails (NoSuchUpload; on MinIO, which
// checks If-None-Match first, 412 PreconditionFailed), so such failures are
// checked against the store (does the upload exist, is the object at its
// key the one it made) before they count as a conflict or a loss; a failed
// _SUCCESS write is checked the same way before a revert.
//
// Uploads that a killed task attempt created but never published are found
// through the attempt's intent records: each upload is recorded right after
// the store created it, and the keys a run of an attempt will upload are
// recorded before any upload starts, so that an upload whose
// CreateMultipartUpload answer was lost, or whose record a crash
// prevented, is still found by listing the uploads of its exact key (which
// works on MinIO, whose listing matches exact keys only) wherever a key was
// planned more often than an upload was recorded there. Such a sweep needs
// unique filenames: without the job ID in the key an unrecorded upload
// could be another job's, and it is left alone.
//
// # MinIO's 24-hour expiry
//
// MinIO deletes uncompleted multipart uploads older than 24 hours by
// default (MINIO_API_STALE_UPLOADS_EXPIRY). A job whose task commits are
// older than that when the job commits fails with an error saying that an
// upload is missing; raise the expiry on the server or commit sooner.
//
// # Metrics and traces
//
// The committer records OpenTelemetry metrics and spans through the API
// alone, from the meter and tracer named [InstrumentationScope], given by
// Options.MeterProvider and Options.TracerProvider or, when they are nil,
// by the global providers, which record nothing unless the program sets
// them. The spans are SetupJob, CommitTask, AbortTask, CommitJob and
// AbortJob, a span per phase of a commit below them (upload, publish,
// complete, delete, write _SUCCESS, cleanup, rollback), and a span per
// store request. The store requests are traced by a wrapper that New puts
// right over the given store, inside the retry layer: a span is one
// request, and a retry is a span of its own whose attempt
// [multipart.Attempt] tells. The metrics (files and bytes committed,
// uploads created, completed and aborted, deferred PUTs, retries and
// errors by kind, durations, jobs committed and rolled back) carry only
// bounded attributes: the store operation, the phase and the error type,
// never a key or a job ID.
package staging
