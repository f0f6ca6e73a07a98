package staging

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
)

// InstrumentationScope is the name of the OpenTelemetry meter and tracer
// of the staging committer (see [Options.MeterProvider]).
const InstrumentationScope = "github.com/s3commit/s3commit/staging"

// The attribute keys of the committer's spans and metrics. Metrics carry
// only the low-cardinality ones: the store operation, the phase and the
// error type.
const (
	attrJobID       = attribute.Key("s3commit.job.id")
	attrTaskID      = attribute.Key("s3commit.task.id")
	attrAttempt     = attribute.Key("s3commit.task.attempt")
	attrDestination = attribute.Key("s3commit.destination")
	attrMode        = attribute.Key("s3commit.mode")
	attrConflict    = attribute.Key("s3commit.conflict")
	attrFiles       = attribute.Key("s3commit.files")
	attrBytes       = attribute.Key("s3commit.bytes")
	attrDeferred    = attribute.Key("s3commit.deferred_files")
	attrResumed     = attribute.Key("s3commit.resumed")
	attrPhase       = attribute.Key("s3commit.phase")
	attrOperation   = attribute.Key("s3commit.store.operation")
	attrErrorType   = attribute.Key("error.type")
)

// The phases of a commit, as span names and values of s3commit.phase.
const (
	phaseUpload       = "upload"
	phasePublish      = "publish"
	phaseComplete     = "complete"
	phaseDelete       = "delete"
	phaseWriteSuccess = "write _SUCCESS"
	phaseCleanup      = "cleanup"
	phaseRollback     = "rollback"
)

// durationBounds are the bucket boundaries, in seconds, of the duration
// histograms: the OpenTelemetry HTTP ones, extended to the minutes a large
// commit takes.
var durationBounds = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60, 120, 300, 600}

// telemetry holds the committer's OpenTelemetry tracer and instruments.
// With the global providers unset, or no-op providers given, every call
// on it does nothing.
type telemetry struct {
	tracer trace.Tracer

	taskFiles, taskBytes metric.Int64Counter
	jobFiles, jobBytes   metric.Int64Counter
	uploadsCreated       metric.Int64Counter
	uploadsCompleted     metric.Int64Counter
	uploadsAborted       metric.Int64Counter
	deferredPuts         metric.Int64Counter
	jobsCommitted        metric.Int64Counter
	jobsRolledBack       metric.Int64Counter
	storeRetries         metric.Int64Counter
	storeErrors          metric.Int64Counter
	storeDuration        metric.Float64Histogram
	taskDuration         metric.Float64Histogram
	jobDuration          metric.Float64Histogram
	phaseDuration        metric.Float64Histogram

	// ops holds, per store operation, the measurement option of its
	// attribute, and spanNames the name of its requests' spans
	// ("store.<operation>"), made once.
	ops       map[string]metric.MeasurementOption
	spanNames map[string]string
}

// newTelemetry makes the tracer and instruments from the options'
// providers, or the global ones. An instrument the provider refuses is
// reported to the global error handler and replaced by a no-op one, as
// the OpenTelemetry API does.
func newTelemetry(o *Options) *telemetry {
	mp, tp := o.MeterProvider, o.TracerProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	m := mp.Meter(InstrumentationScope)
	t := &telemetry{tracer: tp.Tracer(InstrumentationScope), ops: make(map[string]metric.MeasurementOption),
		spanNames: make(map[string]string)}
	var errs []error
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	histogram := func(name, desc string) metric.Float64Histogram {
		h, err := m.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc),
			metric.WithExplicitBucketBoundaries(durationBounds...))
		errs = append(errs, err)
		return h
	}
	t.taskFiles = counter("s3commit.task.committed.files", "{file}", "Files committed by task commits (uploaded, or deferred to the job commit).")
	t.taskBytes = counter("s3commit.task.committed.bytes", "By", "Bytes of the files committed by task commits.")
	t.jobFiles = counter("s3commit.job.committed.files", "{file}", "Files made visible by job commits.")
	t.jobBytes = counter("s3commit.job.committed.bytes", "By", "Bytes of the files made visible by job commits.")
	t.uploadsCreated = counter("s3commit.uploads.created", "{upload}", "Multipart uploads created, as the store answered.")
	t.uploadsCompleted = counter("s3commit.uploads.completed", "{upload}", "Multipart uploads completed, as the store answered.")
	t.uploadsAborted = counter("s3commit.uploads.aborted", "{upload}", "Multipart uploads aborted, as the store answered.")
	t.deferredPuts = counter("s3commit.deferred.puts", "{file}", "Deferred files written by job commits with one PutObject each.")
	t.jobsCommitted = counter("s3commit.jobs.committed", "{job}", "Jobs committed (their _SUCCESS written).")
	t.jobsRolledBack = counter("s3commit.jobs.rolled_back", "{job}", "Jobs rolled back by AbortJob or by a failed job commit.")
	t.storeRetries = counter("s3commit.store.retries", "{retry}", "Store requests sent again after a transient failure, by operation and the failure's type.")
	t.storeErrors = counter("s3commit.store.errors", "{error}", "Store requests that failed, by operation and error type.")
	t.storeDuration = histogram("s3commit.store.request.duration", "Duration of store requests, each attempt on its own.")
	t.taskDuration = histogram("s3commit.task.commit.duration", "Duration of task commits.")
	t.jobDuration = histogram("s3commit.job.commit.duration", "Duration of job commits.")
	t.phaseDuration = histogram("s3commit.phase.duration", "Duration of the phases of task and job commits.")
	for _, op := range storeOps {
		t.ops[op] = metric.WithAttributeSet(attribute.NewSet(attrOperation.String(op)))
		t.spanNames[op] = "store." + op
	}
	if err := errors.Join(errs...); err != nil {
		otel.Handle(err)
	}
	return t
}

