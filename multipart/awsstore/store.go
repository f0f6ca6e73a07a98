package awsstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/storekit"
)

// Store is a [multipart.Store] on an aws-sdk-go-v2 S3 client. It is safe for
// concurrent use.
type Store struct {
	client   *s3.Client
	bucket   string
	pageSize int32
	logger   *slog.Logger
	// bodyOpts are the per-operation options of UploadPart and PutObject.
	bodyOpts []func(*s3.Options)
	// requests runs every request: argument checks, logging, errors.
	requests *storekit.Requests
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
	load = append(load, config.WithRetryMaxAttempts(opts.retryMaxAttempts()))
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
		// Bound what a misbehaving store can make the SDK read; after the
		// SDK has set up its own client (timeouts, AWS_CA_BUNDLE).
		o.HTTPClient = storekit.NewDoer(o.HTTPClient)
	})
	// The endpoint may come from the environment or the profile (the
	// client resolves AWS_ENDPOINT_URL_S3 itself): check what it uses.
	endpoint := aws.ToString(client.Options().BaseEndpoint)
	if u, err := url.Parse(endpoint); err == nil && u.User != nil {
		return nil, fmt.Errorf("awsstore: %w", credentialsInEndpoint(endpointSource(opts), endpoint))
	}
	st := newStore(client, opts.Bucket, opts)
	if st.logger != nil {
		st.logger.Debug("awsstore: store ready", "bucket", opts.Bucket, "endpoint", storekit.RedactURL(endpoint),
			"region", cfg.Region, "path_style", opts.UsePathStyle, "checksums", opts.Checksums.String(),
			"payload_signing", opts.PayloadSigning.String(), "max_connections", opts.maxConnections())
	}
	return st, nil
}

// endpointSource names where the endpoint URL of a client that New built
// from opts comes from, for errors.
func endpointSource(opts Options) string {
	switch {
	case opts.EndpointURL != "":
		return "Options.EndpointURL"
	case os.Getenv("AWS_ENDPOINT_URL_S3") != "":
		return "AWS_ENDPOINT_URL_S3"
	case os.Getenv("AWS_ENDPOINT_URL") != "":
		return "AWS_ENDPOINT_URL"
	}
	return "the profile's endpoint_url"
}

// NewFromClient returns a Store on bucket that uses client as it is
// configured (endpoint, region, credentials, HTTP client, retries and
// checksum settings). Of opts it uses PayloadSigning, ListPageSize and
// Logger; opts.Bucket is ignored. It panics if client is nil, bucket is
// empty or those options are invalid, which are programming errors.
//
// s3commit retries in one layer, [multipart.RetryingStore]: give it a
// client whose retryer makes one attempt (s3.Options.RetryMaxAttempts =
// 1), or the attempts multiply.
//
// The client's HTTP client reads answers as it is configured: the bounds
// that a Store made by [New] puts on the bodies of answers
// ([multipart.ErrResponseTooLarge]) do not apply.
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
		requests: newRequests(bucket, opts.Logger),
	}
	if opts.PayloadSigning == UnsignedPayload {
		st.bodyOpts = []func(*s3.Options){func(o *s3.Options) {
			o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
		}}
	}
	return st
}

// newRequests returns what runs a Store's requests on bucket, logging to
// logger and classifying the SDK's errors.
func newRequests(bucket string, logger *slog.Logger) *storekit.Requests {
	return &storekit.Requests{
		Backend:    "awsstore",
		Bucket:     bucket,
		Logger:     logger,
		Classify:   classify,
		CodeStatus: errorCodeStatus,
	}
}

// Client returns the underlying S3 client, for operations the Store does
// not offer.
func (s *Store) Client() *s3.Client { return s.client }

// Bucket returns the name of the bucket this store operates on.
func (s *Store) Bucket() string { return s.bucket }

