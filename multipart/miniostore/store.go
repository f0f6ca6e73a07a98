package miniostore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/s3commit/s3commit/multipart"
)

// maxDeleteKeys is the largest number of keys one DeleteObjects request
// may name.
const maxDeleteKeys = 1000

// Store is a [multipart.Store] on a minio-go Core client. It is safe for
// concurrent use.
type Store struct {
	core            *minio.Core
	bucket          string
	pageSize        int
	unsignedPayload bool
	logger          *slog.Logger
	// markersBefore records that the store rejected S3-style
	// ListMultipartUploads markers and wants markerBefore key-markers.
	markersBefore atomic.Bool
}

var _ multipart.Store = (*Store)(nil)

// New returns a Store on opts.Bucket with a minio-go client built from
// opts. It sends no request; a missing bucket or bad credentials show up on
// the first operation.
func New(opts Options) (*Store, error) {
	host, secure, err := opts.validate()
	if err != nil {
		return nil, err
	}
	var creds *credentials.Credentials
	if opts.AccessKeyID != "" {
		creds = credentials.NewStaticV4(opts.AccessKeyID, opts.SecretAccessKey, opts.SessionToken)
	} else {
		creds = credentials.NewChainCredentials([]credentials.Provider{
			&credentials.EnvAWS{},
			&credentials.EnvMinio{},
			&credentials.FileAWSCredentials{},
		})
	}
	transport := opts.Transport
	if transport == nil {
		tr, err := minio.DefaultTransport(secure)
		if err != nil {
			return nil, fmt.Errorf("miniostore: HTTP transport: %w", err)
		}
		tr.MaxIdleConns = opts.maxConnections()
		tr.MaxIdleConnsPerHost = opts.maxConnections()
		transport = tr
	}
	lookup := minio.BucketLookupAuto
	if opts.PathStyle {
		lookup = minio.BucketLookupPath
	}
	core, err := minio.NewCore(host, &minio.Options{
		Creds:        creds,
		Secure:       secure,
		Transport:    transport,
		Region:       opts.Region,
		BucketLookup: lookup,
		MaxRetries:   opts.RetryMaxAttempts,
	})
	if err != nil {
		return nil, fmt.Errorf("miniostore: %w", err)
	}
	st := newStore(core, opts.Bucket, opts)
	if st.logger != nil {
		st.logger.Debug("miniostore: store ready", "bucket", opts.Bucket, "endpoint", host,
			"secure", secure, "region", opts.Region, "path_style", opts.PathStyle,
			"unsigned_payload", opts.UnsignedPayload, "max_connections", opts.maxConnections())
	}
	return st, nil
}

// NewFromCore returns a Store on bucket that uses core as it is configured
// (endpoint, credentials, transport, retries). Of opts it uses
// UnsignedPayload, ListPageSize and Logger; opts.Bucket is ignored. It
// panics if core is nil, bucket is empty or those options are invalid,
// which are programming errors.
func NewFromCore(core *minio.Core, bucket string, opts Options) *Store {
	if core == nil || core.Client == nil {
		panic("miniostore.NewFromCore: nil client")
	}
	if bucket == "" {
		panic("miniostore.NewFromCore: empty bucket name")
	}
	if err := opts.validateShared(); err != nil {
		panic("miniostore.NewFromCore: " + err.Error())
	}
	return newStore(core, bucket, opts)
}

func newStore(core *minio.Core, bucket string, opts Options) *Store {
	return &Store{
		core:            core,
		bucket:          bucket,
		pageSize:        opts.listPageSize(),
		unsignedPayload: opts.UnsignedPayload,
		logger:          opts.Logger,
	}
}

// Core returns the underlying minio-go client, for operations the Store
// does not offer.
func (s *Store) Core() *minio.Core { return s.core }

// Bucket returns the name of the bucket this store operates on.
func (s *Store) Bucket() string { return s.bucket }

// done logs a finished request and converts its error.
func (s *Store) done(ctx context.Context, op, key, uploadID string, start time.Time, err error) error {
	var e *multipart.Error
	if err != nil {
		e = newError(ctx, op, s.bucket, key, uploadID, err)
	}
	s.log(ctx, op, key, uploadID, start, e)
	if e == nil {
		return nil
	}
	return e
}

