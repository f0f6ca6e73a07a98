package staging

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
)

// taskSet is the pendingset of one committed task.
type taskSet struct {
	file string // file name in tasks/
	set  *multipart.PendingSet
}

// loadPendingSets reads and validates every pendingset of the job, before
// any store call: each must decode, name the job's bucket, put every key
// under the destination, and no key may appear twice across tasks. The
// error matches committer.ErrInvalidPendingSet and names the file and the
// problem.
func (j *job) loadPendingSets() ([]taskSet, error) {
	sets, problems, err := j.readPendingSets()
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		return nil, problems[0]
	}
	return sets, nil
}

// readPendingSets reads every pendingset of the job. Problems (each
// matching committer.ErrInvalidPendingSet) are returned apart; the sets
// returned hold only the commits that are valid for this job: in its
// bucket, under its destination, each key once. err is an I/O error.
func (j *job) readPendingSets() (sets []taskSet, problems []error, err error) {
	dir := j.l.tasksDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		if isNotExist(err) {
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("list the committed tasks in %s: %w", dir, err)
	}
	owner := make(map[string]string) // key → file
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, pendingSetSuffix) {
			continue
		}
		path := filepath.Join(dir, name)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, fmt.Errorf("read pendingset %s: %w", path, err)
		}
		invalid := func(format string, args ...any) error {
			return fmt.Errorf("%w %s: %s; the job cannot be committed: abort it, or remove the file if it does not belong to this job",
				committer.ErrInvalidPendingSet, path, fmt.Sprintf(format, args...))
		}
		ps, err := multipart.DecodePendingSet(bytes.NewReader(data))
		if err != nil {
			problems = append(problems, fmt.Errorf("%w %s: %w; the job cannot be committed: abort it, or remove the file if it does not belong to this job",
				committer.ErrInvalidPendingSet, path, err))
			continue
		}
		if ps.JobID != "" && ps.JobID != j.rec.JobID {
			problems = append(problems, invalid("it belongs to job %q, not %q", ps.JobID, j.rec.JobID))
			continue
		}
		valid := ps.Commits[:0:0]
		for i := range ps.Commits {
			c := &ps.Commits[i]
			var problem error
			switch {
			case c.Bucket != j.rec.Bucket:
				problem = invalid("commits[%d] (%s) names bucket %q, but the job writes to bucket %q", i, c.Key, c.Bucket, j.rec.Bucket)
			case !strings.HasPrefix(c.Key, j.prefix()) || len(c.Key) == len(j.prefix()):
				problem = invalid("commits[%d] names key %q, which is not under the destination %q", i, c.Key, j.prefix())
			case c.JobID != "" && c.JobID != j.rec.JobID:
				problem = invalid("commits[%d] (%s) belongs to job %q, not %q", i, c.Key, c.JobID, j.rec.JobID)
			case hidden(c.Key[strings.LastIndexByte(c.Key, '/')+1:]):
				problem = invalid("commits[%d] names key %q, whose file name starts with '_' or '.': task commits skip such files, and %s is the committer's own",
					i, c.Key, SuccessMarker)
			default:
				if _, err := committer.CleanRelativePath(c.Key[len(j.prefix()):]); err != nil {
					problem = invalid("commits[%d] names key %q: %v", i, c.Key, err)
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
		sets = append(sets, taskSet{file: name, set: ps})
	}
	sort.Slice(sets, func(a, b int) bool { return sets[a].file < sets[b].file })
	return sets, problems, nil
}

// uploads flattens pendingsets into their uploads, in key order.
func uploads(sets []taskSet) []*multipart.PendingUpload {
	var out []*multipart.PendingUpload
	for _, s := range sets {
		for i := range s.set.Commits {
			out = append(out, &s.set.Commits[i])
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Key < out[b].Key })
	return out
}
