// Package faultstore wraps a [multipart.Store] and injects faults into
// chosen calls: it fails them, delays them, or drops their answer after the
// wrapped store has carried them out (as a lost response would). Tests use it
// to prove that the uploader and the committer retry what is transient,
// clean up what is not, and leak nothing when a call goes wrong.
//
// Without rules a faultstore.Store passes every call through unchanged, and
// it runs the multipart/storetest conformance suite like any backend.
package faultstore

import (
	"context"
	"errors"
	"io"
	"iter"
	"sync"
	"time"

	"github.com/s3commit/s3commit/multipart"
)

// Op names a Store method.
type Op string

// The operations a Rule can match.
const (
	OpCreateUpload   Op = "CreateUpload"
	OpUploadPart     Op = "UploadPart"
	OpCompleteUpload Op = "CompleteUpload"
	OpAbortUpload    Op = "AbortUpload"
	OpListUploads    Op = "ListUploads"
	OpListParts      Op = "ListParts"
	OpPutObject      Op = "PutObject"
	OpGetObject      Op = "GetObject"
	OpHeadObject     Op = "HeadObject"
	OpListObjects    Op = "ListObjects"
	OpDeleteObjects  Op = "DeleteObjects"
)

// Call describes one call as rules see it.
type Call struct {
	Op Op
	// Key is the object key, or the prefix of a listing; empty for
	// DeleteObjects.
	Key string
	// UploadID is set for calls on an upload.
	UploadID string
	// Part is the part number of an UploadPart call.
	Part int32
	// N counts the calls of this Op on this Store, starting at 1.
	N int
}

// Rule selects calls and says what happens to them. Exactly one of Err,
// Delay or Drop is usually set; Delay may be combined with the others.
type Rule struct {
	// Op selects the operation; empty matches every operation.
	Op Op
	// Match, if not nil, further selects calls.
	Match func(Call) bool
	// Times limits how many calls the rule affects; 0 means every match.
	Times int
	// Delay is waited before the call (or before failing it), ending early
	// with the context's error if the context ends first.
	Delay time.Duration
	// Err fails the call without passing it on. A kind of package
	// multipart (e.g. multipart.ErrThrottled) yields an error of that kind.
	Err error
	// Drop passes the call on and then, whatever the wrapped store
	// answered, fails it with an [multipart.ErrNetwork] error: the request
	// took effect but its response was lost.
	Drop bool
	// AfterDrop, if not nil, is called with the call once the wrapped
	// store has carried out a dropped call, before its error is returned:
	// a test that simulates a process killed while it waited for the
	// answer cancels the process's context there.
	AfterDrop func(Call)
}

// ErrInjected is the underlying error of every injected failure.
var ErrInjected = errors.New("fault injected by faultstore")

// Store is a multipart.Store that injects faults into the calls it passes
// to the wrapped store. It is safe for concurrent use.
type Store struct {
	inner multipart.Store

	mu     sync.Mutex
	rules  []*ruleState
	counts map[Op]int
}

type ruleState struct {
	Rule
	used int
}

var _ multipart.Store = (*Store)(nil)

// New wraps inner with the given rules.
func New(inner multipart.Store, rules ...Rule) *Store {
	s := &Store{inner: inner, counts: make(map[Op]int)}
	for _, r := range rules {
		s.Add(r)
	}
	return s
}

// Add appends a rule. Rules are tried in the order they were added; the
// first one that matches a call (and has uses left) applies.
func (s *Store) Add(r Rule) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules = append(s.rules, &ruleState{Rule: r})
}

// Clear removes every rule; call counts are kept.
func (s *Store) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules = nil
}

// Calls returns how many calls of op the Store has seen.
func (s *Store) Calls(op Op) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[op]
}

// Fail returns a rule that fails every call of op with an error of the given
// kind (a kind of package multipart, such as multipart.ErrServer).
func Fail(op Op, kind error) Rule { return Rule{Op: op, Err: kind} }

