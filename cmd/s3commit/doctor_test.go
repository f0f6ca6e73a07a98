package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/internal/testserver"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/awsstore"
	"github.com/s3commit/s3commit/multipart/memstore"
)

// wantRow is what a test expects of a doctor row: its verdict and
// substrings of its result.
type wantRow struct {
	verdict doctorVerdict
	result  []string
}

func want(v doctorVerdict, result ...string) wantRow { return wantRow{verdict: v, result: result} }

// rowsWith returns base with the rows of over replacing or adding to it.
func rowsWith(base, over map[string]wantRow) map[string]wantRow {
	out := make(map[string]wantRow, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

// The store rows of a store that behaves as S3 does (memstore's default).
var s3StoreRows = map[string]wantRow{
	"put_if_none_match":           want(verdictWorks, "PreconditionFailed", "the object is the first writer's"),
	"put_if_none_match_race":      want(verdictWorks, "1 of 8 won, 7 got PreconditionFailed", "the object is the winner's"),
	"complete_if_none_match":      want(verdictWorks, "PreconditionFailed", "the object is the first writer's"),
	"repeated_completion":         want(verdictWorks, "with If-None-Match: NoSuchUpload; without: NoSuchUpload"),
	"complete_if_none_match_race": want(verdictWorks, "1 of 8 won, 7 got PreconditionFailed", "the object is the winner's"),
	"abort_unknown_upload":        want(verdictWorks, "NoSuchUpload"),
	"list_uploads_by_prefix":      want(verdictWorks, "by prefix: listed; by key: listed"),
	"checksum_crc64nvme":          want(verdictWorks, "accepted; a wrong one refused (ChecksumMismatch", "HeadObject reports it, FULL_OBJECT"),
	"checksum_crc32c":             want(verdictWorks, "accepted; a wrong one refused (ChecksumMismatch", "HeadObject reports it, FULL_OBJECT"),
	"mp_object_size":              want(verdictWorks, "refused (", "the right size accepted"),
}

// The store rows of MinIO, as memstore.MinIOOptions emulates it and the
// pinned MinIO answers.
var minioStoreRows = rowsWith(s3StoreRows, map[string]wantRow{
	"repeated_completion":    want(verdictWorks, "with If-None-Match: 412 PreconditionFailed; without: 404 NoSuchUpload"),
	"list_uploads_by_prefix": want(verdictCost, "by prefix: not listed; by key: listed"),
	"mp_object_size":         want(verdictCost, "accepted (not checked)"),
})

// The store rows of versitygw, as memstore.VersityGWOptions emulates it
// and versitygw v1.8.0 answers.
var versityGWStoreRows = rowsWith(s3StoreRows, map[string]wantRow{
	"repeated_completion": want(verdictCost, "with If-None-Match: success; without: success"),
})

// requireRows asserts that the report has each wanted row.
func requireRows(t *testing.T, rep *doctorReport, rows map[string]wantRow) {
	t.Helper()
	for _, id := range slices.Sorted(maps.Keys(rows)) {
		w := rows[id]
		row, ok := rep.row(id)
		if !assert.True(t, ok, "row %s", id) {
			continue
		}
		assert.Equal(t, w.verdict, row.Verdict, "row %s: %s", id, row.Result)
		for _, sub := range w.result {
			assert.Contains(t, row.Result, sub, "row %s", id)
		}
		assert.NotEmpty(t, row.S3commit, "row %s says what s3commit does", id)
	}
}

// memStoreRows adapts the wanted rows of a real server to memstore's
// answers, which carry no HTTP status.
func memStoreRows(rows map[string]wantRow) map[string]wantRow {
	out := make(map[string]wantRow, len(rows))
	for id, w := range rows {
		var subs []string
		for _, s := range w.result {
			subs = append(subs, strings.NewReplacer("404 ", "", "412 ", "").Replace(s))
		}
		out[id] = wantRow{verdict: w.verdict, result: subs}
	}
	return out
}

// memStore returns a memstore on a new server with the bucket "lake".
func memStore(t *testing.T, opts memstore.Options) *memstore.Store {
	t.Helper()
	srv := memstore.NewServer()
	require.NoError(t, srv.CreateBucket("lake"))
	return srv.Store("lake", opts)
}

// racyStore checks If-None-Match before it writes, not atomically with
// the write, as some stores do: a second writer alone is refused, but
// writers at once all pass the check and the last one's object stays. It
// holds each conditional write after its check until window of them have
// arrived (or 200 ms passed), so that racers surely overlap.
type racyStore struct {
	multipart.Store
	window int

	mu      sync.Mutex
	arrived int
	gate    chan struct{}
}

func newRacyStore(st multipart.Store, window int) *racyStore {
	return &racyStore{Store: st, window: window, gate: make(chan struct{})}
}

// wait holds a conditional write after its check.
func (s *racyStore) wait() {
	s.mu.Lock()
	gate := s.gate
	s.arrived++
	if s.arrived == s.window {
		close(gate)
		s.gate, s.arrived = make(chan struct{}), 0
	}
	s.mu.Unlock()
	select {
	case <-gate:
	case <-time.After(200 * time.Millisecond):
		// Alone (a sequential write): it no longer counts as waiting.
		s.mu.Lock()
		if s.gate == gate {
			s.arrived--
		}
		s.mu.Unlock()
	}
}

// check refuses a write over an existing object.
func (s *racyStore) check(ctx context.Context, op, key string) error {
	if _, err := s.Store.HeadObject(ctx, key); err == nil {
		return &multipart.Error{Op: op, Bucket: s.Bucket(), Key: key, Kind: multipart.ErrPreconditionFailed}
	}
	s.wait()
	return nil
}

func (s *racyStore) PutObject(ctx context.Context, key string, body io.ReadSeeker, size int64, opts multipart.PutOptions) (string, error) {
	if opts.IfNoneMatch {
		if err := s.check(ctx, "PutObject", key); err != nil {
			return "", err
		}
		opts.IfNoneMatch = false
	}
	return s.Store.PutObject(ctx, key, body, size, opts)
}

func (s *racyStore) CompleteUpload(ctx context.Context, key, uploadID string, parts []multipart.Part, opts multipart.CompleteOptions) (string, error) {
	if opts.IfNoneMatch {
		if err := s.check(ctx, "CompleteMultipartUpload", key); err != nil {
			return "", err
		}
		opts.IfNoneMatch = false
	}
	return s.Store.CompleteUpload(ctx, key, uploadID, parts, opts)
}

// watchStore records every key a call names and counts the calls; at call
// cancelAt (1-based; 0 never) it calls cancel, before the call is sent.
type watchStore struct {
	multipart.Store
	cancelAt int64
	cancel   context.CancelFunc

	calls atomic.Int64
	mu    sync.Mutex
	keys  map[string]bool
}

func newWatchStore(st multipart.Store) *watchStore {
	return &watchStore{Store: st, keys: make(map[string]bool)}
}

func (w *watchStore) tick(key string) {
	if key != "" {
		w.mu.Lock()
		w.keys[key] = true
		w.mu.Unlock()
	}
	if n := w.calls.Add(1); n == w.cancelAt && w.cancel != nil {
		w.cancel()
	}
}

// seen returns the keys the calls named.
func (w *watchStore) seen() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Sorted(maps.Keys(w.keys))
}

func (w *watchStore) CreateUpload(ctx context.Context, key string, opts multipart.CreateOptions) (string, error) {
	w.tick(key)
	return w.Store.CreateUpload(ctx, key, opts)
}

func (w *watchStore) UploadPart(ctx context.Context, key, uploadID string, number int32, body io.ReadSeeker, size int64, opts multipart.PartOptions) (multipart.Part, error) {
	w.tick(key)
	return w.Store.UploadPart(ctx, key, uploadID, number, body, size, opts)
}

func (w *watchStore) CompleteUpload(ctx context.Context, key, uploadID string, parts []multipart.Part, opts multipart.CompleteOptions) (string, error) {
	w.tick(key)
	return w.Store.CompleteUpload(ctx, key, uploadID, parts, opts)
}

func (w *watchStore) AbortUpload(ctx context.Context, key, uploadID string) error {
	w.tick(key)
	return w.Store.AbortUpload(ctx, key, uploadID)
}

func (w *watchStore) ListUploads(ctx context.Context, prefix string) iter.Seq2[multipart.Upload, error] {
	w.tick("")
	return w.Store.ListUploads(ctx, prefix)
}

func (w *watchStore) ListParts(ctx context.Context, key, uploadID string) ([]multipart.Part, error) {
	w.tick(key)
	return w.Store.ListParts(ctx, key, uploadID)
}

func (w *watchStore) PutObject(ctx context.Context, key string, body io.ReadSeeker, size int64, opts multipart.PutOptions) (string, error) {
	w.tick(key)
	return w.Store.PutObject(ctx, key, body, size, opts)
}

func (w *watchStore) GetObject(ctx context.Context, key string) (io.ReadCloser, multipart.ObjectInfo, error) {
	w.tick(key)
	return w.Store.GetObject(ctx, key)
}

func (w *watchStore) HeadObject(ctx context.Context, key string) (multipart.ObjectInfo, error) {
	w.tick(key)
	return w.Store.HeadObject(ctx, key)
}

func (w *watchStore) ListObjects(ctx context.Context, prefix string) iter.Seq2[multipart.ObjectInfo, error] {
	w.tick("")
	return w.Store.ListObjects(ctx, prefix)
}

func (w *watchStore) DeleteObjects(ctx context.Context, keys []string) error {
	for _, k := range keys {
		w.tick(k)
	}
	return w.Store.DeleteObjects(ctx, keys)
}

// requireNothingLeft asserts that the bucket of st, which the test has to
// itself, holds no object and no upload: listed by the empty prefix
// (MinIO lists every upload then) and by each exact key (the one way
// MinIO lists uploads by key).
func requireNothingLeft(t *testing.T, st multipart.Store, keys []string) {
	t.Helper()
	ctx := context.Background()
	var objects []string
	for o, err := range st.ListObjects(ctx, "") {
		require.NoError(t, err)
		objects = append(objects, o.Key)
	}
	assert.Empty(t, objects, "objects left in the bucket")
	var uploads []string
	for u, err := range st.ListUploads(ctx, "") {
		require.NoError(t, err)
		uploads = append(uploads, u.Key+" "+u.UploadID)
	}
	for _, key := range keys {
		for u, err := range st.ListUploads(ctx, key) {
			require.NoError(t, err)
			if u.Key == key {
				uploads = append(uploads, u.Key+" "+u.UploadID)
			}
		}
	}
	assert.Empty(t, uploads, "uploads left in the bucket")
}

// probeKeyNames are the names of the probe's keys under its prefix; the
// staging probe uses the first two under its own.
var probeKeyNames = []string{
	"put-exclusive", "put-race", "complete-exclusive", "complete-race", "abort-unknown",
	"list/dir/pending.bin", "checksum-crc64nvme", "checksum-crc32c", "object-size",
}

// probeKeys returns the exact keys of a probe under prefix.
func probeKeys(prefix string) []string {
	var keys []string
	for _, n := range probeKeyNames {
		keys = append(keys, prefix+n)
	}
	return keys
}

// TestDoctorMemstore runs the probes on memstore with the personalities
// of the stores it emulates: the rows, whether the store is called safe,
// the exit status, and that nothing is left in the bucket.
func TestDoctorMemstore(t *testing.T) {
	tests := []struct {
		name string
		// store returns the store the probes see and the store on the
		// same bucket to check afterwards.
		store func() (probed, bucket multipart.Store)
		rows  map[string]wantRow
		safe  bool
	}{
		{
			name:  "S3",
			store: func() (multipart.Store, multipart.Store) { st := memstore.New("lake"); return st, st },
			rows:  s3StoreRows,
			safe:  true,
		},
		{
			name: "MinIO",
			store: func() (multipart.Store, multipart.Store) {
				st := memStore(t, memstore.MinIOOptions())
				return st, st
			},
			rows: memStoreRows(minioStoreRows),
			safe: true,
		},
		{
			name: "versitygw",
			store: func() (multipart.Store, multipart.Store) {
				st := memStore(t, memstore.VersityGWOptions())
				return st, st
			},
			rows: versityGWStoreRows,
			safe: true,
		},
		{
			name: "ignores conditional writes",
			store: func() (multipart.Store, multipart.Store) {
				st := memStore(t, memstore.Options{IgnoreConditionalWrites: true})
				return st, st
			},
			rows: rowsWith(s3StoreRows, map[string]wantRow{
				"put_if_none_match":           want(verdictRefuses, "success: the second writer replaced the object"),
				"put_if_none_match_race":      want(verdictRefuses, "8 of 8 won"),
				"complete_if_none_match":      want(verdictUnsafe, "success: the second writer replaced the object"),
				"repeated_completion":         want(verdictWorks, "with If-None-Match: NoSuchUpload; without: NoSuchUpload"),
				"complete_if_none_match_race": want(verdictUnsafe, "8 of 8 won"),
			}),
			safe: false,
		},
		{
			name: "honours conditions alone, not under concurrency",
			store: func() (multipart.Store, multipart.Store) {
				st := memstore.New("lake")
				return newRacyStore(st, defaultRacers), st
			},
			rows: rowsWith(s3StoreRows, map[string]wantRow{
				"repeated_completion":         want(verdictWorks, "with If-None-Match: PreconditionFailed; without: NoSuchUpload"),
				"put_if_none_match_race":      want(verdictRefuses, "8 of 8 won"),
				"complete_if_none_match_race": want(verdictUnsafe, "8 of 8 won"),
			}),
			safe: false,
		},
		{
			name: "ignores checksums",
			store: func() (multipart.Store, multipart.Store) {
				st := memStore(t, memstore.Options{IgnoreChecksums: true})
				return st, st
			},
			rows: rowsWith(s3StoreRows, map[string]wantRow{
				"checksum_crc64nvme": want(verdictCost, "accepted; a wrong one accepted (not checked); HeadObject reports no checksum"),
				"checksum_crc32c":    want(verdictCost, "a wrong one accepted (not checked)"),
			}),
			safe: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probed, bucket := tt.store()
			w := newWatchStore(probed)
			rep, err := runDoctorProbes(context.Background(), doctorInput{Store: w, Target: s3URL{Bucket: "lake", Key: "tables/events"}})
			require.NoError(t, err)
			requireRows(t, rep, tt.rows)
			for _, id := range []string{"clock_skew", "upload_expiry", "lifecycle_abort_incomplete"} {
				row, ok := rep.row(id)
				require.True(t, ok, id)
				assert.Equal(t, verdictUnknown, row.Verdict, "%s without an endpoint or a lifecycle lookup", id)
				assert.False(t, row.Required, id)
			}
			assert.Equal(t, tt.safe, rep.Safe)
			assert.Empty(t, rep.Left)
			assert.Positive(t, rep.Removed.Objects)
			assert.True(t, strings.HasPrefix(rep.ProbePrefix, "tables/events/.s3commit-doctor-"), rep.ProbePrefix)
			for _, k := range w.seen() {
				assert.True(t, strings.HasPrefix(k, rep.ProbePrefix), "key %s outside the probe's prefix", k)
			}
			requireNothingLeft(t, bucket, w.seen())

			var out strings.Builder
			err = finishDoctor(false, rep, nil, &out)
			if tt.safe {
				assert.NoError(t, err)
				assert.Equal(t, exitOK, exitCode(err))
				assert.Contains(t, out.String(), "s3commit can run safely here")
			} else {
				assert.Equal(t, exitError, exitCode(err), "%v", err)
				assert.Contains(t, out.String(), "s3commit cannot run safely here")
			}
		})
	}
}

