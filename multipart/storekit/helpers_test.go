package storekit

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/s3commit/s3commit/multipart"
)

// answer is an error of the client library of these tests: the store
// answered with an S3 error code and HTTP status.
type answer struct {
	code   string
	status int
}

func (a answer) Error() string { return a.code }

func codeStatus(err error) (string, int) {
	var a answer
	if errors.As(err, &a) {
		return a.code, a.status
	}
	return "", 0
}

// newTestRequests returns Requests on bucket "bkt" for the answer errors,
// logging to the returned buffer.
func newTestRequests() (*Requests, *bytes.Buffer) {
	var logs bytes.Buffer
	return &Requests{
		Backend:    "teststore",
		Bucket:     "bkt",
		Logger:     slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Classify:   func(err error) error { return Classify(err, codeStatus, nil) },
		CodeStatus: codeStatus,
	}, &logs
}

// requireKind fails the test unless err is a *multipart.Error of kind, and
// returns it.
func requireKind(t *testing.T, err, kind error) *multipart.Error {
	t.Helper()
	var e *multipart.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *multipart.Error", err, err)
	}
	if e.Kind != kind {
		t.Fatalf("error %v has kind %v, want %v", err, e.Kind, kind)
	}
	return e
}

// cancelledContext returns a context that is already cancelled.
func cancelledContext() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