// FailNth returns a rule that fails only the n-th call of op (counting
// from 1) with an error of the given kind.
func FailNth(op Op, n int, kind error) Rule {
	return Rule{Op: op, Err: kind, Times: 1, Match: func(c Call) bool { return c.N == n }}
}

// Slow returns a rule that delays every call of op by d.
func Slow(op Op, d time.Duration) Rule { return Rule{Op: op, Delay: d} }

// DropNth returns a rule that carries out the n-th call of op and then
// loses its answer.
func DropNth(op Op, n int) Rule {
	return Rule{Op: op, Drop: true, Times: 1, Match: func(c Call) bool { return c.N == n }}
}

// Kill returns the rules of a process killed at the n-th call of op
// (counting from 1): cancel, the process's context, is called, that call
// and every later one of op fail with context.Canceled, and so does every
// AbortUpload, so that the uploads the process created stay in the store
// as a dead process leaves them.
func Kill(op Op, n int, cancel context.CancelFunc) []Rule {
	return []Rule{
		{Op: OpAbortUpload, Err: context.Canceled},
		{Op: op, Err: context.Canceled, Match: func(c Call) bool {
			if c.N < n {
				return false
			}
			cancel()
			return true
		}},
	}
}

// Bucket returns the wrapped store's bucket.
func (s *Store) Bucket() string { return s.inner.Bucket() }

// before counts the call, finds the rule that applies and carries out its
// delay and failure. It returns the rule (nil if none) and the injected
// error, if the call must not be passed on.
func (s *Store) before(ctx context.Context, c *Call) (*Rule, error) {
	s.mu.Lock()
	s.counts[c.Op]++
	c.N = s.counts[c.Op]
	var hit *Rule
	for _, r := range s.rules {
		if (r.Op == "" || r.Op == c.Op) && (r.Times == 0 || r.used < r.Times) && (r.Match == nil || r.Match(*c)) {
			r.used++
			rule := r.Rule
			hit = &rule
			break
		}
	}
	s.mu.Unlock()
	if hit == nil {
		return nil, nil
	}
	if hit.Delay > 0 {
		t := time.NewTimer(hit.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return hit, s.wrap(*c, ctx.Err())
		}
	}
	if hit.Err != nil {
		return hit, s.wrap(*c, hit.Err)
	}
	return hit, nil
}

// after turns the wrapped store's answer into a lost response when the rule
// says so.
func (s *Store) after(c Call, r *Rule, err error) error {
	if r != nil && r.Drop {
		if r.AfterDrop != nil {
			r.AfterDrop(c)
		}
		return s.wrap(c, multipart.ErrNetwork)
	}
	return err
}

func (s *Store) wrap(c Call, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &multipart.Error{
		Op: string(c.Op), Bucket: s.inner.Bucket(), Key: c.Key, UploadID: c.UploadID,
		Kind: multipart.KindOf(err), Err: errors.Join(ErrInjected, err),
	}
}

// CreateUpload implements multipart.Store.
func (s *Store) CreateUpload(ctx context.Context, key string, opts multipart.CreateOptions) (string, error) {
	c := Call{Op: OpCreateUpload, Key: key}
	r, err := s.before(ctx, &c)
	if err != nil {
		return "", err
	}
	id, err := s.inner.CreateUpload(ctx, key, opts)
	return id, s.after(c, r, err)
}

// UploadPart implements multipart.Store.
func (s *Store) UploadPart(ctx context.Context, key, uploadID string, number int32, body io.ReadSeeker, size int64, opts multipart.PartOptions) (multipart.Part, error) {
	c := Call{Op: OpUploadPart, Key: key, UploadID: uploadID, Part: number}
	r, err := s.before(ctx, &c)
	if err != nil {
		return multipart.Part{}, err
	}
	p, err := s.inner.UploadPart(ctx, key, uploadID, number, body, size, opts)
	return p, s.after(c, r, err)
}

