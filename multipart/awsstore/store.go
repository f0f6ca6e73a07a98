package awsstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/s3commit/s3commit/multipart"
)

// maxDeleteKeys is the largest number of keys one DeleteObjects request
// may name.
const maxDeleteKeys = 1000

// Store is a [multipart.Store] on an aws-sdk-go-v2 S3 client. It is safe for
// concurrent use.
type Store struct {
	client   *s3.Client
	bucket   string
	pageSize int32
	logger   *slog.Logger
	// bodyOpts are the per-operation options of UploadPart and PutObject.
	bodyOpts []func(*s3.Options)
	// markersBefore records that the store rejected S3-style
	// ListMultipartUploads markers and wants markerBefore key-markers.
	markersBefore atomic.Bool
}

var _ multipart.Store = (*Store)(nil)

// New returns a Store on opts.Bucket with an S3 client built from opts and
// the standard AWS configuration (environment, shared config files,
// AWS_PROFILE, AWS_ENDPOINT_URL). It reads configuration files but sends no
// request; a missing bucket or bad credentials show up on the first
// operation. ctx bounds the loading of the configuration only.
func New(ctx context.Context, opts Options) (*Store, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	var load []func(*config.LoadOptions) error
	if opts.Region != "" {
		load = append(load, config.WithRegion(opts.Region))
	}
	if opts.Profile != "" {
		load = append(load, config.WithSharedConfigProfile(opts.Profile))
	}
	if opts.Credentials != nil {
		load = append(load, config.WithCredentialsProvider(opts.Credentials))
	}
	if opts.RetryMaxAttempts > 0 {
		load = append(load, config.WithRetryMaxAttempts(opts.RetryMaxAttempts))
	}
	if opts.HTTPClient != nil {
		load = append(load, config.WithHTTPClient(opts.HTTPClient))
	} else {
		load = append(load, config.WithHTTPClient(newHTTPClient(opts.maxConnections())))
	}
	if opts.Checksums == ChecksumWhenRequired {
		load = append(load,
			config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
			config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired))
	}
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return nil, fmt.Errorf("awsstore: load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		if opts.EndpointURL == "" && cfg.BaseEndpoint == nil && os.Getenv("AWS_ENDPOINT_URL_S3") == "" {
			return nil, errors.New("awsstore: no region configured: set Options.Region, AWS_REGION or a region in the AWS profile")
		}
		cfg.Region = DefaultRegion
	}
	if cfg.Credentials != nil {
		cfg.Credentials = markedCredentials{provider: cfg.Credentials}
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if opts.EndpointURL != "" {
			o.BaseEndpoint = aws.String(opts.EndpointURL)
		}
		o.UsePathStyle = opts.UsePathStyle
	})
	st := newStore(client, opts.Bucket, opts)
	if st.logger != nil {
		endpoint := opts.EndpointURL
		if endpoint == "" && cfg.BaseEndpoint != nil {
			endpoint = *cfg.BaseEndpoint
		}
		st.logger.Debug("awsstore: store ready", "bucket", opts.Bucket, "endpoint", endpoint,
			"region", cfg.Region, "path_style", opts.UsePathStyle, "checksums", opts.Checksums.String(),
			"payload_signing", opts.PayloadSigning.String(), "max_connections", opts.maxConnections())
	}
	return st, nil
}

// NewFromClient returns a Store on bucket that uses client as it is
// configured (endpoint, region, credentials, HTTP client, retries and
// checksum settings). Of opts it uses PayloadSigning, ListPageSize and
// Logger; opts.Bucket is ignored. It panics if client is nil, bucket is
// empty or those options are invalid, which are programming errors.
func NewFromClient(client *s3.Client, bucket string, opts Options) *Store {
	if client == nil {
		panic("awsstore.NewFromClient: nil client")
	}
	if bucket == "" {
		panic("awsstore.NewFromClient: empty bucket name")
	}
	if err := opts.validateShared(); err != nil {
		panic("awsstore.NewFromClient: " + err.Error())
	}
	return newStore(client, bucket, opts)
}

func newStore(client *s3.Client, bucket string, opts Options) *Store {
	st := &Store{
		client:   client,
		bucket:   bucket,
		pageSize: opts.listPageSize(),
		logger:   opts.Logger,
	}
	if opts.PayloadSigning == UnsignedPayload {
		st.bodyOpts = []func(*s3.Options){func(o *s3.Options) {
			o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
		}}
	}
	return st
}

// Client returns the underlying S3 client, for operations the Store does
// not offer.
func (s *Store) Client() *s3.Client { return s.client }

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
	s.logger.LogAttrs(ctx, slog.LevelDebug, "awsstore: "+op, attrs...)
}

