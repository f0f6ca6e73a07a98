package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/dustin/go-humanize"
	"golang.org/x/term"
)

// termText is the one rule by which the human output shows a string that
// comes from the store, a file or the command line (keys, upload IDs,
// records' fields, extraData, paths, error messages): as is when it is
// valid UTF-8 made only of printable characters (unicode.IsPrint: the
// letters, marks, numbers, punctuation and symbols of every script, and
// the ASCII space); otherwise quoted by strconv.Quote, which writes
// control characters as escapes (ESC as \x1b, BEL as \a, a newline as \n),
// other non-printable characters too (the C1 control \u009b, the
// right-to-left override \u202e), and bytes that are not UTF-8 as \x
// escapes. A string that begins with a double quote is quoted too, so that
// a quoted string on the screen is always a Go string literal. A terminal
// thus never receives an escape sequence from data (a title change, a
// cleared screen), and a table row stays one line.
func termText(s string) string {
	if strings.HasPrefix(s, `"`) || !printable(s) {
		return strconv.Quote(s)
	}
	return s
}

// printable reports whether s is valid UTF-8 made only of printable
// characters (unicode.IsPrint).
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// writeJSON prints v as one indented JSON document followed by a newline,
// with the non-printable characters JSON leaves raw escaped (see
// escapeJSON).
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON output: %w", err)
	}
	return writeEscapedJSON(w, buf.Bytes())
}

// writeEscapedJSON writes the JSON text data to w through escapeJSON.
func writeEscapedJSON(w io.Writer, data []byte) error {
	if _, err := w.Write(escapeJSON(data)); err != nil {
		return fmt.Errorf("write JSON output: %w", err)
	}
	return nil
}

// escapeJSON returns the JSON text data, as encoding/json writes it, with
// every character that is not printable (unicode.IsPrint) but the newline
// written as a \u escape: encoding/json escapes the C0 controls but leaves
// C1 controls such as U+009B (a CSI to some terminals) and format
// characters such as U+202E raw. Outside strings, its output holds only
// printable characters and newlines, so every such character is in a
// string, where the escape decodes to the same character. Bytes that are
// not UTF-8 (encoding/json never writes them) become \ufffd.
func escapeJSON(data []byte) []byte {
	if printable(strings.ReplaceAll(string(data), "\n", "")) {
		return data
	}
	out := make([]byte, 0, len(data)+64)
	for len(data) > 0 {
		r, n := utf8.DecodeRune(data)
		switch {
		case r == '\n' || (r != utf8.RuneError || n > 1) && unicode.IsPrint(r):
			out = append(out, data[:n]...)
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
		default:
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		data = data[n:]
	}
	return out
}

// table writes aligned columns with text/tabwriter.
type table struct {
	tw *tabwriter.Writer
}

// newTable starts a table on w with the given column headers.
func newTable(w io.Writer, headers ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	if len(headers) > 0 {
		t.row(headers...)
	}
	return t
}

// row adds one row; every cell is shown by termText, so that data cannot
// send escapes to the terminal or break the row (a tab or newline in a
// cell is quoted as \t or \n).
func (t *table) row(cells ...string) {
	for i, c := range cells {
		cells[i] = termText(c)
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

// flush writes the table out.
func (t *table) flush() error {
	if err := t.tw.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// formatTime formats t as RFC 3339 in UTC, or "-" when zero.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// formatAge formats a duration for people: 45s, 12m, 5h03m, 3d04h.
func formatAge(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%dd%02dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}

// formatBytes formats a byte count for people in powers of 1024, with
// go-humanize's IBytes: 512 B, 1.5 KiB, 150 MiB (one decimal below 10).
// A negative count, which no size is, shows as 0 B.
func formatBytes(n int64) string { return humanize.IBytes(uint64(max(n, 0))) }

// seconds converts a duration to whole seconds for JSON output.
func seconds(d time.Duration) int64 {
	return int64(d / time.Second)
}

// isTerminal reports whether w is a terminal (progress goes to stderr only
// then).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress reports "<what> n/total" on one rewritten line of a terminal; on
// anything else it prints nothing. Safe for concurrent use.
type progress struct {
	mu     sync.Mutex
	w      io.Writer
	what   string
	total  int
	done   int
	last   time.Time
	active bool
}

// newProgress returns a progress reporter on w for total items, silent
// unless w is a terminal and there is more than a handful of items.
func newProgress(w io.Writer, what string, total int) *progress {
	return &progress{w: w, what: what, total: total, active: total > 10 && isTerminal(w)}
}

// add counts n more items done and redraws at most ten times a second.
func (p *progress) add(n int) {
	if p == nil || !p.active {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if now := time.Now(); p.done >= p.total || now.Sub(p.last) >= 100*time.Millisecond {
		p.last = now
		fmt.Fprintf(p.w, "\r%s %d/%d", p.what, p.done, p.total)
	}
}

// finish clears the progress line.
func (p *progress) finish() {
	if p == nil || !p.active {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprint(p.w, "\r\033[K")
}

// count formats n with the noun, in the plural unless n is 1: "1 upload",
// "3 uploads".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
