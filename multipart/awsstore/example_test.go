package awsstore_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/awsstore"
)

// ExampleNew makes a Store for a local MinIO with explicit keys and asks
// whether a job has committed its output. It needs an S3-compatible server
// and therefore has no Output line. The examples of package multipart show
// what else to do with a Store.
func ExampleNew() {
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

	info, err := st.HeadObject(ctx, "events/_SUCCESS")
	switch {
	case errors.Is(err, multipart.ErrNotFound):
		fmt.Println("events/ is not committed yet")
	case err != nil:
		log.Fatal(err)
	default:
		fmt.Println("events/ was committed at", info.LastModified)
	}
}
