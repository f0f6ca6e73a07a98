package storerecords_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/multipart/memstore"
	"github.com/s3commit/s3commit/staging/internal/storerecords"
)

const (
	testBucket = "lake"
	testPrefix = "_staging/job-1"
)

// fast are the options of the tests: a short wait between puts.
var fast = storerecords.Options{CreateBackoff: time.Millisecond}

func newRecords(t testing.TB, st multipart.Store, opts storerecords.Options) *storerecords.Records {
	t.Helper()
	r, err := storerecords.New(st, testPrefix, opts)
	require.NoError(t, err)
	return r
}

func put(t testing.TB, st multipart.Store, key string, data []byte) {
	t.Helper()
	_, err := st.PutObject(context.Background(), key, bytes.NewReader(data), int64(len(data)), multipart.PutOptions{})
	require.NoError(t, err)
}

// object returns the bytes of key, or nil if there is no object.
func object(t testing.TB, st multipart.Store, key string) []byte {
	t.Helper()
	rc, _, err := st.GetObject(context.Background(), key)
	if errors.Is(err, multipart.ErrNotFound) {
		return nil
	}
	require.NoError(t, err)
	defer rc.Close()
	data, err := io.ReadAll(rc)
	require.NoError(t, err)
	return data
}

func TestCreateExclusive(t *testing.T) {
	ours, theirs := []byte("ours: writer 1\n"), []byte("theirs: writer 2\n")
	longer := bytes.Repeat([]byte("theirs "), 100)
	tests := []struct {
		name     string
		existing []byte // the object at the key before the call, if any
		rules    []faultstore.Rule
		retrying bool // a RetryingStore above the faults, as the committer's store
		opts     storerecords.Options
		wantErr  error // nil: the creation succeeds
		// wantPuts and wantGets count the requests that reached the
		// fault layer.
		wantPuts, wantGets int
	}{
		{name: "creates", wantPuts: 1},
		{name: "first writer wins", existing: theirs, wantErr: storerecords.ErrExist, wantPuts: 1, wantGets: 1},
		{name: "a lost answer is ours", rules: []faultstore.Rule{faultstore.DropNth(faultstore.OpPutObject, 1)},
			wantPuts: 1, wantGets: 1},
		{name: "a lost answer over another writer's record", existing: theirs,
			rules:   []faultstore.Rule{faultstore.DropNth(faultstore.OpPutObject, 1)},
			wantErr: storerecords.ErrExist, wantPuts: 1, wantGets: 1},
		{name: "a lost answer over a larger record", existing: longer,
			rules:   []faultstore.Rule{faultstore.DropNth(faultstore.OpPutObject, 1)},
			wantErr: storerecords.ErrExist, wantPuts: 1, wantGets: 1},
		{name: "a 5xx before the store acted: put again", rules: []faultstore.Rule{faultstore.FailNth(faultstore.OpPutObject, 1, multipart.ErrServer)},
			wantPuts: 2, wantGets: 1},
		{name: "throttled, then a lost answer", rules: []faultstore.Rule{
			faultstore.FailNth(faultstore.OpPutObject, 1, multipart.ErrThrottled),
			faultstore.DropNth(faultstore.OpPutObject, 2)},
			wantPuts: 2, wantGets: 2},
		{name: "a retried put meets its own record (412)", retrying: true,
			rules:    []faultstore.Rule{faultstore.DropNth(faultstore.OpPutObject, 1)},
			wantPuts: 2, wantGets: 1},
		{name: "a 409 of a racing write that did not land: put again",
			rules:    []faultstore.Rule{faultstore.FailNth(faultstore.OpPutObject, 1, multipart.ErrPreconditionFailed)},
			wantPuts: 2, wantGets: 1},
		{name: "the read-back fails too: put again", rules: []faultstore.Rule{
			faultstore.DropNth(faultstore.OpPutObject, 1),
			faultstore.FailNth(faultstore.OpGetObject, 1, multipart.ErrNetwork)},
			wantPuts: 2, wantGets: 2},
		{name: "the outcome stays unknown", rules: []faultstore.Rule{faultstore.Fail(faultstore.OpPutObject, multipart.ErrServer)},
			wantErr: multipart.ErrServer, wantPuts: storerecords.DefaultCreateAttempts, wantGets: storerecords.DefaultCreateAttempts},
		{name: "one attempt", opts: storerecords.Options{CreateAttempts: 1},
			rules:   []faultstore.Rule{faultstore.Fail(faultstore.OpPutObject, multipart.ErrServer)},
			wantErr: multipart.ErrServer, wantPuts: 1, wantGets: 1},
		{name: "a refusal is not retried", rules: []faultstore.Rule{faultstore.Fail(faultstore.OpPutObject, multipart.ErrAccessDenied)},
			wantErr: multipart.ErrAccessDenied, wantPuts: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			mem := memstore.New(testBucket)
			key := testPrefix + "/tasks/t1.pendingset"
			if tt.existing != nil {
				put(t, mem, key, tt.existing)
			}
			faults := faultstore.New(mem, tt.rules...)
			var st multipart.Store = faults
			if tt.retrying {
				st = multipart.NewRetryingStore(faults, multipart.RetryPolicy{InitialBackoff: time.Millisecond}, nil)
			}
			opts := tt.opts
			opts.CreateBackoff = time.Millisecond
			r := newRecords(t, st, opts)

			err := r.CreateExclusive(ctx, "tasks/t1.pendingset", ours)
			want := ours
			switch {
			case tt.wantErr == nil:
				require.NoError(t, err)
			case tt.wantErr == storerecords.ErrExist:
				require.ErrorIs(t, err, storerecords.ErrExist)
				require.ErrorIs(t, err, fs.ErrExist)
				assert.Contains(t, err.Error(), "s3://"+testBucket+"/"+key)
				want = tt.existing
			default:
				require.ErrorIs(t, err, tt.wantErr)
				require.NotErrorIs(t, err, storerecords.ErrExist)
				assert.Equal(t, multipart.IsRetryable(tt.wantErr), multipart.IsRetryable(err), "retryable: %v", err)
				want = nil
			}
			assert.Equal(t, want, object(t, mem, key))
			assert.Equal(t, tt.wantPuts, faults.Calls(faultstore.OpPutObject), "PutObject calls")
			assert.Equal(t, tt.wantGets, faults.Calls(faultstore.OpGetObject), "GetObject calls")
		})
	}
}

