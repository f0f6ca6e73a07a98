package storerecords

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/s3commit/s3commit/multipart"
)

// ErrConditionsIgnored matches the error of [CheckConditionalWrites] about
// a store that accepts PutObject with If-None-Match: * over an existing
// object: on it the first writer does not win, the last one does, and
// nothing says so.
var ErrConditionsIgnored = errors.New("the store ignores If-None-Match")

// probeDeleteTimeout bounds the deletion of the probe, which runs even
// when the caller's context has ended.
const probeDeleteTimeout = time.Minute

// CheckConditionalWrites checks that store enforces If-None-Match: * on
// PutObject, which every record created with [Records.CreateExclusive]
// and every journal chunk relies on. It creates the object probeKey with
// unique bytes, puts other bytes there with If-None-Match: *, and expects
// the second put to be refused with 412 PreconditionFailed and the object
// to be unchanged. It deletes the probe in every case (also when ctx has
// ended), and reports a failure to delete it.
//
// A store that accepts the second put, or refuses it but replaces the
// object all the same, gets an error matching [ErrConditionsIgnored] that
// names the bucket and the key. Lost answers are decided by reading the
// probe back, as CreateExclusive does. An object at probeKey before the
// check is an error: give the check a key of its own (with a random part),
// and it never touches another object.
func CheckConditionalWrites(ctx context.Context, store multipart.Store, probeKey string) (err error) {
	where := objectURL(store, probeKey)
	var token [16]byte
	if _, err := rand.Read(token[:]); err != nil {
		return fmt.Errorf("check conditional writes with %s: %w", where, err)
	}
	first := []byte("s3commit conditional-write probe " + hex.EncodeToString(token[:]) + " first\n")
	second := []byte("s3commit conditional-write probe " + hex.EncodeToString(token[:]) + " second\n")
	policy := Options{}.policy()

	cerr := createExclusive(ctx, store, probeKey, first, policy)
	if errors.Is(cerr, ErrExist) {
		return fmt.Errorf("check conditional writes: %s holds an object already; give the check a key of its own", where)
	}
	// The probe is ours, or its creation's outcome is unknown: then
	// nobody else writes at its key either.
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), probeDeleteTimeout)
		defer cancel()
		if derr := store.DeleteObjects(dctx, []string{probeKey}); derr != nil {
			// A delete whose answer was lost may have taken effect: the
			// probe may be left, and the error says so.
			err = errors.Join(err, fmt.Errorf("delete the conditional-write probe %s: %w; it may be left there: delete it", where, derr))
		}
	}()
	if cerr != nil {
		return fmt.Errorf("check conditional writes: %w", cerr)
	}

	return retryUnknown(ctx, policy, func(ctx context.Context) error {
		return putOverProbe(ctx, store, probeKey, first, second)
	})
}

// putOverProbe puts second over the probe holding first, with
// If-None-Match: *, and decides what the store did.
func putOverProbe(ctx context.Context, store multipart.Store, key string, first, second []byte) error {
	where := objectURL(store, key)
	ignored := func(answer string) error {
		return fmt.Errorf("%w: a PutObject with If-None-Match: * of %s over the object there %s. "+
			"First-attempt-wins (records created once, journal chunks, one committer at a time) would silently break on this store: "+
			"the bucket %q cannot hold staging records", ErrConditionsIgnored, where, answer, store.Bucket())
	}
	_, perr := store.PutObject(ctx, key, bytes.NewReader(second), int64(len(second)), multipart.PutOptions{IfNoneMatch: true})
	if perr == nil {
		return ignored("succeeded and replaced it")
	}
	refused := errors.Is(perr, multipart.ErrPreconditionFailed)
	if !refused && !multipart.IsRetryable(perr) {
		return fmt.Errorf("check conditional writes: the second put of %s failed: %w", where, perr)
	}
	got, rerr := readKey(ctx, store, key, int64(max(len(first), len(second))))
	switch {
	case rerr == nil && bytes.Equal(got, second):
		if refused {
			return ignored(fmt.Sprintf("was answered with %v, but replaced it all the same", perr))
		}
		return ignored("replaced it (its answer was lost)")
	case rerr == nil && bytes.Equal(got, first) && refused:
		return nil
	case rerr == nil && bytes.Equal(got, first):
		return fmt.Errorf("%w: the second put of %s failed (%w) and did not take effect", errUnknown, where, perr)
	case rerr == nil || errors.Is(rerr, ErrTooLarge):
		return fmt.Errorf("check conditional writes: %s holds an object that is neither of the probe's: another writer uses the key", where)
	case errors.Is(rerr, ErrNotExist):
		return fmt.Errorf("check conditional writes: the probe %s vanished during the check: another writer uses the key", where)
	case multipart.IsRetryable(rerr):
		return fmt.Errorf("%w: the second put of %s failed (%w) and reading the probe back failed too (%w)", errUnknown, where, perr, rerr)
	default:
		return fmt.Errorf("check conditional writes: the second put of %s failed (%w) and reading the probe back failed too: %w", where, perr, rerr)
	}
}
