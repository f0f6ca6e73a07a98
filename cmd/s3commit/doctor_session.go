package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/s3commit/s3commit/multipart"
)

// doctorCleanupTimeout bounds the clean-up of a probe, which runs on
// after the command's context ended (SIGINT): long enough for a few
// retried requests, short enough that an interrupted doctor exits.
const doctorCleanupTimeout = 45 * time.Second

// probeSession is the probe's view of one store: every object and upload
// it makes is under base and is recorded before the request is sent (an
// answer can be lost after the store acted), so that cleanup removes it
// all, also after a failure or an interruption.
type probeSession struct {
	store multipart.Store
	// base is the probe's own prefix, ending in '/'.
	base string
	// retry is the policy of the clean-up's calls.
	retry multipart.RetryPolicy

	mu sync.Mutex
	// objectKeys are the keys where the probe may have made an object.
	objectKeys map[string]bool
	// uploadKeys are the keys where the probe may have started an
	// upload, listed by exact key at clean-up (MinIO lists no other
	// way).
	uploadKeys map[string]bool
	// uploads are the uploads whose creation the store answered.
	uploads map[probeUpload]bool
}

// probeUpload is an upload the probe created.
type probeUpload struct{ Key, UploadID string }

// newProbeSession returns a session writing under base, which must end
// in '/'; the clean-up retries its calls with retry.
func newProbeSession(store multipart.Store, base string, retry multipart.RetryPolicy) *probeSession {
	return &probeSession{
		store:      store,
		base:       base,
		retry:      retry,
		objectKeys: make(map[string]bool),
		uploadKeys: make(map[string]bool),
		uploads:    make(map[probeUpload]bool),
	}
}

// key returns the probe's key name.
func (s *probeSession) key(name string) string { return s.base + name }

func (s *probeSession) noteObject(key string) {
	s.mu.Lock()
	s.objectKeys[key] = true
	s.mu.Unlock()
}

// put writes data at key, with If-None-Match: * when exclusive.
func (s *probeSession) put(ctx context.Context, key string, data []byte, exclusive bool) (string, error) {
	s.noteObject(key)
	return s.store.PutObject(ctx, key, bytes.NewReader(data), int64(len(data)), multipart.PutOptions{IfNoneMatch: exclusive})
}

// read returns the object at key, up to limit bytes.
func (s *probeSession) read(ctx context.Context, key string, limit int64) ([]byte, error) {
	rc, _, err := s.store.GetObject(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit))
	if err != nil {
		return nil, fmt.Errorf("read s3://%s/%s: %w", s.store.Bucket(), key, err)
	}
	return data, nil
}

// create starts an upload at key.
func (s *probeSession) create(ctx context.Context, key string, opts multipart.CreateOptions) (string, error) {
	s.mu.Lock()
	s.uploadKeys[key] = true
	s.mu.Unlock()
	id, err := s.store.CreateUpload(ctx, key, opts)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.uploads[probeUpload{key, id}] = true
	s.mu.Unlock()
	return id, nil
}

// part uploads data as part number of an upload.
func (s *probeSession) part(ctx context.Context, key, id string, number int32, data []byte, sum multipart.Checksum) (multipart.Part, error) {
	return s.store.UploadPart(ctx, key, id, number, bytes.NewReader(data), int64(len(data)), multipart.PartOptions{Checksum: sum})
}

// complete completes an upload.
func (s *probeSession) complete(ctx context.Context, key, id string, parts []multipart.Part, opts multipart.CompleteOptions) (string, error) {
	s.noteObject(key)
	return s.store.CompleteUpload(ctx, key, id, parts, opts)
}

// upload starts an upload at key with one part of data and returns its ID
// and parts.
func (s *probeSession) upload(ctx context.Context, key string, data []byte) (string, []multipart.Part, error) {
	id, err := s.create(ctx, key, multipart.CreateOptions{})
	if err != nil {
		return "", nil, err
	}
	p, err := s.part(ctx, key, id, 1, data, multipart.Checksum{})
	if err != nil {
		return id, nil, err
	}
	return id, []multipart.Part{p}, nil
}

