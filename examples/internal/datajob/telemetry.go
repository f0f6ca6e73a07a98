package datajob

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// tracerName is the instrumentation scope of the job's own spans.
const tracerName = "github.com/s3commit/s3commit/examples/datajob"

// telemetryConfig holds the telemetry flags.
type telemetryConfig struct {
	// metricsAddr serves /metrics there while the process runs.
	metricsAddr string
	// metricsFile receives the Prometheus text format of the metrics
	// when the process ends.
	metricsFile string
	// traceFile receives the spans, one JSON object per line ("-" for
	// stderr).
	traceFile string
}

// addTelemetryFlags adds the telemetry flags to fs.
func (c *config) addTelemetryFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.tel.metricsAddr, "metrics-addr", "", "serve the committer's OpenTelemetry metrics on http://ADDR/metrics (Prometheus) while the process runs, e.g. :9464")
	fs.StringVar(&c.tel.metricsFile, "metrics-file", "", "write the metrics in Prometheus text format to this file when the process ends "+
		"(as the node exporter's textfile collector reads); run gives each task process its own file, FILE with .<task>_<attempt> inserted before .prom")
	fs.StringVar(&c.tel.traceFile, "trace", "", "append the job's OpenTelemetry spans to this file, one JSON object per line (- for stderr); "+
		"run passes it and the trace context (TRACEPARENT) to its task processes, so the job is one trace")
}

// telemetryArgs are the telemetry flags of the worker process running
// attempt of task index.
func (c *config) telemetryArgs(index, attempt int) []string {
	var args []string
	if c.tel.metricsFile != "" {
		args = append(args, "--metrics-file", taskMetricsFile(c.tel.metricsFile, taskID(index), attempt))
	}
	if c.tel.traceFile != "" {
		args = append(args, "--trace", c.tel.traceFile)
	}
	return args
}

// taskMetricsFile inserts ".<task>_<attempt>" before the extension of
// file: metrics.prom → metrics.task-00001_0.prom.
func taskMetricsFile(file, task string, attempt int) string {
	ext := filepath.Ext(file)
	return strings.TrimSuffix(file, ext) + "." + task + "_" + strconv.Itoa(attempt) + ext
}

// telemetry is the process's OpenTelemetry setup: no-op providers unless
// a telemetry flag asks for metrics or traces.
type telemetry struct {
	mp     metric.MeterProvider
	tp     trace.TracerProvider
	finish []func(context.Context) error
}

// traceEnv is the environment variable carrying the W3C trace context to
// a task process (the OpenTelemetry convention for environment carriers).
const traceEnv = "TRACEPARENT"

// startTelemetry sets up the providers the flags ask for and starts the
// subcommand's span, a child of the trace context in $TRACEPARENT when a
// driver started this process. stop ends the span with the subcommand's
// error, writes the metrics file, and shuts the providers down.
func (r *runner) startTelemetry(ctx context.Context) (_ context.Context, stop func(error) error, err error) {
	t := &telemetry{mp: metricnoop.NewMeterProvider(), tp: tracenoop.NewTracerProvider()}
	r.tel = t
	if tc := r.c.tel; tc.metricsAddr != "" || tc.metricsFile != "" {
		if err := t.startMetrics(tc, r); err != nil {
			return ctx, nil, err
		}
	}
	if r.c.tel.traceFile != "" {
		if err := t.startTraces(r.c.tel.traceFile, r); err != nil {
			return ctx, nil, errors.Join(err, t.shutdown(ctx))
		}
	}
	if v := os.Getenv(traceEnv); v != "" {
		ctx = propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{"traceparent": v})
	}
	ctx, span := t.tp.Tracer(tracerName).Start(ctx, "datajob "+r.c.sub,
		trace.WithAttributes(attribute.String("s3commit.job.id", r.c.jobID), attribute.String("s3commit.destination", r.c.dest)))
	return ctx, func(err error) error {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
		return t.shutdown(context.WithoutCancel(ctx))
	}, nil
}

// startMetrics makes a meter provider whose metrics a Prometheus registry
// of its own gathers, served on --metrics-addr and written to
// --metrics-file at the end.
func (t *telemetry) startMetrics(tc telemetryConfig, r *runner) error {
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo())
	if err != nil {
		return fmt.Errorf("set up the Prometheus exporter: %w", err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	t.mp = mp
	t.finish = append(t.finish, mp.Shutdown)
	if tc.metricsFile != "" {
		// Runs before the shutdown above (finish runs in reverse).
		t.finish = append(t.finish, func(context.Context) error {
			if err := prometheus.WriteToTextfile(tc.metricsFile, reg); err != nil {
				return fmt.Errorf("write --metrics-file: %w", err)
			}
			return nil
		})
	}
	if tc.metricsAddr != "" {
		ln, err := net.Listen("tcp", tc.metricsAddr)
		if err != nil {
			return fmt.Errorf("--metrics-addr %s: %w", tc.metricsAddr, err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		fmt.Fprintf(r.stderr, "metrics on http://%s/metrics\n", ln.Addr())
		t.finish = append(t.finish, func(ctx context.Context) error { return srv.Close() })
	}
	return nil
}

// startTraces makes a tracer provider that writes each span when it ends,
// so that a process killed in the middle of its work leaves the spans it
// finished.
func (t *telemetry) startTraces(file string, r *runner) error {
	w := r.stderr
	if file != "-" {
		f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("--trace: %w", err)
		}
		t.finish = append(t.finish, func(context.Context) error { return f.Close() })
		w = f
	}
	exp, err := stdouttrace.New(stdouttrace.WithWriter(w))
	if err != nil {
		return fmt.Errorf("set up the trace exporter: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.tp = tp
	t.finish = append(t.finish, tp.Shutdown)
	return nil
}

// shutdown runs the finishing steps in reverse order.
func (t *telemetry) shutdown(ctx context.Context) error {
	var errs []error
	for i := len(t.finish) - 1; i >= 0; i-- {
		errs = append(errs, t.finish[i](ctx))
	}
	t.finish = nil
	return errors.Join(errs...)
}

// taskEnv returns the environment of a task process: this one's, with the
// trace context of ctx.
func taskEnv(ctx context.Context) []string {
	carrier := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, carrier)
	env := os.Environ()
	if v := carrier.Get("traceparent"); v != "" {
		env = append(env, traceEnv+"="+v)
	}
	return env
}

// startAttempt starts the driver's span of one attempt of a task, the
// parent of the task process's spans.
func (r *runner) startAttempt(ctx context.Context, index, attempt int) (context.Context, trace.Span) {
	tp := r.tracerProvider()
	if tp == nil {
		tp = tracenoop.NewTracerProvider()
	}
	return tp.Tracer(tracerName).Start(ctx, fmt.Sprintf("task %d attempt %d", index, attempt),
		trace.WithAttributes(attribute.String("s3commit.task.id", taskID(index)), attribute.Int("s3commit.task.attempt", attempt)))
}

// endAttempt ends the span of an attempt with its outcome ("" when it
// succeeded).
func endAttempt(span trace.Span, outcome string) {
	if outcome != "" {
		span.SetStatus(codes.Error, outcome)
	}
	span.End()
}

// meterProvider is the committer's meter provider: nil (the global one,
// a no-op) unless a flag asks for metrics.
func (r *runner) meterProvider() metric.MeterProvider {
	if r.tel == nil {
		return nil
	}
	return r.tel.mp
}

// tracerProvider is the committer's tracer provider: nil (the global one,
// a no-op) unless --trace is given.
func (r *runner) tracerProvider() trace.TracerProvider {
	if r.tel == nil {
		return nil
	}
	return r.tel.tp
}
