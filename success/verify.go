package success

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
)

// ErrMismatch matches the error of [Verify] and [VerifyWith] when the
// destination does not hold exactly the files of the manifest; the error
// is a [*VerifyError].
var ErrMismatch = errors.New("destination does not match the _SUCCESS manifest")

// ErrNoFileList matches the error of [Verify] and [VerifyWith] for a
// manifest that lists no files with sizes and ETags (one written by
// Hadoop), or whose sidecar was not loaded.
var ErrNoFileList = errors.New("manifest has no file list to verify against")

// DiffKind says how an object differs from the manifest.
type DiffKind string

// The kinds of difference [Verify] and [VerifyWith] report.
const (
	// DiffMissing: the manifest lists the file, the store has no object.
	DiffMissing DiffKind = "missing"
	// DiffExtra: the store has an object the manifest does not list.
	DiffExtra DiffKind = "extra"
	// DiffSize: the object's size differs (its ETag may differ as well).
	DiffSize DiffKind = "size differs"
	// DiffETag: the object's ETag differs, its size does not.
	DiffETag DiffKind = "etag differs"
	// DiffChecksum: the object's checksum differs from the manifest's,
	// its size does not: the full-object checksum the store keeps, or the
	// checksum of the bytes read back ([Difference.ReadBack]). Only
	// [VerifyWith] reports it, with [VerifyChecksums] or [VerifyData].
	// An object rewritten with other bytes of the same size usually has
	// another ETag too, reported as a DiffETag of the same key.
	DiffChecksum DiffKind = "checksum differs"
)

// Difference is one object that does not match the manifest.
type Difference struct {
	// Kind says how it differs.
	Kind DiffKind
	// Key is the object key.
	Key string
	// Manifest is the file as the manifest lists it; zero for DiffExtra.
	Manifest File
	// Store is the object as the store lists it; zero for DiffMissing.
	// For DiffChecksum it is the object as HeadObject or GetObject
	// describes it, its Checksum the one compared with the manifest's.
	Store multipart.ObjectInfo
	// ReadBack, for DiffChecksum, says that Store.Checksum was computed
	// from the object's bytes, read back with GetObject; otherwise it is
	// the checksum the store keeps, as HeadObject reports it.
	ReadBack bool
}

// String describes the difference in one line.
func (d Difference) String() string {
	switch d.Kind {
	case DiffMissing:
		return fmt.Sprintf("missing: %s (size %d, etag %s)", d.Key, d.Manifest.Size, d.Manifest.ETag)
	case DiffExtra:
		return fmt.Sprintf("extra: %s (size %d, etag %s)", d.Key, d.Store.Size, d.Store.ETag)
	case DiffSize:
		return fmt.Sprintf("size differs: %s (manifest %d, store %d; etag manifest %s, store %s)",
			d.Key, d.Manifest.Size, d.Store.Size, d.Manifest.ETag, d.Store.ETag)
	case DiffChecksum:
		source := "the store's checksum"
		if d.ReadBack {
			source = "computed from the data read back"
		}
		return fmt.Sprintf("checksum differs: %s (manifest %s, %s %s)",
			d.Key, d.Manifest.FileChecksum(), source, d.Store.Checksum)
	default:
		return fmt.Sprintf("%s: %s (manifest %s, store %s)", d.Kind, d.Key, d.Manifest.ETag, d.Store.ETag)
	}
}

// maxDiffLines is how many differences a [VerifyError] message lists.
const maxDiffLines = 20

// VerifyError lists every difference between a destination and a manifest.
// It matches [ErrMismatch].
type VerifyError struct {
	// Location is the destination, as s3://bucket/prefix.
	Location string
	// Differences are sorted by key, then kind.
	Differences []Difference
}