// CreateUpload starts a multipart upload for key and returns its upload ID.
func (s *Store) CreateUpload(ctx context.Context, key string, opts multipart.CreateOptions) (string, error) {
	return s.requests.CreateUpload(ctx, key, func() (string, error) {
		in := &s3.CreateMultipartUploadInput{Bucket: &s.bucket, Key: &key}
		if opts.ContentType != "" {
			in.ContentType = aws.String(opts.ContentType)
		}
		if len(opts.Metadata) > 0 {
			in.Metadata = opts.Metadata
		}
		if opts.Checksum != "" {
			in.ChecksumAlgorithm = types.ChecksumAlgorithm(opts.Checksum)
			in.ChecksumType = types.ChecksumTypeFullObject
		}
		out, err := s.client.CreateMultipartUpload(ctx, in)
		if err != nil {
			return "", err
		}
		return aws.ToString(out.UploadId), nil
	})
}

// UploadPart uploads part number of an upload, streaming size bytes of body
// from its current position.
func (s *Store) UploadPart(ctx context.Context, key, uploadID string, number int32, body io.ReadSeeker, size int64, opts multipart.PartOptions) (multipart.Part, error) {
	return s.requests.UploadPart(ctx, key, uploadID, number, body, size, opts, func(body *storekit.SizedBody) (string, error) {
		in := &s3.UploadPartInput{
			Bucket:        &s.bucket,
			Key:           &key,
			UploadId:      &uploadID,
			PartNumber:    aws.Int32(number),
			Body:          body,
			ContentLength: aws.Int64(size),
		}
		setPartChecksum(opts.Checksum, &in.ChecksumCRC64NVME, &in.ChecksumCRC32C, &in.ChecksumCRC32)
		out, err := s.client.UploadPart(ctx, in, s.bodyOpts...)
		if err != nil {
			return "", err
		}
		return aws.ToString(out.ETag), nil
	})
}

// CompleteUpload assembles parts into the object key and returns its ETag.
// With opts.IfMatch, a key that has no object fails with
// [multipart.ErrPreconditionFailed] (S3 answers 404 NoSuchKey).
func (s *Store) CompleteUpload(ctx context.Context, key, uploadID string, parts []multipart.Part, opts multipart.CompleteOptions) (string, error) {
	return s.requests.CompleteUpload(ctx, key, uploadID, parts, opts, func() (string, error) {
		completed := make([]types.CompletedPart, len(parts))
		for i, p := range parts {
			completed[i] = types.CompletedPart{PartNumber: aws.Int32(p.Number), ETag: aws.String(storekit.QuoteETag(p.ETag))}
			setPartChecksum(p.Checksum, &completed[i].ChecksumCRC64NVME, &completed[i].ChecksumCRC32C, &completed[i].ChecksumCRC32)
		}
		in := &s3.CompleteMultipartUploadInput{
			Bucket:          &s.bucket,
			Key:             &key,
			UploadId:        &uploadID,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: completed},
		}
		if !opts.Checksum.IsZero() {
			setPartChecksum(opts.Checksum, &in.ChecksumCRC64NVME, &in.ChecksumCRC32C, &in.ChecksumCRC32)
			in.ChecksumType = types.ChecksumTypeFullObject
		}
		if opts.ObjectSize > 0 {
			in.MpuObjectSize = aws.Int64(opts.ObjectSize)
		}
		if opts.IfNoneMatch {
			in.IfNoneMatch = aws.String("*")
		}
		if opts.IfMatch != "" {
			in.IfMatch = aws.String(storekit.QuoteETag(opts.IfMatch))
		}
		out, err := s.client.CompleteMultipartUpload(ctx, in)
		if err != nil {
			return "", err
		}
		return aws.ToString(out.ETag), nil
	})
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
	exists := func() error {
		_, err := s.client.ListParts(ctx, &s3.ListPartsInput{
			Bucket: &s.bucket, Key: &key, UploadId: &uploadID, MaxParts: aws.Int32(1),
		})
		return err
	}
	abort := func() error {
		_, err := s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
			Bucket: &s.bucket, Key: &key, UploadId: &uploadID,
		})
		return err
	}
	return s.requests.AbortUpload(ctx, key, uploadID, exists, abort)
}

