package datajob

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart/memstore"
	"github.com/s3commit/s3commit/staging"
)

func ptr[T any](v T) *T { return &v }

func TestRowOf(t *testing.T) {
	tests := []struct {
		name string
		line string
		want eventRow
		// back is the record's line read back; "" for the input line.
		back string
	}{
		{"synthetic", string(synthetic(1, 42, 7).Line), eventRow{ID: "ev-000000042",
			TS: time.Date(2026, 11, 1, 1, 16, 33, 0, time.UTC), User: ptr("u-0519"), Kind: ptr("signup"), Value: ptr(int64(4174))}, ""},
		{"other fields kept as JSON", `{"id":"a","ts":"2026-11-22T08:00:00.123456Z","n":[1, 2],"user":"u"}`,
			eventRow{ID: "a", TS: time.Date(2026, 11, 22, 8, 0, 0, 123456000, time.UTC), User: ptr("u"), Extra: ptr(`{"n":[1,2]}`)}, ""},
		{"offset becomes UTC", `{"id":"b","ts":"2026-11-22T23:30:00-02:00"}`,
			eventRow{ID: "b", TS: time.Date(2026, 11, 23, 1, 30, 0, 0, time.UTC)}, `{"id":"b","ts":"2026-11-23T01:30:00Z"}`},
		{"columns of another type go to extra", `{"id":"c","ts":"2026-11-22T08:00:00Z","user":7,"kind":null,"value":1.5}`,
			eventRow{ID: "c", TS: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC), Extra: ptr(`{"kind":null,"user":7,"value":1.5}`)}, ""},
		{"a large integer value", `{"id":"d","ts":"2026-11-22T08:00:00Z","value":-9007199254740993,"kind":"x\"y"}`,
			eventRow{ID: "d", TS: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC), Kind: ptr(`x"y`), Value: ptr(int64(-9007199254740993))}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := parseLine([]byte(tt.line), "x")
			require.NoError(t, err)
			row, err := rowOf(rec)
			require.NoError(t, err)
			assert.Equal(t, tt.want, row)

			// As a reader of the file sees the event.
			data := writeFile(t, formatParquet, []record{rec})
			back := parquetRecords(t, "x", bytes.NewReader(data))
			require.Len(t, back, 1)
			want := tt.back
			if want == "" {
				want = tt.line
			}
			assert.JSONEq(t, want, back[0].Line)
			var got []record
			_, err = readParquet(bytes.NewReader(data), func(r record) { got = append(got, r) })
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, rec.ID, got[0].ID)
			assert.True(t, rec.TS.Equal(got[0].TS), "ts %s, want %s", got[0].TS, rec.TS)
			assert.Equal(t, rec.Day(), got[0].Day())
		})
	}
}

// nopCloser is a bytes.Buffer that an output file's writer may close.
type nopCloser struct{ bytes.Buffer }

func (*nopCloser) Close() error { return nil }

// writeFile writes recs in format and returns the file's bytes.
func writeFile(t *testing.T, format string, recs []record) []byte {
	t.Helper()
	var b nopCloser
	w := newPartWriter(format, &b)
	for _, rec := range recs {
		require.NoError(t, w.write(rec))
	}
	require.NoError(t, w.close())
	return b.Bytes()
}

// TestFormatRoundTrip: what one format's writer writes, its reader reads
// back, record for record, also across the Parquet writer's batches.
func TestFormatRoundTrip(t *testing.T) {
	var recs []record
	for n := range parquetBatch*2 + 7 {
		recs = append(recs, synthetic(3, n, 1))
	}
	in, err := parseLine([]byte(`{"id":"in-1","ts":"2026-11-01T12:00:00Z","tags":["a"]}`), "x")
	require.NoError(t, err)
	recs = append(recs, in)

	for _, format := range []string{formatParquet, formatJSONL} {
		t.Run(format, func(t *testing.T) {
			data := writeFile(t, format, recs)
			var got []record
			var n int
			if format == formatParquet {
				assert.Equal(t, "PAR1", string(data[:4]))
				assert.Equal(t, "PAR1", string(data[len(data)-4:]))
				n, err = readParquet(bytes.NewReader(data), func(r record) { got = append(got, r) })
			} else {
				n, err = readJSONL(bytes.NewReader(data), func(r record) { got = append(got, r) })
			}
			require.NoError(t, err)
			assert.Equal(t, len(recs), n)
			require.Len(t, got, len(recs))
			lines := make([]string, len(got))
			for i := range got {
				lines[i] = string(got[i].Line)
			}
			if format == formatParquet {
				for i, r := range parquetRecords(t, "x", bytes.NewReader(data)) {
					lines[i] = r.Line
				}
			}
			for i := range recs {
				assert.Equal(t, recs[i].ID, got[i].ID)
				assert.True(t, recs[i].TS.Equal(got[i].TS))
				assert.JSONEq(t, string(recs[i].Line), lines[i])
			}
		})
	}
}