func (s *Store) log(ctx context.Context, op, key, uploadID string, start time.Time, e *multipart.Error) {
	if s.logger == nil || !s.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("op", op), slog.String("bucket", s.bucket),
		slog.Duration("duration", time.Since(start)),
	}
	if key != "" {
		attrs = append(attrs, slog.String("key", key))
	}
	if uploadID != "" {
		attrs = append(attrs, slog.String("upload_id", uploadID))
	}
	if e != nil {
		attrs = append(attrs, slog.Any("error", e.Err))
		if e.Kind != nil {
			attrs = append(attrs, slog.String("kind", e.Kind.Error()))
		}
	}
	s.logger.LogAttrs(ctx, slog.LevelDebug, "miniostore: "+op, attrs...)
}

// CreateUpload starts a multipart upload for key and returns its upload ID.
func (s *Store) CreateUpload(ctx context.Context, key string, opts multipart.CreateOptions) (string, error) {
	const op = "CreateMultipartUpload"
	start := time.Now()
	id, err := s.core.NewMultipartUpload(ctx, s.bucket, key, minio.PutObjectOptions{
		ContentType:  opts.ContentType,
		UserMetadata: opts.Metadata,
	})
	if err == nil && id == "" {
		err = errors.New("the store returned no upload ID")
	}
	if err != nil {
		return "", s.done(ctx, op, key, "", start, err)
	}
	return id, s.done(ctx, op, key, id, start, nil)
}

// UploadPart uploads part number of an upload, streaming size bytes of body
// from its current position.
func (s *Store) UploadPart(ctx context.Context, key, uploadID string, number int32, body io.ReadSeeker, size int64) (multipart.Part, error) {
	const op = "UploadPart"
	if number < 1 || number > multipart.MaxParts {
		return multipart.Part{}, invalidArgument(op, s.bucket, key, uploadID, "part number %d outside 1 to %d", number, multipart.MaxParts)
	}
	sec, err := newSection(body, size)
	if err != nil {
		return multipart.Part{}, invalidArgument(op, s.bucket, key, uploadID, "part %d: %w", number, err)
	}
	start := time.Now()
	p, err := s.core.PutObjectPart(ctx, s.bucket, key, uploadID, int(number), sec, size, minio.PutObjectPartOptions{
		DisableContentSha256: s.unsignedPayload,
	})
	if err == nil && p.ETag == "" {
		err = fmt.Errorf("the store returned no ETag for part %d", number)
	}
	if err != nil {
		return multipart.Part{}, s.done(ctx, op, key, uploadID, start, err)
	}
	return multipart.Part{Number: number, ETag: multipart.NormalizeETag(p.ETag), Size: size},
		s.done(ctx, op, key, uploadID, start, nil)
}

// CompleteUpload assembles parts into the object key and returns its ETag.
// With opts.IfMatch, a key that has no object fails with
// [multipart.ErrPreconditionFailed] (S3 answers 404 NoSuchKey).
func (s *Store) CompleteUpload(ctx context.Context, key, uploadID string, parts []multipart.Part, opts multipart.CompleteOptions) (string, error) {
	const op = "CompleteMultipartUpload"
	completed, err := completeParts(parts)
	if err != nil {
		return "", &multipart.Error{Op: op, Bucket: s.bucket, Key: key, UploadID: uploadID, Kind: multipart.ErrInvalidPart, Err: err}
	}
	var putOpts minio.PutObjectOptions
	if opts.IfNoneMatch {
		putOpts.SetMatchETagExcept("*") // If-None-Match: *
	}
	if opts.IfMatch != "" {
		putOpts.SetMatchETag(multipart.NormalizeETag(opts.IfMatch)) // If-Match: "<etag>"
	}
	start := time.Now()
	info, err := s.core.CompleteMultipartUpload(ctx, s.bucket, key, uploadID, completed, putOpts)
	if err != nil {
		e := newError(ctx, op, s.bucket, key, uploadID, err)
		if opts.IfMatch != "" && e.Kind == multipart.ErrNotFound {
			// If-Match on a key without an object: S3 answers 404
			// NoSuchKey; the condition did not hold.
			e.Kind = multipart.ErrPreconditionFailed
		}
		s.log(ctx, op, key, uploadID, start, e)
		return "", e
	}
	return multipart.NormalizeETag(info.ETag), s.done(ctx, op, key, uploadID, start, nil)
}

