// Package storetest is the conformance suite of multipart.Store: every
// backend (awsstore, miniostore, memstore) and every wrapper (faultstore)
// runs it, against real MinIO and versitygw servers where it talks HTTP.
// Users who write their own Store, or wrap one, run it too:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, storetest.Harness{
//			NewStore:                func(t testing.TB) multipart.Store { return newStore(t, bucket) },
//			NewStoreBadCredentials:  func(t testing.TB) multipart.Store { ... },
//			NewStoreMissingBucket:   func(t testing.TB) multipart.Store { ... },
//		})
//	}
//
// The suite asserts behaviour, not the absence of errors: exact bytes of
// completed objects, error kinds with errors.Is, which uploads remain after
// each step (listed by exact key, which works on every server). Where real
// servers differ from AWS S3, the harness says so with a [Behavior] flag and
// the suite asserts the server's actual behaviour instead.
package storetest

import (
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/s3commit/s3commit/multipart"
)

// Harness tells the suite how to reach the store under test.
type Harness struct {
	// NewStore returns a Store on a bucket that exists. Cases may share the
	// bucket with each other and with other tests: each writes under a
	// prefix of its own. A small list page size (for example 2) in the
	// backend's options lets the suite exercise paging.
	NewStore func(t testing.TB) multipart.Store
	// NewStoreBadCredentials returns a Store on the same bucket whose
	// credentials the server rejects. It may be nil only with
	// Behavior.NoAuthentication.
	NewStoreBadCredentials func(t testing.TB) multipart.Store
	// NewStoreMissingBucket returns a Store on a bucket that does not exist.
	NewStoreMissingBucket func(t testing.TB) multipart.Store
	// Behavior lists where the store departs from AWS S3.
	Behavior Behavior
}

// Behavior flags the ways a store departs from AWS S3. The zero value is
// AWS S3's behaviour. Each flag changes what the suite asserts, never
// whether a case runs.
type Behavior struct {
	// ListUploadsExactKeyOnly: ListMultipartUploads matches only an exact
	// object key as prefix; a shorter prefix lists nothing (MinIO).
	ListUploadsExactKeyOnly bool
	// IgnoresIfNoneMatchOnComplete: CompleteMultipartUpload accepts
	// If-None-Match: * and overwrites an existing object anyway.
	IgnoresIfNoneMatchOnComplete bool
	// IgnoresIfNoneMatchOnPut: PutObject accepts If-None-Match: * and
	// overwrites an existing object anyway.
	IgnoresIfNoneMatchOnPut bool
	// ListsControlCharactersAsReplacement: listings ignore encoding-type=url
	// and show each C0 control character of a key (but tab, newline and
	// carriage return) as U+FFFD, so that a key as listed names nothing
	// (versitygw).
	ListsControlCharactersAsReplacement bool
	// IgnoresIfMatchOnComplete: CompleteMultipartUpload accepts If-Match
	// with a wrong ETag and overwrites anyway.
	IgnoresIfMatchOnComplete bool
	// NoAuthentication: the store has no credentials to get wrong (the
	// AccessDenied case then checks nothing and says so).
	NoAuthentication bool
	// PreconditionBeforeUploadLookup: CompleteMultipartUpload evaluates
	// If-None-Match and If-Match before it looks the upload up, so that
	// repeating a completion that took effect answers PreconditionFailed
	// with a condition that no longer holds and NoSuchUpload without one;
	// so does the completion of an aborted or unknown upload (MinIO).
	// Without the flag the suite expects NoSuchUpload in every such case,
	// S3's answer for an upload it does not know. (AWS S3 itself is
	// reported to answer a repeated completion with 200 for a while; no
	// harness of this module runs on AWS, and no flag describes that yet.)
	PreconditionBeforeUploadLookup bool
	// CompleteUnknownUploadSucceedsIfObjectExists: CompleteMultipartUpload
	// of an upload ID the store does not know under the key (completed,
	// aborted, never created, or created for another key) succeeds
	// whenever an object exists at the key, without evaluating conditions
	// or changing the object, with the ETag computed from the request's
	// part list (versitygw).
	CompleteUnknownUploadSucceedsIfObjectExists bool
	// UnpredictableMultipartETag: a completed object's ETag is not
	// multipart.MultipartETag of its part ETags (an encrypting store, or
	// one whose ETags are not MD5s). The suite then asserts that it
	// differs, so that the flag stays honest.
	UnpredictableMultipartETag bool
	// IgnoresMpObjectSize: a completion whose x-amz-mp-object-size
	// (CompleteOptions.ObjectSize) is not the parts' total succeeds, as the
	// header is ignored (MinIO) or cannot be sent (the minio-go backend).
	IgnoresMpObjectSize bool
	// IgnoresChecksums: the store accepts and ignores checksums (the
	// upload's algorithm, part and full-object checksums, the checksum of
	// a PutObject): it refuses no mismatch and reports no checksum.
	// Verification must read the data.
	IgnoresChecksums bool
	// EmptyObjectWithoutChecksum: a multipart object of zero bytes created
	// with a full-object checksum algorithm keeps no checksum, and a
	// completion that gives its (correct) checksum is refused with
	// ErrChecksumMismatch (MinIO). A zero-byte PutObject with its checksum
	// is not concerned: MinIO keeps that checksum, and the suite asserts
	// so whatever the flag says.
	EmptyObjectWithoutChecksum bool
}

