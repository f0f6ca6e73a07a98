package miniostore

import (
	"context"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"maps"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/storekit"
)

// Store is a [multipart.Store] on a minio-go Core client. It is safe for
// concurrent use.
type Store struct {
	core            *minio.Core
	bucket          string
	pageSize        int
	unsignedPayload bool
	logger          *slog.Logger
	// requests runs every request: argument checks, logging, errors.
	requests *storekit.Requests
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
	transport = storekit.NewTransport(transport)
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
		MaxRetries:   opts.retryMaxAttempts(),
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
//
// s3commit retries in one layer, [multipart.RetryingStore]: give it a
// client made with minio.Options.MaxRetries = 1, or the attempts multiply
// (minio-go's default is 10).
//
// The core's transport sends the requests as it is configured: the bounds
// that a Store made by [New] puts on the bodies of answers
// ([multipart.ErrResponseTooLarge]) and its watch over the pages of object
// listings do not apply.
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
		requests:        newRequests(bucket, opts.Logger),
	}
}

// newRequests returns what runs a Store's requests on bucket, logging to
// logger and classifying minio-go's errors.
func newRequests(bucket string, logger *slog.Logger) *storekit.Requests {
	return &storekit.Requests{
		Backend:    "miniostore",
		Bucket:     bucket,
		Logger:     logger,
		Classify:   classify,
		CodeStatus: errorCodeStatus,
	}
}

// Core returns the underlying minio-go client, for operations the Store
// does not offer.
func (s *Store) Core() *minio.Core { return s.core }

// Bucket returns the name of the bucket this store operates on.
func (s *Store) Bucket() string { return s.bucket }

// CreateUpload starts a multipart upload for key and returns its upload ID.
func (s *Store) CreateUpload(ctx context.Context, key string, opts multipart.CreateOptions) (string, error) {
	return s.requests.CreateUpload(ctx, key, func() (string, error) {
		putOpts := minio.PutObjectOptions{
			ContentType:  opts.ContentType,
			UserMetadata: opts.Metadata,
		}
		if opts.Checksum != "" {
			// minio-go sends x-amz-checksum-* entries of the metadata as
			// headers of their own.
			putOpts.UserMetadata = maps.Clone(opts.Metadata)
			if putOpts.UserMetadata == nil {
				putOpts.UserMetadata = map[string]string{}
			}
			putOpts.UserMetadata["x-amz-checksum-algorithm"] = string(opts.Checksum)
			putOpts.UserMetadata["x-amz-checksum-type"] = multipart.ChecksumTypeFullObject
		}
		return s.core.NewMultipartUpload(ctx, s.bucket, key, putOpts)
	})
}

// UploadPart uploads part number of an upload, streaming size bytes of body
// from its current position.
func (s *Store) UploadPart(ctx context.Context, key, uploadID string, number int32, body io.ReadSeeker, size int64, opts multipart.PartOptions) (multipart.Part, error) {
	return s.requests.UploadPart(ctx, key, uploadID, number, body, size, opts, func(body *storekit.SizedBody) (string, error) {
		partOpts := minio.PutObjectPartOptions{DisableContentSha256: s.unsignedPayload}
		if !opts.Checksum.IsZero() {
			partOpts.CustomHeader = http.Header{checksumHeader(opts.Checksum.Algorithm): {opts.Checksum.Value}}
		}
		p, err := s.core.PutObjectPart(ctx, s.bucket, key, uploadID, int(number), body, size, partOpts)
		return p.ETag, err
	})
}

