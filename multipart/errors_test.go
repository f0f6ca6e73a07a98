package multipart

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestErrorIsAndAs(t *testing.T) {
	backend := &net.OpError{Op: "read", Err: syscall.ECONNRESET}
	err := fmt.Errorf("task commit: %w", &Error{
		Op: "UploadPart", Bucket: "lake", Key: "events/a.parquet", UploadID: "u1",
		Kind: ErrNetwork, Err: backend,
	})
	require.ErrorIs(t, err, ErrNetwork)
	require.NotErrorIs(t, err, ErrServer)
	var opErr *net.OpError
	require.ErrorAs(t, err, &opErr, "the backend's error stays reachable")
	assert.Equal(t, ErrNetwork, KindOf(err))
	assert.True(t, IsRetryable(err))
	assert.Equal(t, "task commit: UploadPart s3://lake/events/a.parquet (upload u1): network error: read: connection reset by peer", err.Error())
}

func TestErrorMessageHints(t *testing.T) {
	err := &Error{Op: "CompleteMultipartUpload", Bucket: "b", Key: "k", UploadID: "u", Kind: ErrNoSuchUpload, Err: errors.New("NoSuchUpload: gone")}
	assert.Contains(t, err.Error(), "MINIO_API_STALE_UPLOADS_EXPIRY", "NoSuchUpload names its likely causes")
	err = &Error{Op: "PutObject", Bucket: "b", Kind: ErrAccessDenied, Err: ErrAccessDenied}
	assert.Equal(t, 1, strings.Count(err.Error(), "access denied"), "a kind that is also the cause is not repeated")
}

func TestIsRetryable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"throttled", &Error{Kind: ErrThrottled}, true},
		{"server", &Error{Kind: ErrServer}, true},
		{"network", &Error{Kind: ErrNetwork}, true},
		{"no such upload", &Error{Kind: ErrNoSuchUpload}, false},
		{"access denied", &Error{Kind: ErrAccessDenied}, false},
		{"cancelled", fmt.Errorf("x: %w", context.Canceled), false},
		{"cancelled while throttled", errors.Join(context.Canceled, &Error{Kind: ErrThrottled}), false},
		{"unclassified", errors.New("boom"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, IsRetryable(tt.err)) })
	}
}

func TestNormalizeETag(t *testing.T) {
	for in, want := range map[string]string{
		`"d41d8cd98f00b204e9800998ecf8427e"`: "d41d8cd98f00b204e9800998ecf8427e",
		`d41d8cd98f00b204e9800998ecf8427e`:   "d41d8cd98f00b204e9800998ecf8427e",
		`W/"abc-2"`:                          "abc-2",
		` "abc" `:                            "abc",
		`"`:                                  `"`,
		``:                                   ``,
	} {
		assert.Equal(t, want, NormalizeETag(in), "NormalizeETag(%q)", in)
	}
}

func TestTruncateMessage(t *testing.T) {
	cases := []struct {
		name, msg string
		max       int
		want      string
	}{
		{"short", "abc", 3, "abc"},
		{"empty", "", 0, ""},
		{"cut", "abcdef", 4, "abcd… (6 bytes in all)"},
		{"cut before a character", "abcé", 4, "abc… (5 bytes in all)"},
		{"nothing left", "éé", 1, "… (4 bytes in all)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, TruncateMessage(c.msg, c.max))
		})
	}
}

func TestErrorMessageIsCut(t *testing.T) {
	long := strings.Repeat("a store's message ", 1<<16)
	err := &Error{Op: "ListMultipartUploads", Bucket: "lake", Kind: ErrServer, Err: errors.New(long)}
	msg := err.Error()
	assert.LessOrEqual(t, len(msg), MaxMessage+200)
	assert.True(t, strings.HasPrefix(msg, "ListMultipartUploads s3://lake: server error: a store's message a store's"), msg)
	assert.Contains(t, msg, fmt.Sprintf("(%d bytes in all)", len(long)))
	require.ErrorIs(t, err, ErrServer)

	short := &Error{Op: "GetObject", Bucket: "lake", Key: "k", Kind: ErrNotFound, Err: errors.New("NoSuchKey: gone")}
	assert.Equal(t, "GetObject s3://lake/k: object not found: NoSuchKey: gone", short.Error())
}