// TestDoctorCancelMemstore cancels the probes at every few store calls
// and checks that the report says so and nothing is left in the bucket.
func TestDoctorCancelMemstore(t *testing.T) {
	counted := newWatchStore(memstore.New("lake"))
	_, err := runDoctorProbes(context.Background(), doctorInput{Store: counted, Target: s3URL{Bucket: "lake"}})
	require.NoError(t, err)
	total := counted.calls.Load()
	require.Greater(t, total, int64(50))
	t.Logf("a whole probe, clean-up included, makes %d store calls", total)
	interrupted, runs := 0, 0
	for n := int64(1); n < total; n += 5 {
		st := memstore.New("lake")
		ctx, cancel := context.WithCancel(context.Background())
		w := newWatchStore(st)
		w.cancelAt, w.cancel = n, cancel
		rep, err := runDoctorProbes(ctx, doctorInput{Store: w, Target: s3URL{Bucket: "lake", Key: "t"}})
		cancel()
		runs++
		if err != nil {
			// A cancellation during the clean-up, after the last probe,
			// interrupts nothing.
			interrupted++
			require.ErrorIs(t, err, context.Canceled, "cancelled at call %d", n)
			if rep != nil {
				assert.True(t, rep.Interrupted, "call %d", n)
				assert.False(t, rep.Safe)
			}
			assert.Equal(t, exitError, exitCode(finishDoctor(true, rep, err, io.Discard)))
		}
		if rep != nil {
			assert.Empty(t, rep.Left, "call %d", n)
		}
		requireNothingLeft(t, st, w.seen())
	}
	assert.Greater(t, interrupted, runs/2, "most cancellations land in a probe")
}

