package miniocontainer_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/s3commit/s3commit/multipart/storetest/miniocontainer"
)

func TestStartForTest(t *testing.T) {
	c := miniocontainer.StartForTest(t, miniocontainer.Options{})
	if !strings.HasPrefix(c.Endpoint(), "http://") || c.Host() == "" {
		t.Fatalf("Endpoint %q, Host %q", c.Endpoint(), c.Host())
	}
	if c.Region() != miniocontainer.DefaultRegion {
		t.Errorf("Region = %q", c.Region())
	}

	client, err := minio.New(c.Host(), &minio.Options{
		Creds:        credentials.NewStaticV4(c.AccessKeyID(), c.SecretAccessKey(), ""),
		Region:       c.Region(),
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := client.MakeBucket(ctx, "lake", minio.MakeBucketOptions{Region: c.Region()}); err != nil {
		t.Fatalf("MakeBucket: %v", err)
	}
	want := []byte("all or nothing\n")
	if _, err := client.PutObject(ctx, "lake", "events/part-0000.jsonl", bytes.NewReader(want), int64(len(want)), minio.PutObjectOptions{}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	obj, err := client.GetObject(ctx, "lake", "events/part-0000.jsonl", minio.GetObjectOptions{})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	defer obj.Close()
	got, err := io.ReadAll(obj)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("object = %q, %v; want %q", got, err, want)
	}
}
