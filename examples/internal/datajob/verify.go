package datajob

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/staging"
	"github.com/s3commit/s3commit/success"
)

// maxShown bounds the examples verify prints of each kind of difference.
const maxShown = 10

// verify reads the committed output back: the _SUCCESS manifest, a
// listing of the destination, and every record of every listed file; and
// checks that each expected event (regenerated from --events, --seed and
// --days, or read from the input files) is there exactly once, in the
// partition of its day.
func (r *runner) verify(ctx context.Context) error {
	c := r.c
	if err := c.checkInputs(); err != nil {
		return err
	}
	raw, err := r.store(ctx)
	if err != nil {
		return err
	}
	return r.verifyIn(ctx, r.retrying(raw))
}

// verifyIn is verify on the store st of --dest.
func (r *runner) verifyIn(ctx context.Context, st multipart.Store) error {
	c := r.c
	manifestKey := c.prefix + "/" + staging.SuccessMarker
	d, err := success.Read(ctx, st, manifestKey)
	if errors.Is(err, multipart.ErrNotFound) {
		return fmt.Errorf("no %s at s3://%s/%s: the job was not committed (or not to this --dest)", staging.SuccessMarker, c.bucket, manifestKey)
	}
	if err != nil {
		return fmt.Errorf("read the manifest: %w", err)
	}
	if d.JobID != c.jobID {
		return fmt.Errorf("%s at %s is of job %s, not of --job-id %s", staging.SuccessMarker, c.location(), d.JobID, c.jobID)
	}
	var problems []string

	// The listing of the destination against the manifest. Other objects
	// are expected where the job kept them: in append mode, and in
	// partitions a partitioned job did not write.
	othersKept := c.conflict == "append" || c.mode == "partitioned"
	others := 0
	if err := success.Verify(ctx, st, c.prefix, d); err != nil {
		var ve *success.VerifyError
		if !errors.As(err, &ve) {
			return fmt.Errorf("list %s: %w", c.location(), err)
		}
		for _, diff := range ve.Differences {
			if diff.Kind == success.DiffExtra && othersKept {
				others++
				continue
			}
			problems = append(problems, "listing: "+diff.String())
		}
	}

	expected := map[string]int{}
	for rec, err := range c.all() {
		if err != nil {
			return err
		}
		expected[rec.ID]++
	}

	fmt.Fprintf(r.stdout, "job %s: %s lists %d files\n", d.JobID, staging.SuccessMarker, len(d.Files))
	got := map[string]int{}
	var misplaced []string
	records := 0
	for _, f := range d.Files {
		n, err := readOutput(ctx, st, f.Key, func(rec record) {
			got[rec.ID]++
			if want := "dt=" + rec.Day(); path.Base(path.Dir(f.Key)) != want {
				misplaced = append(misplaced, fmt.Sprintf("%s (ts %s) in %s", rec.ID, rec.TS.Format("2006-01-02T15:04:05Z07:00"), f.Key))
			}
		})
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", f.Key, err))
			continue
		}
		records += n
		fmt.Fprintf(r.stdout, "  %s  %d records  %d bytes\n", strings.TrimPrefix(f.Key, c.prefix+"/"), n, f.Size)
	}
	fmt.Fprintf(r.stdout, "files: %d, records: %d, expected: %d", len(d.Files), records, count(expected))
	if others > 0 {
		fmt.Fprintf(r.stdout, ", other objects under the prefix: %d (kept by --conflict %s / --mode %s)", others, c.conflict, c.mode)
	}
	fmt.Fprintln(r.stdout)

	var missing, duplicated, unexpected []string
	for id, want := range expected {
		switch n := got[id]; {
		case n < want:
			missing = append(missing, fmt.Sprintf("%s (%d of %d)", id, n, want))
		case n > want:
			duplicated = append(duplicated, fmt.Sprintf("%s (%d copies, want %d)", id, n, want))
		}
	}
	for id, n := range got {
		if expected[id] == 0 {
			unexpected = append(unexpected, fmt.Sprintf("%s (%d copies)", id, n))
		}
	}
	for _, k := range []struct {
		what string
		ids  []string
	}{{"missing", missing}, {"duplicated", duplicated}, {"unexpected", unexpected}, {"in the wrong partition", misplaced}} {
		if len(k.ids) == 0 {
			continue
		}
		sort.Strings(k.ids)
		shown := k.ids[:min(len(k.ids), maxShown)]
		more := ""
		if len(k.ids) > maxShown {
			more = fmt.Sprintf(", … %d more", len(k.ids)-maxShown)
		}
		problems = append(problems, fmt.Sprintf("%d records %s: %s%s", len(k.ids), k.what, strings.Join(shown, ", "), more))
	}
	if len(problems) > 0 {
		fmt.Fprintln(r.stdout, "exactly once: FAILED")
		for _, p := range problems {
			fmt.Fprintln(r.stdout, "  "+p)
		}
		return fmt.Errorf("the output in %s does not hold each expected event exactly once: %d problems (listed above)", c.location(), len(problems))
	}
	fmt.Fprintln(r.stdout, "exactly once: ok")
	return nil
}

func count(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
