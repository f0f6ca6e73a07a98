package main

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/s3commit/s3commit/bench/internal/results"
)

// telemetry is the OpenTelemetry providers of one measurement of the
// staging strategy (--telemetry): none (nil providers, the committer's
// default), OpenTelemetry's no-op ones, or the SDK's with nothing sent
// anywhere.
type telemetry struct {
	meters  metric.MeterProvider
	tracers trace.TracerProvider
	// reader and sdkTracers are the SDK's, for finish.
	reader     *sdkmetric.ManualReader
	sdkTracers *sdktrace.TracerProvider
}

// newTelemetry returns the providers of a --telemetry setting.
func newTelemetry(setting string) (*telemetry, error) {
	switch setting {
	case results.TelemetryNone:
		return &telemetry{}, nil
	case results.TelemetryNoop:
		return &telemetry{meters: metricnoop.NewMeterProvider(), tracers: tracenoop.NewTracerProvider()}, nil
	case results.TelemetrySDK:
		reader := sdkmetric.NewManualReader()
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(dropSpans{}))
		return &telemetry{meters: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)), tracers: tp,
			reader: reader, sdkTracers: tp}, nil
	}
	return nil, fmt.Errorf("unknown telemetry setting %q: want none, noop or sdk", setting)
}

// finish collects the SDK's metrics once and flushes and stops its
// tracer provider, as a process does when it ends: part of the job
// commit's time and CPU.
func (t *telemetry) finish(ctx context.Context) error {
	if t.reader == nil {
		return nil
	}
	var rm metricdata.ResourceMetrics
	return errors.Join(t.reader.Collect(ctx, &rm), t.sdkTracers.Shutdown(ctx))
}

// dropSpans is a span exporter that drops every span.
type dropSpans struct{}

func (dropSpans) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (dropSpans) Shutdown(context.Context) error                             { return nil }