// CreateUpload starts a multipart upload for key and returns its upload ID.
func (s *Store) CreateUpload(ctx context.Context, key string, opts multipart.CreateOptions) (string, error) {
	const op = "CreateMultipartUpload"
	start := time.Now()
	in := &s3.CreateMultipartUploadInput{Bucket: &s.bucket, Key: &key}
	if opts.ContentType != "" {
		in.ContentType = aws.String(opts.ContentType)
	}
	if len(opts.Metadata) > 0 {
		in.Metadata = opts.Metadata
	}
	out, err := s.client.CreateMultipartUpload(ctx, in)
	if err != nil {
		return "", s.done(ctx, op, key, "", start, err)
	}
	id := aws.ToString(out.UploadId)
	if id == "" {
		return "", s.done(ctx, op, key, "", start, errors.New("the store returned no upload ID"))
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
	out, err := s.client.UploadPart(ctx, &s3.UploadPartInput{
		Bucket:        &s.bucket,
		Key:           &key,
		UploadId:      &uploadID,
		PartNumber:    aws.Int32(number),
		Body:          sec,
		ContentLength: aws.Int64(size),
	}, s.bodyOpts...)
	if err != nil {
		return multipart.Part{}, s.done(ctx, op, key, uploadID, start, err)
	}
	etag := multipart.NormalizeETag(aws.ToString(out.ETag))
	if etag == "" {
		return multipart.Part{}, s.done(ctx, op, key, uploadID, start, fmt.Errorf("the store returned no ETag for part %d", number))
	}
	return multipart.Part{Number: number, ETag: etag, Size: size}, s.done(ctx, op, key, uploadID, start, nil)
}

// CompleteUpload assembles parts into the object key and returns its ETag.
// With opts.IfMatch, a key that has no object fails with
// [multipart.ErrPreconditionFailed] (S3 answers 404 NoSuchKey).
func (s *Store) CompleteUpload(ctx context.Context, key, uploadID string, parts []multipart.Part, opts multipart.CompleteOptions) (string, error) {
	const op = "CompleteMultipartUpload"
	completed, err := completedParts(parts)
	if err != nil {
		return "", &multipart.Error{Op: op, Bucket: s.bucket, Key: key, UploadID: uploadID, Kind: multipart.ErrInvalidPart, Err: err}
	}
	in := &s3.CompleteMultipartUploadInput{
		Bucket:          &s.bucket,
		Key:             &key,
		UploadId:        &uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: completed},
	}
	if opts.IfNoneMatch {
		in.IfNoneMatch = aws.String("*")
	}
	if opts.IfMatch != "" {
		in.IfMatch = aws.String(quoteETag(opts.IfMatch))
	}
	start := time.Now()
	out, err := s.client.CompleteMultipartUpload(ctx, in)
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
	return multipart.NormalizeETag(aws.ToString(out.ETag)), s.done(ctx, op, key, uploadID, start, nil)
}

// completedParts converts parts to the SDK's type, quoting the ETags. It
// rejects lists S3 would reject for reasons known before sending: no parts,
// a part number out of range, an empty ETag.
func completedParts(parts []multipart.Part) ([]types.CompletedPart, error) {
	if len(parts) == 0 {
		return nil, errors.New("no parts to complete")
	}
	out := make([]types.CompletedPart, len(parts))
	for i, p := range parts {
		if p.Number < 1 || p.Number > multipart.MaxParts {
			return nil, fmt.Errorf("part number %d outside 1 to %d", p.Number, multipart.MaxParts)
		}
		etag := multipart.NormalizeETag(p.ETag)
		if etag == "" {
			return nil, fmt.Errorf("part %d has no ETag", p.Number)
		}
		out[i] = types.CompletedPart{PartNumber: aws.Int32(p.Number), ETag: aws.String(quoteETag(etag))}
	}
	return out, nil
}