// ListUploads yields the uncompleted uploads whose key starts with prefix,
// one ListMultipartUploads page at a time as the caller iterates. On
// failure it yields one error and stops; a listing the store does not let
// end (see [storekit.Listing.Pages]) stops with an error matching
// [multipart.ErrEndlessListing].
//
// Pages continue from the previous page's NextKeyMarker and
// NextUploadIdMarker. When the store rejects that pair with
// InvalidArgument, as versitygw does, the listing switches to the
// key-marker that store expects, and the Store keeps using it for later
// listings.
func (s *Store) ListUploads(ctx context.Context, prefix string) iter.Seq2[multipart.Upload, error] {
	return s.requests.ListUploads(ctx, prefix, func(keyMarker, uploadIDMarker string) (storekit.UploadPage, error) {
		in := &s3.ListMultipartUploadsInput{Bucket: &s.bucket, MaxUploads: aws.Int32(s.pageSize), EncodingType: types.EncodingTypeUrl}
		if prefix != "" {
			in.Prefix = aws.String(prefix)
		}
		if keyMarker != "" {
			in.KeyMarker = aws.String(keyMarker)
		}
		if uploadIDMarker != "" {
			in.UploadIdMarker = aws.String(uploadIDMarker)
		}
		out, err := s.client.ListMultipartUploads(ctx, in)
		if err != nil {
			return storekit.UploadPage{}, err
		}
		encoded := out.EncodingType == types.EncodingTypeUrl
		next, err := listedKey(out.NextKeyMarker, encoded)
		if err != nil {
			return storekit.UploadPage{}, err
		}
		page := storekit.UploadPage{
			Truncated:          aws.ToBool(out.IsTruncated),
			NextKeyMarker:      next,
			NextUploadIDMarker: aws.ToString(out.NextUploadIdMarker),
		}
		for _, u := range out.Uploads {
			key, err := listedKey(u.Key, encoded)
			if err != nil {
				return storekit.UploadPage{}, err
			}
			up := multipart.Upload{Key: key, UploadID: aws.ToString(u.UploadId)}
			if u.Initiated != nil {
				up.Initiated = *u.Initiated
			}
			page.Uploads = append(page.Uploads, up)
		}
		return page, nil
	})
}

// ListParts returns the parts uploaded so far for an upload, sorted by part
// number, fetching every page.
func (s *Store) ListParts(ctx context.Context, key, uploadID string) ([]multipart.Part, error) {
	parts := storekit.Listing[multipart.Part, string]{
		Op: "ListParts", Key: key, UploadID: uploadID, Marker: "next part number marker",
		Fetch: func(marker string) (storekit.ListPage[multipart.Part, string], error) {
			in := &s3.ListPartsInput{Bucket: &s.bucket, Key: &key, UploadId: &uploadID, MaxParts: aws.Int32(s.pageSize)}
			if marker != "" {
				in.PartNumberMarker = aws.String(marker)
			}
			out, err := s.client.ListParts(ctx, in)
			if err != nil {
				return storekit.ListPage[multipart.Part, string]{}, err
			}
			page := storekit.ListPage[multipart.Part, string]{
				More: aws.ToBool(out.IsTruncated),
				Next: aws.ToString(out.NextPartNumberMarker),
			}
			for _, p := range out.Parts {
				part := multipart.Part{
					Number:   aws.ToInt32(p.PartNumber),
					ETag:     multipart.NormalizeETag(aws.ToString(p.ETag)),
					Size:     aws.ToInt64(p.Size),
					Checksum: storekit.ChecksumOf(aws.ToString(p.ChecksumCRC64NVME), aws.ToString(p.ChecksumCRC32C), aws.ToString(p.ChecksumCRC32)),
				}
				if p.LastModified != nil {
					part.LastModified = *p.LastModified
				}
				page.Items = append(page.Items, part)
			}
			if page.Next == "" && len(out.Parts) > 0 {
				page.Next = strconv.Itoa(int(aws.ToInt32(out.Parts[len(out.Parts)-1].PartNumber)))
			}
			return page, nil
		},
	}
	return storekit.SortedParts(parts.Pages(ctx, s.requests))
}

