package chaos

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/staging"
	"github.com/s3commit/s3commit/success"
)

// oldKey is the key of the object of an earlier writer that a job with
// OldObject finds in its destination, in the partition of the first day,
// which every job writes (event 0 is of that day).
func oldKey(p *JobPlan) string { return p.Prefix + "/dt=2026-11-01/old-part.jsonl.gz" }

// oldBody is the content of the old object.
const oldBody = "an object of an earlier writer\n"

// putOld writes the old object of a job's plan, directly to the store.
func (t *target) putOld(ctx context.Context, p *JobPlan) error {
	_, err := t.store.PutObject(ctx, oldKey(p), strings.NewReader(oldBody), int64(len(oldBody)), multipart.PutOptions{})
	if err != nil {
		return fmt.Errorf("write the old object: %w", err)
	}
	return nil
}

// oldKept reports whether the old object must be in the destination
// after the job: append keeps it, replace deletes it on commit (its
// partition is written by every job), a rollback keeps it.
func oldKept(p *JobPlan, o Outcome) bool {
	if !p.OldObject {
		return false
	}
	return p.Conflict == "append" || o != OutcomeCommitted
}

// jobKeys returns every key the job may write: a file per task and day
// the task has events of (in the datajob's default format, Parquet),
// _SUCCESS and its sidecar.
func jobKeys(p *JobPlan) []string {
	var keys []string
	for _, f := range p.files() {
		keys = append(keys, fmt.Sprintf("%s/dt=2026-11-%02d/part-%05d-%s.snappy.parquet", p.Prefix, f.day+1, f.task, p.JobID))
	}
	marker := p.Prefix + "/" + staging.SuccessMarker
	return append(keys, marker, success.SidecarKey(marker, success.SidecarName(marker, p.JobID)))
}

// check checks the job against the store itself (not through the
// proxy): either the job committed — its _SUCCESS names it and matches
// a listing of the destination, and the datajob's verify reads every
// expected record exactly once — or nothing of it is visible and no
// _SUCCESS of it exists; no multipart upload is left in the bucket; the
// job's staging dir is gone; and what the last command reported is what
// the store shows.
func (j *jobRun) check(ctx context.Context) {
	p, st := j.p, j.t.store
	if _, err := os.Stat(j.jobDir()); err == nil {
		j.res.violation("the job's staging dir %s is left after the job ended", j.jobDir())
	}

	manifest, err := success.Read(ctx, st, p.Prefix+"/"+staging.SuccessMarker)
	switch {
	case errors.Is(err, multipart.ErrNotFound):
		j.res.Outcome = OutcomeRolledBack
	case err != nil:
		j.res.violation("read _SUCCESS: %v", err)
	case manifest.JobID != p.JobID:
		j.res.violation("_SUCCESS names job %q, not %q", manifest.JobID, p.JobID)
	default:
		j.res.Outcome = OutcomeCommitted
	}
	keep := map[string]bool{}
	if oldKept(p, j.res.Outcome) {
		keep[oldKey(p)] = true
	}

	var listed []string
	for obj, err := range st.ListObjects(ctx, p.Prefix+"/") {
		if err != nil {
			j.res.violation("list the destination: %v", err)
			break
		}
		listed = append(listed, obj.Key)
	}
	if p.OldObject {
		found := false
		for _, k := range listed {
			found = found || k == oldKey(p)
		}
		if want := oldKept(p, j.res.Outcome); found != want {
			j.res.violation("the old object %s: present %v, want %v (conflict %s, %s)", oldKey(p), found, want, p.Conflict, j.res.Outcome)
		}
	}

	switch j.res.Outcome {
	case OutcomeCommitted:
		j.checkCommitted(ctx, manifest, keep)
	case OutcomeRolledBack:
		for _, k := range listed {
			if !keep[k] {
				j.res.violation("rolled back, but %s is visible", k)
			}
		}
	}
	j.checkUploads(ctx)

	if j.res.Reported != OutcomeUnknown && j.res.Outcome != OutcomeUnknown && j.res.Reported != j.res.Outcome {
		j.res.violation("the last command reported the job %s, but the store shows it %s", j.res.Reported, j.res.Outcome)
	}
	if j.res.CutCompletion && j.res.Outcome == OutcomeCommitted {
		j.res.violation("a completion was reported cut off in flight, yet the job is committed")
	}
}

