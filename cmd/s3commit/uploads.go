package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/staging"
)

const uploadsLong = `List and abort uncompleted multipart uploads under an s3:// prefix.

Uncompleted uploads are invisible in the bucket listing but their parts are
stored (and billed). s3commit leaves them pending between a task commit and
the job commit; a job whose driver died leaves them behind. AWS S3 can
expire them with a lifecycle rule; MinIO deletes them after 24 hours
(MINIO_API_STALE_UPLOADS_EXPIRY); other stores may keep them forever.

The prefix is a path: s3://bucket/dest selects the upload at key "dest" and
every upload under "dest/", not those under "dest2/". s3://bucket selects the
whole bucket.

Finding uploads under a prefix takes two listings: ListMultipartUploads by
the prefix (complete on AWS S3 and versitygw) and by the empty prefix, the
whole bucket, filtered here (MinIO matches only an exact key, so listing by
a shorter prefix returns nothing there). The results are merged by upload
ID. The second listing costs one request per 1000 uploads in the bucket;
--prefix-only skips it where the store lists prefixes correctly.`

// newUploadsCommand returns "s3commit uploads" with list and abort.
func newUploadsCommand(g *globalOptions, stdout, stderr io.Writer) *cobra.Command {
	cmd := newGroupCommand("uploads", "List and abort uncompleted multipart uploads under a prefix", uploadsLong)
	cmd.Example = `  s3commit uploads list s3://bucket/tables/events --older-than 2d
  s3commit uploads abort s3://bucket/tables/events --job job-20260101 --force`
	cmd.AddCommand(newUploadsListCommand(g, stdout, stderr), newUploadsAbortCommand(g, stdout, stderr))
	return cmd
}

// selectOptions are the flags that select uploads, shared by list and
// abort.
type selectOptions struct {
	// OlderThan selects uploads initiated more than this long ago; zero
	// selects all. Set from --older-than.
	OlderThan time.Duration
	// olderThan is the raw --older-than value.
	olderThan string
	// Job selects uploads whose key carries this job ID ("-<jobID>" in
	// the file name, see committer.UniqueFilename).
	Job string
	// StagingDir, with Job, keeps only the uploads that the job's records
	// in this staging dir account for (see jobRecords): a directory, or
	// s3://BUCKET/PREFIX in the bucket of the uploads.
	StagingDir string
	// stagingDir is StagingDir parsed by validate.
	stagingDir stagingDir
	// PrefixOnly lists by the prefix only, without the bucket-wide listing
	// MinIO needs.
	PrefixOnly bool
}

// addSelectFlags registers the selection flags on cmd.
func addSelectFlags(cmd *cobra.Command, o *selectOptions) {
	f := cmd.Flags()
	f.StringVar(&o.olderThan, "older-than", "", "only uploads initiated longer ago than this: a Go duration or days, more than zero, e.g. 90m, 36h, 2d")
	f.StringVar(&o.Job, "job", "", "only uploads of this job: keys whose file name carries \"-JOB_ID\" (s3commit's and Hadoop's unique filenames)")
	f.StringVar(&o.StagingDir, "staging-dir", "", "with --job: keep only the uploads that the job's records in this staging dir account for (a directory, or s3://BUCKET/PREFIX in the uploads' bucket)")
	f.BoolVar(&o.PrefixOnly, "prefix-only", false, "list by the prefix only (one listing fewer; complete on AWS S3 and versitygw, finds nothing under a prefix on MinIO)")
}

// validate parses and checks the selection flags.
func (o *selectOptions) validate() error {
	if o.olderThan != "" {
		d, err := parseAge(o.olderThan)
		if err != nil {
			return &usageError{err: fmt.Errorf("--older-than: %w", err)}
		}
		o.OlderThan = d
	}
	if o.Job != "" {
		if err := committer.ValidateID("job ID", o.Job); err != nil {
			return &usageError{err: fmt.Errorf("--job: %w", err)}
		}
	}
	if o.StagingDir != "" && o.Job == "" {
		return usageErrorf("--staging-dir needs --job: give the ID of the job whose records in %s say which uploads are its own", o.StagingDir)
	}
	if o.StagingDir != "" {
		d, err := parseStagingDir(o.StagingDir)
		if err != nil {
			return fmt.Errorf("--staging-dir: %w", err)
		}
		o.stagingDir = d
	}
	return nil
}

