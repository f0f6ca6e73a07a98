package miniostore_test

import (
	"context"
	"fmt"
	"log"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/miniostore"
	"github.com/s3commit/s3commit/pendingset"
)

// ExampleNew makes a Store for a local MinIO with a connection pool for
// many parallel part uploads, and uploads a file as a multipart upload
// that stays invisible until it is completed. It needs an S3-compatible
// server and therefore has no Output line. The examples of package
// multipart show how to complete such an upload.
func ExampleNew() {
	const concurrency = 128
	st, err := miniostore.New(miniostore.Options{
		Bucket:   "lake",
		Endpoint: "http://127.0.0.1:9000",
		// Leave the keys empty to take them from AWS_ACCESS_KEY_ID /
		// AWS_SECRET_ACCESS_KEY, MINIO_ROOT_USER / MINIO_ROOT_PASSWORD or
		// the shared AWS credentials file.
		AccessKeyID:     "minioadmin",
		SecretAccessKey: "minioadmin",
		MaxConnections:  concurrency, // at least the number of concurrent part uploads
	})
	if err != nil {
		log.Fatal(err)
	}

	uploader, err := multipart.NewUploader(st, multipart.UploaderOptions{Concurrency: concurrency})
	if err != nil {
		log.Fatal(err)
	}
	uploaded, err := uploader.UploadFile(context.Background(), "part-00000.jsonl", "events/part-00000.jsonl")
	if err != nil {
		log.Fatal(err)
	}
	pending := pendingset.UploadOf(uploaded)
	fmt.Println("upload", pending.UploadID, "of", pending.Key, "waits for completion")
}
