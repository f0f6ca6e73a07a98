package faultstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/multipart/memstore"
)

// Fail the second PutObject with a throttling error, as a busy store would.
func Example() {
	ctx := context.Background()
	st := faultstore.New(memstore.New("bucket"),
		faultstore.FailNth(faultstore.OpPutObject, 2, multipart.ErrThrottled))
	for _, key := range []string{"a", "b", "c"} {
		_, err := st.PutObject(ctx, key, bytes.NewReader([]byte(key)), 1, multipart.PutOptions{})
		fmt.Printf("put %s: throttled=%v retryable=%v\n", key,
			errors.Is(err, multipart.ErrThrottled), multipart.IsRetryable(err))
	}
	fmt.Println("PutObject calls:", st.Calls(faultstore.OpPutObject))
	// Output:
	// put a: throttled=false retryable=false
	// put b: throttled=true retryable=true
	// put c: throttled=false retryable=false
	// PutObject calls: 3
}