// CompleteUpload assembles parts into the object key and returns its ETag.
// With opts.IfMatch, a key that has no object fails with
// [multipart.ErrPreconditionFailed] (S3 answers 404 NoSuchKey).
func (s *Store) CompleteUpload(ctx context.Context, key, uploadID string, parts []multipart.Part, opts multipart.CompleteOptions) (string, error) {
	return s.requests.CompleteUpload(ctx, key, uploadID, parts, opts, func() (string, error) {
		completed := make([]minio.CompletePart, len(parts))
		for i, p := range parts {
			completed[i] = minio.CompletePart{PartNumber: int(p.Number), ETag: storekit.QuoteETag(p.ETag)}
			switch p.Checksum.Algorithm {
			case multipart.ChecksumCRC64NVME:
				completed[i].ChecksumCRC64NVME = p.Checksum.Value
			case multipart.ChecksumCRC32C:
				completed[i].ChecksumCRC32C = p.Checksum.Value
			case multipart.ChecksumCRC32:
				completed[i].ChecksumCRC32 = p.Checksum.Value
			}
		}
		var putOpts minio.PutObjectOptions
		if !opts.Checksum.IsZero() {
			// minio-go cannot send x-amz-mp-object-size (ObjectSize): its
			// requests carry only the headers of PutObjectOptions, which
			// turns unknown names into user metadata. MinIO ignores it.
			putOpts.UserMetadata = map[string]string{
				checksumHeader(opts.Checksum.Algorithm): opts.Checksum.Value,
				"x-amz-checksum-type":                   multipart.ChecksumTypeFullObject,
			}
		}
		if opts.IfNoneMatch {
			putOpts.SetMatchETagExcept("*") // If-None-Match: *
		}
		if opts.IfMatch != "" {
			putOpts.SetMatchETag(multipart.NormalizeETag(opts.IfMatch)) // If-Match: "<etag>"
		}
		info, err := s.core.CompleteMultipartUpload(ctx, s.bucket, key, uploadID, completed, putOpts)
		return info.ETag, err
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
		_, err := s.core.ListObjectParts(ctx, s.bucket, key, uploadID, 0, 1)
		return err
	}
	abort := func() error { return s.core.AbortMultipartUpload(ctx, s.bucket, key, uploadID) }
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
		res, err := s.core.ListMultipartUploads(ctx, s.bucket, prefix, keyMarker, uploadIDMarker, "", s.pageSize)
		if err != nil {
			return storekit.UploadPage{}, err
		}
		page := storekit.UploadPage{
			Truncated:          res.IsTruncated,
			NextKeyMarker:      res.NextKeyMarker,
			NextUploadIDMarker: res.NextUploadIDMarker,
		}
		for _, u := range res.Uploads {
			page.Uploads = append(page.Uploads, multipart.Upload{Key: u.Key, UploadID: u.UploadID, Initiated: u.Initiated})
		}
		return page, nil
	})
}

// ListParts returns the parts uploaded so far for an upload, sorted by part
// number, fetching every page.
func (s *Store) ListParts(ctx context.Context, key, uploadID string) ([]multipart.Part, error) {
	parts := storekit.Listing[multipart.Part, int]{
		Op: "ListParts", Key: key, UploadID: uploadID, Marker: "next part number marker",
		Fetch: func(marker int) (storekit.ListPage[multipart.Part, int], error) {
			res, err := s.core.ListObjectParts(ctx, s.bucket, key, uploadID, marker, s.pageSize)
			if err != nil {
				return storekit.ListPage[multipart.Part, int]{}, err
			}
			page := storekit.ListPage[multipart.Part, int]{More: res.IsTruncated, Next: res.NextPartNumberMarker}
			for _, p := range res.ObjectParts {
				page.Items = append(page.Items, multipart.Part{
					Number:       int32(p.PartNumber),
					ETag:         multipart.NormalizeETag(p.ETag),
					Size:         p.Size,
					LastModified: p.LastModified,
					Checksum:     storekit.ChecksumOf(p.ChecksumCRC64NVME, p.ChecksumCRC32C, p.ChecksumCRC32),
				})
			}
			if page.Next == 0 && len(res.ObjectParts) > 0 {
				page.Next = res.ObjectParts[len(res.ObjectParts)-1].PartNumber
			}
			return page, nil
		},
		Advances: func(next, marker int) bool { return next > marker },
	}
	return storekit.SortedParts(parts.Pages(ctx, s.requests))
}

