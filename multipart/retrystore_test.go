package multipart_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/multipart/memstore"
	"github.com/s3commit/s3commit/multipart/storetest"
)

// fast keeps the waits of the tests' retries short.
var fast = multipart.RetryPolicy{MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}

// errMidway is the cause of the failures listFaults injects.
var errMidway = errors.New("listing failed midway (injected)")

// listFaults is a Store whose listings fail in the middle, as a listing
// does when the fetch of a later page fails. The listing calls of each
// operation are numbered from 1; failAfter(op, n) says after how many
// entries call n fails with an ErrServer error (or, when there are fewer,
// at the end), and ok false lets it through.
type listFaults struct {
	multipart.Store
	failAfter func(op string, n int) (entries int, ok bool)

	mu    sync.Mutex
	calls map[string]int
}

func newListFaults(inner multipart.Store, failAfter func(op string, n int) (int, bool)) *listFaults {
	return &listFaults{Store: inner, failAfter: failAfter, calls: make(map[string]int)}
}

// Calls returns how many listing calls of op the store has seen.
func (s *listFaults) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

func (s *listFaults) ListUploads(ctx context.Context, prefix string) iter.Seq2[multipart.Upload, error] {
	return failMidway(s, "ListUploads", prefix, s.Store.ListUploads(ctx, prefix))
}

func (s *listFaults) ListObjects(ctx context.Context, prefix string) iter.Seq2[multipart.ObjectInfo, error] {
	return failMidway(s, "ListObjects", prefix, s.Store.ListObjects(ctx, prefix))
}

func failMidway[T any](s *listFaults, op, prefix string, seq iter.Seq2[T, error]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		s.mu.Lock()
		s.calls[op]++
		after, fail := s.failAfter(op, s.calls[op])
		s.mu.Unlock()
		injected := &multipart.Error{Op: op, Bucket: s.Bucket(), Key: prefix, Kind: multipart.ErrServer, Err: errMidway}
		var zero T
		n := 0
		for v, err := range seq {
			if fail && n == after {
				yield(zero, injected)
				return
			}
			if !yield(v, err) || err != nil {
				return
			}
			n++
		}
		if fail {
			yield(zero, injected)
		}
	}
}

// conformanceServer returns a memstore server with the bucket
// "conformance" and credentials, as memstore's own conformance test has.
func conformanceServer(t *testing.T) *memstore.Server {
	srv := memstore.NewServer()
	require.NoError(t, srv.CreateBucket("conformance"))
	srv.RequireCredentials("access", "secret")
	return srv
}

// harness returns a conformance harness on srv whose stores are built by
// wrap around a memstore store with a list page size of 2.
func harness(srv *memstore.Server, wrap func(multipart.Store) multipart.Store) storetest.Harness {
	good := memstore.Options{AccessKeyID: "access", SecretAccessKey: "secret", ListPageSize: 2}
	return storetest.Harness{
		NewStore: func(testing.TB) multipart.Store { return wrap(srv.Store("conformance", good)) },
		NewStoreBadCredentials: func(testing.TB) multipart.Store {
			return wrap(srv.Store("conformance", memstore.Options{AccessKeyID: "access", SecretAccessKey: "wrong", ListPageSize: 2}))
		},
		NewStoreMissingBucket: func(testing.TB) multipart.Store { return wrap(srv.Store("no-such-bucket", good)) },
	}
}

// TestRetryingStoreConformance: the wrapper is transparent over a store
// that does not fail.
func TestRetryingStoreConformance(t *testing.T) {
	storetest.Run(t, harness(conformanceServer(t), func(st multipart.Store) multipart.Store {
		return multipart.NewRetryingStore(st, fast, nil)
	}))
}

