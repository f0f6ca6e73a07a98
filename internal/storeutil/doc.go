// Package storeutil is what the S3 backends of package multipart
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
// The package is internal because its shape follows the two backends; the
// helpers a Store backend outside this module may rely on are in package
// multipart ([multipart.SizedBody], [multipart.Paginate], the request
// limits).
package storeutil