// Error summarizes the differences (the count of checksum differences
// only when there are some) and lists the first 20, one a line.
func (e *VerifyError) Error() string {
	counts := map[DiffKind]int{}
	for _, d := range e.Differences {
		counts[d.Kind]++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "success: %s: %v: %d missing, %d extra, %d with another size, %d with another etag",
		e.Location, ErrMismatch, counts[DiffMissing], counts[DiffExtra], counts[DiffSize], counts[DiffETag])
	if n := counts[DiffChecksum]; n > 0 {
		fmt.Fprintf(&b, ", %d with another checksum", n)
	}
	for i, d := range e.Differences {
		if i == maxDiffLines {
			fmt.Fprintf(&b, "\n  and %d more", len(e.Differences)-maxDiffLines)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(d.String())
	}
	return b.String()
}

// Unwrap returns [ErrMismatch].
func (e *VerifyError) Unwrap() error { return ErrMismatch }

// VerifyMode says how thoroughly [VerifyWith] checks the content of each
// file. Every mode lists the destination first and checks the sizes and
// ETags of the listing.
type VerifyMode int

const (
	// VerifyListing checks sizes and ETags from a listing only, as
	// [Verify] does: one LIST request per 1,000 objects, no object read.
	VerifyListing VerifyMode = iota
	// VerifyChecksums also compares the full-object checksum the store
	// keeps of each file (HeadObject) with the manifest's, without
	// reading data. Where the store reports none, one of another type than
	// [multipart.ChecksumTypeFullObject] (a checksum of the parts'
	// checksums) or one of another algorithm, the file is read back and
	// its checksum computed, as with [VerifyData].
	VerifyChecksums
	// VerifyData reads every file back (GetObject) and computes its
	// checksum with the manifest's algorithm: the bytes themselves are
	// checked, whatever the store keeps.
	VerifyData
)

// String returns the mode's name: "listing", "checksum" or "data".
func (m VerifyMode) String() string {
	switch m {
	case VerifyListing:
		return "listing"
	case VerifyChecksums:
		return "checksum"
	case VerifyData:
		return "data"
	}
	return fmt.Sprintf("VerifyMode(%d)", int(m))
}

// DefaultVerifyConcurrency is the number of HeadObject or GetObject
// requests [VerifyWith] has in flight when [VerifyOptions.Concurrency] is
// not set.
const DefaultVerifyConcurrency = 16

// VerifyOptions are the options of [VerifyWith]. The zero value checks as
// [Verify] does.
type VerifyOptions struct {
	// Mode says how each file's content is checked; the zero value is
	// [VerifyListing].
	Mode VerifyMode
	// Concurrency is the number of files checked at a time with
	// [VerifyChecksums] or [VerifyData], each a HeadObject or GetObject
	// request; 0 or less means [DefaultVerifyConcurrency].
	Concurrency int
}

// VerifyReport says how [VerifyWith] checked a destination and what
// differs. Every file the store holds with the manifest's size is counted
// in exactly one of ByStoredChecksum, ByData and BySizeETag; a file that
// is missing, or whose size differs, is in none of them: its difference
// says why.
type VerifyReport struct {
	// Location is the destination, as s3://bucket/prefix.
	Location string
	// Mode is the mode of the check.
	Mode VerifyMode
	// Files is the number of files the manifest lists.
	Files int
	// ByStoredChecksum counts the files whose full-object checksum, as the
	// store keeps it, was compared with the manifest's.
	ByStoredChecksum int
	// ByData counts the files read back and whose checksum was computed
	// and compared with the manifest's: every file with a checksum in
	// [VerifyData] mode, those of which the store keeps no usable checksum
	// in [VerifyChecksums] mode.
	ByData int
	// BySizeETag counts the files checked by size and ETag only: every
	// file in [VerifyListing] mode, and in the other modes the files whose
	// manifest entry has no checksum (manifests written before s3commit
	// recorded checksums).
	BySizeETag int
	// Differences lists every difference, sorted by key, then kind; empty
	// when the destination matches.
	Differences []Difference
}

// Checked returns the number of files whose content was checked, one way
// or another: ByStoredChecksum + ByData + BySizeETag.
func (r *VerifyReport) Checked() int { return r.ByStoredChecksum + r.ByData + r.BySizeETag }

// Verify lists the objects under destination + "/" (destination is a key
// prefix in store's bucket; a trailing '/' is ignored) and compares them
// with d.Files: every listed file must exist with its size and ETag, and
// no other object may exist, except objects whose final name segment
// starts with '_' or '.' (such as _SUCCESS and its sidecar) and that the
// manifest does not list. It returns nil when they match exactly, a
// [*VerifyError] matching [ErrMismatch] listing every difference when
// they do not, [ErrNoFileList] when d has no file list, or the store's
// error.
//
// Verify reads no checksums: it is [VerifyWith] in [VerifyListing] mode.
func Verify(ctx context.Context, store multipart.Store, destination string, d *Data) error {
	_, err := VerifyWith(ctx, store, destination, d, VerifyOptions{})
	return err
}

// VerifyWith checks destination against d as [Verify] does (the same
// listing, the same differences, the same errors) and, depending on
// opts.Mode, also the content of each file whose manifest entry has a
// checksum ([File.FileChecksum]): by the full-object checksum the store
// keeps ([VerifyChecksums]) or by reading the file back and computing its
// checksum ([VerifyData]). A checksum that differs from the manifest's is
// a [DiffChecksum]. Files without a checksum in the manifest are checked
// by size and ETag only. Up to opts.Concurrency files are checked at a
// time, while the listing goes on.
//
// The report counts how each file was checked and lists the differences.
// When something differs, VerifyWith returns the report and a
// [*VerifyError] matching [ErrMismatch] with the same differences; when
// the verification cannot be carried out (no file list, a manifest entry
// with half a checksum or one of an algorithm [multipart.ComputeChecksum]
// does not know, the store's error), it returns a nil report and the
// error. A file deleted between the listing and its check is
// [DiffMissing]; one rewritten with another size in between, [DiffSize].
func VerifyWith(ctx context.Context, store multipart.Store, destination string, d *Data, opts VerifyOptions) (*VerifyReport, error) {
	destination = strings.TrimSuffix(destination, "/")
	loc := location(store, destination)
	if d.Files == nil {
		switch {
		case d.FilesSidecar != "":
			return nil, fmt.Errorf("success: verify %s: the file list is in sidecar %q, which was not loaded (use Read): %w",
				loc, d.FilesSidecar, ErrNoFileList)
		case d.Writer() != WriterS3Commit:
			return nil, fmt.Errorf("success: verify %s: the manifest was written by a %s, which records no file sizes and ETags: %w",
				loc, d.Writer(), ErrNoFileList)
		}
	}
	switch opts.Mode {
	case VerifyListing:
	case VerifyChecksums, VerifyData:
		if err := checkChecksums(d.Files); err != nil {
			return nil, fmt.Errorf("success: verify %s: %w", loc, err)
		}
	default:
		return nil, fmt.Errorf("success: verify %s: unknown mode %v", loc, opts.Mode)
	}
	report := &VerifyReport{Location: loc, Mode: opts.Mode, Files: len(d.Files)}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c := &contentChecker{store: store, mode: opts.Mode, cancel: cancel, report: report}
	files := make(chan File)
	n := opts.Concurrency
	if n <= 0 {
		n = DefaultVerifyConcurrency
	}
	var wg sync.WaitGroup
	if opts.Mode != VerifyListing {
		for range n {
			wg.Go(func() {
				for f := range files {
					c.check(ctx, f)
				}
			})
		}
	}
	listErr := c.list(ctx, destination, d.Files, files)
	close(files)
	wg.Wait()
	switch {
	case c.err != nil:
		return nil, fmt.Errorf("success: verify %s: %w", loc, c.err)
	case listErr != nil:
		return nil, fmt.Errorf("success: verify %s: %w", loc, listErr)
	}
	if len(report.Differences) == 0 {
		return report, nil
	}
	sortDiffs(report.Differences)
	return report, &VerifyError{Location: loc, Differences: report.Differences}
}

// checkChecksums checks that every file's checksum is whole (both its
// algorithm and its value, or neither) and of an algorithm this package
// computes.
func checkChecksums(files []File) error {
	for i, f := range files {
		switch {
		case f.ChecksumAlgorithm == "" && f.Checksum == "":
		case f.ChecksumAlgorithm == "":
			return fieldError(fmt.Sprintf("s3commitFiles[%d].checksumAlgorithm", i), "is empty, but the file (%s) has a checksum", f.Key)
		case f.Checksum == "":
			return fieldError(fmt.Sprintf("s3commitFiles[%d].checksum", i), "is empty, but the file (%s) has a checksum algorithm", f.Key)
		default:
			if _, err := multipart.ChecksumAlgorithm(f.ChecksumAlgorithm).NewHash(); err != nil {
				return fmt.Errorf("file %s: %w", f.Key, err)
			}
		}
	}
	return nil
}

// contentChecker gathers the results of a [VerifyWith] run: the listing
// and the checks of its workers.
type contentChecker struct {
	store  multipart.Store
	mode   VerifyMode
	cancel context.CancelFunc

	mu     sync.Mutex
	report *VerifyReport
	err    error // the first failure of a check
}

// list lists the destination, records the differences of the listing and
// sends the files whose content is to be checked to check.
func (c *contentChecker) list(ctx context.Context, destination string, listed []File, check chan<- File) error {
	want := make(map[string]File, len(listed))
	for _, f := range listed {
		want[f.Key] = f
	}
	prefix := destination + "/"
	if destination == "" {
		prefix = ""
	}
	for obj, err := range c.store.ListObjects(ctx, prefix) {
		if err != nil {
			return err
		}
		f, ok := want[obj.Key]
		switch {
		case !ok && committer.IsHidden(obj.Key[strings.LastIndexByte(obj.Key, '/')+1:]): // markers, sidecars, writers' temporary files
			continue
		case !ok:
			c.add(Difference{Kind: DiffExtra, Key: obj.Key, Store: obj})
			continue
		}
		delete(want, obj.Key)
		if obj.Size != f.Size {
			c.add(Difference{Kind: DiffSize, Key: obj.Key, Manifest: f, Store: obj})
			continue
		}
		if multipart.NormalizeETag(obj.ETag) != multipart.NormalizeETag(f.ETag) {
			c.add(Difference{Kind: DiffETag, Key: obj.Key, Manifest: f, Store: obj})
		}
		if c.mode == VerifyListing || f.FileChecksum().IsZero() {
			c.count(&c.report.BySizeETag)
			continue
		}
		select {
		case check <- f:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for _, f := range want {
		c.add(Difference{Kind: DiffMissing, Key: f.Key, Manifest: f})
	}
	return nil
}

func (c *contentChecker) add(d Difference) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.report.Differences = append(c.report.Differences, d)
}

func (c *contentChecker) count(n *int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	*n++
}

// fail records the first failure and stops the other checks and the
// listing.
func (c *contentChecker) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
		c.cancel()
	}
}