// TestRetryingStoreConformanceWithFaults: the suite passes through a store
// that fails every third call of each operation (the 2nd, the 5th, …)
// with a transient error
// (throttling, a server error, a lost connection in turn), and every third
// listing after its first page: the wrapper retries each of them, and the
// suite sees none.
func TestRetryingStoreConformanceWithFaults(t *testing.T) {
	srv := conformanceServer(t)
	every := func(n, rem int) func(faultstore.Call) bool {
		return func(c faultstore.Call) bool { return c.N%n == rem }
	}
	// One store of each kind serves every case, so that the faults'
	// schedule runs across the whole suite.
	type faulty struct {
		multipart.Store
		injected *faultstore.Store
		midway   *listFaults
	}
	build := func(bucket string, opts memstore.Options) faulty {
		lf := newListFaults(srv.Store(bucket, opts), func(_ string, n int) (int, bool) { return 2, n%3 == 2 })
		fs := faultstore.New(lf,
			faultstore.Rule{Match: every(9, 2), Err: multipart.ErrThrottled},
			faultstore.Rule{Match: every(9, 5), Err: multipart.ErrServer},
			faultstore.Rule{Match: every(9, 8), Err: multipart.ErrNetwork},
		)
		// Concurrent calls share the schedule, so one call may meet
		// several faults in a row: give it room.
		policy := multipart.RetryPolicy{MaxAttempts: 10, InitialBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}
		return faulty{multipart.NewRetryingStore(fs, policy, nil), fs, lf}
	}
	good := build("conformance", memstore.Options{AccessKeyID: "access", SecretAccessKey: "secret", ListPageSize: 2})
	bad := build("conformance", memstore.Options{AccessKeyID: "access", SecretAccessKey: "wrong", ListPageSize: 2})
	missing := build("no-such-bucket", memstore.Options{AccessKeyID: "access", SecretAccessKey: "secret", ListPageSize: 2})
	storetest.Run(t, storetest.Harness{
		NewStore:               func(testing.TB) multipart.Store { return good },
		NewStoreBadCredentials: func(testing.TB) multipart.Store { return bad },
		NewStoreMissingBucket:  func(testing.TB) multipart.Store { return missing },
	})

	// The faults were met: every operation's second call failed and was
	// retried, and listings were restarted midway.
	for _, op := range allOps {
		n := good.injected.Calls(op)
		assert.GreaterOrEqual(t, n, 3, "%s was called %d times: it met no fault", op, n)
	}
	assert.GreaterOrEqual(t, good.midway.Calls("ListUploads"), 2, "a listing of uploads failed midway")
	assert.GreaterOrEqual(t, good.midway.Calls("ListObjects"), 2, "a listing of objects failed midway")
}

func listAll[T any](t *testing.T, seq iter.Seq2[T, error]) ([]T, error) {
	t.Helper()
	var got []T
	for v, err := range seq {
		if err != nil {
			return got, err
		}
		got = append(got, v)
	}
	return got, nil
}

func put(t *testing.T, st multipart.Store, key, data string) {
	t.Helper()
	_, err := st.PutObject(t.Context(), key, strings.NewReader(data), int64(len(data)), multipart.PutOptions{})
	require.NoError(t, err)
}

// TestRetryingStoreRestartsListings: a listing whose page fetch fails
// midway is restarted and yields every entry exactly once, in order,
// whether it fails at a page boundary, within a page, before anything or
// after everything, and several times in a row.
func TestRetryingStoreRestartsListings(t *testing.T) {
	schedules := []struct {
		name string
		// fail[n] is after how many entries listing call n fails.
		fail map[int]int
	}{
		{"no failure", map[int]int{}},
		{"at a page boundary", map[int]int{1: 2}},
		{"within a page", map[int]int{1: 3}},
		{"before the first entry", map[int]int{1: 0}},
		{"after the last entry", map[int]int{1: 100}},
		{"again and again, further each time", map[int]int{1: 1, 2: 3, 3: 4, 4: 6}},
		{"again at the same place", map[int]int{1: 3, 2: 3}},
	}
	type listing struct {
		name string
		// run fills a store and returns its listing through the
		// retrying store rs, and the listing of the store itself.
		run func(t *testing.T, inner, rs multipart.Store) (got, want []string, err error)
		op  string
	}
	srv := memstore.NewServer()
	objects := func(t *testing.T, inner, rs multipart.Store) ([]string, []string, error) {
		for i := range 7 {
			put(t, inner, fmt.Sprintf("p/o%d", i), "x")
		}
		put(t, inner, "q", "not listed")
		name := func(o multipart.ObjectInfo) string { return o.Key }
		want, err := listAll(t, inner.ListObjects(t.Context(), "p/"))
		require.NoError(t, err)
		got, err := listAll(t, rs.ListObjects(t.Context(), "p/"))
		return mapped(got, name), mapped(want, name), err
	}
	uploads := func(keys ...string) func(t *testing.T, inner, rs multipart.Store) ([]string, []string, error) {
		return func(t *testing.T, inner, rs multipart.Store) ([]string, []string, error) {
			for _, k := range keys {
				_, err := inner.CreateUpload(t.Context(), k, multipart.CreateOptions{})
				require.NoError(t, err)
			}
			name := func(u multipart.Upload) string { return u.Key + " " + u.UploadID }
			want, err := listAll(t, inner.ListUploads(t.Context(), keys[0]))
			require.NoError(t, err)
			got, err := listAll(t, rs.ListUploads(t.Context(), keys[0]))
			return mapped(got, name), mapped(want, name), err
		}
	}
	listings := []struct {
		listing
		opts memstore.Options
	}{
		{listing{"objects", objects, "ListObjects"}, memstore.Options{ListPageSize: 2}},
		{listing{"uploads of several keys", uploads("k", "k/a", "k/b", "k/b", "k/b", "k/c", "k/d"), "ListUploads"}, memstore.Options{ListPageSize: 2}},
		{listing{"uploads of one key", uploads("k", "k", "k", "k", "k", "k"), "ListUploads"},
			memstore.Options{ListPageSize: 2, ListUploadsExactKeyOnly: true}},
	}
	for _, l := range listings {
		for _, sch := range schedules {
			t.Run(l.name+"/"+sch.name, func(t *testing.T) {
				bucket := bucketName(t.Name())
				require.NoError(t, srv.CreateBucket(bucket))
				inner := srv.Store(bucket, l.opts)
				lf := newListFaults(inner, func(op string, n int) (int, bool) {
					after, ok := sch.fail[n]
					return after, ok && op == l.op
				})
				rs := multipart.NewRetryingStore(lf, fast, nil)
				got, want, err := l.run(t, inner, rs)
				require.NoError(t, err)
				require.Greater(t, len(want), 4, "several pages")
				assert.Equal(t, want, got, "every entry once, in order")
				assert.Equal(t, len(sch.fail)+1, lf.Calls(l.op), "one listing per failure, and the last one")
			})
		}
	}
}