// uploadInfo is one selected upload, as printed by list and abort. Its
// JSON field names are part of the documented output.
type uploadInfo struct {
	Key        string    `json:"key"`
	UploadID   string    `json:"upload_id"`
	Initiated  time.Time `json:"initiated"`
	AgeSeconds int64     `json:"age_seconds"`
	// Parts and Bytes are set with --parts.
	Parts *int   `json:"parts,omitempty"`
	Bytes *int64 `json:"bytes,omitempty"`
	// AmbiguousJob is set when --job matched the key by name and the key
	// could as well carry a longer job ID ending in "-<jobID>" (see
	// ambiguousJobMatch); never with --staging-dir.
	AmbiguousJob bool `json:"ambiguous_job_match,omitempty"`

	age time.Duration
}

// underPrefix reports whether key lies at or under the path prefix: equal
// to it, or below it as a directory. An empty prefix is the whole bucket.
func underPrefix(key, prefix string) bool {
	switch {
	case prefix == "":
		return true
	case strings.HasSuffix(prefix, "/"):
		return strings.HasPrefix(key, prefix)
	}
	return key == prefix || strings.HasPrefix(key, prefix+"/")
}

// fileName returns the last segment of key.
func fileName(key string) string { return key[strings.LastIndexByte(key, '/')+1:] }

// keyHasJob reports whether key's file name carries jobID as
// committer.UniqueFilename puts it (see committer.CutJobID).
func keyHasJob(key, jobID string) bool {
	_, ok := committer.CutJobID(key, jobID)
	return ok
}

// ambiguousJobMatch reports whether key, if it carries jobID, could as
// well carry a longer job ID that ends in "-<jobID>":
// "part-0000-backfill-job1.json" carries "job1" as --job matches it, but
// may be the file "part-0000.json" of job "backfill-job1". That is the
// case when the file name, before "-<jobID>", has a '-' and then a word
// that is not only digits (a part number such as the "0000" of
// "part-0000-job1.json" is taken for the original name's) and that,
// joined to "-<jobID>", makes a valid job ID. A heuristic: only the job's
// records tell for sure (--staging-dir).
func ambiguousJobMatch(key, jobID string) bool {
	original, ok := committer.CutJobID(key, jobID)
	if !ok {
		return false
	}
	// The original name up to its first '.': what "-<jobID>" followed.
	before, _, _ := strings.Cut(fileName(original), ".")
	dash := strings.LastIndexByte(before, '-')
	if dash < 0 {
		return false
	}
	word := before[dash+1:]
	if strings.Trim(word, "0123456789") == "" {
		return false
	}
	return committer.ValidateID("job ID", word+"-"+jobID) == nil
}

// listUploads returns the uncompleted uploads under prefix: by the prefix
// and, unless prefixOnly, by the whole bucket filtered here, merged by key
// and upload ID. The result is sorted by key, then initiated time, then
// upload ID.
func listUploads(ctx context.Context, st multipart.Store, prefix string, prefixOnly bool) ([]multipart.Upload, error) {
	seen := make(map[[2]string]bool)
	var out []multipart.Upload
	collect := func(listPrefix string) error {
		for u, err := range st.ListUploads(ctx, listPrefix) {
			if err != nil {
				return storeError(fmt.Sprintf("list uploads in s3://%s", st.Bucket()), err)
			}
			id := [2]string{u.Key, u.UploadID}
			if !underPrefix(u.Key, prefix) || seen[id] {
				continue
			}
			seen[id] = true
			out = append(out, u)
		}
		return nil
	}
	if err := collect(prefix); err != nil {
		return nil, err
	}
	if prefix != "" && !prefixOnly {
		if err := collect(""); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b multipart.Upload) int {
		return cmp.Or(strings.Compare(a.Key, b.Key), a.Initiated.Compare(b.Initiated), strings.Compare(a.UploadID, b.UploadID))
	})
	return out, nil
}

// selection is what selectUploads selected, and what it left out.
type selection struct {
	// Uploads are the selected uploads, sorted by key, then initiated
	// time, then upload ID.
	Uploads []uploadInfo
	// NotInRecords are, with --staging-dir, the uploads that --job matched
	// by name (and the other flags selected) but that the job's records do
	// not account for: left out of Uploads.
	NotInRecords []uploadInfo
	// RecordProblems counts, with --staging-dir, the job's pendingsets and
	// records that could not be read: uploads they name are not selected.
	RecordProblems int
}

