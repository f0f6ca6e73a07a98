package multipart

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidateBucketName(t *testing.T) {
	cases := []struct {
		name    string
		wantErr string // in the error; empty: valid
	}{
		{"abc", ""},
		{"my-bucket.data-2024", ""},
		{"1bucket", ""},
		{"a.b-c", ""},
		{"a-.b", ""},
		{"1.2.3.4.5", ""}, // not an IP address
		{"192.168.5", ""},
		{"xn-bucket", ""},
		{"bucket-s3", ""},
		{"lake--x-s", ""},
		{strings.Repeat("b", 63), ""},
		{"", "must be 3 to 63 characters long"},
		{"ab", "must be 3 to 63 characters long"},
		{strings.Repeat("b", 64), "must be 3 to 63 characters long"},
		{"..", "must be 3 to 63 characters long"},
		{"../x", "may contain only lowercase letters, digits, dots and hyphens"},
		{"a/b", "may contain only"},
		{"My-Bucket", "may contain only"},
		{"under_score", "may contain only"},
		{"sp ace", "may contain only"},
		{"bücket", "may contain only"},
		{"bkt?x", "may contain only"},
		{"-start", "must start and end with a letter or a digit"},
		{"end-", "must start and end with a letter or a digit"},
		{".start", "must start and end with a letter or a digit"},
		{"end.", "must start and end with a letter or a digit"},
		{"two..dots", "must not contain two adjacent dots"},
		{"192.168.1.1", "must not be formatted as an IP address"},
		{"0.0.0.0", "must not be formatted as an IP address"},
		{"xn--bucket", `must not start with the reserved prefix "xn--"`},
		{"sthree-bucket", `reserved prefix "sthree-"`},
		{"amzn-s3-demo-bucket", `reserved prefix "amzn-s3-demo-"`},
		{"bucket-s3alias", `must not end with the reserved suffix "-s3alias"`},
		{"bucket--ol-s3", `reserved suffix "--ol-s3"`},
		{"bucket.mrap", `reserved suffix ".mrap"`},
		{"bucket--usw2-az1--x-s3", `reserved suffix "--x-s3"`},
		{"bucket--table-s3", `reserved suffix "--table-s3"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := ValidateBucketName(c.name)
			if c.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalidArgument)
			assert.Equal(t, ErrInvalidArgument, KindOf(err))
			assert.Contains(t, err.Error(), c.wantErr)
			assert.Contains(t, err.Error(), "invalid bucket name")
		})
	}

	// A long name is quoted in part.
	err := ValidateBucketName(strings.Repeat("x", 10000))
	require.Error(t, err)
	assert.Less(t, len(err.Error()), 300)
}

// bucketShape is the shape ValidateBucketName accepts, before its other
// rules: 3 to 63 lowercase letters, digits, dots and hyphens, starting and
// ending with a letter or digit.
var bucketShape = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

func FuzzValidateBucketName(f *testing.F) {
	for _, s := range []string{"abc", "my-bucket.data", "../x", "a..b", "192.168.1.1", "xn--a", "b-s3alias", "A", "", strings.Repeat("a", 63)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if ValidateBucketName(name) != nil {
			return
		}
		// A valid name has S3's shape, and is safe in a URL path and as a
		// host name label sequence.
		if !bucketShape.MatchString(name) {
			t.Fatalf("%q is accepted but has not the shape of a bucket name", name)
		}
		if strings.Contains(name, "..") || url.PathEscape(name) != name {
			t.Fatalf("%q is accepted but is not safe in a path", name)
		}
		for _, label := range strings.Split(name, ".") {
			if label == "" {
				t.Fatalf("%q is accepted with an empty label", name)
			}
		}
	})
}
