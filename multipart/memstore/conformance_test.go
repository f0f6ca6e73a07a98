package memstore_test

import (
	"testing"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/memstore"
	"github.com/s3commit/s3commit/multipart/storetest"
)

// conformanceHarness runs memstore with its defaults (S3's rules), a small
// list page size to exercise paging, and credentials, so that a store with
// wrong ones is refused like on a real server.
func conformanceHarness() storetest.Harness {
	srv := memstore.NewServer()
	if err := srv.CreateBucket("conformance"); err != nil {
		panic(err)
	}
	srv.RequireCredentials("access", "secret")
	return storetest.Harness{
		NewStore: func(testing.TB) multipart.Store {
			return srv.Store("conformance", memstore.Options{AccessKeyID: "access", SecretAccessKey: "secret", ListPageSize: 2})
		},
		NewStoreBadCredentials: func(testing.TB) multipart.Store {
			return srv.Store("conformance", memstore.Options{AccessKeyID: "access", SecretAccessKey: "wrong"})
		},
		NewStoreMissingBucket: func(testing.TB) multipart.Store {
			return srv.Store("no-such-bucket", memstore.Options{AccessKeyID: "access", SecretAccessKey: "secret"})
		},
	}
}

func TestConformance(t *testing.T) {
	storetest.Run(t, conformanceHarness())
}

// TestConformanceMinIOEmulation runs the suite with memstore emulating
// MinIO's exact-key ListMultipartUploads, so that code relying on the flag
// is tested without a server too.
func TestConformanceMinIOEmulation(t *testing.T) {
	h := conformanceHarness()
	newStore := h.NewStore
	h.NewStore = func(t testing.TB) multipart.Store {
		st := newStore(t).(*memstore.Store)
		return st.Server().Store(st.Bucket(), memstore.Options{
			AccessKeyID: "access", SecretAccessKey: "secret", ListPageSize: 2, ListUploadsExactKeyOnly: true,
		})
	}
	h.Behavior.ListUploadsExactKeyOnly = true
	storetest.Run(t, h)
}