// selectUploads lists the uploads under prefix and applies the selection
// flags, computing ages against now. With --job and no --staging-dir, it
// flags the uploads whose key could carry a longer job ID
// (ambiguousJobMatch).
func selectUploads(ctx context.Context, st multipart.Store, prefix string, o selectOptions, now time.Time) (*selection, error) {
	sel := &selection{Uploads: []uploadInfo{}}
	var records map[staging.UploadRef]bool
	if o.StagingDir != "" {
		var err error
		d := o.stagingDir
		if d.arg == "" {
			// Options built without validate.
			if d, err = parseStagingDir(o.StagingDir); err != nil {
				return nil, err
			}
		}
		if records, sel.RecordProblems, err = jobRecords(ctx, st, d, o.Job); err != nil {
			return nil, err
		}
	}
	uploads, err := listUploads(ctx, st, prefix, o.PrefixOnly)
	if err != nil {
		return nil, err
	}
	for _, u := range uploads {
		age := now.Sub(u.Initiated)
		if o.OlderThan > 0 && age <= o.OlderThan {
			continue
		}
		info := uploadInfo{
			Key: u.Key, UploadID: u.UploadID, Initiated: u.Initiated.UTC(),
			AgeSeconds: seconds(age), age: age,
		}
		if o.Job != "" {
			switch {
			case !keyHasJob(u.Key, o.Job):
				continue
			case records != nil && !records[staging.UploadRef{Key: u.Key, UploadID: u.UploadID}]:
				sel.NotInRecords = append(sel.NotInRecords, info)
				continue
			case records == nil:
				info.AmbiguousJob = ambiguousJobMatch(u.Key, o.Job)
			}
		}
		sel.Uploads = append(sel.Uploads, info)
	}
	return sel, nil
}

// jobRecords returns the uploads that the records of job jobID in the
// staging dir account for, as staging.InspectJob reconciles them with the
// store: those its committed tasks' pendingsets list and the uploads of
// its task attempts that no pendingset lists (orphans). It also returns
// how many of the job's pendingsets and records could not be read. The
// job must write to st's bucket, and a staging dir in the store must be in
// that bucket too: its records are read through st.
func jobRecords(ctx context.Context, st multipart.Store, d stagingDir, jobID string) (map[staging.UploadRef]bool, int, error) {
	otherBucket := func(j *staging.JobInfo) error {
		return usageErrorf("--staging-dir: job %s of %s writes to %s, not to bucket %q; give an s3:// URL in the job's bucket",
			jobID, d, destURL(j), st.Bucket())
	}
	var rep *staging.JobReport
	var err error
	if !d.inStore() {
		if rep, err = inspectLocal(ctx, d.arg, jobID); err != nil {
			return nil, 0, err
		}
		if rep.Bucket != st.Bucket() {
			return nil, 0, otherBucket(&rep.JobInfo)
		}
		if rep, err = staging.InspectJob(ctx, st, d.arg, jobID); err != nil {
			return nil, 0, storeError(fmt.Sprintf("reconcile job %s of %s with s3://%s", jobID, d, st.Bucket()), err)
		}
	} else {
		if d.bucket != st.Bucket() {
			return nil, 0, usageErrorf("--staging-dir %s is in bucket %q, not in bucket %q of the uploads: "+
				"the job must write to that bucket, and the records of a job are read only from a staging dir in its own bucket for now (%w); "+
				"give the job's staging dir in bucket %q, or leave --staging-dir out", d, d.bucket, st.Bucket(), errStagingElsewhere, st.Bucket())
		}
		if err := committer.ValidateID("job ID", jobID); err != nil {
			return nil, 0, jobError(err, d.arg, jobID)
		}
		if rep, err = staging.InspectJob(ctx, st, d.path(), jobID); err != nil {
			if errors.Is(err, committer.ErrJobNotFound) {
				return nil, 0, jobError(err, d.arg, jobID)
			}
			// InspectJob refuses a job that writes to another bucket
			// than the store's: the records say whether that is the
			// failure.
			if jobs, lerr := staging.ListJobsContext(ctx, st, d.path()); lerr == nil {
				for i := range jobs {
					if jobs[i].ID == jobID && jobs[i].Bucket != st.Bucket() {
						return nil, 0, otherBucket(&jobs[i])
					}
				}
			}
			return nil, 0, storeReadError(fmt.Sprintf("read job %s of %s and reconcile it with s3://%s", jobID, d, st.Bucket()), err)
		}
	}
	records := make(map[staging.UploadRef]bool)
	for _, t := range rep.Tasks {
		for _, f := range t.Files {
			records[staging.UploadRef{Key: f.Key, UploadID: f.UploadID}] = true
		}
	}
	for _, o := range rep.Orphans {
		records[staging.UploadRef{Key: o.Key, UploadID: o.UploadID}] = true
	}
	return records, len(rep.Problems) + len(rep.RecordProblems), nil
}

