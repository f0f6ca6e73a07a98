package datajob

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/s3commit/s3commit/multipart"
)

// The formats of the job's output files (--format).
const (
	// formatParquet is Parquet, one row per event, Snappy-compressed:
	// dt=DAY/part-NNNNN.snappy.parquet.
	formatParquet = "parquet"
	// formatJSONL is gzip-compressed JSON lines, one line per event:
	// dt=DAY/part-NNNNN.jsonl.gz.
	formatJSONL = "jsonl"
)

// formatExts maps each format to the extension of its files, after the
// first '.' of the name, where unique file names insert the job ID:
// part-00000.snappy.parquet → part-00000-<jobID>.snappy.parquet, as Spark
// and Hadoop name their files.
var formatExts = map[string]string{
	formatParquet: ".snappy.parquet",
	formatJSONL:   ".jsonl.gz",
}

// addFormatFlag defines --format on fs, bound to c.format.
func addFormatFlag(fs *flag.FlagSet, c *config) {
	fs.StringVar(&c.format, "format", formatParquet, "format of the output files: parquet (Snappy-compressed Parquet, "+
		"columns id, ts, user, kind, value, extra) or jsonl (gzip-compressed JSON lines); verify reads either")
}

// checkFormat refuses a --format other than parquet and jsonl.
func checkFormat(format string) error {
	if _, ok := formatExts[format]; !ok {
		return usagef("--format %q: use parquet or jsonl", format)
	}
	return nil
}

// partName is the file a task writes for the events of one day, in
// format.
func partName(day string, index int, format string) string {
	return fmt.Sprintf("dt=%s/part-%05d%s", day, index, formatExts[format])
}

// partWriter writes the records of one output file.
type partWriter interface {
	// write adds one record to the file.
	write(rec record) error
	// close writes what is buffered, ends the file (a Parquet footer, the
	// gzip trailer) and closes it.
	close() error
}

// newPartWriter returns a writer of format on f, which its close closes.
func newPartWriter(format string, f io.WriteCloser) partWriter {
	if format == formatJSONL {
		return newJSONLWriter(f)
	}
	return newParquetWriter(f)
}

// formatOfKey returns the format of an output file from the extension of
// its key, false for a key of no format of the job.
func formatOfKey(key string) (string, bool) {
	for format, ext := range formatExts {
		if strings.HasSuffix(key, ext) {
			return format, true
		}
	}
	return "", false
}

// readOutput reads one output file, in the format its name says, and calls
// fn with each record (with its Line for JSON lines only); it returns the
// number of records.
func readOutput(ctx context.Context, st multipart.Store, key string, fn func(record)) (int, error) {
	format, ok := formatOfKey(key)
	if !ok {
		return 0, fmt.Errorf("not a file of the job: its name ends in neither %s nor %s", formatExts[formatParquet], formatExts[formatJSONL])
	}
	rc, _, err := st.GetObject(ctx, key)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	if format == formatJSONL {
		return readJSONL(rc, fn)
	}
	return readParquet(rc, fn)
}
