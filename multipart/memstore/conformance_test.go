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

// withOptions returns the harness with its store's options replaced by
// opts, credentials and page size kept.
func withOptions(h storetest.Harness, opts memstore.Options) storetest.Harness {
	newStore := h.NewStore
	h.NewStore = func(t testing.TB) multipart.Store {
		st := newStore(t).(*memstore.Store)
		opts.AccessKeyID, opts.SecretAccessKey, opts.ListPageSize = "access", "secret", 2
		return st.Server().Store(st.Bucket(), opts)
	}
	return h
}

// TestConformanceMinIOEmulation runs the suite with memstore emulating
// MinIO ([memstore.MinIOOptions]), asserting the Behavior that the suite
// asserts on the real MinIO (see awsstore and miniostore), so that the
// emulation and the server cannot drift apart unnoticed.
func TestConformanceMinIOEmulation(t *testing.T) {
	h := withOptions(conformanceHarness(), memstore.MinIOOptions())
	h.Behavior = storetest.Behavior{ListUploadsExactKeyOnly: true, PreconditionBeforeUploadLookup: true, IgnoresMpObjectSize: true,
		EmptyObjectWithoutChecksum: true}
	storetest.Run(t, h)
}

// TestConformanceVersityGWEmulation runs the suite with memstore emulating
// versitygw ([memstore.VersityGWOptions]), asserting the Behavior that the
// suite asserts on the real versitygw.
func TestConformanceVersityGWEmulation(t *testing.T) {
	h := withOptions(conformanceHarness(), memstore.VersityGWOptions())
	h.Behavior = storetest.Behavior{CompleteUnknownUploadSucceedsIfObjectExists: true, ListsControlCharactersAsReplacement: true}
	storetest.Run(t, h)
}

// TestConformanceIgnoredChecksums runs the suite with memstore emulating a
// store without full-object checksums, which accepts and ignores them.
func TestConformanceIgnoredChecksums(t *testing.T) {
	h := withOptions(conformanceHarness(), memstore.Options{IgnoreChecksums: true})
	h.Behavior = storetest.Behavior{IgnoresChecksums: true}
	storetest.Run(t, h)
}

// TestConformanceIgnoredConditions runs the suite with memstore emulating a
// store that accepts and ignores conditional writes, in S3's order and in
// MinIO's.
func TestConformanceIgnoredConditions(t *testing.T) {
	ignoring := storetest.Behavior{
		IgnoresIfNoneMatchOnComplete: true, IgnoresIfNoneMatchOnPut: true, IgnoresIfMatchOnComplete: true,
	}
	t.Run("S3Order", func(t *testing.T) {
		h := withOptions(conformanceHarness(), memstore.Options{IgnoreConditionalWrites: true})
		h.Behavior = ignoring
		storetest.Run(t, h)
	})
	t.Run("MinIOOrder", func(t *testing.T) {
		opts := memstore.MinIOOptions()
		opts.IgnoreConditionalWrites = true
		h := withOptions(conformanceHarness(), opts)
		h.Behavior = ignoring
		h.Behavior.ListUploadsExactKeyOnly, h.Behavior.PreconditionBeforeUploadLookup, h.Behavior.IgnoresMpObjectSize = true, true, true
		h.Behavior.EmptyObjectWithoutChecksum = true
		storetest.Run(t, h)
	})
}
