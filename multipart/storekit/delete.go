package storekit

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/s3commit/s3commit/multipart"
)

// DeleteObjects runs [multipart.Store.DeleteObjects]: it deletes keys in
// batches of at most [multipart.MaxDeleteKeys] with deleteBatch, one
// DeleteObjects request per batch, and returns the errors of every batch
// joined, one [*multipart.Error] per key that was not deleted.
//
// deleteBatch returns failed, an error per key the store refused (a key
// that did not exist is not refused, see [IsAbsentKeyCode]); undone, the
// keys neither deleted nor refused; and err, why those were not: the whole
// request failed (missing bucket, access denied, network) or its answer
// ended early. Each undone key gets err's kind. Undone keys without an err
// get the end of ctx, or failing that an error saying that the store did
// not report them.
//
// The debug record of a batch carries err, or else the first key's
// failure.
func (r *Requests) DeleteObjects(ctx context.Context, keys []string,
	deleteBatch func(batch []string) (failed []*multipart.Error, undone []string, err error)) error {
	const op = "DeleteObjects"
	var errs []error
	for batch := range slices.Chunk(keys, multipart.MaxDeleteKeys) {
		start := time.Now()
		failed, undone, err := deleteBatch(batch)
		if len(undone) > 0 && err == nil {
			// Neither deleted nor failed: minio-go, for one, stops
			// without a word when ctx is done.
			err = ctx.Err()
			if err == nil {
				err = errors.New("the store did not report the key as deleted")
			}
		}
		var batchErr *multipart.Error
		if err != nil {
			batchErr = r.Error(ctx, op, "", "", err)
		}
		logged := batchErr
		if logged == nil && len(failed) > 0 {
			logged = failed[0]
		}
		r.Log(ctx, op, "", "", start, logged)
		for _, e := range failed {
			errs = append(errs, e)
		}
		for _, key := range undone {
			e := *batchErr
			e.Key = key
			errs = append(errs, &e)
		}
	}
	return errors.Join(errs...)
}

// IsAbsentKeyCode reports whether the error code DeleteObjects gives a key
// says that the key (or version) did not exist, which DeleteObjects does
// not count as a failure.
func IsAbsentKeyCode(code string) bool {
	return code == "NoSuchKey" || code == "NoSuchVersion"
}
