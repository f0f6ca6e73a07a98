package readme_test

import (
	"context"
	"fmt"
	"log"
	"path/filepath"
	"strings"

	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/memstore"
	"github.com/s3commit/s3commit/staging"
)

// README: "Metrics and traces: OpenTelemetry".

// newObservedCommitter hands the committer the program's OpenTelemetry
// providers: a meter provider with a Prometheus or OTLP reader, a tracer
// provider with an OTLP exporter, or the SDK's test readers.
func newObservedCommitter(store multipart.Store, dir string, mp metric.MeterProvider, tp trace.TracerProvider) (*staging.Committer, error) {
	return staging.New(store, staging.Options{
		StagingDir:     filepath.Join(dir, "staging"),
		BufferDir:      filepath.Join(dir, "buffer"),
		Destination:    "reports/daily",
		MeterProvider:  mp, // nil: otel.GetMeterProvider()
		TracerProvider: tp, // nil: otel.GetTracerProvider()
	})
}

// A job of one task on memstore with the SDK's in-memory reader and span
// recorder: the job's metrics and its spans, without the store requests.
func Example_newObservedCommitter() {
	ctx := context.Background()
	reader, spans := sdkmetric.NewManualReader(), tracetest.NewSpanRecorder()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	c, err := newObservedCommitter(memstore.New("lake"), tempDir(), mp, tp)
	if err != nil {
		log.Fatal(err)
	}
	job, err := c.SetupJob(ctx, "report-20261122")
	if err != nil {
		log.Fatal(err)
	}
	task, err := job.SetupTask(ctx, "task-0", 0)
	if err != nil {
		log.Fatal(err)
	}
	f, err := task.Create("part-0000.csv")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintln(f, "day,visits\n2026-11-22,1234")
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	if err := task.CommitTask(ctx); err != nil {
		log.Fatal(err)
	}
	if err := job.CommitJob(ctx); err != nil {
		log.Fatal(err)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		log.Fatal(err)
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if sum, ok := m.Data.(metricdata.Sum[int64]); ok && strings.HasPrefix(m.Name, "s3commit.job") {
			fmt.Printf("%s %d\n", m.Name, sum.DataPoints[0].Value)
		}
	}
	for _, s := range spans.Ended() {
		if !strings.HasPrefix(s.Name(), "store.") {
			fmt.Printf("span %s\n", s.Name())
		}
	}
	// Unordered output:
	// s3commit.job.committed.files 1
	// s3commit.job.committed.bytes 27
	// s3commit.jobs.committed 1
	// span SetupJob
	// span upload
	// span publish
	// span CommitTask
	// span complete
	// span write _SUCCESS
	// span cleanup
	// span CommitJob
}
