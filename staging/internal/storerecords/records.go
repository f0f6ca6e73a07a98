package storerecords

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/s3commit/s3commit/internal/retry"
	"github.com/s3commit/s3commit/multipart"
)

// kindError is an error kind of this package that also matches an io/fs
// error, so that code written over both homes of a staging dir (a shared
// filesystem and the store) tests one value.
type kindError struct {
	msg string
	fs  error
}

func (e *kindError) Error() string { return e.msg }

// Is reports whether target is the io/fs error the kind stands for.
func (e *kindError) Is(target error) bool { return e.fs != nil && target == e.fs }

// Error kinds; test with [errors.Is].
var (
	// ErrExist matches the error of a creation that found the name taken
	// by another writer's record. It also matches [fs.ErrExist].
	ErrExist error = &kindError{"the record exists", fs.ErrExist}
	// ErrNotExist matches the error of a read of a record that does not
	// exist. It also matches [fs.ErrNotExist].
	ErrNotExist error = &kindError{"the record does not exist", fs.ErrNotExist}
	// ErrInvalidName matches the error about a name (or prefix, or
	// directory) that breaks the rules of the package doc. Nothing is sent
	// to the store.
	ErrInvalidName error = &kindError{"invalid record name", fs.ErrInvalid}
	// ErrTooLarge matches the error about a record larger than its reader
	// allows, or an entry too large for a journal chunk. A record that
	// large is damaged or not s3commit's.
	ErrTooLarge = errors.New("record too large")
)

// MaxKeyLength is the longest key S3 allows, in bytes; a Records refuses a
// name whose key would be longer.
const MaxKeyLength = 1024

// DefaultCreateAttempts is the default of [Options.CreateAttempts].
const DefaultCreateAttempts = 3

// Options configure a [Records]. The zero value is valid.
type Options struct {
	// CreateAttempts bounds the PutObject calls of one
	// [Records.CreateExclusive] whose outcome the store's answers and the
	// read-back leave unknown; 0 means [DefaultCreateAttempts], 1 sends
	// the put once. It does not retry a store that answered: those
	// answers decide at once.
	CreateAttempts int
	// CreateBackoff is the wait before the second put; it doubles with
	// each further put, with jitter. 0 means 100 ms.
	CreateBackoff time.Duration
}

func (o Options) policy() retry.Policy {
	p := retry.Policy{MaxAttempts: o.CreateAttempts, InitialBackoff: o.CreateBackoff, MaxBackoff: 5 * time.Second}
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultCreateAttempts
	}
	if p.InitialBackoff <= 0 {
		p.InitialBackoff = 100 * time.Millisecond
	}
	return p
}

// Records reads and writes records as objects of one store under one key
// prefix. It is safe for concurrent use.
type Records struct {
	store  multipart.Store
	prefix string // without a trailing '/'
	policy retry.Policy
}

// New returns the records of store under prefix (for example
// "_staging/<jobID>"): a record named n is the object prefix + "/" + n.
// The prefix follows the rules of names (see the package doc) and may not
// be empty; an invalid one is an error matching [ErrInvalidName].
func New(store multipart.Store, prefix string, opts Options) (*Records, error) {
	if store == nil {
		return nil, errors.New("storerecords: nil store")
	}
	if err := checkPath(prefix, MaxKeyLength-2); err != nil {
		return nil, fmt.Errorf("storerecords: prefix %q: %w", prefix, err)
	}
	return &Records{store: store, prefix: prefix, policy: opts.policy()}, nil
}

// Key returns the object key of the record name, or an error matching
// [ErrInvalidName].
func (r *Records) Key(name string) (string, error) {
	if err := checkPath(name, MaxKeyLength-len(r.prefix)-1); err != nil {
		return "", fmt.Errorf("storerecords: record name %q: %w", name, err)
	}
	return r.prefix + "/" + name, nil
}

// CreateExclusive creates the record name holding data, unless a record
// of that name exists: then the error matches [ErrExist] and the record is
// left as it is. A put whose outcome the store did not answer is decided
// by reading the object back, as the package doc describes: data must be
// unique to the writer. An error that matches neither nil nor ErrExist
// leaves the outcome unknown (the store's kind tells why, for example
// [multipart.IsRetryable]); calling CreateExclusive again with the same
// data is safe and decides it.
func (r *Records) CreateExclusive(ctx context.Context, name string, data []byte) error {
	key, err := r.Key(name)
	if err != nil {
		return err
	}
	return createExclusive(ctx, r.store, key, data, r.policy)
}

