package storerecords_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/multipart/memstore"
	"github.com/s3commit/s3commit/staging/internal/storerecords"
)

const journalDir = "commit"

// clock is a settable clock for BatchInterval.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func openJournal(t testing.TB, r *storerecords.Records, opts storerecords.JournalOptions) (*storerecords.Journal, *storerecords.Replay) {
	t.Helper()
	j, rep, err := storerecords.OpenJournal(context.Background(), r, journalDir, opts)
	require.NoError(t, err)
	return j, rep
}

func readJournal(t testing.TB, r *storerecords.Records) *storerecords.Replay {
	t.Helper()
	rep, err := storerecords.ReadJournal(context.Background(), r, journalDir, storerecords.JournalOptions{})
	require.NoError(t, err)
	return rep
}

func entry(i int) []byte { return fmt.Appendf(nil, `{"op":"completed","key":"out/part-%05d"}`, i) }

// chunkKey is the key of chunk n of the test journal.
func chunkKey(n int) string { return fmt.Sprintf("%s/%s/%010d.chunk", testPrefix, journalDir, n) }

func TestJournalRoundTrip(t *testing.T) {
	ctx := context.Background()
	r := newRecords(t, memstore.New(testBucket), fast)
	j, rep := openJournal(t, r, storerecords.JournalOptions{BatchCount: 3, BatchInterval: time.Hour})
	assert.Empty(t, rep.Entries)
	assert.Zero(t, rep.Next)
	assert.Empty(t, rep.Damage)

	// Entries are any bytes: newlines, a header look-alike, nothing.
	entries := [][]byte{[]byte("one"), []byte("two\nlines\n"), {}, []byte(`{"format":"s3commit-journal-chunk"}` + "\n"), []byte("e 3\nabc\n"), {0, 1, 2, 255}}
	for _, e := range entries {
		require.NoError(t, j.Append(ctx, e))
	}
	buf := []byte("reused buffer")
	require.NoError(t, j.Append(ctx, buf))
	copy(buf, "XXXXXX") // Append keeps a copy
	require.NoError(t, j.Flush(ctx))
	require.NoError(t, j.Flush(ctx), "a flush with nothing buffered")
	entries = append(entries, []byte("reused buffer"))

	rep = readJournal(t, r)
	assert.Equal(t, entries, rep.Entries)
	assert.Equal(t, uint64(3), rep.Chunks, "3 + 3 + 1 entries")
	assert.Equal(t, uint64(3), rep.Next)
	assert.Empty(t, rep.Damage)
	assert.Empty(t, rep.Claims)

	// A second writer appends after the first one's chunks.
	j2, rep2 := openJournal(t, r, storerecords.JournalOptions{})
	assert.Equal(t, rep.Entries, rep2.Entries)
	assert.NotEqual(t, j.Writer(), j2.Writer())
	require.NoError(t, j2.Append(ctx, []byte("from j2")))
	require.NoError(t, j2.Flush(ctx))
	rep = readJournal(t, r)
	assert.Equal(t, append(slices.Clone(entries), []byte("from j2")), rep.Entries)
	assert.Equal(t, uint64(4), rep.Next)
}

