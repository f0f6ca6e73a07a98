package storerecords

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Errors of a journal; test with [errors.Is].
var (
	// ErrFenced matches the error of a [Journal] that found the number of
	// the chunk it was writing taken by another writer's chunk: another
	// process claimed the journal (or wrote to it) since this one read
	// it. The journal refuses every later write; its writer must stop, or
	// open the journal again and claim it.
	ErrFenced = errors.New("fenced out of the journal by another writer")
	// ErrDamaged matches the damage a journal's reader found (a missing
	// chunk, a chunk that cannot be parsed or is too large), and the error
	// of every write to a damaged journal: entries written after the
	// damage would not be read back.
	ErrDamaged = errors.New("the journal is damaged")
)

// Defaults of [JournalOptions].
const (
	// DefaultBatchCount is the default of [JournalOptions.BatchCount]:
	// a job commit of 5,000 files writes 10 chunks.
	DefaultBatchCount = 500
	// DefaultBatchInterval is the default of
	// [JournalOptions.BatchInterval].
	DefaultBatchInterval = 200 * time.Millisecond
	// DefaultMaxChunkBytes is the default of
	// [JournalOptions.MaxChunkBytes].
	DefaultMaxChunkBytes = 4 << 20
	// DefaultMaxJournalBytes is the default of
	// [JournalOptions.MaxJournalBytes], the limit of the journal of the
	// staging dir on a filesystem.
	DefaultMaxJournalBytes = 1 << 30
	// DefaultReadConcurrency is the default of
	// [JournalOptions.ReadConcurrency].
	DefaultReadConcurrency = 16
)

// JournalOptions configure a [Journal] and the reading of one. The zero
// value gives the defaults.
type JournalOptions struct {
	// BatchCount is how many buffered entries make Append write a chunk;
	// 0 means [DefaultBatchCount], 1 writes one chunk per entry.
	BatchCount int
	// BatchInterval is how long after the first buffered entry Append
	// writes a chunk, whatever the count; 0 means [DefaultBatchInterval].
	// It is checked when Append is called: no goroutine writes in the
	// background, so a writer that stops appending calls Flush.
	BatchInterval time.Duration
	// MaxChunkBytes bounds a chunk: a writer writes a chunk before its
	// entries would make it larger, and a reader refuses a larger chunk as
	// damage. 0 means [DefaultMaxChunkBytes]. Readers and writers of one
	// journal use the same value.
	MaxChunkBytes int
	// MaxJournalBytes bounds the chunks a reader reads, in all; 0 means
	// [DefaultMaxJournalBytes].
	MaxJournalBytes int64
	// ReadConcurrency bounds the chunks a reader fetches at once; 0 means
	// [DefaultReadConcurrency].
	ReadConcurrency int
	// Now is the clock of BatchInterval; nil means time.Now.
	Now func() time.Time
}

