package multipart_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/memstore"
)

// An upload stays invisible until it is completed, and completes only if
// no object exists under the key yet. Any Store does the same: memstore
// here, awsstore or miniostore on a real server.
func ExampleStore_CompleteUpload() {
	ctx := context.Background()
	st := memstore.New("lake")

	key := "events/part-00000.jsonl"
	for _, data := range []string{`{"id":1}`, `{"id":2}`} {
		uploadID, err := st.CreateUpload(ctx, key, multipart.CreateOptions{ContentType: "application/jsonl"})
		if err != nil {
			panic(err)
		}
		part, err := st.UploadPart(ctx, key, uploadID, 1, bytes.NewReader([]byte(data)), int64(len(data)), multipart.PartOptions{})
		if err != nil {
			panic(err)
		}
		// Nothing is visible under key yet; the upload ID and part ETag
		// are all that is needed to complete it later, from any process.
		_, err = st.CompleteUpload(ctx, key, uploadID, []multipart.Part{part},
			multipart.CompleteOptions{IfNoneMatch: true})
		switch {
		case errors.Is(err, multipart.ErrPreconditionFailed):
			fmt.Println("an object already exists under", key)
			_ = st.AbortUpload(ctx, key, uploadID)
		case err != nil:
			panic(err)
		default:
			fmt.Println("committed", data)
		}
	}
	// Output:
	// committed {"id":1}
	// an object already exists under events/part-00000.jsonl
}