// errUnknown marks an attempt of createExclusive whose outcome is not
// known: the put is sent again.
var errUnknown = errors.New("the outcome of the put is unknown")

// createExclusive creates key holding data with If-None-Match: *, putting
// again while the outcome stays unknown (at most p.MaxAttempts puts).
func createExclusive(ctx context.Context, store multipart.Store, key string, data []byte, p retry.Policy) error {
	return retryUnknown(ctx, p, func(ctx context.Context) error {
		return createOnce(ctx, store, key, data)
	})
}

// retryUnknown runs op again, with backoff, while it fails with an error
// matching errUnknown, at most p.MaxAttempts times in all.
func retryUnknown(ctx context.Context, p retry.Policy, op func(context.Context) error) error {
	_, err := retry.Do(ctx, p, func(err error) bool { return errors.Is(err, errUnknown) }, nil,
		func(ctx context.Context) (struct{}, error) { return struct{}{}, op(ctx) })
	return err
}

// createOnce sends one conditional put of key and decides its outcome: nil
// (the object holds data), ErrExist (another writer's object), errUnknown
// (joined with the store's errors: put again) or the store's error.
func createOnce(ctx context.Context, store multipart.Store, key string, data []byte) error {
	where := objectURL(store, key)
	_, perr := store.PutObject(ctx, key, bytes.NewReader(data), int64(len(data)), multipart.PutOptions{IfNoneMatch: true})
	if perr == nil {
		return nil
	}
	taken := errors.Is(perr, multipart.ErrPreconditionFailed)
	if !taken && !multipart.IsRetryable(perr) {
		return fmt.Errorf("create %s: %w", where, perr)
	}
	// The object at the key, if any, is this put's, an earlier put's of
	// the same data (ours too), or another writer's.
	got, rerr := readKey(ctx, store, key, int64(len(data)))
	switch {
	case rerr == nil && bytes.Equal(got, data):
		return nil
	case rerr == nil || errors.Is(rerr, ErrTooLarge):
		return fmt.Errorf("create %s: %w: it holds another writer's record", where, ErrExist)
	case errors.Is(rerr, ErrNotExist) && taken:
		// A 412 (or a 409 of a racing conditional write) with no object
		// to show for it: a racing write that did not land, or an
		// object removed since. Put again.
		return fmt.Errorf("create %s: %w: the store refused the put (%w) but holds no object there", where, errUnknown, perr)
	case errors.Is(rerr, ErrNotExist):
		return fmt.Errorf("create %s: %w: the put failed (%w) and did not take effect", where, errUnknown, perr)
	case multipart.IsRetryable(rerr):
		return fmt.Errorf("create %s: %w: the put failed (%w) and reading the object back failed too (%w)", where, errUnknown, perr, rerr)
	default:
		return fmt.Errorf("create %s: the put failed (%w) and reading the object back failed too: %w", where, perr, rerr)
	}
}

// Read returns the record name, at most limit bytes. A record that does
// not exist is an error matching [ErrNotExist] (and
// [multipart.ErrNotFound]); a larger one is refused with an error matching
// [ErrTooLarge] that names it.
func (r *Records) Read(ctx context.Context, name string, limit int64) ([]byte, error) {
	key, err := r.Key(name)
	if err != nil {
		return nil, err
	}
	if limit < 0 {
		return nil, fmt.Errorf("read %s: negative limit %d", objectURL(r.store, key), limit)
	}
	return readKey(ctx, r.store, key, limit)
}

// readKey reads the object key, refusing more than limit bytes.
func readKey(ctx context.Context, store multipart.Store, key string, limit int64) ([]byte, error) {
	where := objectURL(store, key)
	rc, info, err := store.GetObject(ctx, key)
	if err != nil {
		if errors.Is(err, multipart.ErrNotFound) {
			return nil, fmt.Errorf("read %s: %w: %w", where, ErrNotExist, err)
		}
		return nil, fmt.Errorf("read %s: %w", where, err)
	}
	defer rc.Close()
	tooLarge := func(size string) error {
		return fmt.Errorf("read %s: %w: %s, more than the limit of %d bytes: it is damaged or not s3commit's", where, ErrTooLarge, size, limit)
	}
	if info.Size > limit {
		return nil, tooLarge(fmt.Sprintf("%d bytes", info.Size))
	}
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", where, err)
	}
	if int64(len(data)) > limit {
		return nil, tooLarge("more bytes than its size says")
	}
	return data, nil
}