// TestJournalBatching counts the chunk writes (PutObject calls) of 5,000
// appended entries.
func TestJournalBatching(t *testing.T) {
	const n = 5000
	tests := []struct {
		name     string
		opts     storerecords.JournalOptions
		min, max int // PutObject calls
	}{
		{"by count", storerecords.JournalOptions{BatchInterval: time.Hour}, 10, 10},
		{"by a larger count", storerecords.JournalOptions{BatchCount: 1000, BatchInterval: time.Hour}, 5, 5},
		// The default interval may end a batch early on a slow machine;
		// 5,000 appends in memory take far less than 200 ms per 500.
		{"defaults", storerecords.JournalOptions{}, 10, 12},
		{"by bytes", storerecords.JournalOptions{BatchCount: n, BatchInterval: time.Hour, MaxChunkBytes: 64 << 10}, 5, 5},
		{"one per entry", storerecords.JournalOptions{BatchCount: 1}, n, n},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			faults := faultstore.New(memstore.New(testBucket))
			r := newRecords(t, faults, fast)
			j, _ := openJournal(t, r, tt.opts)
			for i := range n {
				require.NoError(t, j.Append(ctx, entry(i)))
			}
			require.NoError(t, j.Flush(ctx))
			puts := faults.Calls(faultstore.OpPutObject)
			t.Logf("%d entries: %d PutObject calls", n, puts)
			assert.GreaterOrEqual(t, puts, tt.min)
			assert.LessOrEqual(t, puts, tt.max)
			assert.Zero(t, faults.Calls(faultstore.OpGetObject), "no read-backs without faults")

			rep := readJournal(t, r)
			require.Len(t, rep.Entries, n)
			for i, e := range rep.Entries {
				require.Equal(t, entry(i), e)
			}
			assert.Equal(t, uint64(puts), rep.Chunks)
		})
	}
}

// TestJournalBatchInterval: a chunk is written by the first Append after
// BatchInterval has passed since the first buffered entry, and not
// before.
func TestJournalBatchInterval(t *testing.T) {
	ctx := context.Background()
	clk := &clock{now: time.Unix(1e9, 0)}
	faults := faultstore.New(memstore.New(testBucket))
	r := newRecords(t, faults, fast)
	j, _ := openJournal(t, r, storerecords.JournalOptions{BatchInterval: 200 * time.Millisecond, Now: clk.Now})

	require.NoError(t, j.Append(ctx, entry(0)))
	clk.Advance(150 * time.Millisecond)
	require.NoError(t, j.Append(ctx, entry(1)))
	assert.Zero(t, faults.Calls(faultstore.OpPutObject), "150 ms after the first entry")
	clk.Advance(50 * time.Millisecond)
	require.NoError(t, j.Append(ctx, entry(2)))
	assert.Equal(t, 1, faults.Calls(faultstore.OpPutObject), "200 ms after the first entry")

	// The interval counts from the first entry of the next batch.
	clk.Advance(time.Hour)
	require.NoError(t, j.Append(ctx, entry(3)))
	assert.Equal(t, 1, faults.Calls(faultstore.OpPutObject), "a new batch starts with entry 3")
	clk.Advance(199 * time.Millisecond)
	require.NoError(t, j.Append(ctx, entry(4)))
	assert.Equal(t, 1, faults.Calls(faultstore.OpPutObject))

	rep := readJournal(t, r)
	assert.Equal(t, [][]byte{entry(0), entry(1), entry(2)}, rep.Entries, "entries 3 and 4 are not durable before a Flush")
	require.NoError(t, j.Flush(ctx))
	assert.Len(t, readJournal(t, r).Entries, 5)
}

func TestJournalEntryTooLarge(t *testing.T) {
	ctx := context.Background()
	r := newRecords(t, memstore.New(testBucket), fast)
	j, _ := openJournal(t, r, storerecords.JournalOptions{MaxChunkBytes: 4096})
	require.NoError(t, j.Append(ctx, []byte("small")))
	err := j.Append(ctx, make([]byte, 4096))
	require.ErrorIs(t, err, storerecords.ErrTooLarge)
	require.NoError(t, j.Append(ctx, []byte("after")), "the journal goes on")
	require.NoError(t, j.Flush(ctx))
	assert.Equal(t, [][]byte{[]byte("small"), []byte("after")}, readJournal(t, r).Entries)
}