// bucketName shortens a test name to a valid, unique enough bucket name.
func bucketName(s string) string {
	sum := md5.Sum([]byte(s))
	return "t-" + hex.EncodeToString(sum[:8])
}

func mapped[T any](vs []T, f func(T) string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = f(v)
	}
	return out
}

// TestRetryingStoreListingAttempts: the attempts of a listing are counted
// across restarts until it yields something new, so that a store whose
// page fetch always fails gets MaxAttempts fetches of that page; a listing
// that gets further with each restart is not cut short.
func TestRetryingStoreListingAttempts(t *testing.T) {
	srv := memstore.NewServer()
	require.NoError(t, srv.CreateBucket("bucket"))
	inner := srv.Store("bucket", memstore.Options{ListPageSize: 2})
	for i := range 6 {
		put(t, inner, fmt.Sprintf("o%d", i), "x")
	}

	t.Run("the first page always fails", func(t *testing.T) {
		fs := faultstore.New(inner, faultstore.Fail(faultstore.OpListObjects, multipart.ErrServer))
		got, err := listAll(t, multipart.NewRetryingStore(fs, fast, nil).ListObjects(t.Context(), ""))
		require.ErrorIs(t, err, multipart.ErrServer)
		assert.Empty(t, got)
		assert.Equal(t, fast.MaxAttempts, fs.Calls(faultstore.OpListObjects))
	})
	t.Run("a later page always fails", func(t *testing.T) {
		lf := newListFaults(inner, func(string, int) (int, bool) { return 3, true })
		got, err := listAll(t, multipart.NewRetryingStore(lf, fast, nil).ListObjects(t.Context(), ""))
		require.ErrorIs(t, err, multipart.ErrServer)
		require.ErrorIs(t, err, errMidway)
		assert.Equal(t, []string{"o0", "o1", "o2"}, mapped(got, func(o multipart.ObjectInfo) string { return o.Key }))
		// The first listing yields three entries, then each of
		// MaxAttempts fetches of the failing page follows a restart.
		assert.Equal(t, 1+fast.MaxAttempts, lf.Calls("ListObjects"))
	})
	t.Run("each restart gets further", func(t *testing.T) {
		// Listing call n fails after n entries: every call yields one
		// new entry, so the listing completes with MaxAttempts 2.
		lf := newListFaults(inner, func(_ string, n int) (int, bool) { return n, n <= 6 })
		policy := fast
		policy.MaxAttempts = 2
		got, err := listAll(t, multipart.NewRetryingStore(lf, policy, nil).ListObjects(t.Context(), ""))
		require.NoError(t, err)
		assert.Len(t, got, 6)
		assert.Equal(t, 7, lf.Calls("ListObjects"))
	})
	t.Run("a permanent failure is not retried", func(t *testing.T) {
		fs := faultstore.New(inner, faultstore.Fail(faultstore.OpListUploads, multipart.ErrAccessDenied))
		_, err := listAll(t, multipart.NewRetryingStore(fs, fast, nil).ListUploads(t.Context(), ""))
		require.ErrorIs(t, err, multipart.ErrAccessDenied)
		assert.Equal(t, 1, fs.Calls(faultstore.OpListUploads))
	})
	t.Run("the caller stops", func(t *testing.T) {
		lf := newListFaults(inner, func(string, int) (int, bool) { return 3, true })
		n := 0
		for _, err := range multipart.NewRetryingStore(lf, fast, nil).ListObjects(t.Context(), "") {
			require.NoError(t, err)
			n++
			if n == 3 {
				break
			}
		}
		assert.Equal(t, 3, n)
		assert.Equal(t, 1, lf.Calls("ListObjects"), "no restart after the caller stopped")
	})
}

