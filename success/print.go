package success

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
)

// Print writes d to w as human-readable text in a stable layout: a header
// (writer, committer, job ID, success, state and stage when set, date,
// host, description), the metrics, the iostatistics (counters, gauges,
// minimums, maximums, and mean statistics shown as mean = sum/samples),
// the diagnostics, and the files with their sizes, ETags and checksums (or, for a
// manifest without a file list, its filenames). Every map is sorted by
// key; text with control characters, such as a stack trace, is quoted.
func Print(w io.Writer, d *Data) error {
	var buf bytes.Buffer
	p := &printer{buf: &buf}

	p.line("_SUCCESS manifest written by %s", d.Writer())
	p.table(func(tw io.Writer) {
		row(tw, "  name:", d.Name)
		row(tw, "  committer:", d.Committer)
		row(tw, "  job ID:", text(d.JobID)+" (source: "+text(d.JobIDSource)+")")
		if missing := d.MissingFields(); len(missing) > 0 {
			row(tw, "  absent:", strings.Join(missing, ", "))
		}
		row(tw, "  success:", strconv.FormatBool(d.Success))
		if d.State != "" {
			row(tw, "  state:", d.State)
		}
		if d.Stage != "" {
			row(tw, "  stage:", d.Stage)
		}
		row(tw, "  date:", text(d.Date)+" (timestamp "+strconv.FormatInt(d.Timestamp, 10)+" = "+
			time.UnixMilli(d.Timestamp).UTC().Format("2006-01-02T15:04:05.000Z")+")")
		row(tw, "  host:", d.Hostname)
		row(tw, "  description:", d.Description)
	})

	p.section("metrics", len(d.Metrics))
	p.table(func(tw io.Writer) {
		for _, k := range slices.Sorted(maps.Keys(d.Metrics)) {
			row(tw, "  "+text(k), strconv.FormatInt(d.Metrics[k], 10))
		}
	})

	s := d.IOStatistics
	p.line("")
	p.line("iostatistics")
	for _, m := range []struct {
		name   string
		values map[string]int64
	}{{"counters", s.Counters}, {"gauges", s.Gauges}, {"minimums", s.Minimums}, {"maximums", s.Maximums}} {
		p.subsection(m.name, len(m.values))
		p.table(func(tw io.Writer) {
			for _, k := range slices.Sorted(maps.Keys(m.values)) {
				row(tw, "    "+text(k), strconv.FormatInt(m.values[k], 10))
			}
		})
	}
	p.subsection("mean statistics", len(s.MeanStatistics))
	p.table(func(tw io.Writer) {
		for _, k := range slices.Sorted(maps.Keys(s.MeanStatistics)) {
			m := s.MeanStatistics[k]
			v := "no samples"
			if m.Samples > 0 {
				v = fmt.Sprintf("mean %.4f = %d/%d", m.Mean(), m.Sum, m.Samples)
			}
			row(tw, "    "+text(k), v)
		}
	})

	p.section("diagnostics", len(d.Diagnostics))
	p.table(func(tw io.Writer) {
		for _, k := range slices.Sorted(maps.Keys(d.Diagnostics)) {
			row(tw, "  "+text(k), d.Diagnostics[k])
		}
	})

	switch {
	case d.Files != nil:
		var total int64
		for _, f := range d.Files {
			total += f.Size
		}
		p.line("")
		p.line("files (%d, %d bytes)", len(d.Files), total)
		p.table(func(tw io.Writer) {
			for _, f := range d.Files {
				row(tw, "  "+text(f.Key), strconv.FormatInt(f.Size, 10), f.ETag, f.FileChecksum().String())
			}
		})
	case d.FilesSidecar != "":
		p.line("")
		p.line("files: listed in %s (not loaded)", text(d.FilesSidecar))
	default:
		p.section("filenames", len(d.Filenames))
		for _, f := range d.Filenames {
			p.line("  %s", text(f))
		}
	}

	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("success: print manifest: %w", err)
	}
	return nil
}

type printer struct{ buf *bytes.Buffer }

func (p *printer) line(format string, args ...any) {
	fmt.Fprintf(p.buf, format, args...)
	p.buf.WriteByte('\n')
}

// section starts a top-level section of n entries, after a blank line.
func (p *printer) section(name string, n int) {
	p.line("")
	if n == 0 {
		p.line("%s: none", name)
		return
	}
	p.line("%s (%d)", name, n)
}

// subsection starts a section of iostatistics.
func (p *printer) subsection(name string, n int) {
	if n == 0 {
		p.line("  %s: none", name)
		return
	}
	p.line("  %s (%d)", name, n)
}

// table writes the rows fill writes with aligned columns.
func (p *printer) table(fill func(tw io.Writer)) {
	tw := tabwriter.NewWriter(p.buf, 0, 0, 2, ' ', 0)
	fill(tw)
	_ = tw.Flush() // writes to a bytes.Buffer, which cannot fail
}

// row writes one table row; every cell but the first is shown with text.
func row(tw io.Writer, first string, cells ...string) {
	var b strings.Builder
	b.WriteString(first)
	for _, c := range cells {
		b.WriteByte('\t')
		b.WriteString(text(c))
	}
	b.WriteByte('\n')
	_, _ = io.WriteString(tw, b.String())
}

// text returns s as it can be shown on one line: "-" when empty, quoted
// when it holds control or other non-printable characters (which would
// break the layout), as is otherwise.
func text(s string) string {
	switch {
	case s == "":
		return "-"
	case strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }):
		return strconv.Quote(s)
	}
	return s
}