// Run runs the conformance suite as subtests of t.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.NewStore == nil || h.NewStoreMissingBucket == nil {
		t.Fatal("storetest: Harness.NewStore and Harness.NewStoreMissingBucket are required")
	}
	if h.NewStoreBadCredentials == nil && !h.Behavior.NoAuthentication {
		t.Fatal("storetest: Harness.NewStoreBadCredentials is required unless Behavior.NoAuthentication is set")
	}
	s := &suite{h: h}
	for _, c := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"MultipartRoundTrip", s.testMultipartRoundTrip},
		{"ZeroByteUpload", s.testZeroByteUpload},
		{"CompleteRejectsBadParts", s.testCompleteRejectsBadParts},
		{"CompleteRejectsSmallPart", s.testCompleteRejectsSmallPart},
		{"CompleteAndAbortEndUpload", s.testCompleteAndAbortEndUpload},
		{"CompleteIfNoneMatch", s.testCompleteIfNoneMatch},
		{"CompleteIfMatch", s.testCompleteIfMatch},
		{"RepeatedCompletion", s.testRepeatedCompletion},
		{"CompleteUnknownUpload", s.testCompleteUnknownUpload},
		{"PutIfNoneMatch", s.testPutIfNoneMatch},
		{"ListUploads", s.testListUploads},
		{"ListParts", s.testListParts},
		{"SpecialKeys", s.testSpecialKeys},
		{"SmallObjects", s.testSmallObjects},
		{"ListObjectsPaging", s.testListObjectsPaging},
		{"DeleteObjects", s.testDeleteObjects},
		{"ConcurrentUploads", s.testConcurrentUploads},
		{"BadCredentials", s.testBadCredentials},
		{"MissingBucket", s.testMissingBucket},
		{"CancelledContext", s.testCancelledContext},
		{"FullObjectChecksums", s.testFullObjectChecksums},
		{"PartChecksumMismatch", s.testPartChecksumMismatch},
		{"ObjectChecksumMismatch", s.testObjectChecksumMismatch},
		{"ObjectSizeMismatch", s.testObjectSizeMismatch},
		{"EmptyObjectChecksum", s.testEmptyObjectChecksum},
		{"PutObjectChecksums", s.testPutObjectChecksums},
		{"Uploader", s.testUploader},
		{"UploaderRetriesTransientFailure", s.testUploaderRetries},
		{"UploaderAbortsOnPermanentFailure", s.testUploaderAbortsOnFailure},
		{"UploaderAbortsOnCancel", s.testUploaderAbortsOnCancel},
		{"UploaderLostCreateIsFoundByKey", s.testUploaderLostCreate},
	} {
		t.Run(c.name, c.run)
	}
}

type suite struct {
	h Harness
}

// store returns a fresh store and a key prefix no other case uses.
func (s *suite) store(t *testing.T) (multipart.Store, string) {
	t.Helper()
	return s.h.NewStore(t), "storetest-" + randomHex(6) + "/"
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