// fixedLister lists fixed entries, in the order given.
type fixedLister struct {
	multipart.Store
	uploads []multipart.Upload
	objects []multipart.ObjectInfo
}

func (s *fixedLister) ListUploads(context.Context, string) iter.Seq2[multipart.Upload, error] {
	return func(yield func(multipart.Upload, error) bool) {
		for _, u := range s.uploads {
			if !yield(u, nil) {
				return
			}
		}
	}
}

func (s *fixedLister) ListObjects(context.Context, string) iter.Seq2[multipart.ObjectInfo, error] {
	return func(yield func(multipart.ObjectInfo, error) bool) {
		for _, o := range s.objects {
			if !yield(o, nil) {
				return
			}
		}
	}
}

// TestRetryingStoreUnsortedListings: uploads listed out of key order, as
// MinIO lists a whole bucket's (by creation), are restarted without losing
// or repeating one; objects listed out of key order cannot be skipped by
// key, so such a listing ends with its error instead of a restart.
func TestRetryingStoreUnsortedListings(t *testing.T) {
	t.Run("uploads", func(t *testing.T) {
		var ups []multipart.Upload
		for i, k := range []string{"d/p0", "d/p0", "d/y/p2", "d/p1", "d/a", "zz", "b"} {
			ups = append(ups, multipart.Upload{Key: k, UploadID: fmt.Sprint("id", i)})
		}
		lf := newListFaults(&fixedLister{Store: memstore.New("bucket"), uploads: ups},
			func(_ string, n int) (int, bool) { return map[int]int{1: 3, 2: 5, 3: 1}[n], n <= 3 })
		got, err := listAll(t, multipart.NewRetryingStore(lf, fast, nil).ListUploads(t.Context(), ""))
		require.NoError(t, err)
		assert.Equal(t, ups, got, "every upload once, in the store's order")
		assert.Equal(t, 4, lf.Calls("ListUploads"))
	})
	objects := []multipart.ObjectInfo{{Key: "b"}, {Key: "a"}, {Key: "c"}}
	t.Run("objects, failing after the disorder", func(t *testing.T) {
		lf := newListFaults(&fixedLister{Store: memstore.New("bucket"), objects: objects},
			func(_ string, n int) (int, bool) { return 2, n == 1 })
		got, err := listAll(t, multipart.NewRetryingStore(lf, fast, nil).ListObjects(t.Context(), ""))
		require.ErrorIs(t, err, errMidway)
		assert.Equal(t, objects[:2], got)
		assert.Equal(t, 1, lf.Calls("ListObjects"), "no restart: the last key cannot tell what was listed")
	})
	t.Run("objects, failing before the first", func(t *testing.T) {
		lf := newListFaults(&fixedLister{Store: memstore.New("bucket"), objects: objects},
			func(_ string, n int) (int, bool) { return 0, n == 1 })
		got, err := listAll(t, multipart.NewRetryingStore(lf, fast, nil).ListObjects(t.Context(), ""))
		require.NoError(t, err)
		assert.Equal(t, objects, got)
		assert.Equal(t, 2, lf.Calls("ListObjects"))
	})
}

// storeCall is one call of every Store method, for tables over all of
// them.
type storeCall struct {
	op   faultstore.Op
	call func(ctx context.Context, st multipart.Store) error
}

