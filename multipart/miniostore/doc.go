// Package miniostore implements [multipart.Store] on the Core API of
// minio-go/v7, for MinIO and other S3-compatible stores (AWS S3, Pure
// FlashBlade, versitygw, Ceph RGW).
//
// Create a store with [New], which builds a minio-go client from [Options],
// or with [NewFromCore] around a client you configured yourself:
//
//	st, err := miniostore.New(miniostore.Options{
//		Bucket:          "lake",
//		Endpoint:        "http://minio.example:9000",
//		AccessKeyID:     "…",
//		SecretAccessKey: "…",
//	})
//
// Without explicit keys the credentials come from the environment
// (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, MINIO_ROOT_USER /
// MINIO_ROOT_PASSWORD, MINIO_ACCESS_KEY / MINIO_SECRET_KEY) or the shared
// AWS credentials file (AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE).
//
// Over plain HTTP minio-go signs part and object bodies with a streaming
// SHA-256 signature; [Options.UnsignedPayload] turns that off to save CPU.
// Over HTTPS bodies are sent unsigned.
//
// minio-go makes one attempt per request ([Options.RetryMaxAttempts]):
// s3commit retries in one layer, [multipart.RetryingStore]. The
// [multipart.Uploader] puts one around its store; wrap the store in one
// with [multipart.NewRetryingStore] where you call it yourself.
//
// Every error a Store returns is a [*multipart.Error] whose Kind is
// classified from the S3 error code and HTTP status
// ([storekit.ClassifyHTTP]) or is [multipart.ErrNetwork] for transport
// failures; minio-go's error stays reachable with errors.As (as a
// [github.com/minio/minio-go/v7.ErrorResponse] when the store answered).
// Cancelled or expired contexts are left unclassified and match
// context.Canceled or context.DeadlineExceeded with errors.Is.
package miniostore
