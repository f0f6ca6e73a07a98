// Package miniocontainer runs MinIO in a Docker container for tests, through
// testcontainers-go, so that users of s3commit can test their jobs against a
// real S3-compatible store.
//
// In a test, [StartForTest] starts a container, skips the test when no Docker
// engine runs, and removes the container when the test ends:
//
//	func TestMyJob(t *testing.T) {
//		c := miniocontainer.StartForTest(t, miniocontainer.Options{})
//		// Point the store at c.Endpoint(), with c.AccessKeyID(),
//		// c.SecretAccessKey(), c.Region() and path-style addressing.
//	}
//
// Outside tests, [Start] returns an error instead of skipping, and the caller
// terminates the container with [Container.Terminate].
//
// The package is a module of its own, apart from the module of the library:
//
//	go get github.com/s3commit/s3commit/multipart/storetest/miniocontainer
//
// Only the modules that require it have testcontainers-go and the Docker
// client in their module graph; importing the library brings neither.
package miniocontainer

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

// DefaultImage is the MinIO image Start runs when Options.Image is empty:
// the last MinIO community release published as an image. Docker Hub no
// longer serves minio/minio, so the image comes from quay.io, which serves the
// same release tags.
const DefaultImage = "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z"

// DefaultRegion is the region MinIO is configured with when Options.Region
// is empty.
const DefaultRegion = "us-east-1"

// DefaultStartupTimeout is how long Start waits, by default, for MinIO to
// answer its health check once the container runs. Pulling the image is not
// counted.
const DefaultStartupTimeout = 2 * time.Minute

// apiPort is MinIO's S3 API port inside the container.
const apiPort = "9000/tcp"

// Options configure the container. The zero value is ready to use.
type Options struct {
	// Image is the MinIO image to run. Default: DefaultImage.
	Image string

	// RootUser and RootPassword are MinIO's root credentials, the access
	// key ID and secret access key for S3 calls. The user needs at least 3
	// characters and the password at least 8. Default: random values, which
	// Container.AccessKeyID and Container.SecretAccessKey return.
	RootUser     string
	RootPassword string

	// Region is the region MinIO reports. Default: DefaultRegion.
	Region string

	// Env holds further MinIO settings as environment variables, for
	// example MINIO_API_STALE_UPLOADS_EXPIRY. They override the package's
	// own settings.
	Env map[string]string

	// StartupTimeout bounds the wait for MinIO's health check. Default:
	// DefaultStartupTimeout.
	StartupTimeout time.Duration

	// Customizers change the testcontainers request before the container
	// is created (networks, log consumers, …). They run after the package
	// has filled in the request.
	Customizers []testcontainers.ContainerCustomizer
}

// Container is a running MinIO container.
type Container struct {
	ctr       testcontainers.Container
	endpoint  string
	accessKey string
	secretKey string
	region    string
}

// Start pulls the image if needed, starts MinIO in a container with its S3
// API on a random host port, and waits until MinIO's health check
// (GET /minio/health/live on port 9000) says it serves requests. The caller
// must call Terminate when done. Start fails when no Docker engine is
// reachable.
func Start(ctx context.Context, opts Options) (*Container, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}

	env := map[string]string{
		"MINIO_ROOT_USER":     opts.RootUser,
		"MINIO_ROOT_PASSWORD": opts.RootPassword,
		"MINIO_SITE_REGION":   opts.Region,
		"MINIO_BROWSER":       "off", // no web console
		"MINIO_UPDATE":        "off",
	}
	maps.Copy(env, opts.Env)

	req := testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			Image:        opts.Image,
			Cmd:          []string{"server", "/data"},
			Env:          env,
			ExposedPorts: []string{apiPort},
			WaitingFor: wait.ForHTTP("/minio/health/live").
				WithPort(apiPort).
				WithStatusCodeMatcher(func(status int) bool { return status == http.StatusOK }).
				// MinIO answers before its object layer is up, flagging
				// that with this header; S3 calls fail until it is gone.
				WithResponseHeadersMatcher(func(h http.Header) bool {
					return h.Get("X-Minio-Server-Status") != "offline"
				}).
				WithStartupTimeout(opts.StartupTimeout),
		},
		Started: true,
	}
	for _, c := range opts.Customizers {
		if err := c.Customize(&req); err != nil {
			return nil, fmt.Errorf("miniocontainer: customize request: %w", err)
		}
	}

	ctr, err := testcontainers.GenericContainer(ctx, req)
	if err != nil {
		// The container may exist even though starting it failed.
		return nil, errors.Join(fmt.Errorf("miniocontainer: start %s: %w", opts.Image, err),
			testcontainers.TerminateContainer(ctr))
	}
	endpoint, err := ctr.PortEndpoint(ctx, apiPort, "http")
	if err != nil {
		return nil, errors.Join(fmt.Errorf("miniocontainer: endpoint of %s: %w", opts.Image, err),
			testcontainers.TerminateContainer(ctr))
	}
	return &Container{
		ctr:       ctr,
		endpoint:  endpoint,
		accessKey: opts.RootUser,
		secretKey: opts.RootPassword,
		region:    opts.Region,
	}, nil
}

