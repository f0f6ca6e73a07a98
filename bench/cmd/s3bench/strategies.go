package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3commit/s3commit/bench/internal/results"
	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/awsstore"
	"github.com/s3commit/s3commit/staging"
)

// strategyNames lists the strategies in run order.
var strategyNames = []string{results.StrategyStaging, results.StrategyDirect, results.StrategyRename}

// params is what one measurement runs: a workload with one strategy and
// its settings.
type params struct {
	strategy          string
	workload          workload
	tasks             int
	uploadConcurrency int
	commitConcurrency int
	partSize          int64
	// home is where the staging strategy keeps its staging dir
	// (results.StagingHomeFS or StagingHomeStore); "" for the other
	// strategies.
	home string
	// checksums is what the staging strategy does with the checksums of
	// the parts and files (results.ChecksumsVerified, ChecksumsRecordOnly
	// or ChecksumsOff); "" for the other strategies.
	checksums string
	// deferredPutThreshold is the staging strategy's
	// staging.Options.DeferredPutThreshold: files of at most that many
	// bytes are written at job commit (0: none).
	deferredPutThreshold int64
	// uploadAtClose is the staging strategy's staging.Options.UploadAtClose:
	// each file starts uploading when it is closed.
	uploadAtClose bool
	// telemetry is the OpenTelemetry providers the staging strategy's
	// committer is given (results.TelemetryNone, TelemetryNoop or
	// TelemetrySDK); "" is none.
	telemetry string
	// dest is the key prefix of the output; work is a local directory of
	// its own.
	dest string
	work string
	// traceDir, when not empty, is where each repetition's requests are
	// written (see writeTrace), as <base of dest>.csv.
	traceDir string
}

// label names the strategy of p, with the staging home when it is the
// store, the checksum mode when it is not the default, -deferred when it
// defers PUTs to the job commit, -atclose when it uploads at close and
// -otel-<setting> when it is given OpenTelemetry providers:
// staging, staging-store, staging-nochecksum, staging-store-nochecksum,
// staging-checksum-record-only, staging-deferred, staging-atclose,
// staging-otel-noop, staging-otel-sdk, direct, rename.
func (p params) label() string {
	l := p.strategy
	if p.home == results.StagingHomeStore {
		l += "-" + p.home
	}
	switch p.checksums {
	case results.ChecksumsOff:
		l += "-nochecksum"
	case results.ChecksumsRecordOnly:
		l += "-checksum-record-only"
	}
	if p.deferredPutThreshold > 0 {
		l += "-deferred"
	}
	if p.uploadAtClose {
		l += "-atclose"
	}
	if t := p.telemetryOrNone(); t != results.TelemetryNone {
		l += "-otel-" + t
	}
	return l
}

// telemetryOrNone is p.telemetry, results.TelemetryNone when empty.
func (p params) telemetryOrNone() string {
	if p.telemetry == "" {
		return results.TelemetryNone
	}
	return p.telemetry
}

// checksumModes maps the values of results.SettingChecksums to the
// library's modes.
var checksumModes = map[string]multipart.ChecksumMode{
	results.ChecksumsVerified:   multipart.ChecksumStoreVerified,
	results.ChecksumsRecordOnly: multipart.ChecksumRecordOnly,
	results.ChecksumsOff:        multipart.ChecksumOff,
}

// stagingPrefix is the key prefix of the staging dir of a measurement with
// the store home: beside its destination, not under it (the committer
// refuses a staging dir that overlaps the destination).
func stagingPrefix(dest string) string { return dest + "-staging-dir" }

// execution is one measurement in progress: its phases run in order.
type execution interface {
	// write generates the workload's files locally.
	write(ctx context.Context) error
	// taskCommit makes the tasks' output durable (uploads).
	taskCommit(ctx context.Context) error
	// jobCommit makes the output visible at its final keys.
	jobCommit(ctx context.Context) error
	// lastClose is when write closed the last file.
	lastClose() time.Time
}

// newExecution returns the execution of p.strategy on t.
func newExecution(t *target, p params) (execution, error) {
	switch p.strategy {
	case results.StrategyStaging:
		return newStagingExecution(t, p)
	case results.StrategyDirect:
		return &uploadExecution{t: t, p: p, prefix: p.dest}, nil
	case results.StrategyRename:
		return &renameExecution{uploadExecution{t: t, p: p, prefix: p.dest + "/_temporary/0"}}, nil
	}
	return nil, fmt.Errorf("unknown strategy %q: want staging, direct or rename", p.strategy)
}