func (o JournalOptions) withDefaults() JournalOptions {
	if o.BatchCount <= 0 {
		o.BatchCount = DefaultBatchCount
	}
	if o.BatchInterval <= 0 {
		o.BatchInterval = DefaultBatchInterval
	}
	if o.MaxChunkBytes <= 0 {
		o.MaxChunkBytes = DefaultMaxChunkBytes
	}
	if o.MaxJournalBytes <= 0 {
		o.MaxJournalBytes = DefaultMaxJournalBytes
	}
	if o.ReadConcurrency <= 0 {
		o.ReadConcurrency = DefaultReadConcurrency
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Replay is what a journal holds, as read by [ReadJournal] or
// [OpenJournal].
type Replay struct {
	// Entries are the appended entries, in order, up to the first damage.
	Entries [][]byte
	// Claims are the claims among them, in order.
	Claims []Claim
	// Chunks is how many chunks were read: numbers 0 to Chunks-1.
	Chunks uint64
	// Next is the number the next chunk gets.
	Next uint64
	// Damage lists what was wrong with the journal, each error matching
	// [ErrDamaged]; the entries from the first damaged or missing chunk on
	// are left out. Empty for an intact journal.
	Damage []error
	// Ignored are the names under the journal's directory that are not
	// chunk names; they are left alone.
	Ignored []string
}

// Claim is a claim entry of a journal: a writer that took the journal
// over with [Journal.Claim].
type Claim struct {
	// Token is the token the claimer gave.
	Token string
	// Chunk is the number of the claim's chunk.
	Chunk uint64
	// Entries is how many entries precede the claim.
	Entries int
}

// Journal is an append-only log in a directory of records, kept as
// numbered chunk objects (see the package doc). It is safe for concurrent
// use; Append and Flush wait while a chunk is written.
type Journal struct {
	r      *Records
	dir    string
	opts   JournalOptions
	writer string // this writer's token, in every chunk it writes

	mu sync.Mutex
	// next is the number of the next chunk to create; sealed are the
	// chunks numbered next, next+1, … encoded and not yet known to be
	// stored. A chunk whose write failed is sent again with the same
	// bytes, so that the read-back of CreateExclusive recognises it if
	// the failed write was stored after all.
	next   uint64
	sealed [][]byte
	buf    []chunkEntry
	bytes  int       // the bytes buf's entries take in a chunk
	first  time.Time // when the first entry of buf was appended
	err    error     // once set (fenced, damaged), every write returns it
}

// ReadJournal reads the journal in dir of r without opening it for
// writing. A journal without chunks is empty. Damage is reported in the
// replay, not as an error; the error is the store's (reading stops at the
// first) or [ErrTooLarge] for a journal larger than
// [JournalOptions.MaxJournalBytes].
func ReadJournal(ctx context.Context, r *Records, dir string, opts JournalOptions) (*Replay, error) {
	return readJournal(ctx, r, dir, opts.withDefaults())
}

// OpenJournal reads the journal in dir of r, as [ReadJournal], and returns
// it open for appending after its last chunk, with a writer token of its
// own. A damaged journal is returned with its replay, but refuses every
// write with an error matching [ErrDamaged]. A writer that must be the
// only one calls [Journal.Claim] before anything else.
func OpenJournal(ctx context.Context, r *Records, dir string, opts JournalOptions) (*Journal, *Replay, error) {
	opts = opts.withDefaults()
	rep, err := readJournal(ctx, r, dir, opts)
	if err != nil {
		return nil, nil, err
	}
	var token [16]byte
	if _, err := rand.Read(token[:]); err != nil {
		return nil, nil, fmt.Errorf("open the journal %s: writer token: %w", objectURL(r.store, r.prefix+"/"+dir), err)
	}
	j := &Journal{r: r, dir: dir, opts: opts, writer: hex.EncodeToString(token[:]), next: rep.Next}
	if len(rep.Damage) > 0 {
		j.err = fmt.Errorf("journal %s: %w; nothing appended after it would be read back", j.where(), rep.Damage[0])
	}
	return j, rep, nil
}

func (j *Journal) where() string { return objectURL(j.r.store, j.r.prefix+"/"+j.dir) }

// Writer returns the journal's writer token, which every chunk it writes
// carries.
func (j *Journal) Writer() string { return j.writer }

// Append adds entry (any bytes, copied) to the journal's buffer, and
// writes the buffer as a chunk when it holds [JournalOptions.BatchCount]
// entries, when [JournalOptions.BatchInterval] has passed since the first
// of them, or when the entry would make the chunk larger than
// [JournalOptions.MaxChunkBytes]. The entry is durable only once a chunk
// holding it is written: call Flush before anything that relies on it.
//
// An entry too large for a chunk is refused ([ErrTooLarge]) and the
// journal goes on. Any other error is that of a chunk write: the entry is
// kept all the same, and the next Flush (or Append that writes) sends the
// same chunk again, unless the error matches [ErrFenced] or [ErrDamaged].
// Those are final: the entry is not kept, and every later call fails the
// same way.
func (j *Journal) Append(ctx context.Context, entry []byte) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return j.err
	}
	size := len(entry) + entryOverhead
	if size > j.opts.MaxChunkBytes-maxChunkHeader {
		return fmt.Errorf("journal %s: %w: an entry of %d bytes does not fit a chunk of at most %d bytes",
			j.where(), ErrTooLarge, len(entry), j.opts.MaxChunkBytes)
	}
	write := false
	if j.bytes+size > j.opts.MaxChunkBytes-maxChunkHeader {
		j.sealBuffer()
		write = true
	}
	if len(j.buf) == 0 {
		j.first = j.opts.Now()
	}
	j.buf = append(j.buf, chunkEntry{kind: kindEntry, data: slices.Clone(entry)})
	j.bytes += size
	if len(j.buf) >= j.opts.BatchCount || j.opts.Now().Sub(j.first) >= j.opts.BatchInterval {
		j.sealBuffer()
		write = true
	}
	if !write {
		return nil
	}
	return j.sendLocked(ctx)
}

// Flush writes the buffered entries as a chunk, after any chunk whose
// earlier write failed, and returns once they are stored. A failure keeps
// the entries for the next Flush, except for the final errors that match
// [ErrFenced] or [ErrDamaged].
func (j *Journal) Flush(ctx context.Context) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return j.err
	}
	j.sealBuffer()
	return j.sendLocked(ctx)
}

// Claim takes the journal over: it writes what is buffered, then a chunk
// holding only a claim entry with token (1 to 256 bytes of UTF-8 without
// control characters, naming the claimer for people reading the journal),
// at once. Once it returns nil, any other writer of the journal is fenced
// at its next chunk write. If another writer's chunk took one of the
// numbers first, Claim fails with an error matching [ErrFenced]: the
// replay this journal was opened with is stale; open the journal again
// and claim again. Any other error leaves the claim to be sent again by
// the next Flush or Claim.
func (j *Journal) Claim(ctx context.Context, token string) error {
	if err := checkClaimToken(token); err != nil {
		return fmt.Errorf("journal %s: claim: %w", j.where(), err)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return j.err
	}
	j.sealBuffer()
	j.seal([]chunkEntry{{kind: kindClaim, data: []byte(token)}})
	return j.sendLocked(ctx)
}

