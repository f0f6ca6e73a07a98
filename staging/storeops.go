package staging

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
)

// cleanupTimeout bounds aborts and deletes made after the caller's
// context ended, so that a failure still cleans up.
const cleanupTimeout = 5 * time.Minute

// abortUploads aborts the given uploads in parallel. An upload that is
// gone already is fine. The caller's cancellation does not stop it.
func (j *job) abortUploads(ctx context.Context, ups []UploadRef, tally *undoTally) error {
	c := j.c
	var todo []UploadRef
	seen := make(map[UploadRef]bool)
	for _, u := range ups {
		if u.UploadID != "" && !seen[u] {
			seen[u] = true
			todo = append(todo, u)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	var done atomic.Int64
	return forEach(ctx, len(todo), c.opts.CommitConcurrency, false, func(ctx context.Context, i int) error {
		u := todo[i]
		err := c.store.AbortUpload(ctx, u.Key, u.UploadID)
		switch {
		case errors.Is(err, multipart.ErrNoSuchUpload):
			err = nil
		case err == nil:
			tally.addAborted(1)
		}
		c.progress(PhaseAbort, int(done.Add(1)), len(todo))
		return err
	})
}

// deleteKeys deletes objects.
func (j *job) deleteKeys(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	return j.c.store.DeleteObjects(ctx, keys)
}

// reconcileConcurrency bounds the ListUploads calls in flight.
const reconcileConcurrency = 16

// listUploadsAt lists the uploads of each key, by exact key (which works
// on MinIO, whose listing matches exact keys only), at most limit at a
// time.
func listUploadsAt(ctx context.Context, store multipart.Store, keys []string, limit int) ([]multipart.Upload, error) {
	var (
		mu  sync.Mutex
		out []multipart.Upload
	)
	err := forEach(ctx, len(keys), limit, true, func(ctx context.Context, i int) error {
		var found []multipart.Upload
		for up, err := range store.ListUploads(ctx, keys[i]) {
			if err != nil {
				return fmt.Errorf("list the uploads of s3://%s/%s: %w", store.Bucket(), keys[i], err)
			}
			if up.Key == keys[i] {
				found = append(found, up)
			}
		}
		mu.Lock()
		out = append(out, found...)
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Key != out[b].Key {
			return out[a].Key < out[b].Key
		}
		return out[a].UploadID < out[b].UploadID
	})
	return out, nil
}

// checkPartitionsEmpty is the partitioned committer's fail mode: it fails
// when any partition of files holds an object. The root partition counts
// only objects directly at the destination root.
func (j *job) checkPartitionsEmpty(ctx context.Context, files []localFile) error {
	parts := make(map[string]bool)
	for _, f := range files {
		parts[partitionOf(f.rel)] = true
	}
	for _, p := range slices.Sorted(maps.Keys(parts)) {
		key, err := j.firstObjectIn(ctx, p)
		if err != nil {
			return err
		}
		if key != "" {
			where := "the root of the destination"
			if p != "" {
				where = "partition " + p
			}
			return fmt.Errorf("%w: %s holds s3://%s/%s; delete it or use the append or replace conflict mode",
				committer.ErrDestinationExists, where, j.rec.Bucket, key)
		}
	}
	return nil
}

// firstObjectIn returns the first object of a partition ("" = the root
// partition: objects directly at the destination), or "" if there is none.
func (j *job) firstObjectIn(ctx context.Context, partition string) (string, error) {
	var found string
	err := j.listPartition(ctx, partition, func(key string, _ multipart.ObjectInfo) bool {
		found = key
		return false
	})
	return found, err
}

// listPartition calls fn for each object of a partition until fn returns
// false. The root partition ("") holds the objects directly at the
// destination; another partition every object under its prefix. The root
// partition is found by listing the whole destination (the Store has no
// delimiter listing), which costs one request per 1000 objects there.
func (j *job) listPartition(ctx context.Context, partition string, fn func(key string, info multipart.ObjectInfo) bool) error {
	prefix := j.prefix()
	if partition != "" {
		prefix += partition + "/"
	}
	for obj, err := range j.c.store.ListObjects(ctx, prefix) {
		if err != nil {
			return fmt.Errorf("list s3://%s/%s: %w", j.rec.Bucket, prefix, err)
		}
		if partition == "" && (obj.Key == prefix || strings.Contains(obj.Key[len(prefix):], "/")) {
			continue // in a partition, or the destination's own directory marker
		}
		if !fn(obj.Key, obj) {
			return nil
		}
	}
	return nil
}