// storeCalls returns a call of each Store method on objects and an upload
// that exist in inner.
func storeCalls(t *testing.T, inner multipart.Store) []storeCall {
	t.Helper()
	ctx := t.Context()
	put(t, inner, "obj", "data")
	id, err := inner.CreateUpload(ctx, "up", multipart.CreateOptions{})
	require.NoError(t, err)
	part, err := inner.UploadPart(ctx, "up", id, 1, strings.NewReader("p1"), 2, multipart.PartOptions{})
	require.NoError(t, err)
	abortID, err := inner.CreateUpload(ctx, "up", multipart.CreateOptions{})
	require.NoError(t, err)
	return []storeCall{
		{faultstore.OpCreateUpload, func(ctx context.Context, st multipart.Store) error {
			_, err := st.CreateUpload(ctx, "new", multipart.CreateOptions{})
			return err
		}},
		{faultstore.OpUploadPart, func(ctx context.Context, st multipart.Store) error {
			_, err := st.UploadPart(ctx, "up", id, 2, strings.NewReader("p2"), 2, multipart.PartOptions{})
			return err
		}},
		{faultstore.OpListParts, func(ctx context.Context, st multipart.Store) error {
			_, err := st.ListParts(ctx, "up", id)
			return err
		}},
		{faultstore.OpListUploads, func(ctx context.Context, st multipart.Store) error {
			return drain(st.ListUploads(ctx, "up"))
		}},
		{faultstore.OpCompleteUpload, func(ctx context.Context, st multipart.Store) error {
			_, err := st.CompleteUpload(ctx, "up", id, []multipart.Part{part}, multipart.CompleteOptions{})
			return err
		}},
		{faultstore.OpAbortUpload, func(ctx context.Context, st multipart.Store) error {
			return st.AbortUpload(ctx, "up", abortID)
		}},
		{faultstore.OpPutObject, func(ctx context.Context, st multipart.Store) error {
			_, err := st.PutObject(ctx, "put", strings.NewReader("x"), 1, multipart.PutOptions{})
			return err
		}},
		{faultstore.OpGetObject, func(ctx context.Context, st multipart.Store) error {
			rc, _, err := st.GetObject(ctx, "obj")
			if err == nil {
				rc.Close()
			}
			return err
		}},
		{faultstore.OpHeadObject, func(ctx context.Context, st multipart.Store) error {
			_, err := st.HeadObject(ctx, "obj")
			return err
		}},
		{faultstore.OpListObjects, func(ctx context.Context, st multipart.Store) error {
			return drain(st.ListObjects(ctx, ""))
		}},
		{faultstore.OpDeleteObjects, func(ctx context.Context, st multipart.Store) error {
			return st.DeleteObjects(ctx, []string{"put", "gone"})
		}},
	}
}

// drain iterates seq to its end and returns its error.
func drain[T any](seq iter.Seq2[T, error]) error {
	for _, err := range seq {
		if err != nil {
			return err
		}
	}
	return nil
}

// allOps are the operations of a Store.
var allOps = []faultstore.Op{
	faultstore.OpCreateUpload, faultstore.OpUploadPart, faultstore.OpCompleteUpload,
	faultstore.OpAbortUpload, faultstore.OpListUploads, faultstore.OpListParts, faultstore.OpPutObject,
	faultstore.OpGetObject, faultstore.OpHeadObject, faultstore.OpListObjects, faultstore.OpDeleteObjects,
}

// TestRetryingStoreAttempts: for every Store method, a transient failure
// is retried, a permanent one is not, and a store that keeps failing gets
// exactly MaxAttempts calls.
func TestRetryingStoreAttempts(t *testing.T) {
	cases := []struct {
		name      string
		rule      func(op faultstore.Op) faultstore.Rule
		wantCalls int
		wantKind  error // nil: the call succeeds
	}{
		{"a transient failure is retried", func(op faultstore.Op) faultstore.Rule {
			return faultstore.FailNth(op, 1, multipart.ErrThrottled)
		}, 2, nil},
		{"a network failure is retried", func(op faultstore.Op) faultstore.Rule {
			return faultstore.Rule{Op: op, Times: 1, Err: multipart.ErrNetwork}
		}, 2, nil},
		{"a permanent failure is not", func(op faultstore.Op) faultstore.Rule {
			return faultstore.Fail(op, multipart.ErrAccessDenied)
		}, 1, multipart.ErrAccessDenied},
		{"at most MaxAttempts", func(op faultstore.Op) faultstore.Rule {
			return faultstore.Fail(op, multipart.ErrServer)
		}, fast.MaxAttempts, multipart.ErrServer},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, op := range allOps {
				t.Run(string(op), func(t *testing.T) {
					inner := memstore.New("bucket")
					var call storeCall
					for _, c := range storeCalls(t, inner) {
						if c.op == op {
							call = c
						}
					}
					require.NotNil(t, call.call, "a call of %s", op)
					fs := faultstore.New(inner, tc.rule(op))
					err := call.call(t.Context(), multipart.NewRetryingStore(fs, fast, nil))
					if tc.wantKind == nil {
						require.NoError(t, err)
					} else {
						require.ErrorIs(t, err, tc.wantKind)
						require.ErrorIs(t, err, faultstore.ErrInjected)
					}
					assert.Equal(t, tc.wantCalls, fs.Calls(op))
				})
			}
		})
	}
}