// TestCreateExclusiveAgainDecides: after an error that left the outcome
// unknown, calling CreateExclusive again with the same bytes finds the
// record that the failed call stored, and succeeds.
func TestCreateExclusiveAgainDecides(t *testing.T) {
	ctx := context.Background()
	mem := memstore.New(testBucket)
	faults := faultstore.New(mem,
		faultstore.DropNth(faultstore.OpPutObject, 1),
		faultstore.Fail(faultstore.OpGetObject, multipart.ErrServer))
	r := newRecords(t, faults, fast)
	data := []byte("record of writer 7")

	err := r.CreateExclusive(ctx, "job.json", data)
	require.ErrorIs(t, err, multipart.ErrServer)
	require.True(t, multipart.IsRetryable(err))
	assert.Equal(t, data, object(t, mem, testPrefix+"/job.json"), "the first put took effect")

	faults.Clear()
	require.NoError(t, r.CreateExclusive(ctx, "job.json", data))
	require.ErrorIs(t, r.CreateExclusive(ctx, "job.json", []byte("record of writer 8")), storerecords.ErrExist)
}

// TestCreateExclusiveRace: of many writers creating one record at once,
// exactly one succeeds and the record holds its bytes.
func TestCreateExclusiveRace(t *testing.T) {
	r := newRecords(t, memstore.New(testBucket), fast)
	winner := raceCreate(t, r, "tasks/t1.pendingset", 16)
	data, err := r.Read(context.Background(), "tasks/t1.pendingset", 100)
	require.NoError(t, err)
	assert.Equal(t, writerData(winner), data)
}

func writerData(i int) []byte { return []byte("writer " + string(rune('A'+i))) }

// raceCreate runs n writers creating name at once and returns the one that
// succeeded; every other got ErrExist.
func raceCreate(t *testing.T, r *storerecords.Records, name string, n int) int {
	t.Helper()
	errs := make([]error, n)
	start := make(chan struct{})
	done := make(chan int)
	for i := range n {
		go func() {
			<-start
			errs[i] = r.CreateExclusive(context.Background(), name, writerData(i))
			done <- i
		}()
	}
	close(start)
	for range n {
		<-done
	}
	winner := -1
	for i, err := range errs {
		if err == nil {
			require.Equal(t, -1, winner, "writers %d and %d both created %s", winner, i, name)
			winner = i
			continue
		}
		require.ErrorIs(t, err, storerecords.ErrExist, "writer %d", i)
	}
	require.NotEqual(t, -1, winner, "no writer created %s", name)
	return winner
}

// lyingStore reports every object's size as 0, as a store could.
type lyingStore struct{ multipart.Store }

func (s lyingStore) GetObject(ctx context.Context, key string) (io.ReadCloser, multipart.ObjectInfo, error) {
	rc, info, err := s.Store.GetObject(ctx, key)
	info.Size = 0
	return rc, info, err
}

