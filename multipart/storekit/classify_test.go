package storekit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"testing"

	"github.com/s3commit/s3commit/multipart"
)

func TestClassify(t *testing.T) {
	errOwn := errors.New("the library's own failure")
	own := func(err error) error {
		if errors.Is(err, errOwn) {
			return multipart.ErrAccessDenied
		}
		return nil
	}
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"nil", nil, nil},
		{"canceled", fmt.Errorf("send: %w", context.Canceled), nil},
		{"deadline", context.DeadlineExceeded, nil},
		{"canceled before own", fmt.Errorf("%w: %w", errOwn, context.Canceled), nil},
		{"short body", fmt.Errorf("hash: %w", ErrShortBody), multipart.ErrInvalidArgument},
		{"short body before own", fmt.Errorf("%w: %w", errOwn, ErrShortBody), multipart.ErrInvalidArgument},
		{"own", fmt.Errorf("sign: %w", errOwn), multipart.ErrAccessDenied},
		{"own before network", fmt.Errorf("%w: %w", errOwn, syscall.ECONNREFUSED), multipart.ErrAccessDenied},
		{"answer", answer{"NoSuchUpload", 404}, multipart.ErrNoSuchUpload},
		{"status only", answer{"", 503}, multipart.ErrThrottled},
		{"unknown answer", answer{"Teapot", 418}, nil},
		{"answer before network", fmt.Errorf("%w: %w", answer{"SlowDown", 503}, io.ErrUnexpectedEOF), multipart.ErrThrottled},
		{"network", fmt.Errorf("read: %w", syscall.ECONNRESET), multipart.ErrNetwork},
		{"unknown answer on a broken connection", fmt.Errorf("%w: %w", answer{"Teapot", 418}, io.ErrUnexpectedEOF), multipart.ErrNetwork},
		{"too large error answer", fmt.Errorf("read body: %w", &TooLargeError{Method: "GET", Status: 500, Limit: MaxErrorBody}), multipart.ErrServer},
		{"too large answer, status lost", &TooLargeError{Method: "GET", Status: 503, Limit: MaxErrorBody}, multipart.ErrThrottled},
		{"too large listing", fmt.Errorf("%w: %w", answer{"", 200}, &TooLargeError{Method: "GET", Status: 200, Limit: MaxResponseBody}), nil},
		{"other", errors.New("something else"), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Classify(c.err, codeStatus, own); got != c.want {
				t.Fatalf("Classify(%v) = %v, want %v", c.err, got, c.want)
			}
		})
	}
	if got := Classify(errOwn, codeStatus, nil); got != nil {
		t.Errorf("Classify without own = %v, want nil", got)
	}
}