// StartForTest starts a container like Start and terminates it when the test
// and its subtests end. When no Docker engine is reachable it skips the test,
// saying why; any other failure fails the test.
func StartForTest(t testing.TB, opts Options) *Container {
	t.Helper()
	if reason := dockerUnavailable(t.Context()); reason != "" {
		t.Skipf("miniocontainer: skipping, no Docker engine is reachable "+
			"(testcontainers needs one to run MinIO): %s", reason)
	}
	c, err := Start(t.Context(), opts)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		// t.Context is already canceled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := c.Terminate(ctx); err != nil {
			t.Errorf("%v", err)
		}
	})
	return c
}

// dockerUnavailable returns why testcontainers cannot reach a Docker engine,
// or "" when it can. It checks as testcontainers.SkipIfProviderIsNotHealthy
// does, which only accepts a *testing.T.
func dockerUnavailable(ctx context.Context) (reason string) {
	defer func() {
		// testcontainers may panic when no engine is configured.
		if r := recover(); r != nil {
			reason = fmt.Sprint(r)
		}
	}()
	provider, err := testcontainers.ProviderDefault.GetProvider()
	if err != nil {
		return err.Error()
	}
	defer provider.Close()
	if err := provider.Health(ctx); err != nil {
		return err.Error()
	}
	return ""
}

// Endpoint returns the URL of MinIO's S3 API, http://HOST:PORT. Use
// path-style addressing.
func (c *Container) Endpoint() string { return c.endpoint }

// Host returns the host:port part of Endpoint, the form minio-go's minio.New
// takes.
func (c *Container) Host() string {
	u, err := url.Parse(c.endpoint)
	if err != nil {
		return ""
	}
	return u.Host
}

// AccessKeyID returns the access key ID of MinIO's root user.
func (c *Container) AccessKeyID() string { return c.accessKey }

// SecretAccessKey returns the secret access key of MinIO's root user.
func (c *Container) SecretAccessKey() string { return c.secretKey }

// Region returns the region MinIO is configured with.
func (c *Container) Region() string { return c.region }

// Testcontainer returns the underlying testcontainers container, for logs,
// exec and other calls this package does not wrap.
func (c *Container) Testcontainer() testcontainers.Container { return c.ctr }

// Terminate stops and removes the container and its data. Terminating a
// container that is already gone is not an error.
func (c *Container) Terminate(ctx context.Context) error {
	if err := testcontainers.TerminateContainer(c.ctr, testcontainers.StopContext(ctx)); err != nil {
		return fmt.Errorf("miniocontainer: %w", err)
	}
	return nil
}

// withDefaults fills in the defaults and checks what MinIO would refuse.
func (o Options) withDefaults() (Options, error) {
	if o.Image == "" {
		o.Image = DefaultImage
	}
	if o.RootUser == "" {
		o.RootUser = rand.Text()[:20]
	}
	if o.RootPassword == "" {
		o.RootPassword = (rand.Text() + rand.Text())[:40]
	}
	if o.Region == "" {
		o.Region = DefaultRegion
	}
	if o.StartupTimeout <= 0 {
		o.StartupTimeout = DefaultStartupTimeout
	}
	if len(o.RootUser) < 3 {
		return o, errors.New("miniocontainer: RootUser must have at least 3 characters")
	}
	if len(o.RootPassword) < 8 {
		return o, errors.New("miniocontainer: RootPassword must have at least 8 characters")
	}
	return o, nil
}