// TestRetryingStorePassesAnswersOn: a completion and an abort retried after
// a lost answer get the store's answer to the repeated call, which the
// wrapper passes on without interpreting it.
func TestRetryingStorePassesAnswersOn(t *testing.T) {
	ctx := t.Context()
	inner := memstore.New("bucket")
	id, err := inner.CreateUpload(ctx, "k", multipart.CreateOptions{})
	require.NoError(t, err)
	part, err := inner.UploadPart(ctx, "k", id, 1, strings.NewReader("data"), 4, multipart.PartOptions{})
	require.NoError(t, err)
	fs := faultstore.New(inner, faultstore.DropNth(faultstore.OpCompleteUpload, 1), faultstore.DropNth(faultstore.OpAbortUpload, 1))
	rs := multipart.NewRetryingStore(fs, fast, nil)

	_, err = rs.CompleteUpload(ctx, "k", id, []multipart.Part{part}, multipart.CompleteOptions{})
	require.ErrorIs(t, err, multipart.ErrNoSuchUpload, "the repeated completion's answer")
	assert.Equal(t, 2, fs.Calls(faultstore.OpCompleteUpload))
	_, err = inner.HeadObject(ctx, "k")
	require.NoError(t, err, "the first attempt completed the upload")

	id, err = inner.CreateUpload(ctx, "k2", multipart.CreateOptions{})
	require.NoError(t, err)
	require.ErrorIs(t, rs.AbortUpload(ctx, "k2", id), multipart.ErrNoSuchUpload, "the repeated abort's answer")
	assert.Equal(t, 2, fs.Calls(faultstore.OpAbortUpload))
	assert.Zero(t, inner.Server().UploadCount("bucket"))
}

// readThenFail reads n bytes of the body of its first UploadPart and its
// first PutObject and then fails them with a network error, as a
// connection reset in the middle of sending the body does.
type readThenFail struct {
	multipart.Store
	n                 int64
	mu                sync.Mutex
	partDone, putDone bool
}

func (s *readThenFail) first(done *bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	was := *done
	*done = true
	return !was
}

func (s *readThenFail) fail(body io.Reader, op, key string) error {
	if _, err := io.CopyN(io.Discard, body, s.n); err != nil {
		return err
	}
	return &multipart.Error{Op: op, Bucket: s.Bucket(), Key: key, Kind: multipart.ErrNetwork, Err: io.ErrUnexpectedEOF}
}

func (s *readThenFail) UploadPart(ctx context.Context, key, uploadID string, number int32, body io.ReadSeeker, size int64, opts multipart.PartOptions) (multipart.Part, error) {
	if s.first(&s.partDone) {
		return multipart.Part{}, s.fail(body, "UploadPart", key)
	}
	return s.Store.UploadPart(ctx, key, uploadID, number, body, size, opts)
}

func (s *readThenFail) PutObject(ctx context.Context, key string, body io.ReadSeeker, size int64, opts multipart.PutOptions) (string, error) {
	if s.first(&s.putDone) {
		return "", s.fail(body, "PutObject", key)
	}
	return s.Store.PutObject(ctx, key, body, size, opts)
}

// TestRetryingStoreRewindsBodies: a retried UploadPart or PutObject sends
// the body again from where it was when the call was made (not from
// offset 0), however much of it the failed attempt read.
func TestRetryingStoreRewindsBodies(t *testing.T) {
	const skip = 7 // the caller's body starts at this offset
	data := []byte("the exact bytes of a part, sent twice")
	cases := []struct {
		name string
		wrap func(multipart.Store) multipart.Store
	}{
		{"half the body read", func(st multipart.Store) multipart.Store { return &readThenFail{Store: st, n: int64(len(data) / 2)} }},
		{"the whole body read", func(st multipart.Store) multipart.Store { return &readThenFail{Store: st, n: int64(len(data))} }},
		{"answer lost after the store took the body", func(st multipart.Store) multipart.Store {
			return faultstore.New(st, faultstore.DropNth(faultstore.OpUploadPart, 1), faultstore.DropNth(faultstore.OpPutObject, 1))
		}},
	}
	body := func(t *testing.T) *bytes.Reader {
		r := bytes.NewReader(append([]byte("prefix!"), data...))
		_, err := r.Seek(skip, io.SeekStart)
		require.NoError(t, err)
		return r
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			inner := memstore.New("bucket")
			rs := multipart.NewRetryingStore(tc.wrap(inner), fast, nil)
			id, err := rs.CreateUpload(ctx, "part", multipart.CreateOptions{})
			require.NoError(t, err)
			part, err := rs.UploadPart(ctx, "part", id, 1, body(t), int64(len(data)), multipart.PartOptions{})
			require.NoError(t, err)
			sum := md5.Sum(data)
			assert.Equal(t, hex.EncodeToString(sum[:]), part.ETag)
			_, err = rs.CompleteUpload(ctx, "part", id, []multipart.Part{part}, multipart.CompleteOptions{})
			require.NoError(t, err)
			_, err = rs.PutObject(ctx, "put", body(t), int64(len(data)), multipart.PutOptions{})
			require.NoError(t, err)
			for _, key := range []string{"part", "put"} {
				rc, _, err := inner.GetObject(ctx, key)
				require.NoError(t, err)
				got, err := io.ReadAll(rc)
				rc.Close()
				require.NoError(t, err)
				assert.Equal(t, string(data), string(got), key)
			}
		})
	}
}

