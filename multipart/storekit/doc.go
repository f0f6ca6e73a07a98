// Package storekit is the kit for authors of a [multipart.Store] backend.
//
// It is what the S3 backends of package multipart
// (multipart/awsstore on aws-sdk-go-v2 and multipart/miniostore on
// minio-go/v7) have in common: the part of every [multipart.Store] method
// that does not depend on the client library.
//
// A backend makes one [Requests] per Store and hands each method's request
// to it as a function that calls the client library. Requests checks the
// arguments before anything is sent, logs every request and turns the
// library's errors into [*multipart.Error] values whose kinds [Classify]
// finds. It also works around the quirks of S3-compatible stores in one
// place: MinIO's silent abort of unknown uploads ([Requests.AbortUpload])
// and versitygw's upload-listing markers ([Requests.ListUploads]). And it
// keeps a misbehaving store from turning the backends against their user:
// listings that would not end ([PageGuard], [Listing.Pages]), answers too
// large to read ([NewTransport]), and endpoints with passwords in errors
// and logs ([RedactURL]).
//
// The same helpers serve a backend outside this module, on another client
// library or another protocol:
//
//   - [SizedBody] is a request body of exactly the declared length that
//     never closes or over-reads the caller's file, and rewinds to its own
//     start for a client's hashing pass or retry;
//   - [Paginate] turns a paged listing into the iterator that
//     [multipart.Store.ListUploads] and [multipart.Store.ListObjects]
//     return;
//   - [ClassifyHTTP] and [IsNetworkError] map S3 error codes, HTTP statuses
//     and transport failures to the error kinds of package multipart, so
//     that every backend classifies the same answer the same way.
//
// A backend checks itself with the conformance suite of package
// multipart/storetest.
package storekit