// TestJournalFencing: a second writer's Claim fences the first, whose
// next Flush fails with ErrFenced and writes nothing, and so does every
// later call.
func TestJournalFencing(t *testing.T) {
	ctx := context.Background()
	faults := faultstore.New(memstore.New(testBucket))
	r := newRecords(t, faults, fast)
	first, _ := openJournal(t, r, storerecords.JournalOptions{BatchInterval: time.Hour})
	require.NoError(t, first.Claim(ctx, "driver-1 pid 100"))
	require.NoError(t, first.Append(ctx, entry(0)))
	require.NoError(t, first.Flush(ctx))

	second, rep := openJournal(t, r, storerecords.JournalOptions{BatchInterval: time.Hour})
	assert.Equal(t, [][]byte{entry(0)}, rep.Entries)
	require.NoError(t, second.Claim(ctx, "driver-2 pid 200"))

	require.NoError(t, first.Append(ctx, entry(1)), "Append only buffers")
	puts := faults.Calls(faultstore.OpPutObject)
	err := first.Flush(ctx)
	require.ErrorIs(t, err, storerecords.ErrFenced)
	require.NotErrorIs(t, err, storerecords.ErrExist, "a fenced journal is not a record that exists")
	assert.Contains(t, err.Error(), "chunk 2")
	assert.Equal(t, puts+1, faults.Calls(faultstore.OpPutObject), "one refused put")
	for _, call := range []func() error{
		func() error { return first.Append(ctx, entry(2)) },
		func() error { return first.Flush(ctx) },
		func() error { return first.Claim(ctx, "driver-1 again") },
	} {
		require.ErrorIs(t, call(), storerecords.ErrFenced)
	}
	assert.Equal(t, puts+1, faults.Calls(faultstore.OpPutObject), "a fenced journal sends nothing")

	require.NoError(t, second.Append(ctx, entry(3)))
	require.NoError(t, second.Flush(ctx))
	rep = readJournal(t, r)
	assert.Equal(t, [][]byte{entry(0), entry(3)}, rep.Entries, "nothing of the fenced writer after the claim")
	assert.Equal(t, []storerecords.Claim{
		{Token: "driver-1 pid 100", Chunk: 0, Entries: 0},
		{Token: "driver-2 pid 200", Chunk: 2, Entries: 1},
	}, rep.Claims)
	assert.Equal(t, uint64(4), rep.Next)
}

// TestJournalClaimRace: two writers that opened the same journal claim
// it; the second claim finds the number taken and is fenced; it opens the
// journal again and claims it, which fences the first.
func TestJournalClaimRace(t *testing.T) {
	ctx := context.Background()
	r := newRecords(t, memstore.New(testBucket), fast)
	a, _ := openJournal(t, r, storerecords.JournalOptions{})
	b, _ := openJournal(t, r, storerecords.JournalOptions{})
	require.NoError(t, a.Claim(ctx, "a"))
	require.ErrorIs(t, b.Claim(ctx, "b"), storerecords.ErrFenced)

	b, rep := openJournal(t, r, storerecords.JournalOptions{})
	assert.Equal(t, []storerecords.Claim{{Token: "a"}}, rep.Claims)
	require.NoError(t, b.Claim(ctx, "b"))
	require.NoError(t, a.Append(ctx, entry(0)))
	require.ErrorIs(t, a.Flush(ctx), storerecords.ErrFenced)
}

// TestJournalConcurrentClaims: of writers claiming the same chunk at
// once, exactly one wins.
func TestJournalConcurrentClaims(t *testing.T) {
	r := newRecords(t, memstore.New(testBucket), fast)
	claimRace(t, r, 8)
}

