package multipart

import (
	"crypto/md5"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMultipartETag(t *testing.T) {
	const (
		md5Empty = "d41d8cd98f00b204e9800998ecf8427e" // MD5 of no bytes
		md5A     = "0cc175b9c0f1b6a831c399e269772661" // MD5 of "a"
		md5B     = "92eb5ffee6ae2fec3ad71c777531578f" // MD5 of "b"
	)
	// The expected values were computed independently (Python's hashlib).
	tests := []struct {
		name  string
		parts []string
		want  string
		ok    bool
	}{
		{"one empty part", []string{md5Empty}, "59adb24ef3cdbe0297f05b395827453f-1", true},
		{"two parts", []string{md5A, md5B}, "96e024ba2074fe77e8e965ba43a704be-2", true},
		{"the same part thrice", []string{md5A, md5A, md5A}, "1ebad6f0747a7f2d4f2c57065871b692-3", true},
		{"quoted", []string{`"` + md5A + `"`, `"` + md5B + `"`}, "96e024ba2074fe77e8e965ba43a704be-2", true},
		{"weak and spaced", []string{` W/"` + md5A + `" `, md5B}, "96e024ba2074fe77e8e965ba43a704be-2", true},
		{"upper-case hex", []string{strings.ToUpper(md5A), md5B}, "96e024ba2074fe77e8e965ba43a704be-2", true},
		{"no parts", nil, "", false},
		{"empty ETag", []string{md5A, ""}, "", false},
		{"too short", []string{md5A[:31]}, "", false},
		{"too long", []string{md5A + "0"}, "", false},
		{"not hex", []string{"0cc175b9c0f1b6a831c399e26977266g"}, "", false},
		{"a multipart ETag as a part", []string{"96e024ba2074fe77e8e965ba43a704be-2"}, "", false},
		{"SHA-256 (not MD5)", []string{"ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"}, "", false},
		{"quotes only", []string{`""`}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := MultipartETag(tt.parts)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestMultipartETagPartCount(t *testing.T) {
	parts := make([]string, MaxParts+1)
	for i := range parts {
		sum := md5.Sum([]byte{byte(i), byte(i >> 8)})
		parts[i] = hex.EncodeToString(sum[:])
	}
	etag, ok := MultipartETag(parts[:MaxParts])
	assert.True(t, ok)
	assert.True(t, strings.HasSuffix(etag, "-10000"), etag)
	_, ok = MultipartETag(parts)
	assert.False(t, ok, "more parts than an upload may have")
}

// FuzzMultipartETag checks that MultipartETag never panics and, where it
// predicts an ETag, returns 32 lower-case hex digits, "-" and the part
// count, the same for any quoting or case of the part ETags.
func FuzzMultipartETag(f *testing.F) {
	f.Add("d41d8cd98f00b204e9800998ecf8427e", `"0CC175B9C0F1B6A831C399E269772661"`)
	f.Add("", "x")
	f.Add(`W/"92eb5ffee6ae2fec3ad71c777531578f"`, "96e024ba2074fe77e8e965ba43a704be-2")
	f.Fuzz(func(t *testing.T, a, b string) {
		etag, ok := MultipartETag([]string{a, b})
		if !ok {
			if etag != "" {
				t.Fatalf("MultipartETag(%q, %q) = %q, false: want no ETag", a, b, etag)
			}
			return
		}
		digest, n, found := strings.Cut(etag, "-")
		if !found || n != "2" || len(digest) != 32 || strings.ToLower(digest) != digest {
			t.Fatalf("MultipartETag(%q, %q) = %q", a, b, etag)
		}
		if _, err := hex.DecodeString(digest); err != nil {
			t.Fatalf("MultipartETag(%q, %q) = %q: %v", a, b, etag, err)
		}
		again, ok := MultipartETag([]string{`"` + strings.ToUpper(NormalizeETag(a)) + `"`, NormalizeETag(b)})
		if !ok || again != etag {
			t.Fatalf("MultipartETag of the requoted ETags = %q, %v; want %q", again, ok, etag)
		}
	})
}