// completeParts converts parts to minio-go's type, quoting the ETags. It
// rejects lists S3 would reject for reasons known before sending: no parts,
// a part number out of range, an empty ETag.
func completeParts(parts []multipart.Part) ([]minio.CompletePart, error) {
	if len(parts) == 0 {
		return nil, errors.New("no parts to complete")
	}
	out := make([]minio.CompletePart, len(parts))
	for i, p := range parts {
		if p.Number < 1 || p.Number > multipart.MaxParts {
			return nil, fmt.Errorf("part number %d outside 1 to %d", p.Number, multipart.MaxParts)
		}
		etag := multipart.NormalizeETag(p.ETag)
		if etag == "" {
			return nil, fmt.Errorf("part %d has no ETag", p.Number)
		}
		out[i] = minio.CompletePart{PartNumber: int(p.Number), ETag: `"` + etag + `"`}
	}
	return out, nil
}

// AbortUpload discards an upload and its parts. An upload that no longer
// exists fails with [multipart.ErrNoSuchUpload].
//
// MinIO answers AbortMultipartUpload of an unknown upload ID with success,
// so that a caller could not tell an aborted upload from one that was
// already completed. AbortUpload therefore first asks ListParts (one part)
// whether the upload exists; only NoSuchUpload (or a missing bucket) from
// that check ends the call, any other failure of it is ignored and the
// abort is sent. An upload completed between the check and the abort is
// still reported as aborted.
func (s *Store) AbortUpload(ctx context.Context, key, uploadID string) error {
	const op = "AbortMultipartUpload"
	start := time.Now()
	if _, err := s.core.ListObjectParts(ctx, s.bucket, key, uploadID, 0, 1); err != nil {
		e := newError(ctx, op, s.bucket, key, uploadID, err)
		if e.Kind == multipart.ErrNoSuchUpload || e.Kind == multipart.ErrBucketNotFound || ctx.Err() != nil {
			s.log(ctx, op, key, uploadID, start, e)
			return e
		}
	}
	err := s.core.AbortMultipartUpload(ctx, s.bucket, key, uploadID)
	return s.done(ctx, op, key, uploadID, start, err)
}

// ListUploads yields the uncompleted uploads whose key starts with prefix,
// one ListMultipartUploads page at a time as the caller iterates. On
// failure it yields one error and stops.
//
// Pages continue from the previous page's NextKeyMarker and
// NextUploadIdMarker. When the store rejects that pair with
// InvalidArgument, as versitygw does (see markerBefore), the listing
// switches to the key-marker that store expects, and the Store keeps using
// it for later listings.
func (s *Store) ListUploads(ctx context.Context, prefix string) iter.Seq2[multipart.Upload, error] {
	const op = "ListMultipartUploads"
	return func(yield func(multipart.Upload, error) bool) {
		var (
			keyMarker, idMarker string                   // where the next page starts, as S3 reads markers
			lastKey, prevKey    string                   // the last two distinct keys listed
			keyBefore           = s.markersBefore.Load() // the store needs markerBefore key-markers
		)
		page := func(keyMarker, idMarker string) (minio.ListMultipartUploadsResult, error) {
			return s.core.ListMultipartUploads(ctx, s.bucket, prefix, keyMarker, idMarker, "", s.pageSize)
		}
		for {
			start := time.Now()
			km := keyMarker
			if keyBefore && idMarker != "" {
				if before, ok := markerBefore(keyMarker, lastKey, prevKey); ok {
					km = before
				}
			}
			res, err := page(km, idMarker)
			if err != nil && !keyBefore && idMarker != "" {
				if code, _ := errorCodeStatus(err); code == "InvalidArgument" {
					if before, ok := markerBefore(keyMarker, lastKey, prevKey); ok {
						if retry, retryErr := page(before, idMarker); retryErr == nil {
							if s.logger != nil {
								s.logger.DebugContext(ctx, "miniostore: the store rejects S3 upload-id-marker paging; using the key-marker before the last key",
									"bucket", s.bucket, "prefix", prefix)
							}
							res, err, keyBefore = retry, nil, true
							s.markersBefore.Store(true)
						}
					}
				}
			}
			if err != nil {
				yield(multipart.Upload{}, s.done(ctx, op, prefix, "", start, err))
				return
			}
			_ = s.done(ctx, op, prefix, "", start, nil)
			for _, u := range res.Uploads {
				if u.Key != lastKey {
					prevKey, lastKey = lastKey, u.Key
				}
				if !yield(multipart.Upload{Key: u.Key, UploadID: u.UploadID, Initiated: u.Initiated}, nil) {
					return
				}
			}
			if !res.IsTruncated {
				return
			}
			nextKey, nextID := res.NextKeyMarker, res.NextUploadIDMarker
			if nextKey == "" && len(res.Uploads) > 0 {
				// Some stores omit the Next markers; continue after the
				// last upload listed.
				last := res.Uploads[len(res.Uploads)-1]
				nextKey, nextID = last.Key, last.UploadID
			}
			if nextKey == "" || (nextKey == keyMarker && nextID == idMarker) {
				yield(multipart.Upload{}, s.done(ctx, op, prefix, "", start,
					errors.New("truncated listing without a next marker that advances")))
				return
			}
			keyMarker, idMarker = nextKey, nextID
		}
	}
}

