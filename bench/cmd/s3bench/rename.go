package main

import (
	"context"
	"fmt"
	"path"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// maxCopyObjectSize is the largest object CopyObject copies (S3's limit);
// larger ones are copied with UploadPartCopy. Tests lower it.
var maxCopyObjectSize int64 = 5 << 30

// copyPartSize is the part size of a multipart copy. Tests lower it.
var copyPartSize int64 = 512 << 20

// renameExecution is the classic rename protocol on S3: tasks upload under
// a temporary prefix, job commit copies each object to its final key and
// deletes the temporary one.
type renameExecution struct {
	uploadExecution
}

// jobCommit copies every temporary object to its final key, deletes the
// temporary objects and writes the _SUCCESS marker.
func (e *renameExecution) jobCommit(ctx context.Context) error {
	var temp []string
	for i := range e.split {
		for _, n := range e.split[i] {
			temp = append(temp, e.p.workload.relPath(n))
		}
	}
	err := parallel(ctx, len(temp), e.p.commitConcurrency, func(ctx context.Context, i int) error {
		return e.rename(ctx, path.Join(e.prefix, temp[i]), path.Join(e.p.dest, temp[i]), e.p.workload.bytesPerFile)
	})
	if err != nil {
		return err
	}
	keys := make([]string, len(temp))
	for i, rel := range temp {
		keys[i] = path.Join(e.prefix, rel)
	}
	if err := deleteKeys(ctx, e.t, keys); err != nil {
		return err
	}
	return putMarker(ctx, e.t, e.p.dest)
}

// rename copies src to dst server-side.
func (e *renameExecution) rename(ctx context.Context, src, dst string, size int64) error {
	source := e.t.bucket + "/" + src // generated keys need no escaping
	if size <= maxCopyObjectSize {
		_, err := e.t.client.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket: aws.String(e.t.bucket), Key: aws.String(dst), CopySource: aws.String(source),
		})
		if err != nil {
			return fmt.Errorf("copy %s to %s: %w", src, dst, err)
		}
		return nil
	}
	return e.multipartCopy(ctx, source, dst, size)
}

// multipartCopy copies an object over 5 GiB with UploadPartCopy.
func (e *renameExecution) multipartCopy(ctx context.Context, source, dst string, size int64) error {
	c := e.t.client
	created, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(e.t.bucket), Key: aws.String(dst)})
	if err != nil {
		return fmt.Errorf("copy to %s: %w", dst, err)
	}
	n := int((size + copyPartSize - 1) / copyPartSize)
	parts := make([]types.CompletedPart, n)
	err = parallel(ctx, n, 8, func(ctx context.Context, i int) error {
		first := int64(i) * copyPartSize
		last := min(first+copyPartSize, size) - 1
		out, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
			Bucket: aws.String(e.t.bucket), Key: aws.String(dst), UploadId: created.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), CopySource: aws.String(source),
			CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", first, last)),
		})
		if err != nil {
			return fmt.Errorf("copy part %d to %s: %w", i+1, dst, err)
		}
		parts[i] = types.CompletedPart{ETag: out.CopyPartResult.ETag, PartNumber: aws.Int32(int32(i + 1))}
		return nil
	})
	if err == nil {
		_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket: aws.String(e.t.bucket), Key: aws.String(dst), UploadId: created.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		})
	}
	if err != nil {
		_, _ = c.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{
			Bucket: aws.String(e.t.bucket), Key: aws.String(dst), UploadId: created.UploadId,
		})
		return fmt.Errorf("copy to %s: %w", dst, err)
	}
	return nil
}