// storeOps are the operations of multipart.Store.
var storeOps = []string{
	"CreateUpload", "UploadPart", "CompleteUpload", "AbortUpload", "ListUploads", "ListParts",
	"PutObject", "GetObject", "HeadObject", "ListObjects", "DeleteObjects",
}

// errorType names the type of err for the error.type attribute: a kind of
// package multipart, a committer error, the end of the context, or
// "_OTHER" (the OpenTelemetry fallback). It has a bounded set of values.
func errorType(err error) string {
	if k := multipart.KindOf(err); k != nil {
		if name, ok := kindNames[k]; ok {
			return name
		}
	}
	for _, e := range errorNames {
		if errors.Is(err, e.err) {
			return e.name
		}
	}
	return "_OTHER"
}

var kindNames = map[error]string{
	multipart.ErrNotFound:           "not_found",
	multipart.ErrNoSuchUpload:       "no_such_upload",
	multipart.ErrPreconditionFailed: "precondition_failed",
	multipart.ErrInvalidPart:        "invalid_part",
	multipart.ErrThrottled:          "throttled",
	multipart.ErrServer:             "server",
	multipart.ErrNetwork:            "network",
	multipart.ErrAccessDenied:       "access_denied",
	multipart.ErrBucketNotFound:     "bucket_not_found",
	multipart.ErrInvalidArgument:    "invalid_argument",
	multipart.ErrChecksumMismatch:   "checksum_mismatch",
}

var errorNames = []struct {
	err  error
	name string
}{
	{context.Canceled, "canceled"},
	{context.DeadlineExceeded, "deadline_exceeded"},
	{committer.ErrTaskCommitted, "task_committed"},
	{committer.ErrJobCommitting, "job_committing"},
	{committer.ErrJobFinished, "job_finished"},
	{committer.ErrJobNotFound, "job_not_found"},
	{committer.ErrJobExists, "job_exists"},
	{committer.ErrDestinationExists, "destination_exists"},
	{committer.ErrAttemptFinished, "attempt_finished"},
	{ErrJobBusy, "job_busy"},
	{ErrPastPointOfNoReturn, "past_point_of_no_return"},
	{ErrFileChanged, "file_changed"},
	{ErrInvalidOptions, "invalid_options"},
}

// jobAttrs are the attributes of a job's spans.
func (j *job) spanAttrs() []attribute.KeyValue {
	return []attribute.KeyValue{
		attrJobID.String(j.rec.JobID),
		attrDestination.String("s3://" + j.rec.Bucket + "/" + j.rec.Destination),
	}
}

// operation is a span of the committer's API (SetupJob, CommitTask,
// CommitJob, AbortJob, AbortTask) or of a phase, and the duration it
// records when it ends.
type operation struct {
	span  trace.Span
	start time.Time
	hist  metric.Float64Histogram // nil: no duration recorded
	opts  []metric.RecordOption
}

