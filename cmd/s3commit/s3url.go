package main

import (
	"strings"

	"github.com/s3commit/s3commit/multipart"
)

// s3URL is a parsed s3://BUCKET[/KEY] argument.
type s3URL struct {
	// Bucket is the bucket name, never empty.
	Bucket string
	// Key is everything after "BUCKET/", possibly empty; a trailing "/" is
	// kept.
	Key string
}

// String returns the URL in s3:// form.
func (u s3URL) String() string {
	if u.Key == "" {
		return "s3://" + u.Bucket
	}
	return "s3://" + u.Bucket + "/" + u.Key
}

// parseS3URL parses s3://BUCKET[/KEY] (s3a:// is accepted as a synonym, as
// Hadoop writes it). Anything else — another scheme, no scheme, no bucket,
// a bucket name that breaks S3's rules (multipart.ValidateBucketName) — is
// a usage error.
func parseS3URL(raw string) (s3URL, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return s3URL{}, usageErrorf("%q is not an s3:// URL; write s3://BUCKET[/PREFIX]", raw)
	}
	switch strings.ToLower(scheme) {
	case "s3", "s3a":
	default:
		return s3URL{}, usageErrorf("unknown URL scheme %q in %q; only s3://BUCKET[/PREFIX] is supported (set the endpoint with --endpoint-url)", scheme, raw)
	}
	bucket, key, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return s3URL{}, usageErrorf("no bucket in %q; write s3://BUCKET[/PREFIX]", raw)
	}
	if err := multipart.ValidateBucketName(bucket); err != nil {
		return s3URL{}, usageErrorf("%w in %q; write s3://BUCKET[/PREFIX] with the bucket's name", err, raw)
	}
	return s3URL{Bucket: bucket, Key: key}, nil
}
