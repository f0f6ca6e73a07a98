package staging

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/internal/retry"
	"github.com/s3commit/s3commit/multipart"
)

// cleanupTimeout bounds aborts and deletes made after the caller's
// context ended, so that a failure still cleans up.
const cleanupTimeout = 5 * time.Minute

// do runs op with the committer's retry policy for transient errors.
func do[T any](ctx context.Context, c *Committer, what string, op func(context.Context) (T, error)) (T, error) {
	return retry.Do(ctx, c.retry, multipart.IsRetryable, func(attempt int, err error, wait time.Duration) {
		c.opts.Logger.DebugContext(ctx, "retrying", "op", what, "attempt", attempt, "wait", wait, "error", err)
	}, op)
}

// abortUploads aborts the uploads among ups that have an upload ID, in
// parallel, with a context that the caller's cancellation does not end.
// An upload that is gone already is fine.
func (j *job) abortUploads(ctx context.Context, ups []intent) error {
	c := j.c
	var todo []intent
	seen := make(map[string]bool)
	for _, u := range ups {
		if u.UploadID != "" && !seen[u.Key+"\x00"+u.UploadID] {
			seen[u.Key+"\x00"+u.UploadID] = true
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
		_, err := do(ctx, c, "AbortUpload", func(ctx context.Context) (struct{}, error) {
			err := c.store.AbortUpload(ctx, u.Key, u.UploadID)
			if errors.Is(err, multipart.ErrNoSuchUpload) {
				err = nil
			}
			return struct{}{}, err
		})
		c.progress(PhaseAbort, int(done.Add(1)), len(todo))
		return err
	})
}

// deleteKeys deletes objects, retrying transient errors.
func (j *job) deleteKeys(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	_, err := do(ctx, j.c, "DeleteObjects", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, j.c.store.DeleteObjects(ctx, keys)
	})
	return err
}

// checkPartitionsEmpty is the partitioned committer's fail mode: it fails
// when any partition of files holds an object. The root partition counts
// only objects directly at the destination root.
func (j *job) checkPartitionsEmpty(ctx context.Context, files []localFile) error {
	parts := make(map[string]bool)
	for _, f := range files {
		parts[partitionOf(f.rel)] = true
	}
	names := make([]string, 0, len(parts))
	for p := range parts {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
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

// sweepOrphans aborts every upload at the exact keys given: uploads of this
// job whose creation answer was lost, or that a killed attempt created. It
// is used only with unique filenames, where every key holds the job ID so
// that an upload at one of them belongs to this job; uploads initiated
// before the job was set up are left alone all the same.
func (j *job) sweepOrphans(ctx context.Context, keys []string) error {
	if !j.rec.UniqueFilenames || len(keys) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	notBefore := j.rec.createdTime().Add(-time.Minute) // clock skew between hosts
	return forEach(ctx, len(keys), j.c.opts.CommitConcurrency, false, func(ctx context.Context, i int) error {
		var found []intent
		for up, err := range j.c.store.ListUploads(ctx, keys[i]) {
			if err != nil {
				return fmt.Errorf("list the uploads of s3://%s/%s: %w", j.rec.Bucket, keys[i], err)
			}
			if up.Key != keys[i] {
				continue
			}
			if !up.Initiated.IsZero() && up.Initiated.Before(notBefore) {
				j.c.opts.Logger.WarnContext(ctx, "leaving an upload older than the job", "key", up.Key, "upload_id", up.UploadID)
				continue
			}
			found = append(found, intent{Key: up.Key, UploadID: up.UploadID})
		}
		return j.abortUploads(ctx, found)
	})
}
