package staging_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
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

// storeHomeHarness runs the suite with the staging dir in the store
// (StagingDir s3://<bucket>/_staging/<n>). The records live on a bucket of
// their own, through stagingStore, so that the faults the suite injects
// into the output store do not hit them.
func storeHomeHarness(newStore func(testing.TB) multipart.Store, stagingBucket string, stagingStore func(testing.TB) multipart.Store) committertest.Harness {
	prefix := func(stagingDir string) string {
		sum := sha256.Sum256([]byte(stagingDir))
		return "_staging/" + hex.EncodeToString(sum[:8])
	}
	key := func(stagingDir, jobID, taskID string) string {
		return prefix(stagingDir) + "/" + jobID + "/tasks/" + taskID + ".pendingset"
	}
	return committertest.Harness{
		NewStore: newStore,
		NewCommitter: func(t testing.TB, cfg committertest.Config) (committer.Committer, error) {
			return staging.New(cfg.Store, staging.Options{
				StagingDir:         "s3://" + stagingBucket + "/" + prefix(cfg.StagingDir),
				StagingStore:       stagingStore(t),
				BufferDir:          cfg.BufferDir,
				Destination:        cfg.Destination,
				Mode:               cfg.Mode,
				Conflict:           cfg.Conflict,
				KeepStateOnFailure: cfg.KeepStateOnFailure,
				Retry:              multipart.RetryPolicy{InitialBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond},
			})
		},
		ReadPendingSet: func(t testing.TB, stagingDir, jobID, taskID string) ([]byte, error) {
			rc, _, err := stagingStore(t).GetObject(context.Background(), key(stagingDir, jobID, taskID))
			if err != nil {
				return nil, err
			}
			defer rc.Close()
			return io.ReadAll(rc)
		},
		WritePendingSet: func(t testing.TB, stagingDir, jobID, taskID string, data []byte) error {
			_, err := stagingStore(t).PutObject(context.Background(), key(stagingDir, jobID, taskID), bytes.NewReader(data), int64(len(data)), multipart.PutOptions{})
			return err
		},
	}
}

// memstoreStoreHomeHarness is storeHomeHarness on memstore with the given
// options.
func memstoreStoreHomeHarness(opts memstore.Options) committertest.Harness {
	srv := memstore.NewServer()
	for _, b := range []string{"protocol", "records"} {
		if err := srv.CreateBucket(b); err != nil {
			panic(err)
		}
	}
	opts.ListPageSize = 3
	return storeHomeHarness(func(testing.TB) multipart.Store { return srv.Store("protocol", opts) },
		"records", func(testing.TB) multipart.Store { return srv.Store("records", opts) })
}

// TestProtocolStoreHome runs the suite with the staging dir in the store,
// on memstore with AWS's, MinIO's and versitygw's semantics, and on the
// real MinIO and versitygw.
func TestProtocolStoreHome(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts memstore.Options
	}{
		{"memstore", memstore.Options{}},
		{"memstore-minio", memstore.MinIOOptions()},
		{"memstore-versitygw", memstore.VersityGWOptions()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			committertest.Run(t, memstoreStoreHomeHarness(tc.opts))
		})
	}
	for _, tc := range []struct {
		name string
		srv  func(testing.TB) *testserver.Server
	}{
		{"minio", testserver.MinIO},
		{"versitygw", testserver.VersityGW},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := tc.srv(t)
			out, records := srv.CreateBucket(t), srv.CreateBucket(t)
			committertest.Run(t, storeHomeHarness(func(t testing.TB) multipart.Store { return srv.Store(t, out) },
				records, func(t testing.TB) multipart.Store { return srv.Store(t, records) }))
		})
	}
}