// PutObject writes a small object in one request, streaming size bytes of
// body from its current position, and returns its ETag. opts.Checksum is
// sent as its x-amz-checksum-<algorithm> header; without it the SDK sends
// the checksum its configuration asks for (see [Options.Checksums]).
func (s *Store) PutObject(ctx context.Context, key string, body io.ReadSeeker, size int64, opts multipart.PutOptions) (string, error) {
	return s.requests.PutObject(ctx, key, body, size, func(body *storekit.SizedBody) (string, error) {
		in := &s3.PutObjectInput{Bucket: &s.bucket, Key: &key, Body: body, ContentLength: aws.Int64(size)}
		if opts.ContentType != "" {
			in.ContentType = aws.String(opts.ContentType)
		}
		if opts.IfNoneMatch {
			in.IfNoneMatch = aws.String("*")
		}
		// With a checksum header set, the SDK computes none of its own.
		setPartChecksum(opts.Checksum, &in.ChecksumCRC64NVME, &in.ChecksumCRC32C, &in.ChecksumCRC32)
		out, err := s.client.PutObject(ctx, in, s.bodyOpts...)
		if err != nil {
			return "", err
		}
		return aws.ToString(out.ETag), nil
	})
}

// GetObject opens an object for reading. The caller closes the reader.
func (s *Store) GetObject(ctx context.Context, key string) (io.ReadCloser, multipart.ObjectInfo, error) {
	return s.requests.GetObject(ctx, key, func() (io.ReadCloser, multipart.ObjectInfo, error) {
		// The object's content is not bounded, unlike every other answer.
		out, err := s.client.GetObject(storekit.WithObjectData(ctx), &s3.GetObjectInput{Bucket: &s.bucket, Key: &key})
		if err != nil {
			return nil, multipart.ObjectInfo{}, err
		}
		return out.Body, objectInfo(key, out.ContentLength, out.ETag, out.LastModified), nil
	})
}

// HeadObject returns an object's metadata, [multipart.ErrNotFound] if it
// does not exist, or [multipart.ErrBucketNotFound] if the bucket does not.
func (s *Store) HeadObject(ctx context.Context, key string) (multipart.ObjectInfo, error) {
	head := func() (multipart.ObjectInfo, error) {
		out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key, ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			return multipart.ObjectInfo{}, err
		}
		info := objectInfo(key, out.ContentLength, out.ETag, out.LastModified)
		info.Checksum = storekit.ChecksumOf(aws.ToString(out.ChecksumCRC64NVME), aws.ToString(out.ChecksumCRC32C), aws.ToString(out.ChecksumCRC32))
		info.ChecksumType = string(out.ChecksumType)
		return info, nil
	}
	return s.requests.HeadObject(ctx, key, head, func() bool { return s.bucketMissing(ctx) })
}

// setPartChecksum sets the field of c's algorithm among the SDK's checksum
// fields; a zero c sets none.
func setPartChecksum(c multipart.Checksum, crc64nvme, crc32c, crc32 **string) {
	switch c.Algorithm {
	case multipart.ChecksumCRC64NVME:
		*crc64nvme = aws.String(c.Value)
	case multipart.ChecksumCRC32C:
		*crc32c = aws.String(c.Value)
	case multipart.ChecksumCRC32:
		*crc32 = aws.String(c.Value)
	}
}

