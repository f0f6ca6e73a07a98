package multipart

import "strings"

// NormalizeETag returns etag without surrounding double quotes and without
// a weak-validator prefix. S3 returns quoted ETags; Stores, the uploader and
// the pending-upload records always use the unquoted form, and S3 accepts
// either form in CompleteMultipartUpload.
func NormalizeETag(etag string) string {
	etag = strings.TrimSpace(etag)
	etag = strings.TrimPrefix(etag, "W/")
	if len(etag) >= 2 && etag[0] == '"' && etag[len(etag)-1] == '"' {
		etag = etag[1 : len(etag)-1]
	}
	return etag
}
