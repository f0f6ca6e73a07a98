package staging_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/staging"
)

// recorded is what the SDK providers of a test collected.
type recorded struct {
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
	mp     *sdkmetric.MeterProvider
	tp     *sdktrace.TracerProvider
}

func newRecorded() *recorded {
	r := &recorded{reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder()}
	r.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader))
	r.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r.spans))
	return r
}

// metrics collects the metrics, by name.
func (r *recorded) metrics(t *testing.T) map[string]metricdata.Aggregation {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, r.reader.Collect(context.Background(), &rm))
	out := make(map[string]metricdata.Aggregation)
	for _, sm := range rm.ScopeMetrics {
		require.Equal(t, staging.InstrumentationScope, sm.Scope.Name)
		for _, m := range sm.Metrics {
			out[m.Name] = m.Data
		}
	}
	return out
}

// points renders the data points of a counter or the counts of a
// histogram as "attr=value,… → n", sorted.
func points(t *testing.T, data metricdata.Aggregation) []string {
	t.Helper()
	var out []string
	render := func(set attribute.Set, n int64) {
		var attrs []string
		for _, kv := range set.ToSlice() {
			attrs = append(attrs, string(kv.Key)+"="+kv.Value.String())
		}
		out = append(out, fmt.Sprintf("%s → %d", strings.Join(attrs, ","), n))
	}
	switch d := data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			render(p.Attributes, p.Value)
		}
	case metricdata.Histogram[float64]:
		for _, p := range d.DataPoints {
			render(p.Attributes, int64(p.Count))
		}
	default:
		t.Fatalf("unexpected aggregation %T", data)
	}
	sort.Strings(out)
	return out
}

// spanTree renders the ended spans below root as an indented tree: the
// root's children in the order they started, the children of any other
// span sorted by name, those alike (same name and status, no children)
// counted, since they run in parallel.
func spanTree(spans []sdktrace.ReadOnlySpan, root trace.SpanID) string {
	children := make(map[trace.SpanID][]sdktrace.ReadOnlySpan)
	for _, s := range spans {
		children[s.Parent().SpanID()] = append(children[s.Parent().SpanID()], s)
	}
	label := func(s sdktrace.ReadOnlySpan) string {
		l := s.Name()
		for _, kv := range s.Attributes() {
			switch kv.Key {
			case "s3commit.task.id":
				l += " " + kv.Value.String()
			case "s3commit.task.attempt":
				l += "/" + kv.Value.String()
			}
		}
		if s.Status().Code == codes.Error {
			for _, kv := range s.Attributes() {
				if kv.Key == "error.type" {
					l += " [error " + kv.Value.String() + "]"
				}
			}
		}
		return l
	}
	var b strings.Builder
	var walk func(id trace.SpanID, depth int)
	walk = func(id trace.SpanID, depth int) {
		kids := children[id]
		sort.SliceStable(kids, func(i, k int) bool {
			if depth == 0 { // the job's steps, one after the other
				return kids[i].StartTime().Before(kids[k].StartTime())
			}
			return label(kids[i]) < label(kids[k])
		})
		for i := 0; i < len(kids); {
			n := 1
			for i+n < len(kids) && label(kids[i+n]) == label(kids[i]) && len(children[kids[i+n].SpanContext().SpanID()]) == 0 {
				n++
			}
			line := strings.Repeat("  ", depth) + label(kids[i])
			if n > 1 {
				line += fmt.Sprintf(" ×%d", n)
			}
			b.WriteString(line + "\n")
			walk(kids[i].SpanContext().SpanID(), depth+1)
			i += n
		}
	}
	walk(root, 0)
	return b.String()
}

