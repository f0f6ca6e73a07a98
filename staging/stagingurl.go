package staging

import (
	"fmt"
	"strings"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/staging/internal/storerecords"
)

// stagingURL is a StagingDir in the store: s3://bucket/prefix.
type stagingURL struct {
	bucket string
	prefix string // without leading or trailing '/'
}

func (u *stagingURL) String() string { return "s3://" + u.bucket + "/" + u.prefix }

// parseStagingURL parses s3://bucket/prefix.
func parseStagingURL(s string) (*stagingURL, error) {
	rest, ok := strings.CutPrefix(s, "s3://")
	if !ok {
		return nil, fmt.Errorf("%q is not an s3:// URL", s)
	}
	bucket, prefix, _ := strings.Cut(rest, "/")
	prefix = strings.Trim(prefix, "/")
	if err := multipart.ValidateBucketName(bucket); err != nil {
		return nil, fmt.Errorf("StagingDir %q: %w", s, err)
	}
	if prefix == "" {
		return nil, fmt.Errorf("StagingDir %q has no prefix: give s3://%s/<prefix>, such as s3://%s/_staging", s, bucket, bucket)
	}
	if _, err := storerecords.New(nopStore{}, prefix, storerecords.Options{}); err != nil {
		return nil, fmt.Errorf("StagingDir %q: %w", s, err)
	}
	return &stagingURL{bucket: bucket, prefix: prefix}, nil
}

// overlaps reports whether the staging prefix and the destination contain
// one another: the job's output listings and replace mode's deletions
// would take the records for output.
func (u *stagingURL) overlaps(bucket, destination string) bool {
	if bucket != u.bucket {
		return false
	}
	a, b := u.prefix+"/", strings.TrimRight(destination, "/")+"/"
	return strings.HasPrefix(a, b) || strings.HasPrefix(b, a)
}

// nopStore is a store that is never called: it lets parseStagingURL check
// a prefix with storerecords' rules.
type nopStore struct{ multipart.Store }

// inStore reports whether a StagingDir names a staging dir in the store
// (s3://…) rather than a directory.
func inStore(dir string) bool {
	scheme, ok := urlScheme(dir)
	return ok && scheme == "s3"
}