// deleteFaults fails the first DeleteObjects per key: keys in transient
// with a throttling error, keys in permanent with access denied. It
// records the keys of every call.
type deleteFaults struct {
	multipart.Store
	transient, permanent map[string]bool
	asked                [][]string
}

func (s *deleteFaults) DeleteObjects(ctx context.Context, keys []string) error {
	s.asked = append(s.asked, append([]string(nil), keys...))
	var errs []error
	var ok []string
	for _, k := range keys {
		switch {
		case s.transient[k] && len(s.asked) == 1:
			errs = append(errs, &multipart.Error{Op: "DeleteObjects", Bucket: s.Bucket(), Key: k, Kind: multipart.ErrThrottled, Err: errors.New("SlowDown")})
		case s.permanent[k]:
			errs = append(errs, &multipart.Error{Op: "DeleteObjects", Bucket: s.Bucket(), Key: k, Kind: multipart.ErrAccessDenied, Err: errors.New("AccessDenied")})
		default:
			ok = append(ok, k)
		}
	}
	if err := s.Store.DeleteObjects(ctx, ok); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// TestRetryingStoreDeleteObjectsRetriesFailedKeys: a retry of
// DeleteObjects sends only the keys that failed transiently, and the error
// names the keys that failed for good.
func TestRetryingStoreDeleteObjectsRetriesFailedKeys(t *testing.T) {
	inner := memstore.New("bucket")
	keys := []string{"a", "b", "c", "d"}
	for _, k := range keys {
		put(t, inner, k, k)
	}
	df := &deleteFaults{Store: inner, transient: map[string]bool{"b": true, "d": true}, permanent: map[string]bool{"c": true}}
	err := multipart.NewRetryingStore(df, fast, nil).DeleteObjects(t.Context(), keys)
	require.ErrorIs(t, err, multipart.ErrAccessDenied)
	assert.NotErrorIs(t, err, multipart.ErrThrottled)
	var e *multipart.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "c", e.Key)
	assert.Equal(t, [][]string{keys, {"b", "d"}}, df.asked)
	left, err := listAll(t, inner.ListObjects(t.Context(), ""))
	require.NoError(t, err)
	assert.Equal(t, []string{"c"}, mapped(left, func(o multipart.ObjectInfo) string { return o.Key }))
}

// cancelOnLog is a slog.Handler that cancels a context when a record is
// logged: the retry notice comes just before the wait.
type cancelOnLog struct{ cancel context.CancelFunc }

func (h cancelOnLog) Enabled(context.Context, slog.Level) bool { return true }
func (h cancelOnLog) Handle(context.Context, slog.Record) error {
	h.cancel()
	return nil
}
func (h cancelOnLog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h cancelOnLog) WithGroup(string) slog.Handler      { return h }

