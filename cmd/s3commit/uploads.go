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
	// PrefixOnly lists by the prefix only, without the bucket-wide listing
	// MinIO needs.
	PrefixOnly bool
}

// addSelectFlags registers the selection flags on cmd.
func addSelectFlags(cmd *cobra.Command, o *selectOptions) {
	f := cmd.Flags()
	f.StringVar(&o.olderThan, "older-than", "", "only uploads initiated longer ago than this: a Go duration or days, more than zero, e.g. 90m, 36h, 2d")
	f.StringVar(&o.Job, "job", "", "only uploads of this job: keys whose file name carries \"-JOB_ID\" (s3commit's and Hadoop's unique filenames)")
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

// keyHasJob reports whether key's file name carries jobID as
// committer.UniqueFilename puts it: "-<jobID>" right before the first '.'
// of the original name, or at the end of a name without '.'. The original
// name has no '.' before the inserted ID, while the ID itself may contain
// dots.
func keyHasJob(key, jobID string) bool {
	name := key[strings.LastIndexByte(key, '/')+1:]
	needle := "-" + jobID
	for i := 0; i+len(needle) <= len(name); i++ {
		if strings.HasPrefix(name[i:], needle) {
			rest := name[i+len(needle):]
			if rest == "" || rest[0] == '.' {
				return true
			}
		}
		if name[i] == '.' {
			return false
		}
	}
	return false
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

// selectUploads lists the uploads under prefix and applies the selection
// flags, computing ages against now.
func selectUploads(ctx context.Context, st multipart.Store, prefix string, o selectOptions, now time.Time) ([]uploadInfo, error) {
	uploads, err := listUploads(ctx, st, prefix, o.PrefixOnly)
	if err != nil {
		return nil, err
	}
	selected := []uploadInfo{}
	for _, u := range uploads {
		age := now.Sub(u.Initiated)
		if o.OlderThan > 0 && age <= o.OlderThan {
			continue
		}
		if o.Job != "" && !keyHasJob(u.Key, o.Job) {
			continue
		}
		selected = append(selected, uploadInfo{
			Key: u.Key, UploadID: u.UploadID, Initiated: u.Initiated.UTC(),
			AgeSeconds: seconds(age), age: age,
		})
	}
	return selected, nil
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
