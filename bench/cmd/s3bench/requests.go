package main

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// requestCounter counts requests by S3 operation: a middleware at the end
// of the SDK's finalize step sees every attempt, retries included. A
// request whose key (or listing prefix, or first key of a DeleteObjects)
// lies under the watched prefix — the staging dir in the store of the
// measurement running — is counted apart as well. With tracing on, it
// also keeps every attempt's operation, key, status, start and duration.
type requestCounter struct {
	mu      sync.Mutex
	n       requestCounts
	watch   string // the watched prefix, with its trailing '/'; "" for none
	tracing bool
	trace   []tracedRequest
}

// requestKey is what one count is of: an operation, and whether its key is
// under the watched prefix.
type requestKey struct {
	op      string
	watched bool
}

// requestCounts are counts by requestKey.
type requestCounts map[requestKey]int64

// tracedRequest is one attempt of a request, as the trace keeps it.
type tracedRequest struct {
	op       string
	key      string
	watched  bool
	status   int // HTTP status; 0 when no answer came
	start    time.Time
	duration time.Duration
}

func newRequestCounter() *requestCounter {
	return &requestCounter{n: requestCounts{}}
}

// requestInfo is what the initialize step learns of a request for the
// finalize step: its key and whether it is under the watched prefix.
type requestInfo struct {
	key     string
	watched bool
}

// requestInfoKey is the stack value key of a requestInfo.
type requestInfoKey struct{}

// add installs the counting middlewares on an operation's stack; it is an
// entry of s3.Options.APIOptions. The key is looked at once per operation,
// in the initialize step, which sees the operation's input; the count is
// taken per attempt, in the finalize step.
func (c *requestCounter) add(stack *middleware.Stack) error {
	err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("S3BenchRequestKey",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c.mu.Lock()
			watch := c.watch
			c.mu.Unlock()
			key := inputKey(in.Parameters)
			info := requestInfo{key: key, watched: watch != "" && strings.HasPrefix(key, watch)}
			return next.HandleInitialize(middleware.WithStackValue(ctx, requestInfoKey{}, info), in)
		}), middleware.Before)
	if err != nil {
		return err
	}
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("S3BenchCountRequests",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			op := middleware.GetOperationName(ctx)
			if op == "" {
				op = "Unknown"
			}
			info, _ := middleware.GetStackValue(ctx, requestInfoKey{}).(requestInfo)
			start := time.Now()
			out, md, err := next.HandleFinalize(ctx, in)
			end := time.Now()
			c.mu.Lock()
			defer c.mu.Unlock()
			c.n[requestKey{op: op, watched: info.watched}]++
			if c.tracing {
				tr := tracedRequest{op: op, key: info.key, watched: info.watched, start: start, duration: end.Sub(start)}
				if resp, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok && resp != nil {
					tr.status = resp.StatusCode
				} else if re, ok := asResponseError(err); ok {
					tr.status = re
				}
				c.trace = append(c.trace, tr)
			}
			return out, md, err
		}), middleware.After)
}

// asResponseError returns the HTTP status of an error that carries one.
func asResponseError(err error) (int, bool) {
	type statusCoder interface{ HTTPStatusCode() int }
	for e := err; e != nil; {
		if sc, ok := e.(statusCoder); ok {
			return sc.HTTPStatusCode(), true
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return 0, false
		}
		e = u.Unwrap()
	}
	return 0, false
}

// inputKey returns the object key an S3 operation's input names: its Key,
// else its Prefix (listings), else the first key of a DeleteObjects; ""
// when it names none.
func inputKey(params any) string {
	if d, ok := params.(*s3.DeleteObjectsInput); ok {
		if d.Delete != nil && len(d.Delete.Objects) > 0 {
			return aws.ToString(d.Delete.Objects[0].Key)
		}
		return ""
	}
	v := reflect.ValueOf(params)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return ""
	}
	for _, name := range []string{"Key", "Prefix"} {
		if f := v.Elem().FieldByName(name); f.IsValid() {
			if s, ok := f.Interface().(*string); ok && s != nil {
				return *s
			}
		}
	}
	return ""
}

// watchPrefix counts the requests under prefix apart from now on; ""
// stops it.
func (c *requestCounter) watchPrefix(prefix string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.watch = ""
	if prefix != "" {
		c.watch = strings.TrimSuffix(prefix, "/") + "/"
	}
}

// setTracing turns the trace on or off; turning it on empties it.
func (c *requestCounter) setTracing(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tracing, c.trace = on, nil
}

// take returns the counts since the last take and resets them.
func (c *requestCounter) take() requestCounts {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = requestCounts{}
	return n
}

// takeTrace returns the traced requests since the last takeTrace, in the
// order they ended, and empties the trace.
func (c *requestCounter) takeTrace() []tracedRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	tr := c.trace
	c.trace = nil
	return tr
}

// byOperation returns every count by operation.
func (n requestCounts) byOperation() map[string]int64 {
	out := map[string]int64{}
	for k, v := range n {
		out[k.op] += v
	}
	return out
}

// watched returns the counts of the requests under the watched prefix by
// operation, nil when there were none.
func (n requestCounts) watched() map[string]int64 {
	var out map[string]int64
	for k, v := range n {
		if k.watched {
			if out == nil {
				out = map[string]int64{}
			}
			out[k.op] += v
		}
	}
	return out
}

// tracePhase is the trace of one phase of a measurement.
type tracePhase struct {
	name  string
	start time.Time
	reqs  []tracedRequest
}

// writeTrace writes the traced requests of a measurement's phases to path
// as gzipped CSV, one attempt a line in the order they started: the phase, the
// start and the duration in milliseconds (the start counted from the
// phase's), the operation, the HTTP status, whether the key lies in the
// staging dir in the store, and the key (relative to the staging dir or
// to dest, the output prefix, where it lies in one).
func writeTrace(path, dest, stagingDir string, phases []tracePhase) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("request trace: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("request trace: %w", err)
	}
	zw := gzip.NewWriter(f)
	w := csv.NewWriter(zw)
	_ = w.Write([]string{"phase", "start_ms", "duration_ms", "operation", "status", "staging_dir", "key"})
	for _, ph := range phases {
		reqs := append([]tracedRequest(nil), ph.reqs...)
		sortByStart(reqs)
		for _, r := range reqs {
			key := r.key
			for _, p := range []string{stagingDir, dest} {
				if p != "" {
					if rest, ok := strings.CutPrefix(key, p+"/"); ok {
						key = rest
						break
					}
				}
			}
			_ = w.Write([]string{
				ph.name,
				strconv.FormatFloat(float64(r.start.Sub(ph.start).Microseconds())/1000, 'f', 3, 64),
				strconv.FormatFloat(float64(r.duration.Microseconds())/1000, 'f', 3, 64),
				r.op, strconv.Itoa(r.status), strconv.FormatBool(r.watched), key,
			})
		}
	}
	w.Flush()
	err = w.Error()
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("request trace %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("request trace %s: %w", path, err)
	}
	return nil
}

// sortByStart orders traced requests by start time.
func sortByStart(reqs []tracedRequest) {
	slices.SortStableFunc(reqs, func(a, b tracedRequest) int { return a.start.Compare(b.start) })
}