// ListParts returns the parts uploaded so far for an upload, sorted by part
// number, fetching every page.
func (s *Store) ListParts(ctx context.Context, key, uploadID string) ([]multipart.Part, error) {
	const op = "ListParts"
	var parts []multipart.Part
	marker := 0
	for {
		start := time.Now()
		res, err := s.core.ListObjectParts(ctx, s.bucket, key, uploadID, marker, s.pageSize)
		if err != nil {
			return nil, s.done(ctx, op, key, uploadID, start, err)
		}
		_ = s.done(ctx, op, key, uploadID, start, nil)
		for _, p := range res.ObjectParts {
			parts = append(parts, multipart.Part{
				Number:       int32(p.PartNumber),
				ETag:         multipart.NormalizeETag(p.ETag),
				Size:         p.Size,
				LastModified: p.LastModified,
			})
		}
		if !res.IsTruncated {
			break
		}
		next := res.NextPartNumberMarker
		if next == 0 && len(res.ObjectParts) > 0 {
			next = res.ObjectParts[len(res.ObjectParts)-1].PartNumber
		}
		if next <= marker {
			return nil, s.done(ctx, op, key, uploadID, start,
				errors.New("truncated listing without a next part number marker that advances"))
		}
		marker = next
	}
	slices.SortFunc(parts, func(a, b multipart.Part) int { return int(a.Number) - int(b.Number) })
	return parts, nil
}

// PutObject writes a small object in one request, streaming size bytes of
// body from its current position, and returns its ETag.
func (s *Store) PutObject(ctx context.Context, key string, body io.ReadSeeker, size int64, opts multipart.PutOptions) (string, error) {
	const op = "PutObject"
	sec, err := newSection(body, size)
	if err != nil {
		return "", invalidArgument(op, s.bucket, key, "", "%w", err)
	}
	putOpts := minio.PutObjectOptions{
		ContentType:          opts.ContentType,
		DisableContentSha256: s.unsignedPayload,
	}
	if opts.IfNoneMatch {
		putOpts.SetMatchETagExcept("*") // If-None-Match: *
	}
	start := time.Now()
	info, err := s.core.PutObject(ctx, s.bucket, key, sec, size, "", "", putOpts)
	if err != nil {
		return "", s.done(ctx, op, key, "", start, err)
	}
	return multipart.NormalizeETag(info.ETag), s.done(ctx, op, key, "", start, nil)
}

// GetObject opens an object for reading. The caller closes the reader.
func (s *Store) GetObject(ctx context.Context, key string) (io.ReadCloser, multipart.ObjectInfo, error) {
	const op = "GetObject"
	start := time.Now()
	rc, oi, _, err := s.core.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, multipart.ObjectInfo{}, s.done(ctx, op, key, "", start, err)
	}
	return rc, objectInfo(key, oi), s.done(ctx, op, key, "", start, nil)
}

func objectInfo(key string, oi minio.ObjectInfo) multipart.ObjectInfo {
	if oi.Key != "" {
		key = oi.Key
	}
	return multipart.ObjectInfo{
		Key:          key,
		Size:         oi.Size,
		ETag:         multipart.NormalizeETag(oi.ETag),
		LastModified: oi.LastModified,
	}
}

// HeadObject returns an object's metadata, [multipart.ErrNotFound] if it
// does not exist, or [multipart.ErrBucketNotFound] if the bucket does not.
func (s *Store) HeadObject(ctx context.Context, key string) (multipart.ObjectInfo, error) {
	const op = "HeadObject"
	start := time.Now()
	oi, err := s.core.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		e := newError(ctx, op, s.bucket, key, "", err)
		if e.Kind == multipart.ErrNotFound && s.bucketMissing(ctx) {
			e.Kind = multipart.ErrBucketNotFound
		}
		s.log(ctx, op, key, "", start, e)
		return multipart.ObjectInfo{}, e
	}
	return objectInfo(key, oi), s.done(ctx, op, key, "", start, nil)
}