// CompleteUpload implements multipart.Store.
func (s *Store) CompleteUpload(ctx context.Context, key, uploadID string, parts []multipart.Part, opts multipart.CompleteOptions) (string, error) {
	c := Call{Op: OpCompleteUpload, Key: key, UploadID: uploadID}
	r, err := s.before(ctx, &c)
	if err != nil {
		return "", err
	}
	etag, err := s.inner.CompleteUpload(ctx, key, uploadID, parts, opts)
	return etag, s.after(c, r, err)
}

// AbortUpload implements multipart.Store.
func (s *Store) AbortUpload(ctx context.Context, key, uploadID string) error {
	c := Call{Op: OpAbortUpload, Key: key, UploadID: uploadID}
	r, err := s.before(ctx, &c)
	if err != nil {
		return err
	}
	return s.after(c, r, s.inner.AbortUpload(ctx, key, uploadID))
}

// ListUploads implements multipart.Store. A rule applies when iteration
// starts.
func (s *Store) ListUploads(ctx context.Context, prefix string) iter.Seq2[multipart.Upload, error] {
	return listThrough(s, ctx, Call{Op: OpListUploads, Key: prefix}, s.inner.ListUploads)
}

// ListObjects implements multipart.Store. A rule applies when iteration
// starts.
func (s *Store) ListObjects(ctx context.Context, prefix string) iter.Seq2[multipart.ObjectInfo, error] {
	return listThrough(s, ctx, Call{Op: OpListObjects, Key: prefix}, s.inner.ListObjects)
}

func listThrough[T any](s *Store, ctx context.Context, c Call,
	list func(context.Context, string) iter.Seq2[T, error]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		r, err := s.before(ctx, &c)
		if err != nil {
			yield(zero, err)
			return
		}
		if r != nil && r.Drop {
			yield(zero, s.after(c, r, nil))
			return
		}
		for v, err := range list(ctx, c.Key) {
			if !yield(v, err) || err != nil {
				return
			}
		}
	}
}

// ListParts implements multipart.Store.
func (s *Store) ListParts(ctx context.Context, key, uploadID string) ([]multipart.Part, error) {
	c := Call{Op: OpListParts, Key: key, UploadID: uploadID}
	r, err := s.before(ctx, &c)
	if err != nil {
		return nil, err
	}
	parts, err := s.inner.ListParts(ctx, key, uploadID)
	if err = s.after(c, r, err); err != nil {
		return nil, err
	}
	return parts, nil
}

// PutObject implements multipart.Store.
func (s *Store) PutObject(ctx context.Context, key string, body io.ReadSeeker, size int64, opts multipart.PutOptions) (string, error) {
	c := Call{Op: OpPutObject, Key: key}
	r, err := s.before(ctx, &c)
	if err != nil {
		return "", err
	}
	etag, err := s.inner.PutObject(ctx, key, body, size, opts)
	return etag, s.after(c, r, err)
}

// GetObject implements multipart.Store.
func (s *Store) GetObject(ctx context.Context, key string) (io.ReadCloser, multipart.ObjectInfo, error) {
	c := Call{Op: OpGetObject, Key: key}
	r, err := s.before(ctx, &c)
	if err != nil {
		return nil, multipart.ObjectInfo{}, err
	}
	rc, info, err := s.inner.GetObject(ctx, key)
	if err = s.after(c, r, err); err != nil {
		if rc != nil {
			rc.Close()
		}
		return nil, multipart.ObjectInfo{}, err
	}
	return rc, info, nil
}

// HeadObject implements multipart.Store.
func (s *Store) HeadObject(ctx context.Context, key string) (multipart.ObjectInfo, error) {
	c := Call{Op: OpHeadObject, Key: key}
	r, err := s.before(ctx, &c)
	if err != nil {
		return multipart.ObjectInfo{}, err
	}
	info, err := s.inner.HeadObject(ctx, key)
	return info, s.after(c, r, err)
}

// DeleteObjects implements multipart.Store.
func (s *Store) DeleteObjects(ctx context.Context, keys []string) error {
	c := Call{Op: OpDeleteObjects}
	r, err := s.before(ctx, &c)
	if err != nil {
		return err
	}
	return s.after(c, r, s.inner.DeleteObjects(ctx, keys))
}