// checkCommitted checks a committed job: its manifest against a listing
// of the destination (nothing missing, nothing extra but the old object
// where it stays), every file carrying the job ID, and every expected
// record present exactly once (datajob verify, against the store
// itself).
func (j *jobRun) checkCommitted(ctx context.Context, manifest *success.Data, keep map[string]bool) {
	p := j.p
	if err := success.Verify(ctx, j.t.store, p.Prefix, manifest); err != nil {
		var ve *success.VerifyError
		if !errors.As(err, &ve) {
			j.res.violation("verify _SUCCESS against a listing: %v", err)
		} else {
			for _, d := range ve.Differences {
				if d.Kind == success.DiffExtra && keep[d.Key] {
					continue
				}
				j.res.violation("_SUCCESS against the listing: %s", d)
			}
		}
	}
	if want := len(p.files()); len(manifest.Files) != want {
		j.res.violation("_SUCCESS lists %d files, want %d (a file per task and day it has events of)", len(manifest.Files), want)
	}
	for _, f := range manifest.Files {
		if !strings.Contains(f.Key, p.JobID) {
			j.res.violation("_SUCCESS lists %s, which does not carry the job ID", f.Key)
		}
	}
	res, err := j.run(ctx, "verify", j.r.datajob, j.datajobArgs("verify", true), j.t.env(false))
	switch {
	case err != nil:
		j.res.violation("datajob verify: %v", err)
	case !res.OK():
		j.res.violation("datajob verify failed: %s", lastLines(res.Output(), 12))
	}
}

// checkUploads checks that no multipart upload is left in the bucket.
// MinIO lists the whole bucket for an empty prefix (and only exact keys
// for a longer one); other servers are asked for the job's prefix and
// for every key the job may write.
//
// An upload that the listing shows but that ListParts does not know
// (NoSuchUpload), still so a second later, is a MinIO phantom: a
// completion cut off in flight after MinIO had moved the object into
// place, but before it removed the upload's directory, leaves the
// directory listed; AbortMultipartUpload answers 204 and leaves it too.
// No client can remove it, so it is counted apart, not as a violation.
// Each leftover is reported once per target, by the first job that sees
// it.
func (j *jobRun) checkUploads(ctx context.Context) {
	st := j.t.store
	prefixes := []string{""}
	if j.t.Name != "minio" {
		prefixes = append([]string{j.p.Prefix + "/"}, jobKeys(j.p)...)
	}
	listed := func() (map[string]multipart.Upload, error) {
		out := map[string]multipart.Upload{}
		for _, prefix := range prefixes {
			for up, err := range st.ListUploads(ctx, prefix) {
				if err != nil {
					return nil, fmt.Errorf("list the uploads under %q: %w", prefix, err)
				}
				out[up.UploadID] = up
			}
		}
		return out, nil
	}
	ups, err := listed()
	if err != nil {
		j.res.violation("%v", err)
		return
	}
	var unknown []multipart.Upload
	for id, up := range ups {
		if !j.t.reportUpload(id) {
			continue
		}
		ps, err := st.ListParts(ctx, up.Key, up.UploadID)
		switch {
		case errors.Is(err, multipart.ErrNoSuchUpload):
			unknown = append(unknown, up)
		case err != nil:
			j.res.violation("upload %s at %s is left in the bucket (ListParts: %v)", up.UploadID, up.Key, err)
		default:
			j.res.violation("upload %s at %s is left in the bucket (%d parts)", up.UploadID, up.Key, len(ps))
		}
	}
	if len(unknown) == 0 {
		return
	}
	sleep(ctx, time.Second)
	again, err := listed()
	if err != nil {
		j.res.violation("%v", err)
		return
	}
	for _, up := range unknown {
		if _, ok := again[up.UploadID]; !ok {
			j.t.forgetUpload(up.UploadID) // a listing that lagged behind
			continue
		}
		if _, err := st.ListParts(ctx, up.Key, up.UploadID); !errors.Is(err, multipart.ErrNoSuchUpload) {
			j.res.violation("upload %s at %s is left in the bucket (ListParts: %v)", up.UploadID, up.Key, err)
			continue
		}
		j.logf("MinIO phantom upload: %s at %s is listed, but ListParts answers NoSuchUpload", up.UploadID, up.Key)
		j.res.mu.Lock()
		j.res.Phantoms++
		j.res.mu.Unlock()
	}
}

// lastLines returns the last n lines of s, joined with " | ".
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
