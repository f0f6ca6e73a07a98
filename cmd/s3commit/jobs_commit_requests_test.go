package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/internal/testserver"
)

// requestLog counts the S3 requests a proxy passed to the server, by
// operation, and the upload listings sent before the first completion.
type requestLog struct {
	mu               sync.Mutex
	listings         int
	completions      int
	listingsBeforeCM int
}

// s3Operation names the multipart operations the test counts.
func s3Operation(r *http.Request) string {
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodGet && q.Has("uploads"):
		return "ListMultipartUploads"
	case r.Method == http.MethodPost && q.Has("uploadId"):
		return "CompleteMultipartUpload"
	}
	return ""
}

// proxy returns the URL of a reverse proxy to target that logs into l.
func (l *requestLog) proxy(t *testing.T, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		switch s3Operation(r) {
		case "ListMultipartUploads":
			l.listings++
			if l.completions == 0 {
				l.listingsBeforeCM++
			}
		case "CompleteMultipartUpload":
			l.completions++
		}
		l.mu.Unlock()
		rp.ServeHTTP(w, r) // the Host header is kept: the signature holds
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// "jobs commit" of a 10,000-file job lists no upload before it commits:
// it reads the job's records, commits, and prints what the commit
// returned, instead of reconciling every key with the store first (one
// listing per key). Counted by a proxy in front of MinIO.
func TestJobsCommitListsNoUploadsBeforeCommitting(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 uploads on MinIO")
	}
	srv := testserver.MinIO(t)
	e := newJobsEnv(t, srv)
	const (
		jobID        = "job-10k"
		tasks        = 10
		filesPerTask = 1000
	)
	ctx := context.Background()
	j, err := e.committer(t, nil).SetupJob(ctx, jobID)
	require.NoError(t, err)
	errs := make(chan error, tasks)
	for i := range tasks {
		files := make(map[string]string, filesPerTask)
		for n := range filesPerTask {
			files[fmt.Sprintf("t%02d/part-%04d.csv", i, n)] = fmt.Sprintf("%d,%d\n", i, n)
		}
		a := writeAttempt(t, j, fmt.Sprintf("task-%02d", i), files)
		go func() { errs <- a.CommitTask(ctx) }()
	}
	for range tasks {
		require.NoError(t, <-errs)
	}

	var log requestLog
	env := serverEnv(srv)
	env = append(env, "AWS_ENDPOINT_URL="+log.proxy(t, srv.Endpoint)) // the last value wins
	res := runCLI(t, cliRun{Args: []string{"jobs", "commit", "--json", e.stagingDir, jobID}, Env: env})
	require.Equal(t, exitOK, res.Code, "stderr: %s", res.Stderr)
	var out jobsCommitJSON
	require.NoError(t, json.Unmarshal([]byte(res.Stdout), &out), res.Stdout)
	assert.Equal(t, tasks*filesPerTask, out.FilesCompleted)
	assert.Zero(t, out.OrphanUploadsAborted)

	log.mu.Lock()
	defer log.mu.Unlock()
	assert.Equal(t, tasks*filesPerTask, log.completions, "completions through the proxy")
	assert.Zero(t, log.listingsBeforeCM, "upload listings before the commit")
	assert.Zero(t, log.listings, "upload listings in all (no orphan to sweep)")
	assert.Equal(t, tasks*filesPerTask+2, len(e.keysUnder(t, e.dest+"/")), "every file, _SUCCESS and its sidecar")
}
