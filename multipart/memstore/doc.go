// Package memstore is an in-memory [multipart.Store] that enforces the rules
// of S3, so that data jobs built on s3commit can be unit-tested without a
// server.
//
// A [Server] holds buckets; [Server.Store] gives one bucket's view of it,
// and [New] is the shortcut for the common case of one server with one
// bucket:
//
//	store := memstore.New("lake")
//	id, err := store.CreateUpload(ctx, "events/part-0000.jsonl", multipart.CreateOptions{})
//
// memstore answers as S3 does, with the error kinds of package multipart:
//
//   - keys are 1 to 1024 bytes of valid UTF-8 ([multipart.ErrInvalidArgument]);
//   - part numbers are 1 to 10,000, parts and single PUTs at most 5 GiB, and
//     every part of a completed upload but the last at least 5 MiB
//     ([multipart.ErrInvalidArgument], [multipart.ErrInvalidPart]);
//   - CompleteUpload requires parts in strictly ascending order with the
//     ETags returned by UploadPart ([multipart.ErrInvalidPart]); the object
//     holds the listed parts only, its ETag is S3's multipart ETag, and the
//     upload ID is unknown afterwards ([multipart.ErrNoSuchUpload]);
//   - If-None-Match and If-Match conditions are enforced
//     ([multipart.ErrPreconditionFailed]), unless
//     [Options.IgnoreConditionalWrites] emulates a store that ignores them;
//   - listings are sorted and fetched page by page, [Options.ListPageSize]
//     entries at a time, as a client of a real server does.
//
// Options also emulate known differences between stores: MinIO's
// ListMultipartUploads, which only matches an exact key
// ([Options.ListUploadsExactKeyOnly]); MinIO's CompleteMultipartUpload,
// which evaluates If-None-Match and If-Match before it looks the upload up
// ([Options.PreconditionBeforeUploadLookup]); versitygw's, which answers
// success for an unknown upload at a key that holds an object
// ([Options.CompleteUnknownUploadSucceedsIfObjectExists]); and stores that
// accept and ignore conditional writes. [MinIOOptions] and
// [VersityGWOptions] set every departure of the pinned MinIO and versitygw
// in one line; the conformance suite asserts the same departures on the
// real servers, so that code tested on memstore sees what they do:
//
//	store := srv.Store("lake", memstore.MinIOOptions())
//
// [Server.RequireCredentials] makes stores with the
// wrong credentials fail with [multipart.ErrAccessDenied], and a store on a
// missing bucket fails with [multipart.ErrBucketNotFound].
//
// Every error is a [*multipart.Error] whose Err is an [*APIError] carrying
// the S3 error code a real store would have answered (for example
// "EntityTooSmall" or "NoSuchUpload"); errors of a done context wrap
// [context.Canceled] or [context.DeadlineExceeded].
//
// memstore departs from S3 in a few ways: it keeps uncompleted uploads
// forever (MinIO reaps them after 24 h; see [Server.SetClock] to test
// age-based clean-up), it keeps times at full resolution, it checks no
// checksums but the part ETags and those of the algorithms of package
// multipart sent with parts, completions and puts, it keeps no checksum
// for an object put without one (versitygw v1.8.0 computes a CRC64NVME
// for it; MinIO keeps none), and it has no limit on an object's total
// size but memory. [Options.MinPartSize] can lower the 5 MiB part minimum
// so that tests stay fast; code tested that way may still be rejected by a
// real store.
//
// A Server and its Stores are safe for concurrent use.
package memstore