// TestDoctorServers runs the probes on the real servers, in-process and
// through the binary with each kind of staging dir, and checks the rows
// and that nothing is left in the bucket.
func TestDoctorServers(t *testing.T) {
	serverRows := map[string]map[string]wantRow{
		"MinIO": rowsWith(minioStoreRows, map[string]wantRow{
			"repeated_completion":        want(verdictWorks, "with If-None-Match: 412 PreconditionFailed; without: 404 NoSuchUpload"),
			"put_if_none_match":          want(verdictWorks, "412 PreconditionFailed"),
			"clock_skew":                 want(verdictWorks),
			"upload_expiry":              want(verdictCost, "MinIO (Server: MinIO): 24 h by default"),
			"lifecycle_abort_incomplete": want(verdictWorks, "none: the bucket has no lifecycle configuration"),
		}),
		"VersityGW": rowsWith(versityGWStoreRows, map[string]wantRow{
			"put_if_none_match":          want(verdictWorks, "412 PreconditionFailed"),
			"clock_skew":                 want(verdictWorks),
			"upload_expiry":              want(verdictWorks, "versitygw (Server: VERSITYGW)"),
			"lifecycle_abort_incomplete": want(verdictUnknown, "501 NotImplemented"),
		}),
	}
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			srv := s.get(t)
			rows := serverRows[s.name]

			t.Run("in-process", func(t *testing.T) {
				bucket := srv.CreateBucket(t)
				st := srv.Store(t, bucket)
				w := newWatchStore(st)
				in := serverInput(t, srv, w, st, bucket)
				rep, err := runDoctorProbes(context.Background(), in)
				require.NoError(t, err)
				requireRows(t, rep, rows)
				assert.True(t, rep.Safe)
				assert.Empty(t, rep.Left)
				requireNothingLeft(t, st, w.seen())
			})

			t.Run("binary, staging dir", func(t *testing.T) {
				bucket := srv.CreateBucket(t)
				dir := t.TempDir()
				stdout, _, code := runS3commit(t, srv, "--json", "doctor", "s3://"+bucket+"/tables", "--staging", dir)
				require.Equal(t, exitOK, code)
				var rep doctorReport
				require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
				requireRows(t, &rep, rowsWith(rows, map[string]wantRow{
					"staging_write":      want(verdictWorks, "ok"),
					"staging_link":       want(verdictWorks, "ok; the second: EEXIST"),
					"staging_flock":      want(verdictWorks, "ok; the second: "),
					"staging_fsync_dir":  want(verdictWorks, "ok"),
					"staging_filesystem": want(verdictWorks),
				}))
				assert.True(t, rep.Safe)
				assert.Equal(t, srv.Endpoint, rep.Endpoint)
				entries, err := os.ReadDir(dir)
				require.NoError(t, err)
				assert.Empty(t, entries, "the staging dir is left as it was")
				requireNothingLeft(t, srv.Store(t, bucket), probeKeys(rep.ProbePrefix))
			})

			t.Run("binary, staging in the store", func(t *testing.T) {
				bucket := srv.CreateBucket(t)
				stdout, _, code := runS3commit(t, srv, "--json", "doctor", "s3://"+bucket+"/tables", "--staging", "s3://"+bucket+"/_staging")
				require.Equal(t, exitOK, code)
				var rep doctorReport
				require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
				requireRows(t, &rep, rowsWith(rows, map[string]wantRow{
					"staging_prefix":                 want(verdictWorks, "outside"),
					"staging_put_if_none_match":      want(verdictWorks, "412 PreconditionFailed"),
					"staging_put_if_none_match_race": want(verdictWorks, "1 of 8 won"),
				}))
				assert.True(t, rep.Safe)
				stagingBase := "_staging/" + strings.Replace(strings.TrimPrefix(rep.ProbePrefix, "tables/"), "/", "-staging/", 1)
				requireNothingLeft(t, srv.Store(t, bucket), append(probeKeys(rep.ProbePrefix), stagingBase+"put-exclusive", stagingBase+"put-race"))
			})

			t.Run("binary, staging inside the destination", func(t *testing.T) {
				bucket := srv.CreateBucket(t)
				stdout, stderr, code := runS3commit(t, srv, "doctor", "s3://"+bucket+"/tables", "--staging", "s3://"+bucket+"/tables/_staging")
				assert.Equal(t, exitError, code)
				assert.Contains(t, stdout, "refuses")
				assert.Contains(t, stderr, "staging_prefix (refuses)")
				requireNothingLeft(t, srv.Store(t, bucket), nil)
			})
		})
	}
}

