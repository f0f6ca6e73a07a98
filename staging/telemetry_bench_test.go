package staging

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/memstore"
)

// dropSpans is a span exporter that drops every span.
type dropSpans struct{}

func (dropSpans) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (dropSpans) Shutdown(context.Context) error                             { return nil }

// BenchmarkStoreRequest measures what the telemetry wrapper adds to one
// store request (a HeadObject on memstore, through the retry layer):
// without the wrapper, with no-op providers (what a committer without
// providers runs), and with the SDK's (every span made and dropped).
func BenchmarkStoreRequest(b *testing.B) {
	ctx := context.Background()
	mem := memstore.New("lake")
	if _, err := mem.PutObject(ctx, "k", strings.NewReader("x"), 1, multipart.PutOptions{}); err != nil {
		b.Fatal(err)
	}
	reader := sdkmetric.NewManualReader()
	sdkTracers := sdktrace.NewTracerProvider(sdktrace.WithBatcher(dropSpans{}))
	b.Cleanup(func() { _ = sdkTracers.Shutdown(ctx) })
	for _, bb := range []struct {
		name string
		mp   metric.MeterProvider
		tp   trace.TracerProvider
		wrap bool
	}{
		{"without wrapper", nil, nil, false},
		{"noop", metricnoop.NewMeterProvider(), tracenoop.NewTracerProvider(), true},
		{"sdk", sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)), sdkTracers, true},
	} {
		b.Run(bb.name, func(b *testing.B) {
			var st multipart.Store = mem
			if bb.wrap {
				st = &telemetryStore{inner: mem, t: newTelemetry(&Options{MeterProvider: bb.mp, TracerProvider: bb.tp})}
			}
			st = multipart.NewRetryingStore(st, multipart.RetryPolicy{}, nil)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := st.HeadObject(ctx, "k"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
