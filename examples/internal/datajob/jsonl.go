package datajob

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// jsonlWriter writes records as gzip-compressed JSON lines: each record's
// JSON object as it came, one per line.
type jsonlWriter struct {
	f  io.WriteCloser
	gz *gzip.Writer
	bw *bufio.Writer
}

func newJSONLWriter(f io.WriteCloser) *jsonlWriter {
	gz := gzip.NewWriter(f)
	return &jsonlWriter{f: f, gz: gz, bw: bufio.NewWriterSize(gz, 64<<10)}
}

func (w *jsonlWriter) write(rec record) error {
	w.bw.Write(rec.Line)
	return w.bw.WriteByte('\n') // a bufio.Writer keeps its first error
}

func (w *jsonlWriter) close() error {
	return errors.Join(w.bw.Flush(), w.gz.Close(), w.f.Close())
}

// readJSONL reads gzip-compressed JSON lines from r and calls fn with each
// record; blank lines are skipped. It returns the number of records.
func readJSONL(r io.Reader, fn func(record)) (int, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return 0, fmt.Errorf("not gzip: %w", err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	n := 0
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		rec, err := parseLine(line, fmt.Sprintf("line %d", n+1))
		if err != nil {
			return n, err
		}
		fn(rec)
		n++
	}
	if err := sc.Err(); err != nil {
		return n, err
	}
	return n, zr.Close()
}
