package awsstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/awsstore"
)

// Example_uncompletedUpload uploads data as a multipart upload that stays
// invisible until it is completed, then completes it only if no object
// exists under the key yet. It needs an S3-compatible server (here a local
// MinIO) and therefore has no Output line.
func Example_uncompletedUpload() {
	ctx := context.Background()
	st, err := awsstore.New(ctx, awsstore.Options{
		Bucket:       "lake",
		EndpointURL:  "http://127.0.0.1:9000",
		UsePathStyle: true,
		// Explicit keys; leave Credentials nil to use the AWS chain
		// (environment, AWS_PROFILE, …).
		Credentials: credentials.NewStaticCredentialsProvider("minioadmin", "minioadmin", ""),
		// Skip the SHA-256 of every body on a trusted network.
		PayloadSigning: awsstore.UnsignedPayload,
	})
	if err != nil {
		log.Fatal(err)
	}

	key := "events/part-00000.jsonl"
	data := []byte(`{"id":1}` + "\n")
	uploadID, err := st.CreateUpload(ctx, key, multipart.CreateOptions{ContentType: "application/jsonl"})
	if err != nil {
		log.Fatal(err)
	}
	part, err := st.UploadPart(ctx, key, uploadID, 1, bytes.NewReader(data), int64(len(data)))
	if err != nil {
		log.Fatal(err)
	}
	// Nothing is visible under key yet; the upload ID and part ETag are
	// all that is needed to complete it later, from any process.
	etag, err := st.CompleteUpload(ctx, key, uploadID, []multipart.Part{part},
		multipart.CompleteOptions{IfNoneMatch: true})
	switch {
	case errors.Is(err, multipart.ErrPreconditionFailed):
		fmt.Println("an object already exists under", key)
		_ = st.AbortUpload(ctx, key, uploadID)
	case err != nil:
		log.Fatal(err)
	default:
		fmt.Println("committed", key, "with ETag", etag)
	}
}
