package faultstore_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/multipart/memstore"
	"github.com/s3commit/s3commit/multipart/storetest"
)

func TestRules(t *testing.T) {
	ctx := context.Background()
	put := func(st multipart.Store, key string) error {
		_, err := st.PutObject(ctx, key, bytes.NewReader([]byte("x")), 1, multipart.PutOptions{})
		return err
	}
	tests := []struct {
		name string
		rule faultstore.Rule
		// want[i] is the kind the i-th put fails with (nil: succeeds);
		// stored[i] says whether the i-th put reached the store.
		want   []error
		stored []bool
	}{
		{"no rule passes through", faultstore.Rule{Op: faultstore.OpHeadObject, Err: multipart.ErrServer},
			[]error{nil, nil}, []bool{true, true}},
		{"fail every call", faultstore.Fail(faultstore.OpPutObject, multipart.ErrThrottled),
			[]error{multipart.ErrThrottled, multipart.ErrThrottled}, []bool{false, false}},
		{"fail the second call only", faultstore.FailNth(faultstore.OpPutObject, 2, multipart.ErrServer),
			[]error{nil, multipart.ErrServer, nil}, []bool{true, false, true}},
		{"drop the first answer", faultstore.DropNth(faultstore.OpPutObject, 1),
			[]error{multipart.ErrNetwork, nil}, []bool{true, true}},
		{"times limits the rule", faultstore.Rule{Op: faultstore.OpPutObject, Err: multipart.ErrServer, Times: 1},
			[]error{multipart.ErrServer, nil}, []bool{false, true}},
		{"empty op matches all", faultstore.Rule{Err: multipart.ErrAccessDenied},
			[]error{multipart.ErrAccessDenied}, []bool{false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inner := memstore.New("bucket")
			st := faultstore.New(inner, tt.rule)
			for i, want := range tt.want {
				key := string(rune('a' + i))
				err := put(st, key)
				if want == nil {
					require.NoError(t, err, "put %d", i+1)
				} else {
					require.ErrorIs(t, err, want, "put %d", i+1)
					require.ErrorIs(t, err, faultstore.ErrInjected)
					var storeErr *multipart.Error
					require.ErrorAs(t, err, &storeErr)
					assert.Equal(t, key, storeErr.Key)
				}
				_, headErr := inner.HeadObject(ctx, key)
				assert.Equal(t, tt.stored[i], headErr == nil, "put %d reached the store", i+1)
			}
			assert.Equal(t, len(tt.want), st.Calls(faultstore.OpPutObject))
		})
	}
}

// TestAfterDrop: AfterDrop runs once the dropped call took effect, with
// the call's number, so that a test can stop its process there (a process
// killed while it waited for the answer).
func TestAfterDrop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	inner := memstore.New("bucket")
	var seen []faultstore.Call
	st := faultstore.New(inner, faultstore.Rule{Op: faultstore.OpPutObject, Drop: true, Times: 1,
		Match: func(c faultstore.Call) bool { return c.N == 2 },
		AfterDrop: func(c faultstore.Call) {
			_, err := inner.HeadObject(context.Background(), c.Key)
			assert.NoError(t, err, "the call took effect before AfterDrop")
			seen = append(seen, c)
			cancel()
		}})
	for i, key := range []string{"a", "b", "c"} {
		_, err := st.PutObject(ctx, key, bytes.NewReader([]byte("x")), 1, multipart.PutOptions{})
		switch i {
		case 0:
			require.NoError(t, err)
		case 1:
			require.ErrorIs(t, err, multipart.ErrNetwork)
		case 2:
			require.ErrorIs(t, err, context.Canceled, "the process is stopped")
		}
	}
	require.Len(t, seen, 1)
	assert.Equal(t, faultstore.Call{Op: faultstore.OpPutObject, Key: "b", N: 2}, seen[0])
}

func TestDelayHonoursContext(t *testing.T) {
	st := faultstore.New(memstore.New("bucket"), faultstore.Slow(faultstore.OpHeadObject, time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err := st.HeadObject(ctx, "k")
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestListFault(t *testing.T) {
	inner := memstore.New("bucket")
	st := faultstore.New(inner, faultstore.Fail(faultstore.OpListUploads, multipart.ErrServer))
	var errs []error
	for _, err := range st.ListUploads(context.Background(), "") {
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	require.ErrorIs(t, errs[0], multipart.ErrServer)
	st.Clear()
	for _, err := range st.ListUploads(context.Background(), "") {
		require.NoError(t, err)
	}
	assert.True(t, errors.Is(errs[0], faultstore.ErrInjected))
}

// TestConformance runs the conformance suite through a faultstore without
// rules: the wrapper must be transparent. The same is done against a real
// MinIO in the awsstore package.
func TestConformance(t *testing.T) {
	srv := memstore.NewServer()
	require.NoError(t, srv.CreateBucket("conformance"))
	srv.RequireCredentials("access", "secret")
	wrap := func(opts memstore.Options, bucket string) multipart.Store {
		return faultstore.New(srv.Store(bucket, opts))
	}
	good := memstore.Options{AccessKeyID: "access", SecretAccessKey: "secret", ListPageSize: 2}
	storetest.Run(t, storetest.Harness{
		NewStore: func(testing.TB) multipart.Store { return wrap(good, "conformance") },
		NewStoreBadCredentials: func(testing.TB) multipart.Store {
			return wrap(memstore.Options{AccessKeyID: "access", SecretAccessKey: "wrong"}, "conformance")
		},
		NewStoreMissingBucket: func(testing.TB) multipart.Store { return wrap(good, "no-such-bucket") },
	})
}

// TestKill: the process's context ends at the n-th call of the op, which
// fails with every later one, and no abort reaches the store.
func TestKill(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	inner := memstore.New("bucket")
	st := faultstore.New(inner, faultstore.Kill(faultstore.OpPutObject, 2, cancel)...)
	put := func(key string) error {
		_, err := st.PutObject(context.Background(), key, bytes.NewReader([]byte("x")), 1, multipart.PutOptions{})
		return err
	}
	require.NoError(t, put("a"))
	require.NoError(t, ctx.Err(), "alive before the n-th call")
	require.ErrorIs(t, put("b"), context.Canceled)
	require.ErrorIs(t, ctx.Err(), context.Canceled, "the process's context ends")
	require.ErrorIs(t, put("c"), context.Canceled)
	id, err := st.CreateUpload(context.Background(), "d", multipart.CreateOptions{})
	require.NoError(t, err)
	require.ErrorIs(t, st.AbortUpload(context.Background(), "d", id), context.Canceled)
	_, err = inner.ListParts(context.Background(), "d", id)
	require.NoError(t, err, "the upload stays in the store")
	_, err = inner.HeadObject(context.Background(), "b")
	require.ErrorIs(t, err, multipart.ErrNotFound)
}
