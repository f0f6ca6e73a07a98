package awsstore_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/internal/testserver"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/awsstore"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/multipart/storetest"
)

func TestMain(m *testing.M) { testserver.Run(m) }

// newStore returns an awsstore on the server, with a small list page size
// so that the suite exercises paging.
func newStore(t testing.TB, srv *testserver.Server, bucket, secret string) multipart.Store {
	t.Helper()
	st, err := awsstore.New(context.Background(), awsstore.Options{
		Bucket:       bucket,
		EndpointURL:  srv.Endpoint,
		Region:       srv.Region,
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(srv.AccessKeyID, secret, ""),
		ListPageSize: 2,
	})
	require.NoError(t, err)
	return st
}

func harness(t *testing.T, srv *testserver.Server, wrap func(multipart.Store) multipart.Store) storetest.Harness {
	bucket := srv.CreateBucket(t)
	return storetest.Harness{
		NewStore: func(t testing.TB) multipart.Store {
			return wrap(newStore(t, srv, bucket, srv.SecretAccessKey))
		},
		NewStoreBadCredentials: func(t testing.TB) multipart.Store {
			return wrap(newStore(t, srv, bucket, "not-the-secret"))
		},
		NewStoreMissingBucket: func(t testing.TB) multipart.Store {
			return wrap(newStore(t, srv, "s3commit-no-such-bucket", srv.SecretAccessKey))
		},
	}
}

func same(st multipart.Store) multipart.Store { return st }

// minioBehavior is what MinIO (the pinned release) was observed to do:
// ListMultipartUploads matches only an exact object key (a shorter prefix
// lists nothing; MinIO calls this won't-fix). It enforces If-None-Match and
// If-Match on CompleteMultipartUpload and PutObject, and evaluates them on
// CompleteMultipartUpload before it looks the upload up: a repeated
// completion answers 412 with a condition that no longer holds, 404
// NoSuchUpload without. Completed objects have S3's multipart ETag. (It
// also answers an abort of an unknown upload with success; the backend
// checks first, see Store.AbortUpload, so the suite sees S3's
// NoSuchUpload.) A PutObject with an x-amz-checksum-* header is checked
// (400 XAmzContentChecksumMismatch) and its checksum kept, FULL_OBJECT,
// also for zero bytes, unlike an empty multipart object's.
// memstore.MinIOOptions emulates the same.
var minioBehavior = storetest.Behavior{ListUploadsExactKeyOnly: true, PreconditionBeforeUploadLookup: true, IgnoresMpObjectSize: true,
	EmptyObjectWithoutChecksum: true}

// versityGWBehavior is what versitygw v1.8.0 (posix backend) was observed to
// do: S3's behaviour in most of what the suite checks, including prefix
// listing of uploads, conditional completion and the multipart ETag, but
// CompleteMultipartUpload of an upload it does not know answers 200 whenever
// an object exists at the key, evaluating no condition and leaving the
// object as it is, with the ETag computed from the request's part list.
// (It rejects S3's upload-listing markers with 400 InvalidArgument,
// versity/versitygw#2149; the backend falls back to a key marker, so paging
// works.) A PutObject with an x-amz-checksum-* header is checked (400
// BadDigest) and its checksum kept, FULL_OBJECT, also for zero bytes.
// memstore.VersityGWOptions emulates the same.
var versityGWBehavior = storetest.Behavior{CompleteUnknownUploadSucceedsIfObjectExists: true, ListsControlCharactersAsReplacement: true}

func TestConformanceMinIO(t *testing.T) {
	h := harness(t, testserver.MinIO(t), same)
	h.Behavior = minioBehavior
	storetest.Run(t, h)
}

func TestConformanceVersityGW(t *testing.T) {
	h := harness(t, testserver.VersityGW(t), same)
	h.Behavior = versityGWBehavior
	storetest.Run(t, h)
}

// TestConformanceFaultstoreMinIO runs the suite through a faultstore
// without rules over a real server: the wrapper must be transparent.
func TestConformanceFaultstoreMinIO(t *testing.T) {
	h := harness(t, testserver.MinIO(t), func(st multipart.Store) multipart.Store { return faultstore.New(st) })
	h.Behavior = minioBehavior
	storetest.Run(t, h)
}

// TestConformanceRetryingStoreMinIO runs the suite through a
// multipart.RetryingStore over a real server: the retry layer must be
// transparent.
func TestConformanceRetryingStoreMinIO(t *testing.T) {
	h := harness(t, testserver.MinIO(t), func(st multipart.Store) multipart.Store {
		return multipart.NewRetryingStore(st, multipart.RetryPolicy{}, nil)
	})
	h.Behavior = minioBehavior
	storetest.Run(t, h)
}