// check checks f's content, by the store's checksum or by reading it
// back, and records the outcome.
func (c *contentChecker) check(ctx context.Context, f File) {
	if ctx.Err() != nil {
		return // a check failed: the run is over
	}
	want := f.FileChecksum()
	if c.mode == VerifyChecksums {
		info, err := c.store.HeadObject(ctx, f.Key)
		switch {
		case errors.Is(err, multipart.ErrNotFound):
			c.add(Difference{Kind: DiffMissing, Key: f.Key, Manifest: f})
			return
		case err != nil:
			c.fail(err)
			return
		}
		if info.ChecksumType == multipart.ChecksumTypeFullObject && info.Checksum.Algorithm == want.Algorithm && info.Checksum.Value != "" {
			if info.Checksum != want {
				c.add(Difference{Kind: DiffChecksum, Key: f.Key, Manifest: f, Store: info})
			}
			c.count(&c.report.ByStoredChecksum)
			return
		}
		// No full-object checksum of the manifest's algorithm: read.
	}
	body, info, err := c.store.GetObject(ctx, f.Key)
	switch {
	case errors.Is(err, multipart.ErrNotFound):
		c.add(Difference{Kind: DiffMissing, Key: f.Key, Manifest: f})
		return
	case err != nil:
		c.fail(err)
		return
	}
	defer body.Close()
	got, n, err := multipart.ComputeChecksum(want.Algorithm, body)
	if err != nil {
		c.fail(fmt.Errorf("read %s: %w", f.Key, err))
		return
	}
	info.Key, info.Size = f.Key, n
	info.Checksum, info.ChecksumType = got, multipart.ChecksumTypeFullObject
	switch {
	case n != f.Size:
		c.add(Difference{Kind: DiffSize, Key: f.Key, Manifest: f, Store: info})
		return
	case got != want:
		c.add(Difference{Kind: DiffChecksum, Key: f.Key, Manifest: f, Store: info, ReadBack: true})
	}
	c.count(&c.report.ByData)
}