// TestRetryingStoreStopsWhenContextEnds: a cancelled context is not
// retried, and a cancellation during the wait ends the call with the
// context's error and the last failure.
func TestRetryingStoreStopsWhenContextEnds(t *testing.T) {
	slow := multipart.RetryPolicy{MaxAttempts: 5, InitialBackoff: time.Hour, MaxBackoff: time.Hour}
	t.Run("cancelled before the call", func(t *testing.T) {
		fs := faultstore.New(memstore.New("bucket"))
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := multipart.NewRetryingStore(fs, slow, nil).HeadObject(ctx, "k")
		require.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 1, fs.Calls(faultstore.OpHeadObject))
	})
	t.Run("cancelled during the wait", func(t *testing.T) {
		fs := faultstore.New(memstore.New("bucket"), faultstore.Fail(faultstore.OpCreateUpload, multipart.ErrServer))
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		_, err := multipart.NewRetryingStore(fs, slow, slog.New(cancelOnLog{cancel})).CreateUpload(ctx, "k", multipart.CreateOptions{})
		require.ErrorIs(t, err, context.Canceled)
		require.ErrorIs(t, err, multipart.ErrServer, "the last failure is kept")
		assert.Equal(t, 1, fs.Calls(faultstore.OpCreateUpload))
	})
	t.Run("listing cancelled during the wait", func(t *testing.T) {
		fs := faultstore.New(memstore.New("bucket"), faultstore.Fail(faultstore.OpListObjects, multipart.ErrThrottled))
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		_, err := listAll(t, multipart.NewRetryingStore(fs, slow, slog.New(cancelOnLog{cancel})).ListObjects(ctx, ""))
		require.ErrorIs(t, err, context.Canceled)
		require.ErrorIs(t, err, multipart.ErrThrottled)
		assert.Equal(t, 1, fs.Calls(faultstore.OpListObjects))
	})
	t.Run("listing cancelled by its caller", func(t *testing.T) {
		srv := memstore.NewServer()
		require.NoError(t, srv.CreateBucket("bucket"))
		inner := srv.Store("bucket", memstore.Options{ListPageSize: 2})
		for i := range 5 {
			put(t, inner, fmt.Sprintf("o%d", i), "x")
		}
		fs := faultstore.New(inner)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var errs []error
		n := 0
		for _, err := range multipart.NewRetryingStore(fs, slow, nil).ListObjects(ctx, "") {
			if err != nil {
				errs = append(errs, err)
				continue
			}
			n++
			cancel() // the next page's fetch meets the cancelled context
		}
		assert.Equal(t, 2, n, "the first page")
		require.Len(t, errs, 1)
		require.ErrorIs(t, errs[0], context.Canceled)
		assert.Equal(t, 1, fs.Calls(faultstore.OpListObjects))
	})
}

// TestRetryingStoreLogsRetries: each retry is a debug record with the
// operation, the key, the attempt, the wait and the error.
func TestRetryingStoreLogsRetries(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	fs := faultstore.New(memstore.New("bucket"), faultstore.FailNth(faultstore.OpUploadPart, 1, multipart.ErrThrottled))
	rs := multipart.NewRetryingStore(fs, fast, logger)
	ctx := t.Context()
	id, err := rs.CreateUpload(ctx, "k", multipart.CreateOptions{})
	require.NoError(t, err)
	_, err = rs.UploadPart(ctx, "k", id, 3, strings.NewReader("x"), 1, multipart.PartOptions{})
	require.NoError(t, err)

	var rec map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &rec), "one record: %s", buf.String())
	assert.Equal(t, "DEBUG", rec["level"])
	assert.Equal(t, "UploadPart", rec["op"])
	assert.Equal(t, "k", rec["key"])
	assert.Equal(t, "bucket", rec["bucket"])
	assert.EqualValues(t, 3, rec["part"])
	assert.EqualValues(t, 1, rec["attempt"])
	assert.Contains(t, rec, "wait")
	assert.Contains(t, rec["error"], "request throttled")
}

func TestRetryingStoreUnwrap(t *testing.T) {
	inner := memstore.New("bucket")
	rs := multipart.NewRetryingStore(inner, multipart.RetryPolicy{}, nil)
	assert.Same(t, inner, rs.Unwrap())
	assert.Equal(t, "bucket", rs.Bucket())
	assert.Panics(t, func() { multipart.NewRetryingStore(nil, multipart.RetryPolicy{}, nil) })
}

// TestUploaderRetriesInOneLayer: the Uploader wraps its store in a
// RetryingStore with its Retry policy, but uses a RetryingStore it is
// given as it is, so that a wrapper inside it sees every attempt and
// retries are not multiplied.
func TestUploaderRetriesInOneLayer(t *testing.T) {
	path := sparseFile(t, 10)
	opts := multipart.UploaderOptions{Retry: multipart.RetryPolicy{MaxAttempts: 4, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond}}
	cases := []struct {
		name      string
		wrap      func(*faultstore.Store) multipart.Store
		wantCalls int
	}{
		{"a store is wrapped with UploaderOptions.Retry", func(fs *faultstore.Store) multipart.Store { return fs }, 4},
		{"a RetryingStore is used as it is", func(fs *faultstore.Store) multipart.Store {
			return multipart.NewRetryingStore(fs, fast, nil)
		}, fast.MaxAttempts},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := faultstore.New(memstore.New("bucket"), faultstore.Fail(faultstore.OpCreateUpload, multipart.ErrServer))
			u, err := multipart.NewUploader(tc.wrap(fs), opts)
			require.NoError(t, err)
			_, err = u.UploadFile(t.Context(), path, "k")
			require.ErrorIs(t, err, multipart.ErrServer)
			assert.Equal(t, tc.wantCalls, fs.Calls(faultstore.OpCreateUpload))
		})
	}
}