func TestRead(t *testing.T) {
	mem := memstore.New(testBucket)
	put(t, mem, testPrefix+"/job.json", []byte("0123456789"))
	put(t, mem, testPrefix+"/empty", nil)
	tests := []struct {
		name    string
		store   multipart.Store
		record  string
		limit   int64
		want    []byte
		wantErr []error
	}{
		{name: "within the limit", record: "job.json", limit: 100, want: []byte("0123456789")},
		{name: "exactly the limit", record: "job.json", limit: 10, want: []byte("0123456789")},
		{name: "empty", record: "empty", limit: 0, want: []byte{}},
		{name: "one byte over the limit", record: "job.json", limit: 9, wantErr: []error{storerecords.ErrTooLarge}},
		{name: "more bytes than the size says", store: lyingStore{mem}, record: "job.json", limit: 9,
			wantErr: []error{storerecords.ErrTooLarge}},
		{name: "missing", record: "nothing", limit: 9,
			wantErr: []error{storerecords.ErrNotExist, fs.ErrNotExist, multipart.ErrNotFound}},
		{name: "missing bucket is not a missing record", store: mem.Server().Store("nobucket", memstore.Options{}),
			record: "job.json", limit: 9, wantErr: []error{multipart.ErrBucketNotFound}},
		{name: "negative limit", record: "job.json", limit: -1, wantErr: []error{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := tt.store
			if st == nil {
				st = mem
			}
			got, err := newRecords(t, st, fast).Read(context.Background(), tt.record, tt.limit)
			if tt.wantErr == nil {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
				return
			}
			require.Error(t, err)
			assert.Nil(t, got)
			for _, want := range tt.wantErr {
				require.ErrorIs(t, err, want)
			}
			if !errors.Is(err, storerecords.ErrNotExist) {
				require.NotErrorIs(t, err, fs.ErrNotExist)
			}
			assert.Contains(t, err.Error(), testPrefix+"/"+tt.record, "the error names the record")
		})
	}
}

func TestNames(t *testing.T) {
	valid := []string{"job.json", "tasks/t-1.pendingset", "a/b/c/d", "ü.json", "a..b", ".hidden", "_SUCCESS", "with space"}
	invalid := []string{"", "/abs", "a//b", "a/", "..", ".", "a/../b", "./a", "a/.", "a\nb", "a\x00b", "a\x7fb", "a\u0085b", "\xff",
		strings.Repeat("n", storerecords.MaxKeyLength-len(testPrefix))}
	for _, name := range valid {
		t.Run("valid "+name, func(t *testing.T) {
			r := newRecords(t, memstore.New(testBucket), fast)
			key, err := r.Key(name)
			require.NoError(t, err)
			assert.Equal(t, testPrefix+"/"+name, key)
			require.NoError(t, r.CreateExclusive(context.Background(), name, []byte("x")))
			got, err := r.Read(context.Background(), name, 1)
			require.NoError(t, err)
			assert.Equal(t, []byte("x"), got)
		})
	}
	longest := strings.Repeat("n", storerecords.MaxKeyLength-len(testPrefix)-1)
	_, err := newRecords(t, memstore.New(testBucket), fast).Key(longest)
	require.NoError(t, err, "a key of exactly %d bytes", storerecords.MaxKeyLength)

	for _, name := range invalid {
		t.Run("invalid "+name, func(t *testing.T) {
			ctx := context.Background()
			faults := faultstore.New(memstore.New(testBucket))
			r := newRecords(t, faults, fast)
			_, err := r.Key(name)
			require.ErrorIs(t, err, storerecords.ErrInvalidName)
			require.ErrorIs(t, r.CreateExclusive(ctx, name, []byte("x")), storerecords.ErrInvalidName)
			require.ErrorIs(t, r.Put(ctx, name, []byte("x")), storerecords.ErrInvalidName)
			_, err = r.Read(ctx, name, 1)
			require.ErrorIs(t, err, storerecords.ErrInvalidName)
			require.ErrorIs(t, r.Remove(ctx, "job.json", name), storerecords.ErrInvalidName)
			if name != "" { // "" lists every record
				for _, err := range r.List(ctx, name) {
					require.ErrorIs(t, err, storerecords.ErrInvalidName)
				}
			}
			for _, op := range []faultstore.Op{faultstore.OpPutObject, faultstore.OpGetObject, faultstore.OpDeleteObjects, faultstore.OpListObjects} {
				assert.Zero(t, faults.Calls(op), "%s calls for an invalid name", op)
			}
		})
	}
}