// parallel runs f(i) for i in [0, n) on up to limit goroutines and joins
// the errors.
func parallel(ctx context.Context, n, limit int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, max(limit, 1))
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := f(ctx, i); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				cancel()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// stagingExecution commits through s3commit's staging committer.
type stagingExecution struct {
	p      params
	tel    *telemetry
	c      *staging.Committer
	job    committer.Job
	tasks  []committer.TaskAttempt
	closed time.Time
}

func newStagingExecution(t *target, p params) (*stagingExecution, error) {
	mode := committer.ModeDirectory
	if p.workload.partitions > 0 {
		mode = committer.ModePartitioned
	}
	// The committer retries its store calls in one layer
	// (multipart.RetryingStore): its client makes one attempt per request,
	// as awsstore.New's do, while the upload manager's strategies keep the
	// SDK's retries, their only layer.
	client := s3.New(t.client.Options(), func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	store := awsstore.NewFromClient(client, t.bucket, awsstore.Options{})
	// The filesystem home is a local directory; the store home a prefix of
	// the output's bucket, reached through the same store (no
	// StagingStore), as a job that keeps its staging dir beside its output
	// configures it.
	stagingDir := filepath.Join(p.work, "staging")
	if p.home == results.StagingHomeStore {
		stagingDir = "s3://" + t.bucket + "/" + stagingPrefix(p.dest)
	}
	tel, err := newTelemetry(p.telemetryOrNone())
	if err != nil {
		return nil, err
	}
	checksums, known := checksumModes[p.checksums]
	if !known && p.checksums != "" {
		return nil, fmt.Errorf("unknown checksum mode %q", p.checksums)
	}
	c, err := staging.New(store, staging.Options{
		StagingDir:        stagingDir,
		BufferDir:         filepath.Join(p.work, "buffer"),
		Destination:       p.dest,
		Mode:              mode,
		PartSize:          p.partSize,
		UploadConcurrency: p.uploadConcurrency,
		CommitConcurrency: p.commitConcurrency,
		Checksums:         checksums,
		// The buffer dir is the driver's too: the job commit runs in
		// this process.
		DeferredPutThreshold: p.deferredPutThreshold,
		UploadAtClose:        p.uploadAtClose,
		MeterProvider:        tel.meters,
		TracerProvider:       tel.tracers,
	})
	if err != nil {
		return nil, fmt.Errorf("staging committer: %w", err)
	}
	return &stagingExecution{p: p, c: c, tel: tel}, nil
}

func (e *stagingExecution) write(ctx context.Context) error {
	job, err := e.c.SetupJob(ctx, "bench-"+randomHex(4))
	if err != nil {
		return fmt.Errorf("setup job: %w", err)
	}
	e.job = job
	split := taskFiles(e.p.workload, e.p.tasks)
	e.tasks = make([]committer.TaskAttempt, len(split))
	for i := range split {
		ta, err := job.SetupTask(ctx, fmt.Sprintf("task-%04d", i), 0)
		if err != nil {
			return fmt.Errorf("setup task %d: %w", i, err)
		}
		e.tasks[i] = ta
	}
	e.closed, err = writeTasks(ctx, e.p.workload, split, func(i, n int) (io.WriteCloser, string, error) {
		rel := e.p.workload.relPath(n)
		f, err := e.tasks[i].Create(rel)
		if err != nil {
			return nil, "", fmt.Errorf("task %d: %w", i, err)
		}
		return f, fmt.Sprintf("task %d: %s", i, rel), nil
	})
	return err
}

func (e *stagingExecution) lastClose() time.Time { return e.closed }

func (e *stagingExecution) taskCommit(ctx context.Context) error {
	return parallel(ctx, len(e.tasks), len(e.tasks), func(ctx context.Context, i int) error {
		if err := e.tasks[i].CommitTask(ctx); err != nil {
			return fmt.Errorf("commit task %d: %w", i, err)
		}
		return nil
	})
}

func (e *stagingExecution) jobCommit(ctx context.Context) error {
	if err := e.job.CommitJob(ctx); err != nil {
		return fmt.Errorf("commit job: %w", err)
	}
	return e.tel.finish(ctx)
}

// uploadExecution uploads each file with the SDK's upload manager under
// prefix: straight to the final keys for the direct strategy.
type uploadExecution struct {
	t      *target
	p      params
	prefix string
	split  [][]int
	closed time.Time
}

// taskDir is where the files of task i are written.
func (e *uploadExecution) taskDir(task int) string {
	return filepath.Join(e.p.work, "local", fmt.Sprintf("task-%04d", task))
}

// localPath is where file n of task i is written.
func (e *uploadExecution) localPath(task, n int) string {
	return filepath.Join(e.taskDir(task), filepath.FromSlash(e.p.workload.relPath(n)))
}

func (e *uploadExecution) write(ctx context.Context) error {
	e.split = taskFiles(e.p.workload, e.p.tasks)
	var err error
	e.closed, err = writeTasks(ctx, e.p.workload, e.split, func(i, n int) (io.WriteCloser, string, error) {
		f, err := createLocal(filepath.Dir(e.localPath(i, n)), filepath.Base(e.localPath(i, n)))
		if err != nil {
			return nil, "", err
		}
		return f, f.Name(), nil
	})
	return err
}

func (e *uploadExecution) lastClose() time.Time { return e.closed }

// taskCommit uploads every task's files, the tasks in parallel and up to
// uploadConcurrency files of a task at a time. Each local file is removed
// once it is uploaded, and a task's directory once all of them are, as a
// job that writes through a local buffer does: staging's task commit
// removes the attempt's files too, and unlinking a large file takes
// seconds on some file systems (ext4 mounted with discard), so leaving it
// out would time the strategies unequally.
func (e *uploadExecution) taskCommit(ctx context.Context) error {
	// The issue names feature/s3/manager: the upload path users have today.
	//lint:ignore SA1019 the direct baseline is the upload manager users have
	up := manager.NewUploader(e.t.client, func(u *manager.Uploader) {
		u.PartSize = e.p.partSize
		u.Concurrency = e.p.uploadConcurrency
	})
	return parallel(ctx, len(e.split), len(e.split), func(ctx context.Context, i int) error {
		files := e.split[i]
		err := parallel(ctx, len(files), e.p.uploadConcurrency, func(ctx context.Context, j int) error {
			n := files[j]
			local := e.localPath(i, n)
			f, err := os.Open(local)
			if err != nil {
				return fmt.Errorf("upload: %w", err)
			}
			defer f.Close()
			key := path.Join(e.prefix, e.p.workload.relPath(n))
			//lint:ignore SA1019 the direct baseline is the upload manager users have
			if _, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String(e.t.bucket), Key: aws.String(key), Body: f}); err != nil {
				return fmt.Errorf("upload %s: %w", key, err)
			}
			if err := os.Remove(local); err != nil {
				return fmt.Errorf("remove the uploaded %s: %w", local, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := os.RemoveAll(e.taskDir(i)); err != nil {
			return fmt.Errorf("remove the uploaded files: %w", err)
		}
		return nil
	})
}

// jobCommit writes an empty _SUCCESS marker, as a job without a committer
// does.
func (e *uploadExecution) jobCommit(ctx context.Context) error {
	return putMarker(ctx, e.t, e.p.dest)
}

// putMarker writes an empty dest/_SUCCESS.
func putMarker(ctx context.Context, t *target, dest string) error {
	key := dest + "/" + staging.SuccessMarker
	if _, err := t.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(t.bucket), Key: aws.String(key)}); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// deletePrefix deletes every object under prefix+"/".
func deletePrefix(ctx context.Context, t *target, prefix string) error {
	p := s3.NewListObjectsV2Paginator(t.client, listInput(t, prefix))
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list %s: %w", prefix, err)
		}
		keys := make([]string, 0, len(page.Contents))
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
		if err := deleteKeys(ctx, t, keys); err != nil {
			return err
		}
	}
	return nil
}

// listInput lists the objects under prefix+"/".
func listInput(t *target, prefix string) *s3.ListObjectsV2Input {
	return &s3.ListObjectsV2Input{Bucket: aws.String(t.bucket), Prefix: aws.String(prefix + "/")}
}

// deleteKeys deletes keys with DeleteObjects, 1,000 at a time.
func deleteKeys(ctx context.Context, t *target, keys []string) error {
	for len(keys) > 0 {
		n := min(len(keys), 1000)
		ids := make([]types.ObjectIdentifier, n)
		for i, k := range keys[:n] {
			ids[i] = types.ObjectIdentifier{Key: aws.String(k)}
		}
		out, err := t.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: aws.String(t.bucket),
			Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		})
		if err != nil {
			return fmt.Errorf("delete objects: %w", err)
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return fmt.Errorf("delete %s: %s %s", aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message))
		}
		keys = keys[n:]
	}
	return nil
}
