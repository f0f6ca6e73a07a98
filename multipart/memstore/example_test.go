package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/memstore"
)

// A multipart upload of one part, completed and read back.
func Example() {
	ctx := context.Background()
	store := memstore.New("lake")
	key := "events/part-0000.jsonl"
	data := `{"id":1}` + "\n"

	id, err := store.CreateUpload(ctx, key, multipart.CreateOptions{})
	if err != nil {
		panic(err)
	}
	part, err := store.UploadPart(ctx, key, id, 1, strings.NewReader(data), int64(len(data)), multipart.PartOptions{})
	if err != nil {
		panic(err)
	}
	etag, err := store.CompleteUpload(ctx, key, id, []multipart.Part{part}, multipart.CompleteOptions{IfNoneMatch: true})
	if err != nil {
		panic(err)
	}

	r, info, err := store.GetObject(ctx, key)
	if err != nil {
		panic(err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s", got)
	fmt.Println(info.Size, info.ETag == etag, strings.HasSuffix(etag, "-1"))
	fmt.Println("uploads left:", store.Server().UploadCount("lake"))

	// The upload ID is unknown once completed.
	err = store.AbortUpload(ctx, key, id)
	fmt.Println(errors.Is(err, multipart.ErrNoSuchUpload))
	// Output:
	// {"id":1}
	// 9 true true
	// uploads left: 0
	// true
}

// A server with credentials, and stores that emulate a MinIO server.
func ExampleServer() {
	ctx := context.Background()
	srv := memstore.NewServer()
	if err := srv.CreateBucket("lake"); err != nil {
		panic(err)
	}
	srv.RequireCredentials("job", "secret")

	minio := srv.Store("lake", memstore.Options{
		AccessKeyID:             "job",
		SecretAccessKey:         "secret",
		ListUploadsExactKeyOnly: true,
	})
	if _, err := minio.CreateUpload(ctx, "out/a.parquet", multipart.CreateOptions{}); err != nil {
		panic(err)
	}
	count := func(prefix string) int {
		n := 0
		for _, err := range minio.ListUploads(ctx, prefix) {
			if err != nil {
				panic(err)
			}
			n++
		}
		return n
	}
	fmt.Println(count("out/"), count("out/a.parquet"), count(""))

	intruder := srv.Store("lake", memstore.Options{AccessKeyID: "job", SecretAccessKey: "guess"})
	_, err := intruder.HeadObject(ctx, "out/a.parquet")
	fmt.Println(errors.Is(err, multipart.ErrAccessDenied))

	missing := srv.Store("no-such-bucket", memstore.Options{AccessKeyID: "job", SecretAccessKey: "secret"})
	_, err = missing.HeadObject(ctx, "out/a.parquet")
	fmt.Println(errors.Is(err, multipart.ErrBucketNotFound))
	// Output:
	// 0 1 1
	// true
	// true
}

// Stores that answer a repeated completion as MinIO and versitygw do: the
// first completion took effect, but its answer was lost, and the client
// sends it again.
func ExampleMinIOOptions() {
	ctx := context.Background()
	repeat := func(opts memstore.Options) {
		srv := memstore.NewServer()
		if err := srv.CreateBucket("lake"); err != nil {
			panic(err)
		}
		st := srv.Store("lake", opts)
		id, err := st.CreateUpload(ctx, "out/a.parquet", multipart.CreateOptions{})
		if err != nil {
			panic(err)
		}
		part, err := st.UploadPart(ctx, "out/a.parquet", id, 1, strings.NewReader("data"), 4, multipart.PartOptions{})
		if err != nil {
			panic(err)
		}
		parts := []multipart.Part{part}
		exclusive := multipart.CompleteOptions{IfNoneMatch: true}
		if _, err := st.CompleteUpload(ctx, "out/a.parquet", id, parts, exclusive); err != nil {
			panic(err)
		}
		_, withCondition := st.CompleteUpload(ctx, "out/a.parquet", id, parts, exclusive)
		_, without := st.CompleteUpload(ctx, "out/a.parquet", id, parts, multipart.CompleteOptions{})
		fmt.Println(multipart.KindOf(withCondition), "|", multipart.KindOf(without))
	}
	repeat(memstore.Options{})          // S3's order
	repeat(memstore.MinIOOptions())     // MinIO's
	repeat(memstore.VersityGWOptions()) // versitygw's
	// Output:
	// no such multipart upload | no such multipart upload
	// precondition failed | no such multipart upload
	// <nil> | <nil>
}