// serverInput is the doctorInput the command builds for a real server:
// probes through probed, the lifecycle through the awsstore st.
func serverInput(t *testing.T, srv *testserver.Server, probed, st multipart.Store, bucket string) doctorInput {
	t.Helper()
	a, ok := st.(*awsstore.Store)
	require.True(t, ok)
	return doctorInput{
		Store:     probed,
		Target:    s3URL{Bucket: bucket, Key: "tables"},
		Endpoint:  srv.Endpoint,
		Lifecycle: awsLifecycleLookup(a.Client(), bucket),
	}
}

// TestDoctorCancelServers cancels the probes on the real servers at a few
// points and checks that nothing is left in the bucket.
func TestDoctorCancelServers(t *testing.T) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			srv := s.get(t)
			bucket := srv.CreateBucket(t)
			st := srv.Store(t, bucket)
			for _, n := range []int64{2, 9, 17, 30, 45, 60, 68} {
				ctx, cancel := context.WithCancel(context.Background())
				w := newWatchStore(st)
				w.cancelAt, w.cancel = n, cancel
				rep, err := runDoctorProbes(ctx, serverInput(t, srv, w, st, bucket))
				cancel()
				require.ErrorIs(t, err, context.Canceled, "cancelled at call %d", n)
				if rep != nil {
					assert.True(t, rep.Interrupted)
					assert.Empty(t, rep.Left, "call %d", n)
				}
				requireNothingLeft(t, st, w.seen())
			}
		})
	}
}

