package multipart

import (
	"context"
	"io"
	"iter"
	"time"
)

// Store is one bucket's view of an S3-compatible object store.
//
// Keys are object keys within [Store.Bucket]. ETags passed to and returned by
// a Store are normalized: without surrounding double quotes (see
// [NormalizeETag]). All methods are safe for concurrent use. Errors are
// classified with the kinds of this package (see [Error]).
type Store interface {
	// Bucket returns the name of the bucket this store operates on.
	Bucket() string

	// CreateUpload starts a multipart upload for key and returns its upload ID.
	// Nothing becomes visible under key until the upload is completed.
	CreateUpload(ctx context.Context, key string, opts CreateOptions) (uploadID string, err error)

	// UploadPart uploads part number (1 to [MaxParts]) of an upload from body,
	// which holds exactly size bytes. The body is read from its current
	// position; it is seekable so that a backend can sign or retry the
	// request without buffering. An [io.SectionReader] over an open file
	// streams a part from disk. With opts.Checksum the store checks the
	// part's bytes against it and refuses the part when they differ
	// ([ErrChecksumMismatch]); the returned Part carries it.
	UploadPart(ctx context.Context, key, uploadID string, number int32, body io.ReadSeeker, size int64, opts PartOptions) (Part, error)

	// CompleteUpload assembles the given parts, in order, into the object
	// key and returns the object's ETag. After a successful completion the
	// upload ID is unknown to the store ([ErrNoSuchUpload]).
	CompleteUpload(ctx context.Context, key, uploadID string, parts []Part, opts CompleteOptions) (etag string, err error)

	// AbortUpload discards an upload and its parts. Aborting an upload that
	// no longer exists returns [ErrNoSuchUpload].
	AbortUpload(ctx context.Context, key, uploadID string) error

	// ListUploads yields the uncompleted uploads whose key starts with prefix,
	// in key order, fetching pages from the store as the caller iterates.
	// Some stores only match an exact key as prefix (MinIO, see DESIGN.md);
	// callers that need "every upload under a prefix" must cope.
	ListUploads(ctx context.Context, prefix string) iter.Seq2[Upload, error]

	// ListParts returns the parts uploaded so far for an upload, in part
	// number order.
	ListParts(ctx context.Context, key, uploadID string) ([]Part, error)

	// PutObject writes a small object in a single request from body, which
	// holds exactly size bytes, and returns its ETag.
	PutObject(ctx context.Context, key string, body io.ReadSeeker, size int64, opts PutOptions) (etag string, err error)

	// GetObject opens an object for reading. The caller closes the reader.
	GetObject(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error)

	// HeadObject returns an object's metadata, or [ErrNotFound].
	HeadObject(ctx context.Context, key string) (ObjectInfo, error)

	// ListObjects yields the objects whose key starts with prefix, in key
	// order, fetching pages as the caller iterates.
	ListObjects(ctx context.Context, prefix string) iter.Seq2[ObjectInfo, error]

	// DeleteObjects deletes the given keys, batching requests as the store
	// requires. Deleting a key that does not exist is not an error. The
	// returned error joins the errors of the keys that could not be deleted
	// (each a [*Error] naming its key).
	DeleteObjects(ctx context.Context, keys []string) error
}

// CreateOptions are the options of [Store.CreateUpload].
type CreateOptions struct {
	// ContentType of the object once completed; empty leaves it to the store.
	ContentType string
	// Metadata is user metadata (x-amz-meta-*) stored with the object.
	Metadata map[string]string
	// Checksum, when set, creates the upload with this checksum algorithm
	// and checksum type FULL_OBJECT: every part must then be sent with its
	// checksum ([PartOptions.Checksum]) and completed with it
	// ([Part.Checksum]), and the store checks the whole object's checksum
	// given at completion ([CompleteOptions.Checksum]). Stores that do not
	// support it refuse the request or ignore it; probe, do not assume.
	Checksum ChecksumAlgorithm
}

// PartOptions are the options of [Store.UploadPart].
type PartOptions struct {
	// Checksum is the part's checksum, sent with the part
	// (x-amz-checksum-<algorithm>) for the store to check. It must be of
	// the upload's algorithm when the upload was created with one.
	Checksum Checksum
}

// CompleteOptions are the conditions of [Store.CompleteUpload].
type CompleteOptions struct {
	// IfNoneMatch makes the completion fail with [ErrPreconditionFailed]
	// when an object already exists under the key (If-None-Match: *).
	// Not every store enforces it: probe, do not assume.
	IfNoneMatch bool
	// IfMatch, when set, makes the completion fail with
	// [ErrPreconditionFailed] unless the current object has this ETag
	// (also when no object exists: S3 then answers 404 NoSuchKey).
	IfMatch string
	// Checksum, when set, is the whole object's checksum, of the
	// algorithm the upload was created with (x-amz-checksum-<algorithm>
	// with x-amz-checksum-type FULL_OBJECT): a store that keeps full-object
	// checksums refuses the completion when the parts do not add up to it
	// ([ErrChecksumMismatch]).
	Checksum Checksum
	// ObjectSize, when positive, is the object's expected size in bytes,
	// sent as x-amz-mp-object-size: AWS S3 and versitygw refuse the
	// completion when the parts add up to another size
	// ([ErrInvalidArgument], 400 InvalidRequest); MinIO ignores it.
	ObjectSize int64
}

// PutOptions are the options of [Store.PutObject].
type PutOptions struct {
	// ContentType of the object; empty leaves it to the store.
	ContentType string
	// IfNoneMatch makes the put fail with [ErrPreconditionFailed] when an
	// object already exists under the key (If-None-Match: *).
	IfNoneMatch bool
	// Checksum is the whole object's checksum, sent with it
	// (x-amz-checksum-<algorithm>) for the store to check; a store that
	// keeps it reports it, of type FULL_OBJECT, from HeadObject. The zero
	// value sends none.
	Checksum Checksum
}

// Part is one uploaded part of a multipart upload.
type Part struct {
	// Number is the part number, 1 to [MaxParts].
	Number int32
	// ETag is the part's ETag, without quotes.
	ETag string
	// Size is the part's length in bytes.
	Size int64
	// LastModified is when the part was uploaded, where the store reports it
	// (ListParts); zero otherwise.
	LastModified time.Time
	// Checksum is the part's checksum as sent with it ([PartOptions]) or
	// reported by ListParts; completing an upload created with a checksum
	// algorithm sends it.
	Checksum Checksum
}

// Upload is an uncompleted multipart upload as listed by [Store.ListUploads].
type Upload struct {
	Key       string
	UploadID  string
	Initiated time.Time
}

// ObjectInfo describes a visible object.
type ObjectInfo struct {
	Key          string
	Size         int64
	ETag         string
	LastModified time.Time
	// Checksum is the object's checksum as the store keeps it, where
	// [Store.HeadObject] gets it (checksum mode enabled) and the store
	// keeps one; zero otherwise.
	Checksum Checksum
	// ChecksumType is the type of Checksum: [ChecksumTypeFullObject], or
	// "COMPOSITE" for a checksum of the parts' checksums, which does not
	// describe the object's bytes as a whole; empty when unknown.
	ChecksumType string
}