// PutObject writes a small object in one request, streaming size bytes of
// body from its current position, and returns its ETag. opts.Checksum is
// sent as its x-amz-checksum-<algorithm> header, the request's only
// checksum: minio-go then adds none of its own (the CRC32C trailer that a
// client made with minio.Options.TrailingHeaders sends otherwise).
func (s *Store) PutObject(ctx context.Context, key string, body io.ReadSeeker, size int64, opts multipart.PutOptions) (string, error) {
	return s.requests.PutObject(ctx, key, body, size, func(body *storekit.SizedBody) (string, error) {
		putOpts := minio.PutObjectOptions{
			ContentType:          opts.ContentType,
			DisableContentSha256: s.unsignedPayload,
		}
		if opts.IfNoneMatch {
			putOpts.SetMatchETagExcept("*") // If-None-Match: *
		}
		if !opts.Checksum.IsZero() {
			// minio-go sends x-amz-checksum-* entries of the metadata as
			// headers of their own, and then adds no checksum of its own.
			putOpts.UserMetadata = map[string]string{checksumHeader(opts.Checksum.Algorithm): opts.Checksum.Value}
		}
		info, err := s.core.PutObject(ctx, s.bucket, key, body, size, "", "", putOpts)
		return info.ETag, err
	})
}

// GetObject opens an object for reading. The caller closes the reader.
func (s *Store) GetObject(ctx context.Context, key string) (io.ReadCloser, multipart.ObjectInfo, error) {
	return s.requests.GetObject(ctx, key, func() (io.ReadCloser, multipart.ObjectInfo, error) {
		// The object's content is not bounded, unlike every other answer.
		rc, oi, _, err := s.core.GetObject(storekit.WithObjectData(ctx), s.bucket, key, minio.GetObjectOptions{})
		if err != nil {
			return nil, multipart.ObjectInfo{}, err
		}
		return rc, objectInfo(key, oi), nil
	})
}

// objectInfo converts minio-go's object metadata; key is the object's key
// where oi does not name it.
func objectInfo(key string, oi minio.ObjectInfo) multipart.ObjectInfo {
	if oi.Key != "" {
		key = oi.Key
	}
	return multipart.ObjectInfo{
		Key:          key,
		Size:         oi.Size,
		ETag:         multipart.NormalizeETag(oi.ETag),
		LastModified: oi.LastModified,
		Checksum:     storekit.ChecksumOf(oi.ChecksumCRC64NVME, oi.ChecksumCRC32C, oi.ChecksumCRC32),
		ChecksumType: oi.ChecksumMode,
	}
}

// checksumHeader returns the name of the header that carries a checksum
// of algorithm a, e.g. x-amz-checksum-crc64nvme.
func checksumHeader(a multipart.ChecksumAlgorithm) string {
	return "x-amz-checksum-" + strings.ToLower(string(a))
}

// HeadObject returns an object's metadata, [multipart.ErrNotFound] if it
// does not exist, or [multipart.ErrBucketNotFound] if the bucket does not.
func (s *Store) HeadObject(ctx context.Context, key string) (multipart.ObjectInfo, error) {
	head := func() (multipart.ObjectInfo, error) {
		oi, err := s.core.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{Checksum: true})
		if err != nil {
			return multipart.ObjectInfo{}, err
		}
		return objectInfo(key, oi), nil
	}
	return s.requests.HeadObject(ctx, key, head, func() bool { return s.bucketMissing(ctx) })
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
		s.requests.Log(ctx, "HeadBucket", "", "", start, s.requests.Error(ctx, "HeadBucket", "", "", err))
		return false
	}
	s.requests.Log(ctx, "HeadBucket", "", "", start, nil)
	return !exists
}

