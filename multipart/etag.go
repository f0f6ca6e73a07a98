package multipart

import (
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"strings"
)

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

// MultipartETag returns the ETag S3 gives an object completed from parts
// with these ETags: the hex MD5 of the concatenated binary MD5s, "-", and
// the number of parts. ok is false when a part ETag is not a 32-digit hex
// MD5 (an encrypted or non-MD5 store), when the ETag cannot be predicted.
//
// Part ETags may be quoted (see [NormalizeETag]) and in either case; the
// result is unquoted lower-case hex. ok is also false for an empty list and
// for more than [MaxParts] parts, from which no object can be completed.
//
// The committer uses it to recognise the object its own completion made
// when the answer to that completion was lost. MinIO (unencrypted) and
// versitygw (posix backend) give completed objects this ETag, as the
// conformance suite checks.
func MultipartETag(partETags []string) (etag string, ok bool) {
	if len(partETags) == 0 || len(partETags) > MaxParts {
		return "", false
	}
	sums := make([]byte, 0, len(partETags)*md5.Size)
	for _, e := range partETags {
		e = NormalizeETag(e)
		if len(e) != 2*md5.Size {
			return "", false
		}
		b, err := hex.DecodeString(e)
		if err != nil {
			return "", false
		}
		sums = append(sums, b...)
	}
	sum := md5.Sum(sums)
	return hex.EncodeToString(sum[:]) + "-" + strconv.Itoa(len(partETags)), true
}