// quoteETag returns etag in the quoted form S3 sends and expects.
func quoteETag(etag string) string {
	return `"` + multipart.NormalizeETag(etag) + `"`
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
	_, err := s.client.ListParts(ctx, &s3.ListPartsInput{
		Bucket: &s.bucket, Key: &key, UploadId: &uploadID, MaxParts: aws.Int32(1),
	})
	if err != nil {
		e := newError(ctx, op, s.bucket, key, uploadID, err)
		if e.Kind == multipart.ErrNoSuchUpload || e.Kind == multipart.ErrBucketNotFound || ctx.Err() != nil {
			s.log(ctx, op, key, uploadID, start, e)
			return e
		}
	}
	_, err = s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket: &s.bucket, Key: &key, UploadId: &uploadID,
	})
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
		page := func(keyMarker, idMarker string) (*s3.ListMultipartUploadsOutput, error) {
			in := &s3.ListMultipartUploadsInput{Bucket: &s.bucket, MaxUploads: aws.Int32(s.pageSize)}
			if prefix != "" {
				in.Prefix = aws.String(prefix)
			}
			if keyMarker != "" {
				in.KeyMarker = aws.String(keyMarker)
			}
			if idMarker != "" {
				in.UploadIdMarker = aws.String(idMarker)
			}
			return s.client.ListMultipartUploads(ctx, in)
		}
		for {
			start := time.Now()
			km := keyMarker
			if keyBefore && idMarker != "" {
				if before, ok := markerBefore(keyMarker, lastKey, prevKey); ok {
					km = before
				}
			}
			out, err := page(km, idMarker)
			if err != nil && !keyBefore && idMarker != "" {
				if code, _ := errorCodeStatus(err); code == "InvalidArgument" {
					if before, ok := markerBefore(keyMarker, lastKey, prevKey); ok {
						if retry, retryErr := page(before, idMarker); retryErr == nil {
							if s.logger != nil {
								s.logger.DebugContext(ctx, "awsstore: the store rejects S3 upload-id-marker paging; using the key-marker before the last key",
									"bucket", s.bucket, "prefix", prefix)
							}
							out, err, keyBefore = retry, nil, true
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
			for _, u := range out.Uploads {
				up := multipart.Upload{Key: aws.ToString(u.Key), UploadID: aws.ToString(u.UploadId)}
				if u.Initiated != nil {
					up.Initiated = *u.Initiated
				}
				if up.Key != lastKey {
					prevKey, lastKey = lastKey, up.Key
				}
				if !yield(up, nil) {
					return
				}
			}
			if !aws.ToBool(out.IsTruncated) {
				return
			}
			nextKey, nextID := aws.ToString(out.NextKeyMarker), aws.ToString(out.NextUploadIdMarker)
			if nextKey == "" && len(out.Uploads) > 0 {
				// Some stores omit the Next markers; continue after the
				// last upload listed.
				last := out.Uploads[len(out.Uploads)-1]
				nextKey, nextID = aws.ToString(last.Key), aws.ToString(last.UploadId)
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
	in := &s3.ListPartsInput{Bucket: &s.bucket, Key: &key, UploadId: &uploadID, MaxParts: aws.Int32(s.pageSize)}
	var parts []multipart.Part
	for {
		start := time.Now()
		out, err := s.client.ListParts(ctx, in)
		if err != nil {
			return nil, s.done(ctx, op, key, uploadID, start, err)
		}
		_ = s.done(ctx, op, key, uploadID, start, nil)
		for _, p := range out.Parts {
			part := multipart.Part{
				Number: aws.ToInt32(p.PartNumber),
				ETag:   multipart.NormalizeETag(aws.ToString(p.ETag)),
				Size:   aws.ToInt64(p.Size),
			}
			if p.LastModified != nil {
				part.LastModified = *p.LastModified
			}
			parts = append(parts, part)
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		next := aws.ToString(out.NextPartNumberMarker)
		if next == "" && len(out.Parts) > 0 {
			next = strconv.Itoa(int(aws.ToInt32(out.Parts[len(out.Parts)-1].PartNumber)))
		}
		if next == "" || next == aws.ToString(in.PartNumberMarker) {
			return nil, s.done(ctx, op, key, uploadID, start,
				errors.New("truncated listing without a next part number marker that advances"))
		}
		in.PartNumberMarker = aws.String(next)
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
	in := &s3.PutObjectInput{Bucket: &s.bucket, Key: &key, Body: sec, ContentLength: aws.Int64(size)}
	if opts.ContentType != "" {
		in.ContentType = aws.String(opts.ContentType)
	}
	if opts.IfNoneMatch {
		in.IfNoneMatch = aws.String("*")
	}
	start := time.Now()
	out, err := s.client.PutObject(ctx, in, s.bodyOpts...)
	if err != nil {
		return "", s.done(ctx, op, key, "", start, err)
	}
	return multipart.NormalizeETag(aws.ToString(out.ETag)), s.done(ctx, op, key, "", start, nil)
}

// GetObject opens an object for reading. The caller closes the reader.
func (s *Store) GetObject(ctx context.Context, key string) (io.ReadCloser, multipart.ObjectInfo, error) {
	const op = "GetObject"
	start := time.Now()
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return nil, multipart.ObjectInfo{}, s.done(ctx, op, key, "", start, err)
	}
	info := multipart.ObjectInfo{
		Key:  key,
		Size: aws.ToInt64(out.ContentLength),
		ETag: multipart.NormalizeETag(aws.ToString(out.ETag)),
	}
	if out.LastModified != nil {
		info.LastModified = *out.LastModified
	}
	return out.Body, info, s.done(ctx, op, key, "", start, nil)
}

// HeadObject returns an object's metadata, [multipart.ErrNotFound] if it
// does not exist, or [multipart.ErrBucketNotFound] if the bucket does not.
func (s *Store) HeadObject(ctx context.Context, key string) (multipart.ObjectInfo, error) {
	const op = "HeadObject"
	start := time.Now()
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		e := newError(ctx, op, s.bucket, key, "", err)
		if e.Kind == multipart.ErrNotFound && s.bucketMissing(ctx) {
			e.Kind = multipart.ErrBucketNotFound
		}
		s.log(ctx, op, key, "", start, e)
		return multipart.ObjectInfo{}, e
	}
	info := multipart.ObjectInfo{
		Key:  key,
		Size: aws.ToInt64(out.ContentLength),
		ETag: multipart.NormalizeETag(aws.ToString(out.ETag)),
	}
	if out.LastModified != nil {
		info.LastModified = *out.LastModified
	}
	return info, s.done(ctx, op, key, "", start, nil)
}

// bucketMissing reports whether HeadBucket says the bucket does not exist.
//
// A HEAD response has no body, so HeadObject on a missing bucket gets a bare
// 404 that the SDK reports as "NotFound", the same as for a missing key
// (MinIO's x-minio-error-code header is not read by the SDK). Only in that
// case HeadObject asks HeadBucket, one extra request per not-found HEAD, to
// tell the two apart. Any HeadBucket failure other than 404 / NoSuchBucket
// (for example 403 when the credentials may not list the bucket) leaves the
// answer at "object not found".
func (s *Store) bucketMissing(ctx context.Context) bool {
	start := time.Now()
	_, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &s.bucket})
	if err == nil {
		s.log(ctx, "HeadBucket", "", "", start, nil)
		return false
	}
	e := newError(ctx, "HeadBucket", s.bucket, "", "", err)
	s.log(ctx, "HeadBucket", "", "", start, e)
	return e.Kind == multipart.ErrNotFound || e.Kind == multipart.ErrBucketNotFound
}

// ListObjects yields the objects whose key starts with prefix, one
// ListObjectsV2 page at a time as the caller iterates. On failure it yields
// one error and stops.
func (s *Store) ListObjects(ctx context.Context, prefix string) iter.Seq2[multipart.ObjectInfo, error] {
	const op = "ListObjectsV2"
	return func(yield func(multipart.ObjectInfo, error) bool) {
		in := &s3.ListObjectsV2Input{Bucket: &s.bucket, MaxKeys: aws.Int32(s.pageSize)}
		if prefix != "" {
			in.Prefix = aws.String(prefix)
		}
		for {
			start := time.Now()
			out, err := s.client.ListObjectsV2(ctx, in)
			if err != nil {
				yield(multipart.ObjectInfo{}, s.done(ctx, op, prefix, "", start, err))
				return
			}
			_ = s.done(ctx, op, prefix, "", start, nil)
			for _, o := range out.Contents {
				info := multipart.ObjectInfo{
					Key:  aws.ToString(o.Key),
					Size: aws.ToInt64(o.Size),
					ETag: multipart.NormalizeETag(aws.ToString(o.ETag)),
				}
				if o.LastModified != nil {
					info.LastModified = *o.LastModified
				}
				if !yield(info, nil) {
					return
				}
			}
			if !aws.ToBool(out.IsTruncated) {
				return
			}
			token := aws.ToString(out.NextContinuationToken)
			if token == "" || token == aws.ToString(in.ContinuationToken) {
				yield(multipart.ObjectInfo{}, s.done(ctx, op, prefix, "", start,
					errors.New("truncated listing without a continuation token that advances")))
				return
			}
			in.ContinuationToken = aws.String(token)
		}
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
		ids := make([]types.ObjectIdentifier, len(batch))
		for i := range batch {
			ids[i] = types.ObjectIdentifier{Key: aws.String(batch[i])}
		}
		start := time.Now()
		out, err := s.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: &s.bucket,
			Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		})
		if err != nil {
			e := newError(ctx, op, s.bucket, "", "", err)
			s.log(ctx, op, "", "", start, e)
			for _, key := range batch {
				ke := *e
				ke.Key = key
				errs = append(errs, &ke)
			}
			continue
		}
		s.log(ctx, op, "", "", start, nil)
		for _, d := range out.Errors {
			code := aws.ToString(d.Code)
			if code == "NoSuchKey" || code == "NoSuchVersion" {
				continue
			}
			errs = append(errs, &multipart.Error{
				Op: op, Bucket: s.bucket, Key: aws.ToString(d.Key),
				Kind: multipart.ClassifyHTTP(code, 0),
				Err:  &smithy.GenericAPIError{Code: code, Message: aws.ToString(d.Message)},
			})
		}
	}
	return errors.Join(errs...)
}