// sealBuffer seals the buffered entries, if any, as the next chunk.
func (j *Journal) sealBuffer() {
	if len(j.buf) == 0 {
		return
	}
	j.seal(j.buf)
	j.buf, j.bytes = nil, 0
}

// seal encodes entries as the chunk that follows the sealed ones.
func (j *Journal) seal(entries []chunkEntry) {
	n := j.next + uint64(len(j.sealed))
	j.sealed = append(j.sealed, encodeChunk(chunk{number: n, writer: j.writer, entries: entries}))
}

// sendLocked creates the sealed chunks, in order.
func (j *Journal) sendLocked(ctx context.Context) error {
	for len(j.sealed) > 0 {
		if j.next > maxChunkNumber {
			j.err = fmt.Errorf("journal %s: %w: more than %d chunks", j.where(), ErrTooLarge, maxChunkNumber+1)
			return j.err
		}
		err := j.r.CreateExclusive(ctx, chunkName(j.dir, j.next), j.sealed[0])
		switch {
		case err == nil:
			j.next++
			j.sealed[0] = nil
			j.sealed = j.sealed[1:]
		case errors.Is(err, ErrExist):
			j.err = fmt.Errorf("journal %s: %w: chunk %d was written by another writer (%v); stop, or open the journal again and claim it",
				j.where(), ErrFenced, j.next, err)
			j.sealed, j.buf = nil, nil
			return j.err
		default:
			return fmt.Errorf("journal %s: write chunk %d: %w", j.where(), j.next, err)
		}
	}
	return nil
}

// readJournal reads the chunks of dir in order.
func readJournal(ctx context.Context, r *Records, dir string, opts JournalOptions) (*Replay, error) {
	where := objectURL(r.store, r.prefix+"/"+dir)
	if _, err := r.Key(dir); err != nil {
		return nil, fmt.Errorf("read the journal: %w", err)
	}
	rep := &Replay{}
	type found struct {
		n    uint64
		size int64
	}
	var chunks []found
	for l, err := range r.list(ctx, dir) {
		if err != nil {
			return nil, fmt.Errorf("read the journal %s: %w", where, err)
		}
		n, ok := parseChunkName(l.name[len(dir)+1:])
		if !ok || l.err != nil {
			rep.Ignored = append(rep.Ignored, l.name)
			continue
		}
		chunks = append(chunks, found{n, l.size})
	}
	slices.SortFunc(chunks, func(a, b found) int { return cmp.Compare(a.n, b.n) })
	if len(chunks) > 0 {
		rep.Next = chunks[len(chunks)-1].n + 1
	}

	// The chunks numbered 0, 1, … without a gap are the journal.
	var total int64
	whole := 0
	for whole < len(chunks) && chunks[whole].n == uint64(whole) {
		total += chunks[whole].size
		if total > opts.MaxJournalBytes {
			return nil, fmt.Errorf("read the journal %s: %w: its first %d chunks hold more than %d bytes",
				where, ErrTooLarge, whole+1, opts.MaxJournalBytes)
		}
		whole++
	}
	if whole < len(chunks) {
		rep.Damage = append(rep.Damage, fmt.Errorf("%w: %s is missing, so chunks %d to %d are left out",
			ErrDamaged, objectURL(r.store, r.prefix+"/"+chunkName(dir, uint64(whole))), chunks[whole].n, chunks[len(chunks)-1].n))
	}

	// Fetch them, a few at a time, then take them in order.
	type result struct {
		c   chunk
		err error
	}
	results := make([]result, whole)
	sem := make(chan struct{}, opts.ReadConcurrency)
	var wg sync.WaitGroup
	for i := range whole {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			name := chunkName(dir, uint64(i))
			data, err := r.Read(ctx, name, int64(opts.MaxChunkBytes))
			if err == nil {
				results[i].c, err = parseChunk(data)
				if err == nil && results[i].c.number != uint64(i) {
					err = fmt.Errorf("%w: its header says it is chunk %d", errChunk, results[i].c.number)
				}
				if err != nil {
					err = fmt.Errorf("%s: %w", objectURL(r.store, r.prefix+"/"+name), err)
				}
			}
			results[i].err = err
		}()
	}
	wg.Wait()
	for i, res := range results {
		if res.err != nil {
			if errors.Is(res.err, errChunk) || errors.Is(res.err, ErrTooLarge) || errors.Is(res.err, ErrNotExist) {
				rep.Damage = slices.Insert(rep.Damage, 0, fmt.Errorf("%w: %w, so it and the chunks after it are left out", ErrDamaged, res.err))
				break
			}
			return nil, fmt.Errorf("read the journal %s: %w", where, res.err)
		}
		for _, e := range res.c.entries {
			if e.kind == kindClaim {
				rep.Claims = append(rep.Claims, Claim{Token: string(e.data), Chunk: uint64(i), Entries: len(rep.Entries)})
				continue
			}
			rep.Entries = append(rep.Entries, e.data)
		}
		rep.Chunks++
	}
	return rep, nil
}
