package pendingset

import "github.com/s3commit/s3commit/multipart"

// UploadOf returns the record of an upload made by a [multipart.Uploader]:
// its part ETags, length and creation time, and the checksums the
// Uploader's mode keeps (the whole file's, and the parts' where they were
// sent to the store, which completing the upload then needs).
func UploadOf(up *multipart.Uploaded) *Upload {
	etags := make([]string, len(up.Parts))
	for i, p := range up.Parts {
		etags[i] = p.ETag
	}
	rec := NewUpload(up.Bucket, up.Key, up.UploadID, etags, up.Size, up.Created)
	rec.Checksum = up.Checksum
	if up.PartChecksumsSent {
		rec.PartChecksums = make([]multipart.Checksum, len(up.Parts))
		for i, p := range up.Parts {
			rec.PartChecksums[i] = p.Checksum
		}
	}
	return rec
}
