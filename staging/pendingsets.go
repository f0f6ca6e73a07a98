package staging

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/pendingset"
)

// taskSet is the pendingset of one committed task.
type taskSet struct {
	file string // file name in the tasks directory
	path string
	set  *pendingset.Set
}

// taskID is the ID of the task the pendingset belongs to.
func (s taskSet) taskID() string { return strings.TrimSuffix(s.file, pendingSetSuffix) }

// attempt is the attempt that published the pendingset, "" if it does
// not say.
func (s taskSet) attempt() string { return s.set.ExtraData[pendingset.TaskAttemptIDKey] }

// readPendingSets reads every pendingset in dir for job rec. Problems
// (each matching committer.ErrInvalidPendingSet, or ErrRecordTooLarge)
// are returned apart; the sets returned hold only the commits that are
// valid for this job: in its bucket, under its destination, each key once.
// A missing dir holds no pendingset. err is an error listing dir.
func readPendingSets(ctx context.Context, h home, rec *jobRecord, paths []string) (sets []taskSet, problems []error, err error) {
	owner := make(map[string]string) // key → file
	for _, path := range paths {
		name := path[strings.LastIndexByte(path, '/')+1:]
		if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, pendingSetSuffix) {
			continue
		}
		where := h.where(path)
		invalid := func(format string, args ...any) error {
			return fmt.Errorf("%w %s: %s; the job cannot be committed: abort it, or remove the file if it does not belong to this job",
				committer.ErrInvalidPendingSet, where, fmt.Sprintf(format, args...))
		}
		if err := committer.ValidateID("task ID", strings.TrimSuffix(name, pendingSetSuffix)); err != nil {
			problems = append(problems, invalid("%v", err))
			continue
		}
		ps, err := readPendingSetFrom(ctx, h, path)
		if isNotExist(err) {
			continue // removed since the listing: the job is being removed
		}
		if err != nil {
			problems = append(problems, fmt.Errorf("%w %s: %w; the job cannot be committed: abort it, or remove the file if it does not belong to this job",
				committer.ErrInvalidPendingSet, where, err))
			continue
		}
		if ps.JobID != "" && ps.JobID != rec.JobID {
			problems = append(problems, invalid("it belongs to job %q, not %q", ps.JobID, rec.JobID))
			continue
		}
		valid := ps.Commits[:0:0]
		for i := range ps.Commits {
			c := &ps.Commits[i]
			var problem error
			switch {
			case c.Bucket != rec.Bucket:
				problem = invalid("commits[%d] (%s) names bucket %q, but the job writes to bucket %q", i, c.Key, c.Bucket, rec.Bucket)
			case c.JobID != "" && c.JobID != rec.JobID:
				problem = invalid("commits[%d] (%s) belongs to job %q, not %q", i, c.Key, c.JobID, rec.JobID)
			default:
				if err := rec.checkOutputKey(c.Key); err != nil {
					problem = invalid("commits[%d]: %v", i, err)
				} else if other, dup := owner[c.Key]; dup {
					problem = invalid("key %q is also in pendingset %s: two tasks wrote the same file", c.Key, other)
					valid = append(valid, *c) // both uploads are this job's: abort them all
				} else {
					owner[c.Key] = name
					valid = append(valid, *c)
				}
			}
			if problem != nil {
				problems = append(problems, problem)
			}
		}
		ps.Commits = valid
		taskID := strings.TrimSuffix(name, pendingSetSuffix)
		deferred := ps.Deferred[:0:0]
		for i := range ps.Deferred {
			d := &ps.Deferred[i]
			if err := rec.checkDeferredRecord(taskID, d); err != nil {
				problems = append(problems, invalid("s3commitDeferred[%d] (%s): %v", i, d.Key, err))
				continue
			}
			if other, dup := owner[d.Key]; dup {
				problems = append(problems, invalid("key %q is also in pendingset %s: two tasks wrote the same file", d.Key, other))
				continue
			}
			owner[d.Key] = name
			deferred = append(deferred, *d)
		}
		ps.Deferred = deferred
		sets = append(sets, taskSet{file: name, path: path, set: ps})
	}
	sort.Slice(sets, func(a, b int) bool { return sets[a].file < sets[b].file })
	return sets, problems, nil
}

// readPendingSet reads and decodes one pendingset of at most
// maxPendingSetBytes.
// readPendingSetFrom reads and decodes a pendingset record of a home.
func readPendingSetFrom(ctx context.Context, h home, name string) (*pendingset.Set, error) {
	data, err := h.read(ctx, name, maxPendingSetBytes)
	if err != nil {
		return nil, err
	}
	return pendingset.DecodeSet(bytes.NewReader(data))
}

func readPendingSet(fsys fsys, path string) (*pendingset.Set, error) {
	f, err := openRecord(fsys, path, maxPendingSetBytes)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return pendingset.DecodeSet(f)
}

// checkOutputKey checks that key can be an object of the job's output:
// under the destination, a clean path below it whose file name is not
// hidden, and, with unique filenames, carrying "-<jobID>" in its file
// name. Keys read back from the staging dir (pendingsets, intents, the
// journal) are checked with it before the job touches them.
func (r *jobRecord) checkOutputKey(key string) error {
	prefix := r.prefix()
	if !strings.HasPrefix(key, prefix) || len(key) == len(prefix) {
		return fmt.Errorf("key %q is not under the destination %q", key, prefix)
	}
	rel, err := committer.CleanRelativePath(key[len(prefix):])
	if err != nil {
		return fmt.Errorf("key %q: %v", key, err)
	}
	base := rel[strings.LastIndexByte(rel, '/')+1:]
	if committer.IsHidden(base) {
		return fmt.Errorf("key %q whose file name starts with '_' or '.': task commits skip such files, and %s is the committer's own", key, SuccessMarker)
	}
	if _, ok := committer.CutJobID(key, r.JobID); r.UniqueFilenames && !ok {
		return fmt.Errorf("key %q does not carry the job ID %q where a unique filename does (-%s before the name's first '.', or at its end), "+
			"as every file of a job with unique filenames does", key, r.JobID, r.JobID)
	}
	return nil
}

// uploads flattens pendingsets into their uploads, in key order.
func uploads(sets []taskSet) []*pendingset.Upload {
	var out []*pendingset.Upload
	for _, s := range sets {
		for i := range s.set.Commits {
			out = append(out, &s.set.Commits[i])
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Key < out[b].Key })
	return out
}
