package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3commit/s3commit/bench/internal/localminio"
)

// target is the store a run writes to.
type target struct {
	name     string // "local-minio" or the endpoint URL
	endpoint string
	bucket   string
	region   string
	client   *s3.Client
	counter  *requestCounter
	version  string // server version when known
	// proxyVersion is the latency proxy's version, when one runs.
	proxyVersion string
	// serverCPU returns the CPU seconds the local server has used so far;
	// nil for an endpoint, whose server the harness cannot see.
	serverCPU func() (float64, bool)
	// dataDir is the local MinIO's drive; empty for an endpoint.
	dataDir string
	stop    func()
}

// maxConnections sizes the client's connection pool above every
// concurrency the benchmark uses.
const maxConnections = 512

// openTarget starts the local MinIO (and the latency proxy) or connects to
// the endpoint of the flags.
func openTarget(ctx context.Context, c *config) (*target, error) {
	t := &target{stop: func() {}}
	var creds aws.CredentialsProvider
	if c.endpointURL == "" {
		srv, err := localminio.Start(ctx)
		if err != nil {
			return nil, err
		}
		t.name, t.endpoint, t.region, t.version, t.stop = "local-minio", srv.Endpoint, localminio.Region, srv.Version, srv.Stop
		t.serverCPU = srv.CPUSeconds
		t.dataDir = srv.DataDir
		creds = credentials.NewStaticCredentialsProvider(localminio.AccessKey, localminio.SecretKey, "")
		if c.latency != "" {
			proxy, err := startLatencyProxy(ctx, srv.Addr, c.latency, c.bandwidth)
			if err != nil {
				t.stop()
				return nil, err
			}
			stopServer := t.stop
			t.endpoint = proxy.endpoint
			t.proxyVersion = proxy.version
			t.stop = func() { proxy.stop(); stopServer() }
		}
	} else {
		t.name, t.endpoint, t.bucket, t.region = c.endpointURL, c.endpointURL, c.bucket, c.region
	}
	t.counter = newRequestCounter()
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConns = maxConnections
		tr.MaxIdleConnsPerHost = maxConnections
	})
	load := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithHTTPClient(httpClient),
		awsconfig.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		awsconfig.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
	}
	if t.region != "" {
		load = append(load, awsconfig.WithRegion(t.region))
	}
	if creds != nil {
		load = append(load, awsconfig.WithCredentialsProvider(creds))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, load...)
	if err != nil {
		t.stop()
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = localminio.Region
	}
	t.region = cfg.Region
	t.client = s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(t.endpoint)
		o.UsePathStyle = c.pathStyle
		o.APIOptions = append(o.APIOptions, t.counter.add)
	})
	if t.bucket == "" {
		t.bucket = "s3bench-" + randomHex(4)
		if _, err := t.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(t.bucket)}); err != nil {
			t.stop()
			return nil, fmt.Errorf("create bucket %s: %w", t.bucket, err)
		}
	}
	return t, nil
}

// server is a process the benchmark started other than the local MinIO:
// the latency proxy.
type server struct {
	addr     string
	endpoint string
	version  string
	stop     func()
}

// reclaim frees the disk space of deleted objects at once by emptying the
// local MinIO's trash (localminio.Reclaim); it does nothing for an
// endpoint.
func (t *target) reclaim() error { return localminio.Reclaim(t.dataDir) }

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