// objectInfo converts the metadata fields of the SDK's outputs.
func objectInfo(key string, size *int64, etag *string, lastModified *time.Time) multipart.ObjectInfo {
	info := multipart.ObjectInfo{
		Key:  key,
		Size: aws.ToInt64(size),
		ETag: multipart.NormalizeETag(aws.ToString(etag)),
	}
	if lastModified != nil {
		info.LastModified = *lastModified
	}
	return info
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
		s.requests.Log(ctx, "HeadBucket", "", "", start, nil)
		return false
	}
	e := s.requests.Error(ctx, "HeadBucket", "", "", err)
	s.requests.Log(ctx, "HeadBucket", "", "", start, e)
	return e.Kind == multipart.ErrNotFound || e.Kind == multipart.ErrBucketNotFound
}

// ListObjects yields the objects whose key starts with prefix, one
// ListObjectsV2 page at a time as the caller iterates. On failure it yields
// one error and stops; a listing the store does not let end (a
// continuation token that repeats, or truncated pages without entries
// page after page, see [storekit.Listing.Pages]) stops with an error
// matching [multipart.ErrEndlessListing].
func (s *Store) ListObjects(ctx context.Context, prefix string) iter.Seq2[multipart.ObjectInfo, error] {
	objects := storekit.Listing[multipart.ObjectInfo, string]{
		Op: "ListObjectsV2", Key: prefix, Marker: "continuation token",
		Fetch: func(token string) (storekit.ListPage[multipart.ObjectInfo, string], error) {
			in := &s3.ListObjectsV2Input{Bucket: &s.bucket, MaxKeys: aws.Int32(s.pageSize), EncodingType: types.EncodingTypeUrl}
			if prefix != "" {
				in.Prefix = aws.String(prefix)
			}
			if token != "" {
				in.ContinuationToken = aws.String(token)
			}
			out, err := s.client.ListObjectsV2(ctx, in)
			if err != nil {
				return storekit.ListPage[multipart.ObjectInfo, string]{}, err
			}
			page := storekit.ListPage[multipart.ObjectInfo, string]{
				More: aws.ToBool(out.IsTruncated),
				Next: aws.ToString(out.NextContinuationToken),
			}
			for _, o := range out.Contents {
				key, err := listedKey(o.Key, out.EncodingType == types.EncodingTypeUrl)
				if err != nil {
					return storekit.ListPage[multipart.ObjectInfo, string]{}, err
				}
				page.Items = append(page.Items, objectInfo(key, o.Size, o.ETag, o.LastModified))
			}
			return page, nil
		},
	}
	return objects.Pages(ctx, s.requests)
}

// DeleteObjects deletes keys with DeleteObjects requests of at most 1000
// keys. Keys that do not exist are not errors. The returned error joins one
// *multipart.Error per key that was not deleted; when a whole request fails
// (missing bucket, access denied, network), every key of its batch gets an
// error of that kind.
func (s *Store) DeleteObjects(ctx context.Context, keys []string) error {
	const op = "DeleteObjects"
	return s.requests.DeleteObjects(ctx, keys, func(batch []string) ([]*multipart.Error, []string, error) {
		ids := make([]types.ObjectIdentifier, len(batch))
		for i := range batch {
			ids[i] = types.ObjectIdentifier{Key: aws.String(batch[i])}
		}
		out, err := s.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: &s.bucket,
			Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		})
		if err != nil {
			return nil, batch, err
		}
		var failed []*multipart.Error
		for _, d := range out.Errors {
			code := aws.ToString(d.Code)
			if storekit.IsAbsentKeyCode(code) {
				continue
			}
			failed = append(failed, &multipart.Error{
				Op: op, Bucket: s.bucket, Key: aws.ToString(d.Key),
				Kind: storekit.ClassifyHTTP(code, 0),
				Err:  &smithy.GenericAPIError{Code: code, Message: aws.ToString(d.Message)},
			})
		}
		return failed, nil, nil
	})
}

// Endpoint returns the store's endpoint URL (without credentials), or
// names the AWS region when the standard AWS endpoint is used.
func (s *Store) Endpoint() string {
	o := s.client.Options()
	if o.BaseEndpoint != nil && *o.BaseEndpoint != "" {
		return storekit.RedactURL(*o.BaseEndpoint)
	}
	return "AWS S3 in " + o.Region
}