// claimRace opens n journals on the same empty directory and has them
// claim it at once: exactly one wins, the others are fenced, and the
// journal holds the winner's claim alone.
func claimRace(t *testing.T, r *storerecords.Records, n int) {
	t.Helper()
	ctx := context.Background()
	journals := make([]*storerecords.Journal, n)
	for i := range journals {
		journals[i], _ = openJournal(t, r, storerecords.JournalOptions{})
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, j := range journals {
		wg.Go(func() {
			<-start
			errs[i] = j.Claim(ctx, fmt.Sprintf("writer %d", i))
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		if err == nil {
			require.Equal(t, -1, winner, "writers %d and %d both claimed the journal", winner, i)
			winner = i
			continue
		}
		require.ErrorIs(t, err, storerecords.ErrFenced, "writer %d", i)
	}
	require.NotEqual(t, -1, winner, "nobody claimed the journal")
	rep := readJournal(t, r)
	assert.Equal(t, []storerecords.Claim{{Token: fmt.Sprintf("writer %d", winner)}}, rep.Claims)
	for i, j := range journals {
		err := j.Append(ctx, entry(i))
		if i != winner {
			require.ErrorIs(t, err, storerecords.ErrFenced, "writer %d", i)
		}
	}
	require.NoError(t, journals[winner].Flush(ctx))
	assert.Equal(t, [][]byte{entry(winner)}, readJournal(t, r).Entries)
}

// TestJournalLostAnswers: a chunk write whose outcome stays unknown keeps
// its entries; the next Flush sends the same chunk, recognises it if the
// failed write was stored, and no entry is journaled twice or lost.
func TestJournalLostAnswers(t *testing.T) {
	tests := []struct {
		name   string
		rules  []faultstore.Rule
		stored bool // whether the failed Flush stored its chunk
	}{
		{"stored, answer and read-backs lost", []faultstore.Rule{
			faultstore.DropNth(faultstore.OpPutObject, 1),
			faultstore.Fail(faultstore.OpGetObject, multipart.ErrServer)}, true},
		{"never stored", []faultstore.Rule{
			faultstore.Fail(faultstore.OpPutObject, multipart.ErrServer)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			mem := memstore.New(testBucket)
			faults := faultstore.New(mem, tt.rules...)
			r := newRecords(t, faults, fast)
			j, _ := openJournal(t, r, storerecords.JournalOptions{BatchInterval: time.Hour})
			require.NoError(t, j.Append(ctx, entry(0)))
			require.NoError(t, j.Append(ctx, entry(1)))
			err := j.Flush(ctx)
			require.Error(t, err)
			require.True(t, multipart.IsRetryable(err), "%v", err)
			require.NotErrorIs(t, err, storerecords.ErrFenced)
			assert.Equal(t, tt.stored, object(t, mem, chunkKey(0)) != nil)

			require.NoError(t, j.Append(ctx, entry(2)), "entries are still taken")
			faults.Clear()
			require.NoError(t, j.Flush(ctx))
			rep := readJournal(t, r)
			assert.Equal(t, [][]byte{entry(0), entry(1), entry(2)}, rep.Entries)
			assert.Equal(t, uint64(2), rep.Chunks, "the failed chunk and one more")
		})
	}
}

// TestJournalDropIsOurs: a chunk write whose answer was lost is
// recognised by its read-back at once.
func TestJournalDropIsOurs(t *testing.T) {
	ctx := context.Background()
	faults := faultstore.New(memstore.New(testBucket), faultstore.DropNth(faultstore.OpPutObject, 1))
	r := newRecords(t, faults, fast)
	j, _ := openJournal(t, r, storerecords.JournalOptions{})
	require.NoError(t, j.Claim(ctx, "driver"))
	require.NoError(t, j.Append(ctx, entry(0)))
	require.NoError(t, j.Flush(ctx))
	assert.Equal(t, 2, faults.Calls(faultstore.OpPutObject))
	assert.Equal(t, 1, faults.Calls(faultstore.OpGetObject))
	rep := readJournal(t, r)
	assert.Equal(t, [][]byte{entry(0)}, rep.Entries)
	assert.Len(t, rep.Claims, 1)
}

// TestJournalDamage: a missing chunk or one that cannot be used is damage;
// the entries from it on are left out and the journal refuses writes.
func TestJournalDamage(t *testing.T) {
	tests := []struct {
		name string
		// damage changes the journal of chunks 0 to 3, one entry each.
		damage      func(t *testing.T, st multipart.Store)
		wantEntries int
		wantNext    uint64
		wantInError string
	}{
		{"a gap", func(t *testing.T, st multipart.Store) {
			require.NoError(t, st.DeleteObjects(context.Background(), []string{chunkKey(1)}))
		}, 1, 4, "0000000001.chunk is missing"},
		{"the first chunk missing", func(t *testing.T, st multipart.Store) {
			require.NoError(t, st.DeleteObjects(context.Background(), []string{chunkKey(0)}))
		}, 0, 4, "0000000000.chunk is missing"},
		{"garbage", func(t *testing.T, st multipart.Store) {
			put(t, st, chunkKey(2), []byte("not a chunk\n"))
		}, 2, 4, "0000000002.chunk"},
		{"a chunk under another number", func(t *testing.T, st multipart.Store) {
			put(t, st, chunkKey(2), object(t, st, chunkKey(1)))
		}, 2, 4, "says it is chunk 1"},
		{"a chunk too large", func(t *testing.T, st multipart.Store) {
			put(t, st, chunkKey(3), make([]byte, storerecords.DefaultMaxChunkBytes+1))
		}, 3, 4, "0000000003.chunk"},
		{"a gap after the end", func(t *testing.T, st multipart.Store) {
			put(t, st, chunkKey(7), object(t, st, chunkKey(3)))
		}, 4, 8, "0000000004.chunk is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			mem := memstore.New(testBucket)
			r := newRecords(t, mem, fast)
			j, _ := openJournal(t, r, storerecords.JournalOptions{BatchCount: 1})
			for i := range 4 {
				require.NoError(t, j.Append(ctx, entry(i)))
			}
			tt.damage(t, mem)

			j, rep := openJournal(t, r, storerecords.JournalOptions{BatchCount: 1})
			require.Len(t, rep.Entries, tt.wantEntries)
			for i, e := range rep.Entries {
				assert.Equal(t, entry(i), e)
			}
			assert.Equal(t, uint64(tt.wantEntries), rep.Chunks)
			assert.Equal(t, tt.wantNext, rep.Next)
			require.NotEmpty(t, rep.Damage)
			for _, d := range rep.Damage {
				require.ErrorIs(t, d, storerecords.ErrDamaged)
			}
			assert.Contains(t, rep.Damage[0].Error(), tt.wantInError)

			before := mem.Server().ObjectCount(testBucket)
			require.ErrorIs(t, j.Append(ctx, entry(9)), storerecords.ErrDamaged)
			require.ErrorIs(t, j.Claim(ctx, "driver"), storerecords.ErrDamaged)
			require.ErrorIs(t, j.Flush(ctx), storerecords.ErrDamaged)
			assert.Equal(t, before, mem.Server().ObjectCount(testBucket), "nothing written to a damaged journal")
		})
	}
}

// TestJournalIgnoresOtherNames: objects in the journal's directory that
// are not chunks are reported and left alone.
func TestJournalIgnoresOtherNames(t *testing.T) {
	ctx := context.Background()
	mem := memstore.New(testBucket)
	r := newRecords(t, mem, fast)
	j, _ := openJournal(t, r, storerecords.JournalOptions{BatchCount: 1})
	require.NoError(t, j.Append(ctx, entry(0)))
	for _, key := range []string{"commit/notes.txt", "commit/sub/0000000001.chunk", "commit/1.chunk", "commit//0000000001.chunk", "commitx/0000000001.chunk"} {
		put(t, mem, testPrefix+"/"+key, []byte("x"))
	}
	j, rep := openJournal(t, r, storerecords.JournalOptions{BatchCount: 1})
	assert.Empty(t, rep.Damage)
	assert.Equal(t, [][]byte{entry(0)}, rep.Entries)
	assert.Equal(t, []string{"commit//0000000001.chunk", "commit/1.chunk", "commit/notes.txt", "commit/sub/0000000001.chunk"}, rep.Ignored)
	require.NoError(t, j.Append(ctx, entry(1)))
	assert.Len(t, readJournal(t, r).Entries, 2)
}

func TestJournalReadLimits(t *testing.T) {
	ctx := context.Background()
	faults := faultstore.New(memstore.New(testBucket))
	r := newRecords(t, faults, fast)
	j, _ := openJournal(t, r, storerecords.JournalOptions{BatchCount: 10})
	for i := range 100 {
		require.NoError(t, j.Append(ctx, entry(i)))
	}
	_, err := storerecords.ReadJournal(ctx, r, journalDir, storerecords.JournalOptions{MaxJournalBytes: 1000})
	require.ErrorIs(t, err, storerecords.ErrTooLarge)

	faults.Add(faultstore.FailNth(faultstore.OpGetObject, 5, multipart.ErrServer))
	_, _, err = storerecords.OpenJournal(ctx, r, journalDir, storerecords.JournalOptions{})
	require.ErrorIs(t, err, multipart.ErrServer, "a store error is not damage")
	faults.Add(faultstore.Fail(faultstore.OpListObjects, multipart.ErrNetwork))
	_, err = storerecords.ReadJournal(ctx, r, journalDir, storerecords.JournalOptions{})
	require.ErrorIs(t, err, multipart.ErrNetwork)

	_, err = storerecords.ReadJournal(ctx, r, "../x", storerecords.JournalOptions{})
	require.ErrorIs(t, err, storerecords.ErrInvalidName)
}

// TestJournalConcurrentAppends: entries appended from many goroutines are
// all journaled once.
func TestJournalConcurrentAppends(t *testing.T) {
	ctx := context.Background()
	r := newRecords(t, memstore.New(testBucket), fast)
	j, _ := openJournal(t, r, storerecords.JournalOptions{BatchCount: 64})
	const workers, each = 8, 200
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				assert.NoError(t, j.Append(ctx, entry(w*each+i)))
			}
		})
	}
	wg.Wait()
	require.NoError(t, j.Flush(ctx))
	got := readJournal(t, r).Entries
	require.Len(t, got, workers*each)
	slices.SortFunc(got, func(a, b []byte) int { return slices.Compare(a, b) })
	for i, e := range got {
		require.Equal(t, entry(i), e)
	}
}