// ListObjects yields the objects whose key starts with prefix, one
// ListObjectsV2 page at a time as the caller iterates. On failure it yields
// one error and stops.
//
// minio-go requests the pages itself; on a Store made by [New] the
// Store's transport watches them and ends a listing the store does not let
// end (a continuation token that repeats, or [storekit.MaxEmptyPages]
// truncated pages in a row without entries) with an error matching
// [multipart.ErrEndlessListing]. A Store made by [NewFromCore] sends the
// requests with the core's own transport, which does not watch them:
// there only the end of ctx stops such a listing.
func (s *Store) ListObjects(ctx context.Context, prefix string) iter.Seq2[multipart.ObjectInfo, error] {
	const op = "ListObjectsV2"
	return func(yield func(multipart.ObjectInfo, error) bool) {
		start := time.Now()
		pages := &objectPages{guard: storekit.NewPageGuard[string]("continuation token")}
		fetchOwner := false
		objects := s.core.ListObjectsIter(storekit.WithRequestCheck(ctx, pages.check), s.bucket, minio.ListObjectsOptions{
			Prefix:     prefix,
			Recursive:  true,
			MaxKeys:    s.pageSize,
			FetchOwner: &fetchOwner,
		})
		for oi := range objects {
			if oi.Err != nil {
				yield(multipart.ObjectInfo{}, s.requests.Done(ctx, op, prefix, "", start, pages.failure(oi.Err)))
				return
			}
			pages.entry()
			if !yield(objectInfo(oi.Key, oi), nil) {
				return
			}
		}
		// minio-go ends the listing silently when ctx is done; report it
		// so that an interrupted listing is not taken for a complete one.
		if err := ctx.Err(); err != nil {
			yield(multipart.ObjectInfo{}, s.requests.Done(ctx, op, prefix, "", start, err))
			return
		}
		_ = s.requests.Done(ctx, op, prefix, "", start, nil)
	}
}

// objectPages watches the ListObjectsV2 requests minio-go sends for one
// listing (see [storekit.WithRequestCheck]) and stops the listing when the
// store does not let it end.
type objectPages struct {
	mu       sync.Mutex
	guard    *storekit.PageGuard[string]
	requests int   // ListObjectsV2 requests sent
	entries  int   // entries yielded since the last request
	err      error // why the guard stopped the listing
}

// check is the request check: every request after the first continues at
// the token the previous page gave, which the guard checks.
func (p *objectPages) check(req *http.Request) error {
	q := req.URL.Query()
	if req.Method != http.MethodGet || q.Get("list-type") != "2" {
		return nil // another request of the listing, e.g. GetBucketLocation
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests++
	if p.requests > 1 && p.err == nil {
		p.err = p.guard.Next(q.Get("continuation-token"), p.entries)
	}
	p.entries = 0
	return p.err
}

// entry records an entry yielded.
func (p *objectPages) entry() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.entries++
}

// failure returns the error to report for the listing's error err: the
// guard's, if it stopped the listing.
func (p *objectPages) failure(err error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	return err
}

// DeleteObjects deletes keys with DeleteObjects requests of at most 1000
// keys. Keys that do not exist are not errors. The returned error joins one
// *multipart.Error per key that was not deleted; when a whole request fails
// (missing bucket, access denied, network), every key of its batch gets an
// error of that kind.
func (s *Store) DeleteObjects(ctx context.Context, keys []string) error {
	const op = "DeleteObjects"
	return s.requests.DeleteObjects(ctx, keys, func(batch []string) (failed []*multipart.Error, undone []string, err error) {
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
				if code, _ := errorCodeStatus(r.Err); storekit.IsAbsentKeyCode(code) {
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
				failed = append(failed, s.requests.Error(ctx, op, r.ObjectName, "", r.Err))
			}
		}
		for _, k := range batch {
			if pending[k] {
				delete(pending, k) // report a duplicated key once
				undone = append(undone, k)
			}
		}
		return failed, undone, err
	})
}

// Endpoint returns the store's endpoint URL, without credentials.
func (s *Store) Endpoint() string { return storekit.RedactURL(s.core.EndpointURL().String()) }
