package multipart_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/memstore"
	"github.com/s3commit/s3commit/pendingset"
)

// A task uploads its output file as an uncompleted multipart upload; the
// pending record is all the driver needs to make it visible later.
func ExampleUploader_UploadFile() {
	ctx := context.Background()
	store := memstore.New("lake")

	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "part-0000.csv")
	_ = os.WriteFile(path, []byte("id,name\n1,ada\n"), 0o600)

	uploader, err := multipart.NewUploader(store, multipart.UploaderOptions{})
	if err != nil {
		panic(err)
	}
	uploaded, err := uploader.UploadFile(ctx, path, "events/part-0000.csv")
	if err != nil {
		panic(err)
	}
	pending := pendingset.UploadOf(uploaded)
	_, err = store.HeadObject(ctx, "events/part-0000.csv")
	fmt.Println("visible before completion:", err == nil)

	// Later, possibly in another process: complete the upload.
	if _, err := store.CompleteUpload(ctx, pending.Key, pending.UploadID, pending.Parts(), multipart.CompleteOptions{}); err != nil {
		panic(err)
	}
	rc, _, _ := store.GetObject(ctx, "events/part-0000.csv")
	data, _ := io.ReadAll(rc)
	rc.Close()
	fmt.Printf("after completion: %q\n", data)
	// Output:
	// visible before completion: false
	// after completion: "id,name\n1,ada\n"
}

// Part planning grows the part size when a file would need more than
// 10,000 parts.
func ExamplePlanParts() {
	plan, err := multipart.PlanParts(1<<40, 64<<20) // 1 TiB with 64 MiB parts
	if err != nil {
		panic(err)
	}
	fmt.Println(plan.Parts, "parts of", plan.PartSize>>20, "MiB")
	// Output: 9987 parts of 105 MiB
}
