// Package pendingset reads and writes the records of uncompleted multipart
// uploads in the JSON format of Hadoop's S3A committers, as package
// success does for the _SUCCESS manifest.
//
// An [Upload] is one uncompleted upload (Hadoop's SinglePendingCommit, a
// ".pending" file): the object it becomes and its parts' ETags. A [Set] is
// the uploads a task attempt committed (Hadoop's PendingSet, a
// ".pendingset" file), which a job commit completes. [UploadOf] records an
// upload made by a [multipart.Uploader]; [Upload.CompleteOptions] gives
// the options that complete it with the store checking the whole file's
// checksum.
//
// s3commit's own additions are fields Hadoop ignores (checksums) or, for
// what Hadoop must not take for an upload (files deferred to the job
// commit, [DeferredPut]), a format version Hadoop refuses
// ([SetVersionDeferred]). [DecodeSet] and [DecodeUpload] read every
// version Hadoop 3.1 to trunk writes; they validate what they read and
// return errors matching [ErrInvalidRecord], with the field at fault in a
// [*RecordError].
package pendingset