// cleanup removes everything the session may have made: it aborts every
// upload it created and every upload listed at a key where it started
// one, then deletes every object it may have written and every object
// listed under base. It runs with a context of its own, bounded by
// doctorCleanupTimeout, so that it also runs after ctx ended. It then
// checks, listing again, that nothing is left, and returns what is.
func (s *probeSession) cleanup(ctx context.Context) (removed doctorRemoved, left []string) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), doctorCleanupTimeout)
	defer cancel()
	st := multipart.NewRetryingStore(s.store, s.retry, nil)
	bucket := st.Bucket()

	s.mu.Lock()
	uploadKeys := slices.Sorted(maps.Keys(s.uploadKeys))
	known := make(map[probeUpload]bool, len(s.uploads))
	for u := range s.uploads {
		known[u] = true
	}
	objects := make(map[string]bool, len(s.objectKeys))
	for k := range s.objectKeys {
		objects[k] = true
	}
	s.mu.Unlock()

	// Uploads: those created, and those listed at their keys (a creation
	// whose answer was lost).
	var errs []string
	for _, key := range uploadKeys {
		listed, err := s.listUploads(cctx, st, key)
		if err != nil {
			errs = append(errs, fmt.Sprintf("listing the uploads of s3://%s/%s failed: %s", bucket, key, answer(err)))
		}
		for _, u := range listed {
			known[u] = true
		}
	}
	all := slices.Collect(maps.Keys(known))
	slices.SortFunc(all, func(a, b probeUpload) int {
		return cmp.Or(cmp.Compare(a.Key, b.Key), cmp.Compare(a.UploadID, b.UploadID))
	})
	for _, u := range all {
		err := st.AbortUpload(cctx, u.Key, u.UploadID)
		switch {
		case err == nil:
			removed.Uploads++
		case errors.Is(err, multipart.ErrNoSuchUpload):
			// Completed or aborted by the probe already.
		default:
			errs = append(errs, fmt.Sprintf("aborting upload %s of s3://%s/%s failed: %s", u.UploadID, bucket, u.Key, answer(err)))
		}
	}

	// Objects: those written, and whatever is listed under base.
	for o, err := range st.ListObjects(cctx, s.base) {
		if err != nil {
			errs = append(errs, fmt.Sprintf("listing s3://%s/%s failed: %s", bucket, s.base, answer(err)))
			break
		}
		objects[o.Key] = true
	}
	var present []string
	for _, key := range slices.Sorted(maps.Keys(objects)) {
		if _, err := st.HeadObject(cctx, key); err == nil {
			present = append(present, key)
		}
	}
	if err := st.DeleteObjects(cctx, slices.Sorted(maps.Keys(objects))); err != nil {
		errs = append(errs, fmt.Sprintf("deleting the probe's objects failed: %s", answer(err)))
	}
	removed.Objects = len(present)

	// What is left, listed again.
	for o, err := range st.ListObjects(cctx, s.base) {
		if err != nil {
			left = append(left, fmt.Sprintf("s3://%s/%s (listing it failed: %s)", bucket, s.base, answer(err)))
			break
		}
		left = append(left, fmt.Sprintf("s3://%s/%s", bucket, o.Key))
	}
	for _, key := range uploadKeys {
		listed, err := s.listUploads(cctx, st, key)
		if err != nil {
			left = append(left, fmt.Sprintf("s3://%s/%s (listing its uploads failed: %s)", bucket, key, answer(err)))
			continue
		}
		for _, u := range listed {
			left = append(left, fmt.Sprintf("s3://%s/%s upload %s", bucket, u.Key, u.UploadID))
		}
	}
	if len(left) > 0 && len(errs) > 0 {
		left = append(left, errs...)
	}
	return removed, left
}

// listUploads lists the uploads at exactly key.
func (s *probeSession) listUploads(ctx context.Context, st multipart.Store, key string) ([]probeUpload, error) {
	var out []probeUpload
	for u, err := range st.ListUploads(ctx, key) {
		if err != nil {
			return out, err
		}
		if u.Key == key {
			out = append(out, probeUpload{u.Key, u.UploadID})
		}
	}
	return out, nil
}
