package multipart

import (
	"fmt"
	"net/netip"
	"strings"
)

// Bucket name prefixes and suffixes that S3 reserves: for internationalized
// domain names, for its own use, for access point and Object Lambda
// aliases, Multi-Region Access Points, directory buckets (S3 Express One
// Zone) and table buckets.
var (
	reservedBucketPrefixes = []string{"xn--", "sthree-", "amzn-s3-demo-"}
	reservedBucketSuffixes = []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}
)

// maxNameInError is how much of an invalid bucket name an error quotes.
const maxNameInError = 100

// ValidateBucketName reports whether name follows the rules of AWS S3 for
// the names of general purpose buckets: 3 to 63 characters; only
// lowercase letters, digits, dots and hyphens; a letter or digit first and
// last; no two adjacent dots; not formatted as an IPv4 address; none of
// the prefixes and suffixes S3 reserves ("xn--", "sthree-",
// "amzn-s3-demo-"; "-s3alias", "--ol-s3", ".mrap", "--x-s3",
// "--table-s3"). An invalid name is an error matching
// [ErrInvalidArgument] that says which rule it breaks.
//
// The backends check the bucket name of their Options with it, and the
// s3commit CLI and the staging committer check the names they read, so
// that a name from a command line or a file can never reach a request as
// something else than a bucket ("s3://../x" would otherwise be sent as
// GET /../x).
//
// The rules are strict on purpose. Some S3-compatible stores accept more
// (uppercase letters or underscores in legacy bucket names, longer
// names), and S3 itself takes access point aliases and directory bucket
// names where a bucket name goes; this function refuses them. A program
// that must use such a bucket with a Store builds the client library's
// client itself and makes its store with awsstore.NewFromClient or
// miniostore.NewFromCore, which take the bucket name as given (the client
// library applies its own checks). The s3commit CLI and the staging
// committer's job records accept only names that pass.
func ValidateBucketName(name string) error {
	if reason := bucketNameFault(name); reason != "" {
		return &bucketNameError{name: name, reason: reason}
	}
	return nil
}

// bucketNameError is the error of ValidateBucketName.
type bucketNameError struct{ name, reason string }

func (e *bucketNameError) Error() string {
	quoted := fmt.Sprintf("%q", e.name)
	if len(e.name) > maxNameInError {
		quoted = fmt.Sprintf("%q… (%d bytes)", e.name[:maxNameInError], len(e.name))
	}
	return "invalid bucket name " + quoted + ": " + e.reason
}

// Unwrap returns [ErrInvalidArgument].
func (e *bucketNameError) Unwrap() error { return ErrInvalidArgument }

// bucketNameFault returns the rule name breaks, or "".
func bucketNameFault(name string) string {
	if len(name) < 3 || len(name) > 63 {
		return "must be 3 to 63 characters long"
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isLowerAlnum(c) && c != '.' && c != '-' {
			return "may contain only lowercase letters, digits, dots and hyphens"
		}
	}
	if !isLowerAlnum(name[0]) || !isLowerAlnum(name[len(name)-1]) {
		return "must start and end with a letter or a digit"
	}
	if strings.Contains(name, "..") {
		return "must not contain two adjacent dots"
	}
	if addr, err := netip.ParseAddr(name); err == nil && addr.Is4() {
		return "must not be formatted as an IP address"
	}
	for _, p := range reservedBucketPrefixes {
		if strings.HasPrefix(name, p) {
			return fmt.Sprintf("must not start with the reserved prefix %q", p)
		}
	}
	for _, s := range reservedBucketSuffixes {
		if strings.HasSuffix(name, s) {
			return fmt.Sprintf("must not end with the reserved suffix %q", s)
		}
	}
	return ""
}

func isLowerAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}
