package datajob

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/parquet-go/parquet-go"
)

// eventRow is one row of the job's Parquet files: an event's id and time,
// the fields of the synthetic events in typed columns, and whatever else
// an input event holds as one JSON object. Readers (Spark, DuckDB, Trino,
// pandas) see ts as a UTC timestamp; the dt= partition comes from the
// directory, as Hive-style readers expect.
type eventRow struct {
	ID string `parquet:"id"`
	// TS is the event's instant in microseconds: the offset an input
	// "ts" was written with is not kept, nor digits past microseconds.
	TS    time.Time `parquet:"ts,timestamp(microsecond:utc)"`
	User  *string   `parquet:"user,optional,dict"`
	Kind  *string   `parquet:"kind,optional,dict"`
	Value *int64    `parquet:"value,optional"`
	// Extra holds the event's other fields as a JSON object, also "user",
	// "kind" or "value" when they are not a string, a string or an
	// integer; nil when there are none.
	Extra *string `parquet:"extra,optional,json"`
}

// eventSchema is the schema of the job's Parquet files.
var eventSchema = parquet.SchemaOf(eventRow{})

// parquetBatch is the number of rows a parquetWriter hands the Parquet
// writer at once.
const parquetBatch = 1024

// rowOf returns the Parquet row of a record.
func rowOf(rec record) (eventRow, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(rec.Line, &fields); err != nil {
		return eventRow{}, fmt.Errorf("event %s: %w", rec.ID, err)
	}
	delete(fields, "id")
	delete(fields, "ts")
	row := eventRow{ID: rec.ID, TS: rec.TS.UTC()}
	for _, f := range []struct {
		name string
		dst  **string
	}{{"user", &row.User}, {"kind", &row.Kind}} {
		var s string
		if raw, ok := fields[f.name]; ok && len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
			*f.dst = &s
			delete(fields, f.name)
		}
	}
	if raw, ok := fields["value"]; ok {
		if v, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
			row.Value = &v
			delete(fields, "value")
		}
	}
	if len(fields) > 0 {
		b, err := json.Marshal(fields) // keys sorted
		if err != nil {
			return eventRow{}, fmt.Errorf("event %s: %w", rec.ID, err)
		}
		extra := string(b)
		row.Extra = &extra
	}
	return row, nil
}

// parquetWriter writes records as one Parquet file of eventRow,
// Snappy-compressed, the compression Spark writes by default.
type parquetWriter struct {
	f    io.WriteCloser
	w    *parquet.GenericWriter[eventRow]
	rows []eventRow
}

func newParquetWriter(f io.WriteCloser) *parquetWriter {
	return &parquetWriter{
		f:    f,
		w:    parquet.NewGenericWriter[eventRow](f, parquet.Compression(&parquet.Snappy)),
		rows: make([]eventRow, 0, parquetBatch),
	}
}

func (w *parquetWriter) write(rec record) error {
	row, err := rowOf(rec)
	if err != nil {
		return err
	}
	w.rows = append(w.rows, row)
	if len(w.rows) == parquetBatch {
		return w.flushRows()
	}
	return nil
}

// flushRows hands the buffered rows to the Parquet writer.
func (w *parquetWriter) flushRows() error {
	if len(w.rows) == 0 {
		return nil
	}
	_, err := w.w.Write(w.rows)
	w.rows = w.rows[:0]
	return err
}

func (w *parquetWriter) close() error {
	err := w.flushRows()
	if err == nil {
		err = w.w.Close() // the footer
	}
	return errors.Join(err, w.f.Close())
}

// readParquet reads a Parquet file of the job from r and calls fn with each
// record, its ID and time (its Line is left empty: the columns are the
// data); it returns the number of records. A file whose schema is not the
// job's is refused before any record is read.
func readParquet(r io.Reader, fn func(record)) (int, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return 0, err
	}
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return 0, fmt.Errorf("not a Parquet file: %w", err)
	}
	if !parquet.EqualNodes(f.Schema(), eventSchema) {
		return 0, fmt.Errorf("not the job's schema: %s", f.Schema())
	}
	rd := parquet.NewGenericReader[eventRow](f)
	defer rd.Close()
	rows := make([]eventRow, parquetBatch)
	n := 0
	for {
		clear(rows) // a null leaves its field as it was
		got, err := rd.Read(rows)
		for _, row := range rows[:got] {
			fn(record{ID: row.ID, TS: row.TS.UTC()})
			n++
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, fmt.Errorf("row %d: %w", n+1, err)
		}
	}
	if int64(n) != f.NumRows() {
		return n, fmt.Errorf("read %d rows, the footer says %d", n, f.NumRows())
	}
	return n, nil
}
