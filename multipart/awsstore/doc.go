// Package awsstore implements [multipart.Store] on aws-sdk-go-v2
// (service/s3), for AWS S3 and S3-compatible stores such as MinIO, Pure
// FlashBlade, versitygw and Ceph RGW.
//
// Create a store with [New], which builds an S3 client from [Options] and
// the standard AWS configuration (environment, shared config and
// credentials files, AWS_PROFILE, AWS_ENDPOINT_URL), or with
// [NewFromClient] around a client you configured yourself:
//
//	st, err := awsstore.New(ctx, awsstore.Options{
//		Bucket:       "lake",
//		EndpointURL:  "http://minio.example:9000",
//		UsePathStyle: true,
//	})
//
// The zero value of every option is a working default. The defaults are
// chosen for S3-compatible stores: request checksums only where an
// operation requires them ([ChecksumWhenRequired]; aws-sdk-go-v2 otherwise
// adds CRC checksums to every upload, which some stores reject) and an
// HTTP connection pool sized for parallel uploads ([DefaultMaxConnections]).
// Over plain HTTP the SDK hashes every request body with SHA-256 to sign
// it; [UnsignedPayload] skips that hash for parts and small objects.
//
// The SDK makes one attempt per request ([Options.RetryMaxAttempts]):
// s3commit retries in one layer, [multipart.RetryingStore]. The
// [multipart.Uploader] puts one around its store; wrap the store in one
// with [multipart.NewRetryingStore] where you call it yourself.
//
// Every error a Store returns is a [*multipart.Error] whose Kind is
// classified from the S3 error code and HTTP status
// ([storekit.ClassifyHTTP]) or is [multipart.ErrNetwork] for transport
// failures; the SDK's error stays reachable with errors.As (for example as
// a [github.com/aws/smithy-go.APIError]). Cancelled or expired contexts are
// left unclassified and match context.Canceled or context.DeadlineExceeded
// with errors.Is.
package awsstore