// jobCheckJSON are the fields that --job and --staging-dir add to the JSON
// documents of "uploads list" and "uploads abort".
type jobCheckJSON struct {
	// AmbiguousJobMatches is, with --job, how many selected uploads could
	// belong to a job whose ID is longer and ends in "-<jobID>"; 0 with
	// --staging-dir, whose records decide.
	AmbiguousJobMatches *int `json:"ambiguous_job_matches,omitempty"`
	// StagingDir is --staging-dir.
	StagingDir string `json:"staging_dir,omitempty"`
	// NotInJobRecords is, with --staging-dir, how many uploads --job
	// matched by name that the job's records do not account for (left
	// out).
	NotInJobRecords *int `json:"not_in_job_records,omitempty"`
	// UnreadableJobRecords is, with --staging-dir, how many of the job's
	// pendingsets and records could not be read (uploads they name are not
	// selected).
	UnreadableJobRecords *int `json:"unreadable_job_records,omitempty"`
}

// jobCheck returns the JSON fields of --job and --staging-dir for the
// selected uploads, and prints on stderr what an operator must know
// about the selection: the uploads that could belong to a job with a
// longer ID, those the job's records do not account for, the records
// that could not be read.
func jobCheck(stderr io.Writer, o selectOptions, sel *selection, uploads []uploadInfo) jobCheckJSON {
	var out jobCheckJSON
	if o.Job == "" {
		return out
	}
	ambiguous, example := 0, ""
	for _, u := range uploads {
		if u.AmbiguousJob {
			if ambiguous == 0 {
				example = u.Key
			}
			ambiguous++
		}
	}
	out.AmbiguousJobMatches = &ambiguous
	if ambiguous > 0 {
		fmt.Fprintf(stderr, "s3commit: warning: %d of %s selected by --job %s could belong to a job whose ID is longer and ends in %q, e.g. %s; add --staging-dir DIR (the job's staging dir) to keep only the uploads its records account for\n",
			ambiguous, count(len(uploads), "upload"), o.Job, "-"+o.Job, termText(example))
	}
	if o.StagingDir == "" {
		return out
	}
	left, problems := len(sel.NotInRecords), sel.RecordProblems
	out.StagingDir, out.NotInJobRecords, out.UnreadableJobRecords = o.StagingDir, &left, &problems
	if left > 0 {
		fmt.Fprintf(stderr, "s3commit: note: left out %s that --job %s matches by name but that the job's records in %s do not account for, e.g. %s (another job's whose ID ends in %q, or one whose record is lost)\n",
			count(left, "upload"), o.Job, termText(o.StagingDir), termText(sel.NotInRecords[0].Key), "-"+o.Job)
	}
	if problems > 0 {
		fmt.Fprintf(stderr, "s3commit: warning: %s of job %s in %s could not be read; the uploads they name are not selected; see 's3commit jobs show %s %s'\n",
			count(problems, "record"), o.Job, termText(o.StagingDir), termText(o.StagingDir), o.Job)
	}
	return out
}

// addPartCounts fills Parts and Bytes of each upload with ListParts, a few
// at a time, with progress on stderr when it is a terminal. Uploads that
// vanished meanwhile (completed, aborted or expired) are dropped.
func addPartCounts(ctx context.Context, st multipart.Store, uploads []uploadInfo, stderr io.Writer) ([]uploadInfo, error) {
	const workers = 16
	prog := newProgress(stderr, "listing parts", len(uploads))
	defer prog.finish()
	gone := make([]bool, len(uploads))
	errs := make([]error, len(uploads))
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i := range uploads {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem; prog.add(1) }()
			u := &uploads[i]
			parts, err := st.ListParts(ctx, u.Key, u.UploadID)
			if errors.Is(err, multipart.ErrNoSuchUpload) {
				gone[i] = true
				return
			}
			if err != nil {
				errs[i] = storeError(fmt.Sprintf("list parts of s3://%s/%s (upload %s)", st.Bucket(), u.Key, u.UploadID), err)
				return
			}
			n, size := len(parts), int64(0)
			for _, p := range parts {
				size += p.Size
			}
			u.Parts, u.Bytes = &n, &size
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	kept := uploads[:0]
	for i, u := range uploads {
		if !gone[i] {
			kept = append(kept, u)
		}
	}
	return kept, nil
}

// uploadsTarget parses the s3:// argument and builds the store.
func uploadsTarget(ctx context.Context, g *globalOptions, arg string) (s3URL, multipart.Store, error) {
	u, err := parseS3URL(arg)
	if err != nil {
		return s3URL{}, nil, err
	}
	st, err := g.store(ctx, u.Bucket)
	if err != nil {
		return s3URL{}, nil, err
	}
	return u, st, nil
}