func TestJournalClaimToken(t *testing.T) {
	ctx := context.Background()
	r := newRecords(t, memstore.New(testBucket), fast)
	j, _ := openJournal(t, r, storerecords.JournalOptions{})
	for _, token := range []string{"", "a\nb", string(make([]byte, 257)), "\xff"} {
		require.Error(t, j.Claim(ctx, token), "token %q", token)
	}
	require.NoError(t, j.Claim(ctx, "driver on host-1, pid 4242, 2026-01-02T03:04:05Z"))
}

// TestJournalSameEntriesOtherWriter: two writers that write the same
// entries under the same chunk number are told apart by their writer
// tokens: the second is fenced, although its entries are the first's.
func TestJournalSameEntriesOtherWriter(t *testing.T) {
	ctx := context.Background()
	faults := faultstore.New(memstore.New(testBucket), faultstore.DropNth(faultstore.OpPutObject, 2))
	r := newRecords(t, faults, fast)
	a, _ := openJournal(t, r, storerecords.JournalOptions{})
	b, _ := openJournal(t, r, storerecords.JournalOptions{})
	require.NoError(t, a.Append(ctx, entry(0)))
	require.NoError(t, a.Flush(ctx))
	require.NoError(t, b.Append(ctx, entry(0)))
	require.ErrorIs(t, b.Flush(ctx), storerecords.ErrFenced, "b's put was refused and its answer lost: the read-back finds a's chunk")
	assert.Equal(t, [][]byte{entry(0)}, readJournal(t, r).Entries)
}