// start starts a span named name; attrs are built only when the span
// records.
func (t *telemetry) start(ctx context.Context, name string, attrs func() []attribute.KeyValue) (context.Context, *operation) {
	ctx, span := t.tracer.Start(ctx, name)
	if attrs != nil && span.IsRecording() {
		span.SetAttributes(attrs()...)
	}
	return ctx, &operation{span: span, start: time.Now()}
}

// startPhase starts the span of a phase of a commit, whose duration goes
// to s3commit.phase.duration.
func (t *telemetry) startPhase(ctx context.Context, phase string) (context.Context, *operation) {
	ctx, op := t.start(ctx, phase, nil)
	op.hist = t.phaseDuration
	op.opts = []metric.RecordOption{metric.WithAttributes(attrPhase.String(phase))}
	return ctx, op
}

// end ends the operation with its error: the span's status and the
// duration's error.type.
func (o *operation) end(ctx context.Context, err error) {
	if o.hist != nil {
		opts := o.opts
		if err != nil {
			opts = append(opts[:len(opts):len(opts)], metric.WithAttributes(attrErrorType.String(errorType(err))))
		}
		o.hist.Record(ctx, time.Since(o.start).Seconds(), opts...)
	}
	endSpan(o.span, err)
}

// endSpan records err (if any) on span, with an error status, and ends it.
func endSpan(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		span.SetAttributes(attrErrorType.String(errorType(err)))
	}
	span.End()
}

// setAttributes adds attributes to the span of ctx when it records.
func setAttributes(ctx context.Context, attrs func() []attribute.KeyValue) {
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetAttributes(attrs()...)
	}
}

// startSetupJob starts the span of SetupJob.
func (c *Committer) startSetupJob(ctx context.Context, jobID string) (context.Context, *operation) {
	return c.tel.start(ctx, "SetupJob", func() []attribute.KeyValue {
		return []attribute.KeyValue{
			attrJobID.String(jobID),
			attrDestination.String("s3://" + c.store.Bucket() + "/" + c.opts.Destination),
			attrMode.String(string(c.opts.Mode)),
			attrConflict.String(string(c.opts.Conflict)),
		}
	})
}

// startJob starts the span of a job's CommitJob or AbortJob; CommitJob's
// duration goes to s3commit.job.commit.duration.
func (j *job) startJob(ctx context.Context, name string) (context.Context, *operation) {
	ctx, op := j.c.tel.start(ctx, name, func() []attribute.KeyValue {
		return append(j.spanAttrs(), attrMode.String(string(j.rec.Mode)), attrConflict.String(string(j.rec.Conflict)))
	})
	if name == "CommitJob" {
		op.hist = j.c.tel.jobDuration
	}
	return ctx, op
}

// startAttempt starts the span of an attempt's CommitTask or AbortTask;
// CommitTask's duration goes to s3commit.task.commit.duration.
func (a *taskAttempt) startAttempt(ctx context.Context, name string) (context.Context, *operation) {
	ctx, op := a.j.c.tel.start(ctx, name, func() []attribute.KeyValue {
		return append(a.j.spanAttrs(), attrTaskID.String(a.taskID), attrAttempt.Int(a.attempt))
	})
	if name == "CommitTask" {
		op.hist = a.j.c.tel.taskDuration
	}
	return ctx, op
}

// taskCommitted records the files and bytes of a committed task, on the
// metrics and on the CommitTask span of ctx.
func (a *taskAttempt) taskCommitted(ctx context.Context, files []localFile, deferred int) {
	var size int64
	for _, f := range files {
		size += f.size
	}
	t := a.j.c.tel
	t.taskFiles.Add(ctx, int64(len(files)))
	t.taskBytes.Add(ctx, size)
	setAttributes(ctx, func() []attribute.KeyValue {
		return []attribute.KeyValue{attrFiles.Int(len(files)), attrBytes.Int64(size), attrDeferred.Int(deferred)}
	})
}

// jobCommitted records a committed job, its files and bytes, on the
// metrics and on the CommitJob span of ctx.
func (r *commitRun) jobCommitted(ctx context.Context) {
	out := sizeOf(r.ups, r.deferred)
	t := r.j.c.tel
	t.jobsCommitted.Add(ctx, 1)
	t.jobFiles.Add(ctx, int64(out.files))
	t.jobBytes.Add(ctx, out.bytes)
	setAttributes(ctx, func() []attribute.KeyValue {
		return []attribute.KeyValue{attrFiles.Int(out.files), attrBytes.Int64(out.bytes), attrDeferred.Int(out.deferredFiles), attrResumed.Bool(r.resumed)}
	})
}
