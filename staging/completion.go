package staging

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/pendingset"
)

// errObjectGone is the cause of a resumed commit's failure when an object
// its journal says it completed is not there.
var errObjectGone = errors.New("an object the commit completed is gone")

// completeTimeout bounds one CompleteUpload call, which runs on after
// CommitJob's context ends.
const completeTimeout = 2 * time.Minute

// complete completes one upload and journals it; an upload the journal
// shows completed is skipped. A failure that may hide a completion that
// took effect is resolved against the store (see resolveCompletion).
func (r *commitRun) complete(ctx context.Context, p *pendingset.Upload) (string, error) {
	j, c := r.j, r.j.c
	r.mu.Lock()
	done, ok := r.st.completed[p.Key]
	r.mu.Unlock()
	if ok && done.UploadID == p.UploadID {
		if r.resumed {
			// An earlier run completed it: the object must still be the
			// one it made before a _SUCCESS lists it.
			own, err := j.ownObject(ctx, p, done.ETag, r.st.beganAt)
			switch {
			case err != nil:
				return "", fmt.Errorf("check the object an earlier run completed at s3://%s/%s: %w", p.Bucket, p.Key, err)
			case !own:
				return "", fmt.Errorf("%w: s3://%s/%s, which an earlier run of this commit completed, is gone or replaced (deleted by someone, "+
					"or by a rollback that did not finish); the job's output is incomplete: abort it and write it again",
					errObjectGone, p.Bucket, p.Key)
			}
		}
		return done.ETag, nil
	}
	// The store checks the whole object's checksum and size, for uploads
	// created with a checksum.
	opts := p.CompleteOptions()
	opts.IfNoneMatch = j.rec.Conflict == committer.ConflictFail
	if err := ctx.Err(); err != nil {
		return "", err
	}
	// A completion under way is not cut off when ctx ends: a store may
	// lose the upload's parts when its completion is interrupted (MinIO
	// does), and a finished completion is journaled, so a resume knows it.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), completeTimeout)
	etag, err := c.store.CompleteUpload(cctx, p.Key, p.UploadID, p.Parts(), opts)
	if err != nil {
		etag, err = r.resolveCompletion(cctx, p, err)
	} else if !j.rec.UniqueFilenames {
		err = r.checkCompleted(cctx, p)
	}
	cancel()
	if err != nil {
		return "", err
	}
	etag = multipart.NormalizeETag(etag)
	if err := r.jl.addCompleted(ctx, journalEntry{Op: opCompleted, Key: p.Key, UploadID: p.UploadID, ETag: etag}); err != nil {
		return "", err
	}
	r.mu.Lock()
	r.completed++
	r.st.completed[p.Key] = completion{UploadID: p.UploadID, ETag: etag}
	r.mu.Unlock()
	return etag, nil
}

// checkCompleted checks, after a completion the store answered with
// success, that the object at the key is the upload's. versitygw answers
// 200 to the completion of an upload it does not know (aborted, expired)
// whenever an object exists at the key; with unique filenames only the job
// itself writes there, without them the object may be another job's, and
// the job would report as committed a file that is not its own.
func (r *commitRun) checkCompleted(ctx context.Context, p *pendingset.Upload) error {
	own, err := r.j.ownObject(ctx, p, "", r.st.beganAt)
	switch {
	case err != nil:
		return fmt.Errorf("check the object completed at s3://%s/%s: %w", p.Bucket, p.Key, err)
	case !own:
		return fmt.Errorf("the completion of upload %s of s3://%s/%s was answered with success, but the object there is not the upload's "+
			"(its size or ETag differs): the upload is missing (aborted or expired) and another writer's object is at the key; "+
			"the job's output is incomplete and must be written again", p.UploadID, p.Bucket, p.Key)
	}
	return nil
}

// resolveCompletion decides what a failed completion means. A completion
// repeated after one that took effect (its answer lost, then retried, or
// redone by a resumed commit whose journal missed it) does not succeed
// again: the upload is gone, so stores answer NoSuchUpload, and MinIO,
// which evaluates If-None-Match before it looks the upload up, answers
// PreconditionFailed. So before a 412 is taken for a conflict, or a
// NoSuchUpload or InvalidPart for a lost upload, the store is asked:
// whether the upload still exists (ListParts), and whether the object at
// its key is the one it made (its size and multipart ETag). It returns the
// object's ETag when the completion had taken effect.
func (r *commitRun) resolveCompletion(ctx context.Context, p *pendingset.Upload, cerr error) (string, error) {
	c := r.j.c
	precondition := errors.Is(cerr, multipart.ErrPreconditionFailed)
	if !precondition && !errors.Is(cerr, multipart.ErrNoSuchUpload) && !errors.Is(cerr, multipart.ErrInvalidPart) {
		return "", cerr
	}
	_, lerr := c.store.ListParts(ctx, p.Key, p.UploadID)
	switch {
	case lerr == nil:
		// The upload is still there: the completion did not take effect.
		switch {
		case precondition:
			return "", fmt.Errorf("%w: s3://%s/%s was written by someone else during the job (fail conflict mode): %w",
				committer.ErrDestinationExists, p.Bucket, p.Key, cerr)
		case errors.Is(cerr, multipart.ErrInvalidPart):
			return "", fmt.Errorf("%w; if the upload has no parts left, a completion of it was cut off in flight (MinIO abandons such a completion "+
				"and keeps the upload without its parts) and the file must be written again", cerr)
		}
		return "", cerr
	case !errors.Is(lerr, multipart.ErrNoSuchUpload):
		return "", fmt.Errorf("%w; checking whether the completion had taken effect failed: %w", cerr, lerr)
	}
	info, err := c.store.HeadObject(ctx, p.Key)
	switch {
	case err == nil && objectMadeBy(info, p, "", r.st.beganAt):
		c.opts.Logger.DebugContext(ctx, "a completion whose answer was lost had taken effect", "key", p.Key, "upload_id", p.UploadID, "error", cerr)
		return info.ETag, nil
	case err != nil && !errors.Is(err, multipart.ErrNotFound):
		return "", fmt.Errorf("%w; checking whether the completion had taken effect failed: %w", cerr, err)
	case err == nil && precondition:
		return "", fmt.Errorf("%w: s3://%s/%s holds an object this job did not write (its size or ETag differs) and the upload %s is gone (fail conflict mode): %w",
			committer.ErrDestinationExists, p.Bucket, p.Key, p.UploadID, cerr)
	}
	return "", fmt.Errorf("the upload %s of s3://%s/%s is missing: %w; it was aborted (by AbortJob, an operator or a lifecycle rule), "+
		"or the store expired it (MinIO deletes uploads older than 24 h by default, MINIO_API_STALE_UPLOADS_EXPIRY); "+
		"the job's output is incomplete and must be written again", p.UploadID, p.Bucket, p.Key, cerr)
}

// ownObject reports whether the object at p's key is the one completing p
// made (see objectMadeBy), with its metadata; a missing object is not.
func (j *job) ownObject(ctx context.Context, p *pendingset.Upload, etag string, notBefore time.Time) (bool, error) {
	info, err := j.c.store.HeadObject(ctx, p.Key)
	switch {
	case errors.Is(err, multipart.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return objectMadeBy(info, p, etag, notBefore), nil
}
