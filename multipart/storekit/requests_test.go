package storekit

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/s3commit/s3commit/multipart"
)

func TestRequestsError(t *testing.T) {
	r, _ := newTestRequests()
	backend := answer{"NoSuchUpload", 404}
	e := r.Error(context.Background(), "UploadPart", "k", "up", backend)
	if e.Op != "UploadPart" || e.Bucket != "bkt" || e.Key != "k" || e.UploadID != "up" {
		t.Errorf("fields: %+v", e)
	}
	if !errors.Is(e, multipart.ErrNoSuchUpload) {
		t.Errorf("errors.Is(%v, ErrNoSuchUpload) = false", e)
	}
	var a answer
	if !errors.As(e, &a) || a != backend {
		t.Errorf("errors.As does not reach the library's error")
	}

	// A transport error once the context is done is the cancellation.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e = r.Error(ctx, "GetObject", "k", "", syscall.ECONNRESET)
	if e.Kind != nil || !errors.Is(e, context.Canceled) || !errors.Is(e, syscall.ECONNRESET) || multipart.IsRetryable(e) {
		t.Errorf("cancelled transport failure: kind %v, %v", e.Kind, e)
	}
	// So is an error without a kind.
	e = r.Error(ctx, "GetObject", "k", "", errors.New("something else"))
	if e.Kind != nil || !errors.Is(e, context.Canceled) {
		t.Errorf("cancelled unclassified failure: kind %v, %v", e.Kind, e)
	}
	// An answer of the store keeps its kind even when ctx is done.
	e = r.Error(ctx, "PutObject", "k", "", answer{"PreconditionFailed", 412})
	if e.Kind != multipart.ErrPreconditionFailed || errors.Is(e, context.Canceled) {
		t.Errorf("Kind = %v, want ErrPreconditionFailed alone", e.Kind)
	}
	// The context's own error is not wrapped twice.
	e = r.Error(ctx, "PutObject", "k", "", context.Canceled)
	if e.Err != context.Canceled {
		t.Errorf("Err = %v, want context.Canceled itself", e.Err)
	}
}

func TestRequestsDoneAndLog(t *testing.T) {
	r, logs := newTestRequests()
	ctx := context.Background()
	start := time.Now()
	if err := r.Done(ctx, "HeadObject", "dir/k", "", start, nil); err != nil {
		t.Errorf("Done(nil) = %v", err)
	}
	err := r.Done(ctx, "UploadPart", "dir/k", "up-1", start, answer{"SlowDown", 503})
	requireKind(t, err, multipart.ErrThrottled)

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log records, want 2:\n%s", len(lines), logs)
	}
	for _, want := range []string{`msg="teststore: HeadObject"`, "op=HeadObject", "bucket=bkt", "key=dir/k", "duration="} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("record %q lacks %q", lines[0], want)
		}
	}
	if strings.Contains(lines[0], "upload_id") || strings.Contains(lines[0], "error") {
		t.Errorf("record of a success names an upload or an error: %q", lines[0])
	}
	for _, want := range []string{`msg="teststore: UploadPart"`, "upload_id=up-1", "error=SlowDown", `kind="request throttled"`} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("record %q lacks %q", lines[1], want)
		}
	}

	// No logger, or a logger above debug level: nothing is written.
	logs.Reset()
	r.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	_ = r.Done(ctx, "HeadObject", "k", "", start, nil)
	r.Logger = nil
	_ = r.Done(ctx, "HeadObject", "k", "", start, answer{"NoSuchKey", 404})
	if logs.Len() != 0 {
		t.Errorf("logged above debug level: %s", logs)
	}
}
