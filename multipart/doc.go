// Package multipart is s3commit's object-store layer.
//
// It defines [Store], one bucket's view of an S3-compatible object store with
// the multipart-upload calls the committer is built on (create, upload part,
// complete, abort, list uploads, list parts) and the small-object calls it
// needs for markers and manifests (put, get, head, list, delete).
// Backends live in sub-packages: awsstore (aws-sdk-go-v2), miniostore
// (minio-go/v7) and memstore (in memory, for tests). Every backend and every
// wrapper passes the conformance suite in multipart/storetest.
//
// On top of Store this package provides part planning ([PlanParts]) and
// the file [Uploader] that turns a local file into an uncompleted
// multipart upload ([Uploaded]). Package
// [github.com/s3commit/s3commit/pendingset] records such uploads in the
// format of Hadoop's S3A committers.
//
// It also states S3's limits on listing and deleting ([MaxListPageSize],
// [MaxDeleteKeys]) and its rules for bucket names ([ValidateBucketName]).
// What a Store backend's author needs besides (an exact-length request
// body, paged listings, the classification of HTTP answers, the shared
// request runner of the S3 backends) is in package
// [github.com/s3commit/s3commit/multipart/storekit].
//
// Errors returned by a Store are classified into kinds ([ErrNotFound],
// [ErrNoSuchUpload], [ErrPreconditionFailed], …) that callers test with
// [errors.Is]; the backend's own error stays reachable with [errors.As]. A
// store that misbehaves is stopped with errors that match
// [ErrEndlessListing] (a listing that would not end) or
// [ErrResponseTooLarge] (an answer far larger than the request calls for).
package multipart
