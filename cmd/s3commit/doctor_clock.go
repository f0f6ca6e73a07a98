package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/s3commit/s3commit/multipart/storekit"
	"github.com/s3commit/s3commit/staging"
)

// committerClockSkew is the clock difference between hosts that the
// staging committer allows for when it compares the store's timestamps
// (an upload's initiation, an object's LastModified) with its own.
const committerClockSkew = staging.ClockSkewAllowance

// clockSamples is how many requests the clock check sends; the one with
// the shortest round trip is used.
const clockSamples = 3

// clockTimeout bounds each request of the clock check.
const clockTimeout = 10 * time.Second

// httpDoer sends an HTTP request: an *http.Client, or the HTTP client of
// the AWS SDK's configuration (which honours AWS_CA_BUNDLE and proxies).
type httpDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// clockProbe is what a plain HTTP request to the store's endpoint told:
// its Date header against this host's clock, and its Server header.
type clockProbe struct {
	// endpoint is the URL asked, without credentials; empty when none was.
	endpoint string
	// server is the Server header of the answer.
	server string
	// answered is true when a request got an answer; dated when an
	// answer had a Date header.
	answered, dated bool
	// skew is the store's clock minus this host's; margin bounds the
	// error of that estimate (the Date header has whole seconds, and
	// half the round trip is not known).
	skew, margin time.Duration
	// err is why the check could not tell.
	err error
}

// probeClock sends clockSamples unauthenticated GET requests to endpoint
// (any answer will do, an error status too: only the headers are read)
// and estimates the store's clock skew from the one with the shortest
// round trip. An empty endpoint gives a probe that knows nothing.
func probeClock(ctx context.Context, client httpDoer, endpoint string) *clockProbe {
	c := &clockProbe{endpoint: storekit.RedactURL(endpoint)}
	if endpoint == "" {
		c.err = fmt.Errorf("no endpoint URL to ask")
		return c
	}
	if client == nil {
		client = &http.Client{Timeout: clockTimeout}
	}
	best := time.Duration(-1)
	for range clockSamples {
		rctx, cancel := context.WithTimeout(ctx, clockTimeout)
		req, err := http.NewRequestWithContext(rctx, http.MethodGet, endpoint, nil)
		if err != nil {
			cancel()
			c.err = fmt.Errorf("GET %s: %w", c.endpoint, err)
			return c
		}
		sent := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			cancel()
			c.err = fmt.Errorf("GET %s: %w", c.endpoint, err)
			return c
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		cancel()
		rtt := time.Since(sent)
		c.answered = true
		if s := resp.Header.Get("Server"); s != "" {
			c.server = s
		}
		date, err := http.ParseTime(resp.Header.Get("Date"))
		if err != nil {
			continue
		}
		if best >= 0 && rtt >= best {
			continue
		}
		best = rtt
		c.dated = true
		// The Date header is truncated to the second, and some servers
		// (versitygw) refresh it once a second: the store's time was in
		// [date, date+2s), taken somewhere in the round trip.
		local := sent.Add(rtt / 2)
		c.skew = date.Add(time.Second).Sub(local)
		c.margin = time.Second + rtt/2
	}
	if !c.dated {
		c.err = fmt.Errorf("the answers of %s carry no Date header", c.endpoint)
	}
	return c
}

// skewRow is the clock_skew row.
func (c *clockProbe) skewRow() doctorRow {
	row := doctorRow{ID: "clock_skew", Check: "clock skew to the store (HTTP Date)"}
	allowance := fmt.Sprintf("the committer allows %v between this host's clock and the store's (staging.ClockSkewAllowance)", committerClockSkew)
	if !c.dated {
		row.Result, row.Verdict = fmt.Sprintf("unknown: %v", c.err), verdictUnknown
		row.S3commit = allowance + "; check the clocks by other means (NTP)"
		return row
	}
	abs := c.skew
	if abs < 0 {
		abs = -abs
	}
	switch {
	case abs <= c.margin:
		row.Result = fmt.Sprintf("the same to within %s (Date has whole seconds)", roundSeconds(c.margin))
	case c.skew > 0:
		row.Result = fmt.Sprintf("the store is %s ahead (±%s)", roundSeconds(abs), roundSeconds(c.margin))
	default:
		row.Result = fmt.Sprintf("the store is %s behind (±%s)", roundSeconds(abs), roundSeconds(c.margin))
	}
	switch {
	case abs+c.margin <= committerClockSkew/2:
		row.Verdict, row.S3commit = verdictWorks, allowance+" when it compares upload and object times with its own"
	case abs <= committerClockSkew:
		row.Verdict = verdictCost
		row.S3commit = allowance + ": this is close to it; sync this host's clock (NTP) before it grows"
	default:
		row.Verdict = verdictUnsafe
		row.S3commit = allowance + ": beyond it, uploads may be taken for older or newer than their job " +
			"and objects of stores without MD5 ETags misjudged; sync this host's clock (NTP)"
	}
	return row
}

// roundSeconds formats d in seconds with one decimal.
func roundSeconds(d time.Duration) string {
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// minioStaleUploadsExpiry is how long MinIO keeps an uncompleted upload
// by default (MINIO_API_STALE_UPLOADS_EXPIRY).
const minioStaleUploadsExpiry = 24 * time.Hour

// expiryRow is the upload_expiry row: how long the store keeps
// uncompleted uploads, where its Server header tells.
func (c *clockProbe) expiryRow() doctorRow {
	row := doctorRow{ID: "upload_expiry", Check: "how long uncompleted uploads are kept"}
	server := strings.ToLower(c.server)
	switch {
	case strings.Contains(server, "minio"):
		row.Result = fmt.Sprintf("MinIO (Server: %s): %d h by default (MINIO_API_STALE_UPLOADS_EXPIRY; its setting is not visible to clients)",
			c.server, int(minioStaleUploadsExpiry.Hours()))
		row.Verdict = verdictCost
		row.S3commit = "a job must be committed within 24 h of its first task commit, or its uploads are gone (NoSuchUpload) and it must be written again; " +
			"'jobs list' warns from 20 h; raise MINIO_API_STALE_UPLOADS_EXPIRY on the server for longer jobs"
	case server == "amazons3":
		row.Result = "AWS S3 (Server: AmazonS3): until completed or aborted, unless a lifecycle rule aborts them (next row)"
		row.Verdict = verdictWorks
		row.S3commit = "a job's uploads wait for its commit as long as it takes; uploads of killed attempts cost storage until the job's commit or abort, or 'uploads abort', removes them"
	case server == "versitygw":
		row.Result = "versitygw (Server: VERSITYGW): until completed or aborted with the posix backend (v1.8.0 expires no uploads); other backends keep what their store keeps"
		row.Verdict = verdictWorks
		row.S3commit = "a job's uploads wait for its commit as long as it takes; uploads of killed attempts cost storage until the job's commit or abort, or 'uploads abort', removes them"
	case !c.answered:
		row.Result, row.Verdict = fmt.Sprintf("unknown: %v", c.err), verdictUnknown
		row.S3commit = "where the store expires uploads, a job must be committed before it does: a missing upload fails the job commit with NoSuchUpload"
	default:
		server := c.server
		if server == "" {
			server = "none"
		}
		row.Result = fmt.Sprintf("unknown (Server: %s)", server)
		row.Verdict = verdictUnknown
		row.S3commit = "where the store expires uploads, a job must be committed before it does: a missing upload fails the job commit with NoSuchUpload"
	}
	return row
}
