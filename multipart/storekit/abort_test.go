package storekit

import (
	"context"
	"errors"
	"testing"

	"github.com/s3commit/s3commit/multipart"
)

func TestAbortUpload(t *testing.T) {
	ctx, cancelled := context.Background(), cancelledContext()
	cases := []struct {
		name       string
		ctx        context.Context
		exists     error // the error of the existence check
		abort      error // the error of the abort
		wantAbort  bool  // the abort is sent
		wantKind   error
		wantFailed bool
	}{
		{"exists", ctx, nil, nil, true, nil, false},
		{"unknown upload", ctx, answer{"NoSuchUpload", 404}, nil, false, multipart.ErrNoSuchUpload, true},
		{"missing bucket", ctx, answer{"NoSuchBucket", 404}, nil, false, multipart.ErrBucketNotFound, true},
		{"check denied, abort allowed", ctx, answer{"AccessDenied", 403}, nil, true, nil, false},
		{"check throttled, abort fails", ctx, answer{"SlowDown", 503}, answer{"InternalError", 500}, true, multipart.ErrServer, true},
		{"context ended during the check", cancelled, context.Canceled, nil, false, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, _ := newTestRequests()
			aborted := false
			err := r.AbortUpload(c.ctx, "k", "up",
				func() error { return c.exists },
				func() error { aborted = true; return c.abort })
			if aborted != c.wantAbort {
				t.Errorf("abort sent: %v, want %v", aborted, c.wantAbort)
			}
			if !c.wantFailed {
				if err != nil {
					t.Fatalf("AbortUpload = %v", err)
				}
				return
			}
			e := requireKind(t, err, c.wantKind)
			if e.Op != "AbortMultipartUpload" || e.Key != "k" || e.UploadID != "up" {
				t.Errorf("error fields: %+v", e)
			}
			if c.ctx.Err() != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("error %v is not the cancellation", err)
			}
		})
	}
}