func TestNewValidatesThePrefix(t *testing.T) {
	for _, prefix := range []string{"", "/staging", "staging/", "a//b", "../x", "x\ny"} {
		_, err := storerecords.New(memstore.New(testBucket), prefix, storerecords.Options{})
		require.ErrorIs(t, err, storerecords.ErrInvalidName, "prefix %q", prefix)
	}
	_, err := storerecords.New(nil, testPrefix, storerecords.Options{})
	require.Error(t, err)
}

func listAll(t *testing.T, r *storerecords.Records, dir string) (names []string, invalid []string) {
	t.Helper()
	for name, err := range r.List(context.Background(), dir) {
		if err != nil {
			require.ErrorIs(t, err, storerecords.ErrInvalidName)
			require.NotEmpty(t, name)
			invalid = append(invalid, name)
			continue
		}
		names = append(names, name)
	}
	return names, invalid
}

func TestPutListRemove(t *testing.T) {
	ctx := context.Background()
	srv := memstore.NewServer()
	require.NoError(t, srv.CreateBucket(testBucket))
	st := srv.Store(testBucket, memstore.Options{ListPageSize: 2})
	r := newRecords(t, st, fast)
	for _, name := range []string{"job.json", "tasks/b.pendingset", "tasks/a.pendingset", "tasks/sub/c", "tasks2/x"} {
		require.NoError(t, r.Put(ctx, name, []byte(name)))
	}
	// Neighbours: a job whose ID starts with this one's, another prefix,
	// and an object under the prefix with a name no record can have.
	put(t, st, testPrefix+"0/tasks/z.pendingset", []byte("job-10"))
	put(t, st, "other/tasks/a.pendingset", []byte("other"))
	put(t, st, testPrefix+"/tasks//bad", []byte("bad"))

	names, invalid := listAll(t, r, "tasks")
	assert.Equal(t, []string{"tasks/a.pendingset", "tasks/b.pendingset", "tasks/sub/c"}, names)
	assert.Equal(t, []string{"tasks//bad"}, invalid)
	names, _ = listAll(t, r, "")
	assert.Equal(t, []string{"job.json", "tasks/a.pendingset", "tasks/b.pendingset", "tasks/sub/c", "tasks2/x"}, names)
	names, invalid = listAll(t, r, "nothing")
	assert.Empty(t, names)
	assert.Empty(t, invalid)

	// Stopping early stops the listing.
	var first []string
	for name := range r.List(ctx, "tasks") {
		first = append(first, name)
		break
	}
	assert.Equal(t, []string{"tasks//bad"}, first)

	require.NoError(t, r.Put(ctx, "job.json", []byte("replaced")))
	got, err := r.Read(ctx, "job.json", 100)
	require.NoError(t, err)
	assert.Equal(t, []byte("replaced"), got)

	require.NoError(t, r.Remove(ctx, "tasks/a.pendingset", "tasks/missing", "job.json"))
	require.NoError(t, r.Remove(ctx))
	names, _ = listAll(t, r, "")
	assert.Equal(t, []string{"tasks/b.pendingset", "tasks/sub/c", "tasks2/x"}, names)
	assert.Equal(t, []byte("job-10"), object(t, st, testPrefix+"0/tasks/z.pendingset"))
	assert.Equal(t, []byte("other"), object(t, st, "other/tasks/a.pendingset"))
}

func TestStoreErrorsAreWrapped(t *testing.T) {
	ctx := context.Background()
	faults := faultstore.New(memstore.New(testBucket),
		faultstore.Fail(faultstore.OpListObjects, multipart.ErrServer),
		faultstore.Fail(faultstore.OpDeleteObjects, multipart.ErrAccessDenied),
		faultstore.Fail(faultstore.OpPutObject, multipart.ErrThrottled))
	r := newRecords(t, faults, fast)

	var errs []error
	for name, err := range r.List(ctx, "tasks") {
		assert.Empty(t, name)
		errs = append(errs, err)
	}
	require.Len(t, errs, 1, "a store error ends the listing")
	require.ErrorIs(t, errs[0], multipart.ErrServer)

	err := r.Remove(ctx, "job.json")
	require.ErrorIs(t, err, multipart.ErrAccessDenied)
	err = r.Put(ctx, "job.json", []byte("x"))
	require.ErrorIs(t, err, multipart.ErrThrottled)
	assert.True(t, multipart.IsRetryable(err))
	assert.Equal(t, 1, faults.Calls(faultstore.OpPutObject), "Put does not retry: that is the store's job")
	assert.Contains(t, err.Error(), "s3://"+testBucket+"/"+testPrefix+"/job.json")
}