// bucketMissing reports whether HeadBucket says the bucket does not exist.
//
// A HEAD response has no body, so HeadObject on a missing bucket gets a bare
// 404 that minio-go reports as NoSuchKey, the same as for a missing key.
// MinIO adds an x-minio-error-code header that minio-go reads, so there the
// kind is already ErrBucketNotFound; other stores (versitygw, AWS) send
// nothing more. Only for a not-found HEAD does HeadObject ask HeadBucket,
// one extra request, to tell the two apart. Any HeadBucket failure (for
// example 403 when the credentials may not list the bucket) leaves the
// answer at "object not found".
func (s *Store) bucketMissing(ctx context.Context) bool {
	start := time.Now()
	exists, err := s.core.BucketExists(ctx, s.bucket)
	if err != nil {
		s.log(ctx, "HeadBucket", "", "", start, newError(ctx, "HeadBucket", s.bucket, "", "", err))
		return false
	}
	s.log(ctx, "HeadBucket", "", "", start, nil)
	return !exists
}

// ListObjects yields the objects whose key starts with prefix, one
// ListObjectsV2 page at a time as the caller iterates. On failure it yields
// one error and stops.
func (s *Store) ListObjects(ctx context.Context, prefix string) iter.Seq2[multipart.ObjectInfo, error] {
	const op = "ListObjectsV2"
	return func(yield func(multipart.ObjectInfo, error) bool) {
		start := time.Now()
		fetchOwner := false
		objects := s.core.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{
			Prefix:     prefix,
			Recursive:  true,
			MaxKeys:    s.pageSize,
			FetchOwner: &fetchOwner,
		})
		for oi := range objects {
			if oi.Err != nil {
				yield(multipart.ObjectInfo{}, s.done(ctx, op, prefix, "", start, oi.Err))
				return
			}
			if !yield(objectInfo(oi.Key, oi), nil) {
				return
			}
		}
		// minio-go ends the listing silently when ctx is done; report it
		// so that an interrupted listing is not taken for a complete one.
		if err := ctx.Err(); err != nil {
			yield(multipart.ObjectInfo{}, s.done(ctx, op, prefix, "", start, err))
			return
		}
		_ = s.done(ctx, op, prefix, "", start, nil)
	}
}

// DeleteObjects deletes keys with DeleteObjects requests of at most 1000
// keys. Keys that do not exist are not errors. The returned error joins one
// *multipart.Error per key that was not deleted; when a whole request fails
// (missing bucket, access denied, network), every key of its batch gets an
// error of that kind.
func (s *Store) DeleteObjects(ctx context.Context, keys []string) error {
	const op = "DeleteObjects"
	var errs []error
	for batch := range slices.Chunk(keys, maxDeleteKeys) {
		start := time.Now()
		failedBefore := len(errs)
		pending := make(map[string]bool, len(batch))
		for _, k := range batch {
			pending[k] = true
		}
		objects := func(yield func(minio.ObjectInfo) bool) {
			for _, k := range batch {
				if !yield(minio.ObjectInfo{Key: k}) {
					return
				}
			}
		}
		results, err := s.core.RemoveObjectsWithIter(ctx, s.bucket, objects, minio.RemoveObjectsOptions{})
		if err == nil {
			for r := range results {
				if r.Err == nil {
					delete(pending, r.ObjectName)
					continue
				}
				if code, _ := errorCodeStatus(r.Err); code == "NoSuchKey" || code == "NoSuchVersion" {
					delete(pending, r.ObjectName)
					continue
				}
				if r.ObjectName == "" || !pending[r.ObjectName] {
					// An error not tied to a key of this batch (an
					// unreadable response): the keys still pending get it.
					err = r.Err
					continue
				}
				delete(pending, r.ObjectName)
				errs = append(errs, newError(ctx, op, s.bucket, r.ObjectName, "", r.Err))
			}
		}
		if len(pending) > 0 && err == nil {
			// Neither deleted nor failed: minio-go stops without a word
			// when ctx is done.
			err = ctx.Err()
			if err == nil {
				err = errors.New("the store did not report the key as deleted")
			}
		}
		var batchErr *multipart.Error
		if err != nil {
			batchErr = newError(ctx, op, s.bucket, "", "", err)
		}
		if logErr := batchErr; logErr != nil || len(errs) > failedBefore {
			if logErr == nil {
				logErr, _ = errs[failedBefore].(*multipart.Error)
			}
			s.log(ctx, op, "", "", start, logErr)
		} else {
			s.log(ctx, op, "", "", start, nil)
		}
		for _, k := range batch {
			if pending[k] {
				delete(pending, k) // report a duplicated key once
				e := *batchErr
				e.Key = k
				errs = append(errs, &e)
			}
		}
	}
	return errors.Join(errs...)
}