// runRetriedJob runs, under a parent span when tp is not nil, one job of
// two tasks on memstore: task-0 commits two files; task-1's first attempt
// fails (its UploadPart is denied) and its second commits one file. The
// store's first CompleteUpload fails with a 500, which is retried.
func runRetriedJob(t *testing.T, e *env, c *staging.Committer, ctx context.Context) {
	t.Helper()
	e.fault.Add(faultstore.Rule{Op: faultstore.OpUploadPart, Times: 1, Err: multipart.ErrAccessDenied,
		Match: func(call faultstore.Call) bool { return strings.Contains(call.Key, "part-1") }})
	e.fault.Add(faultstore.FailNth(faultstore.OpCompleteUpload, 1, multipart.ErrServer))
	j, err := c.SetupJob(ctx, "job-otel")
	require.NoError(t, err)
	a := writeTask(t, j, "task-0", 0, map[string]string{"part-0a.csv": "0123456789", "part-0b.csv": "abcdefghijklmnopqrst"})
	require.NoError(t, a.CommitTask(ctx))
	a = writeTask(t, j, "task-1", 0, map[string]string{"part-1.csv": strings.Repeat("x", 30)})
	require.ErrorIs(t, a.CommitTask(ctx), multipart.ErrAccessDenied)
	a = writeTask(t, j, "task-1", 1, map[string]string{"part-1.csv": strings.Repeat("y", 30)})
	require.NoError(t, a.CommitTask(ctx))
	require.NoError(t, j.CommitJob(ctx))
	assert.Equal(t, map[string]string{
		e.dest + "/part-0a-job-otel.csv": "0123456789",
		e.dest + "/part-0b-job-otel.csv": "abcdefghijklmnopqrst",
		e.dest + "/part-1-job-otel.csv":  strings.Repeat("y", 30),
	}, withoutSuccess(e.objects(t, e.dest+"/")))
}

func withoutSuccess(objs map[string]string) map[string]string {
	for k := range objs {
		if strings.HasSuffix(k, "/"+staging.SuccessMarker) {
			delete(objs, k)
		}
	}
	return objs
}