func TestReadParquetRefuses(t *testing.T) {
	type otherRow struct {
		ID string `parquet:"id"`
		N  int64  `parquet:"n"`
	}
	var other bytes.Buffer
	require.NoError(t, parquet.Write(&other, []otherRow{{ID: "a", N: 1}}))
	jsonl := writeFile(t, formatJSONL, []record{synthetic(1, 0, 1)})

	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"another schema", other.Bytes(), "not the job's schema"},
		{"gzip JSON lines", jsonl, "not a Parquet file"},
		{"empty", nil, "not a Parquet file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := readParquet(bytes.NewReader(tt.data), func(record) { t.Error("a record was read") })
			assert.Zero(t, n)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestPartName(t *testing.T) {
	tests := []struct {
		format, want string
	}{
		{formatParquet, "dt=2026-11-22/part-00003.snappy.parquet"},
		{formatJSONL, "dt=2026-11-22/part-00003.jsonl.gz"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, partName("2026-11-22", 3, tt.format))
		got, ok := formatOfKey("events/" + strings.Replace(tt.want, "part-00003", "part-00003-job-1", 1))
		assert.True(t, ok)
		assert.Equal(t, tt.format, got)
	}
	_, ok := formatOfKey("events/dt=2026-11-22/part-00003.csv")
	assert.False(t, ok)
}

func TestFormatFlag(t *testing.T) {
	tests := []struct {
		args []string
		want string // the format, or a part of the error
	}{
		{args("run"), formatParquet},
		{args("run", "--format", "jsonl"), formatJSONL},
		{args("task", "--job-id", "j", "--format=parquet"), formatParquet},
		{args("run", "--format", "csv"), `--format "csv": use parquet or jsonl`},
		{[]string{"task", "--dest", "s3://lake/e", "--staging-dir", "/s", "--job-id", "j", "--format", "$(FORMAT)"}, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			err := CheckArgs(tt.args)
			if tt.want == formatParquet || tt.want == formatJSONL || tt.want == "" {
				require.NoError(t, err)
				if tt.want != "" {
					c, err := parseArgs(tt.args, false)
					require.NoError(t, err)
					assert.Equal(t, tt.want, c.format)
					targs := c.taskArgs(0, 0)
					i := slices.Index(targs, "--format")
					require.GreaterOrEqual(t, i, 0, "the worker processes get --format")
					assert.Equal(t, tt.want, targs[i+1])
				}
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestCommittedJobOnMemstore runs a partitioned job through the staging
// committer on an in-memory store, in each format: four tasks, task 1's
// first attempt aborted after writing and retried, task 2 attempted again
// after its commit. The destination then holds exactly one file per task
// and day, in the format's name, and verify reads every event back
// exactly once, with its fields.
func TestCommittedJobOnMemstore(t *testing.T) {
	for _, format := range []string{formatParquet, formatJSONL} {
		t.Run(format, func(t *testing.T) {
			ctx := t.Context()
			st := memstore.New("lake")
			c := &config{sub: cmdVerify, bucket: "lake", prefix: "events", mode: "partitioned", conflict: "fail",
				tasks: 4, events: 500, seed: 7, days: 3, format: format, logLevel: "error",
				stagingDir: t.TempDir(), bufferDir: t.TempDir()}
			cm, err := staging.New(st, staging.Options{StagingDir: c.stagingDir, BufferDir: c.bufferDir,
				Destination: c.prefix, Mode: committer.ModePartitioned})
			require.NoError(t, err)
			j, err := cm.SetupJob(ctx, "mem-1")
			require.NoError(t, err)
			c.jobID = j.ID()
			var stdout, stderr bytes.Buffer
			r := &runner{c: c, stdout: &stdout, stderr: &stderr}

			attempt := func(index, n int) committer.TaskAttempt {
				c.taskIndex = index
				a, err := j.SetupTask(ctx, taskID(index), n)
				require.NoError(t, err)
				records, files, err := r.writeShard(a)
				require.NoError(t, err)
				assert.Equal(t, len(shardIDs(t, c, index)), records)
				assert.Equal(t, 3, files, "one file per day")
				return a
			}
			require.NoError(t, attempt(0, 0).CommitTask(ctx))
			require.NoError(t, attempt(1, 0).AbortTask(ctx), "a failed attempt")
			require.NoError(t, attempt(1, 1).CommitTask(ctx))
			require.NoError(t, attempt(2, 0).CommitTask(ctx))
			assert.ErrorIs(t, attempt(2, 1).CommitTask(ctx), committer.ErrTaskCommitted)
			require.NoError(t, attempt(3, 0).CommitTask(ctx))
			require.NoError(t, j.CommitJob(ctx))

			var keys, want []string
			for obj, err := range st.ListObjects(ctx, "events/") {
				require.NoError(t, err)
				keys = append(keys, obj.Key)
			}
			for task := range 4 {
				for day := range 3 {
					want = append(want, fmt.Sprintf("events/dt=2026-11-%02d/part-%05d-mem-1%s", day+1, task, formatExts[format]))
				}
			}
			want = append(want, "events/_SUCCESS")
			sort.Strings(want)
			assert.Equal(t, want, keys)

			require.NoError(t, r.verifyIn(ctx, st), stdout.String())
			assert.Contains(t, stdout.String(), "files: 12, records: 500, expected: 500\n")
			assert.Contains(t, stdout.String(), "exactly once: ok\n")

			// Every event's fields, as a reader of the files sees them.
			var got []outputRecord
			for _, key := range keys[1:] { // after _SUCCESS
				if format == formatParquet {
					rc, _, err := st.GetObject(ctx, key)
					require.NoError(t, err)
					got = append(got, parquetRecords(t, key, rc)...)
					require.NoError(t, rc.Close())
					continue
				}
				_, err := readOutput(ctx, st, key, func(rec record) {
					got = append(got, outputRecord{Key: key, Line: string(rec.Line), ID: rec.ID, TS: rec.TS.Format(time.RFC3339)})
				})
				require.NoError(t, err)
			}
			assertExactlyOnce(t, syntheticWant(7, 500, 3), got)
		})
	}
}

// shardIDs returns the IDs of the events of task index.
func shardIDs(t *testing.T, c *config, index int) []string {
	t.Helper()
	var ids []string
	for rec, err := range c.shard(index) {
		require.NoError(t, err)
		ids = append(ids, rec.ID)
	}
	return ids
}

// TestReadOutputUnknownName: a listed file whose name is of no format of
// the job is an error, without a request to the store.
func TestReadOutputUnknownName(t *testing.T) {
	st := memstore.New("lake")
	_, err := readOutput(t.Context(), st, "events/dt=2026-11-01/part-00000.csv", func(record) {})
	require.Error(t, err)
	assert.Equal(t, "not a file of the job: its name ends in neither .snappy.parquet nor .jsonl.gz", err.Error())
	_, err = readOutput(t.Context(), st, "events/dt=2026-11-01/part-00000.snappy.parquet", func(record) {})
	require.Error(t, err, "no such object")
}

// readerRow is a row of the job's Parquet files as a reader declares it
// from their documented columns, apart from the job's own eventRow.
type readerRow struct {
	ID    string    `parquet:"id"`
	TS    time.Time `parquet:"ts,timestamp(microsecond:utc)"`
	User  *string   `parquet:"user,optional"`
	Kind  *string   `parquet:"kind,optional"`
	Value *int64    `parquet:"value,optional"`
	Extra *string   `parquet:"extra,optional,json"`
}

// parquetRecords reads the Parquet file key from r as records of the
// test: each row's columns, and the fields of extra, as one JSON object.
func parquetRecords(t *testing.T, key string, r io.Reader) []outputRecord {
	t.Helper()
	data, err := io.ReadAll(r)
	require.NoError(t, err)
	rows, err := parquet.Read[readerRow](bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err, key)
	out := make([]outputRecord, 0, len(rows))
	for _, row := range rows {
		fields := map[string]any{}
		if row.Extra != nil {
			require.NoError(t, json.Unmarshal([]byte(*row.Extra), &fields), "%s: extra of %s", key, row.ID)
		}
		ts := row.TS.UTC().Format(time.RFC3339Nano)
		fields["id"], fields["ts"] = row.ID, ts
		if row.User != nil {
			fields["user"] = *row.User
		}
		if row.Kind != nil {
			fields["kind"] = *row.Kind
		}
		if row.Value != nil {
			fields["value"] = *row.Value
		}
		line, err := json.Marshal(fields)
		require.NoError(t, err)
		out = append(out, outputRecord{Key: key, Line: string(line), ID: row.ID, TS: ts})
	}
	return out
}