// Put writes the record name holding data, replacing any record of that
// name. It is for records that one writer owns; records that writers race
// for are created with [Records.CreateExclusive].
func (r *Records) Put(ctx context.Context, name string, data []byte) error {
	key, err := r.Key(name)
	if err != nil {
		return err
	}
	if _, err := r.store.PutObject(ctx, key, bytes.NewReader(data), int64(len(data)), multipart.PutOptions{}); err != nil {
		return fmt.Errorf("put %s: %w", objectURL(r.store, key), err)
	}
	return nil
}

// List yields the names of the records under dir (at any depth), in the
// order the store lists their keys (key order on S3); dir "" lists every
// record. A key under the prefix whose name breaks the rules (written by
// something else) is yielded with an error matching [ErrInvalidName] and
// the listing goes on; an error with an empty name is the store's and ends
// the listing.
func (r *Records) List(ctx context.Context, dir string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for info, err := range r.list(ctx, dir) {
			if err != nil {
				yield("", err)
				return
			}
			if !yield(info.name, info.err) {
				return
			}
		}
	}
}

// listed is a record found by list: its name, its size as listed, and an
// error if the name is invalid.
type listed struct {
	name string
	size int64
	err  error
}

func (r *Records) list(ctx context.Context, dir string) iter.Seq2[listed, error] {
	return func(yield func(listed, error) bool) {
		prefix := r.prefix + "/"
		if dir != "" {
			key, err := r.Key(dir)
			if err != nil {
				yield(listed{}, fmt.Errorf("list: %w", err))
				return
			}
			prefix = key + "/"
		}
		for info, err := range r.store.ListObjects(ctx, prefix) {
			if err != nil {
				yield(listed{}, fmt.Errorf("list %s: %w", objectURL(r.store, prefix), err))
				return
			}
			if !strings.HasPrefix(info.Key, prefix) {
				yield(listed{}, fmt.Errorf("list %s: the store listed %q, which does not start with the prefix", objectURL(r.store, prefix), info.Key))
				return
			}
			name := info.Key[len(r.prefix)+1:]
			l := listed{name: name, size: info.Size}
			if _, err := r.Key(name); err != nil {
				l.err = fmt.Errorf("list %s: %s: %w", objectURL(r.store, prefix), objectURL(r.store, info.Key), err)
			}
			if !yield(l, nil) {
				return
			}
		}
	}
}

// Remove deletes the records names; names without a record are not
// errors. Every name is checked before anything is deleted.
func (r *Records) Remove(ctx context.Context, names ...string) error {
	keys := make([]string, 0, len(names))
	for _, n := range names {
		key, err := r.Key(n)
		if err != nil {
			return fmt.Errorf("remove: %w", err)
		}
		keys = append(keys, key)
	}
	if len(keys) == 0 {
		return nil
	}
	if err := r.store.DeleteObjects(ctx, keys); err != nil {
		return fmt.Errorf("remove records under %s: %w", objectURL(r.store, r.prefix+"/"), err)
	}
	return nil
}

// checkPath checks a name or prefix against the rules of the package doc,
// with at most max bytes.
func checkPath(p string, max int) error {
	switch {
	case p == "":
		return fmt.Errorf("%w: empty", ErrInvalidName)
	case len(p) > max:
		return fmt.Errorf("%w: %d bytes, more than the %d a key of at most %d bytes leaves", ErrInvalidName, len(p), max, MaxKeyLength)
	case !utf8.ValidString(p):
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalidName)
	case p[0] == '/':
		return fmt.Errorf("%w: it starts with '/'", ErrInvalidName)
	}
	if c, ok := controlChar(p); ok {
		return fmt.Errorf("%w: it holds the control character %U", ErrInvalidName, c)
	}
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "":
			return fmt.Errorf("%w: it has an empty segment", ErrInvalidName)
		case ".", "..":
			return fmt.Errorf("%w: it has a %q segment", ErrInvalidName, seg)
		}
	}
	return nil
}

// controlChar returns the first control character of s (C0, DEL or C1),
// if any.
func controlChar(s string) (rune, bool) {
	for _, c := range s {
		if c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) {
			return c, true
		}
	}
	return 0, false
}

// objectURL names key in the store's bucket for messages.
func objectURL(store multipart.Store, key string) string {
	return "s3://" + store.Bucket() + "/" + key
}