func TestTelemetryOfOneJob(t *testing.T) {
	e := newEnv(t)
	rec := newRecorded()
	c := e.committer(t, func(o *staging.Options) {
		o.MeterProvider, o.TracerProvider = rec.mp, rec.tp
	})
	ctx, root := rec.tp.Tracer("test").Start(context.Background(), "job")
	runRetriedJob(t, e, c, ctx)
	root.End()

	m := rec.metrics(t)
	for _, tt := range []struct {
		metric string
		want   []string
	}{
		{"s3commit.task.committed.files", []string{" → 3"}},
		{"s3commit.task.committed.bytes", []string{" → 60"}},
		{"s3commit.job.committed.files", []string{" → 3"}},
		{"s3commit.job.committed.bytes", []string{" → 60"}},
		{"s3commit.jobs.committed", []string{" → 1"}},
		// Four created: two of task-0, one of each attempt of task-1.
		// The failed attempt's upload is aborted by its task commit; the
		// job's cleanup finds it gone.
		{"s3commit.uploads.created", []string{" → 4"}},
		{"s3commit.uploads.completed", []string{" → 3"}},
		{"s3commit.uploads.aborted", []string{" → 1"}},
		{"s3commit.store.retries", []string{"error.type=server,s3commit.store.operation=CompleteUpload → 1"}},
		{"s3commit.store.errors", []string{
			"error.type=access_denied,s3commit.store.operation=UploadPart → 1",
			"error.type=no_such_upload,s3commit.store.operation=AbortUpload → 1",
			"error.type=server,s3commit.store.operation=CompleteUpload → 1",
		}},
		{"s3commit.task.commit.duration", []string{" → 2", "error.type=access_denied → 1"}},
		{"s3commit.job.commit.duration", []string{" → 1"}},
		{"s3commit.phase.duration", []string{
			"error.type=access_denied,s3commit.phase=upload → 1",
			"s3commit.phase=cleanup → 1",
			"s3commit.phase=complete → 1",
			"s3commit.phase=publish → 2",
			"s3commit.phase=upload → 2",
			"s3commit.phase=write _SUCCESS → 1",
		}},
	} {
		t.Run(tt.metric, func(t *testing.T) {
			require.Contains(t, m, tt.metric)
			assert.Equal(t, tt.want, points(t, m[tt.metric]))
		})
	}
	assert.NotContains(t, m, "s3commit.jobs.rolled_back", "no job was rolled back")
	assert.NotContains(t, m, "s3commit.deferred.puts", "no file was deferred")

	spans := rec.spans.Ended()
	assert.Equal(t, `SetupJob
  store.ListObjects
CommitTask task-0/0
  publish
  upload
    store.CreateUpload ×2
    store.UploadPart ×2
CommitTask task-1/0 [error access_denied]
  upload [error access_denied]
    store.AbortUpload
    store.CreateUpload
    store.UploadPart [error access_denied]
CommitTask task-1/1
  publish
  upload
    store.CreateUpload
    store.UploadPart
CommitJob
  cleanup
    store.AbortUpload [error no_such_upload]
  complete
    store.CompleteUpload ×3
    store.CompleteUpload [error server]
  write _SUCCESS
    store.PutObject
`, spanTree(spans, root.SpanContext().SpanID()))

	// The attributes of the API spans, and of the retried request.
	byName := make(map[string][]sdktrace.ReadOnlySpan)
	for _, s := range spans {
		byName[s.Name()] = append(byName[s.Name()], s)
	}
	attrs := func(s sdktrace.ReadOnlySpan) map[string]string {
		out := make(map[string]string)
		for _, kv := range s.Attributes() {
			out[string(kv.Key)] = kv.Value.String()
		}
		return out
	}
	require.Len(t, byName["CommitJob"], 1)
	assert.Equal(t, map[string]string{
		"s3commit.job.id": "job-otel", "s3commit.destination": "s3://lake/warehouse/events",
		"s3commit.mode": "directory", "s3commit.conflict": "fail",
		"s3commit.files": "3", "s3commit.bytes": "60", "s3commit.deferred_files": "0", "s3commit.resumed": "false",
	}, attrs(byName["CommitJob"][0]))
	require.Len(t, byName["CommitTask"], 3)
	last := byName["CommitTask"][2]
	assert.Equal(t, map[string]string{
		"s3commit.job.id": "job-otel", "s3commit.destination": "s3://lake/warehouse/events",
		"s3commit.task.id": "task-1", "s3commit.task.attempt": "1",
		"s3commit.files": "1", "s3commit.bytes": "30", "s3commit.deferred_files": "0",
	}, attrs(last))
	var attempts []string
	for _, s := range byName["store.CompleteUpload"] {
		a := attrs(s)
		assert.Equal(t, trace.SpanKindClient, s.SpanKind())
		assert.True(t, strings.HasPrefix(a["aws.s3.key"], "warehouse/events/part-"), a["aws.s3.key"])
		attempts = append(attempts, a["s3commit.store.attempt"])
	}
	sort.Strings(attempts)
	assert.Equal(t, []string{"1", "1", "1", "2"}, attempts, "the retried completion is its second attempt")
	failed := byName["CommitTask"][1]
	require.Len(t, failed.Events(), 1)
	assert.Equal(t, "exception", failed.Events()[0].Name, "the error is recorded on the span")
	assert.Equal(t, codes.Error, failed.Status().Code)
}

func TestTelemetryWithoutProviders(t *testing.T) {
	for _, tt := range []struct {
		name string
		mod  func(*staging.Options)
	}{
		{"none given: the global no-op providers", nil},
		{"explicit no-op providers", func(o *staging.Options) {
			o.MeterProvider, o.TracerProvider = metricnoop.NewMeterProvider(), tracenoop.NewTracerProvider()
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// Providers that nothing hands to the committer: they must
			// see nothing.
			rec := newRecorded()
			e := newEnv(t)
			runRetriedJob(t, e, e.committer(t, tt.mod), context.Background())
			var rm metricdata.ResourceMetrics
			require.NoError(t, rec.reader.Collect(context.Background(), &rm))
			assert.Empty(t, rm.ScopeMetrics)
			assert.Empty(t, rec.spans.Ended())
		})
	}
}
