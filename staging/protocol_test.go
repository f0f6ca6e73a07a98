package staging_test

import (
	"testing"
	"time"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/committer/committertest"
	"github.com/s3commit/s3commit/internal/testserver"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/memstore"
	"github.com/s3commit/s3commit/staging"
)

// newCommitter builds the staging committer for a scenario of the suite,
// with short retry back-offs so that injected transient failures cost
// little time.
func newCommitter(_ testing.TB, cfg committertest.Config) (committer.Committer, error) {
	return staging.New(cfg.Store, staging.Options{
		StagingDir:         cfg.StagingDir,
		BufferDir:          cfg.BufferDir,
		Destination:        cfg.Destination,
		Mode:               cfg.Mode,
		Conflict:           cfg.Conflict,
		KeepStateOnFailure: cfg.KeepStateOnFailure,
		Retry:              multipart.RetryPolicy{InitialBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond},
	})
}

func protocolHarness(newStore func(testing.TB) multipart.Store) committertest.Harness {
	return committertest.Harness{
		NewStore:       newStore,
		NewCommitter:   newCommitter,
		PendingSetPath: staging.PendingSetPath,
	}
}

// memstoreHarness runs the suite on one in-memory bucket with the given
// options; a small list page size exercises paging.
func memstoreHarness(opts memstore.Options) committertest.Harness {
	srv := memstore.NewServer()
	if err := srv.CreateBucket("protocol"); err != nil {
		panic(err)
	}
	opts.ListPageSize = 3
	return protocolHarness(func(testing.TB) multipart.Store { return srv.Store("protocol", opts) })
}

func TestProtocolMemstore(t *testing.T) {
	committertest.Run(t, memstoreHarness(memstore.Options{}))
}

// TestProtocolMemstoreMinIOEmulation runs the suite on memstore emulating
// MinIO: ListMultipartUploads matches only exact keys, and
// CompleteMultipartUpload checks its conditions before it looks the
// upload up.
func TestProtocolMemstoreMinIOEmulation(t *testing.T) {
	committertest.Run(t, memstoreHarness(memstore.MinIOOptions()))
}

// TestProtocolMemstoreVersityGWEmulation runs the suite on memstore
// emulating versitygw, which answers 200 to the completion of an unknown
// upload when an object exists at the key.
func TestProtocolMemstoreVersityGWEmulation(t *testing.T) {
	committertest.Run(t, memstoreHarness(memstore.VersityGWOptions()))
}

// TestProtocolMemstoreIgnoringConditions runs the suite on memstore
// emulating a store that accepts and ignores If-None-Match.
func TestProtocolMemstoreIgnoringConditions(t *testing.T) {
	h := memstoreHarness(memstore.Options{IgnoreConditionalWrites: true})
	h.Behavior.IgnoresIfNoneMatch = true
	committertest.Run(t, h)
}

// serverHarness runs the suite with awsstore on a real server, on a bucket
// of its own.
func serverHarness(t *testing.T, srv *testserver.Server) committertest.Harness {
	bucket := srv.CreateBucket(t)
	return protocolHarness(func(t testing.TB) multipart.Store { return srv.Store(t, bucket) })
}

func TestProtocolMinIO(t *testing.T) {
	committertest.Run(t, serverHarness(t, testserver.MinIO(t)))
}

func TestProtocolVersityGW(t *testing.T) {
	committertest.Run(t, serverHarness(t, testserver.VersityGW(t)))
}