// TestDoctorInterrupt sends SIGINT to the binary while the store holds its
// first CompleteMultipartUpload, which then takes effect after the client
// gave up on it (an answer lost): the command exits 1 saying it was
// interrupted, and leaves nothing in the bucket.
func TestDoctorInterrupt(t *testing.T) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			srv := s.get(t)
			bucket := srv.CreateBucket(t)
			backend, err := url.Parse(srv.Endpoint)
			require.NoError(t, err)
			proxy := httputil.NewSingleHostReverseProxy(backend)
			held, forwarded := make(chan struct{}), make(chan int, 1)
			var once sync.Once
			front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hold := false
				if r.Method == http.MethodPost && r.URL.Query().Has("uploadId") {
					once.Do(func() { hold = true })
				}
				if !hold {
					proxy.ServeHTTP(w, r)
					return
				}
				// Read the body first: only then does the server notice
				// that the client went away.
				body, err := io.ReadAll(r.Body)
				if err != nil {
					forwarded <- 0
					return
				}
				close(held)
				select {
				case <-r.Context().Done(): // the client gave up
				case <-time.After(time.Minute):
				}
				// The completion takes effect all the same.
				rec := httptest.NewRecorder()
				r = r.WithContext(context.WithoutCancel(r.Context()))
				r.Body = io.NopCloser(bytes.NewReader(body))
				proxy.ServeHTTP(rec, r)
				forwarded <- rec.Code
			}))
			defer front.Close()

			env := append(cleanEnv(t),
				"AWS_ACCESS_KEY_ID="+srv.AccessKeyID,
				"AWS_SECRET_ACCESS_KEY="+srv.SecretAccessKey,
				"AWS_REGION="+srv.Region,
				"AWS_ENDPOINT_URL="+front.URL,
				envPathStyle+"=true",
			)
			cmd := exec.Command(s3commitBinary(t), "--json", "doctor", "s3://"+bucket+"/tables", "--staging", t.TempDir())
			cmd.Env = env
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			require.NoError(t, cmd.Start())
			select {
			case <-held:
			case <-time.After(time.Minute):
				_ = cmd.Process.Kill()
				t.Fatalf("the doctor sent no CompleteMultipartUpload within a minute\nstderr:\n%s", stderr.String())
			}
			require.NoError(t, cmd.Process.Signal(os.Interrupt))
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err = <-done:
			case <-time.After(2 * time.Minute):
				_ = cmd.Process.Kill()
				t.Fatalf("the doctor did not exit within 2 minutes of SIGINT")
			}
			t.Logf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
			select {
			case code := <-forwarded:
				t.Logf("the held completion, sent after the client gave up, was answered %d", code)
			case <-time.After(time.Minute):
				t.Fatalf("the held completion was not forwarded")
			}
			var exitErr *exec.ExitError
			require.True(t, errors.As(err, &exitErr), "exit: %v", err)
			assert.Equal(t, exitError, exitErr.ExitCode())
			if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok {
				assert.False(t, ws.Signaled(), "the command exits by itself, not by the signal")
			}
			assert.Contains(t, stderr.String(), "interrupted; the probe's objects and uploads were removed")
			var rep doctorReport
			require.NoError(t, json.Unmarshal([]byte(stdout.String()), &rep))
			assert.True(t, rep.Interrupted)
			assert.Empty(t, rep.Left)
			requireNothingLeft(t, srv.Store(t, bucket), probeKeys(rep.ProbePrefix))
		})
	}
}

// TestDoctorUsage: usage errors exit 2 before any request.
func TestDoctorUsage(t *testing.T) {
	for _, args := range [][]string{
		{"doctor"},
		{"doctor", "lake/tables"},
		{"doctor", "s3://lake/tables", "--racers", "1"},
		{"doctor", "s3://lake/tables", "--staging", "gs://lake/_staging"},
		{"doctor", "s3://lake/tables", "--staging", "s3://lake"},
	} {
		_, stderr, code := runS3commit(t, nil, args...)
		assert.Equal(t, exitUsage, code, "%v: %s", args, stderr)
	}
}

// TestDoctorStoreUnreachable: a store that does not answer ends the
// command before any probe, with exit status 1.
func TestDoctorStoreUnreachable(t *testing.T) {
	dir := t.TempDir()
	res := runCLI(t, cliRun{Args: []string{"--endpoint-url", "http://127.0.0.1:1", "doctor", "s3://lake/tables", "--staging", dir},
		Env: []string{"AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=y", "AWS_REGION=us-east-1"}})
	assert.Equal(t, exitError, res.Code)
	assert.Contains(t, res.Stderr, "before probing")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries)
}
