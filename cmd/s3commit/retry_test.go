package main

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestStoreRetriesInOneLayer: against a store that always answers 503, a
// command's store call is sent AWS_MAX_ATTEMPTS times in all: s3commit
// retries it, the SDK does not as well.
func TestStoreRetriesInOneLayer(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`))
	}))
	defer srv.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"uploads", "list", "s3://bkt/p/"}, "request throttled"},
		{[]string{"success", "show", "s3://bkt/p/_SUCCESS"}, "request throttled"},
	} {
		for _, attempts := range []int{1, 3} {
			requests.Store(0)
			res := runCLI(t, cliRun{Args: tc.args, Env: []string{
				"AWS_ENDPOINT_URL=" + srv.URL, "AWS_REGION=us-east-1", envPathStyle + "=true",
				"AWS_ACCESS_KEY_ID=AKID", "AWS_SECRET_ACCESS_KEY=SECRET",
				envMaxAttempts + "=" + strconv.Itoa(attempts),
			}})
			assert.Equal(t, exitError, res.Code, "%v", tc.args)
			assert.Contains(t, res.Stderr, tc.want)
			assert.EqualValues(t, attempts, requests.Load(), "%v with %s=%d", tc.args, envMaxAttempts, attempts)
		}
	}
}
