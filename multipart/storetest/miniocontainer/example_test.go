package miniocontainer_test

import (
	"context"
	"fmt"
	"log"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/s3commit/s3commit/multipart/storetest/miniocontainer"
)

// Start MinIO in a container, create a bucket in it, and remove the container
// at the end. In a test, StartForTest does the same, skipping the test when
// no Docker engine runs.
func Example() {
	ctx := context.Background()
	c, err := miniocontainer.Start(ctx, miniocontainer.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer func() {
		if err := c.Terminate(ctx); err != nil {
			log.Print(err)
		}
	}()

	client, err := minio.New(c.Host(), &minio.Options{
		Creds:        credentials.NewStaticV4(c.AccessKeyID(), c.SecretAccessKey(), ""),
		Region:       c.Region(),
		BucketLookup: minio.BucketLookupPath, // MinIO needs path-style addressing
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := client.MakeBucket(ctx, "lake", minio.MakeBucketOptions{Region: c.Region()}); err != nil {
		log.Fatal(err)
	}
	fmt.Println("MinIO at", c.Endpoint(), "has bucket lake")
}
