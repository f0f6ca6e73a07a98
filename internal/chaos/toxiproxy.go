package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// ToxiproxyVersion is the pinned toxiproxy release, installed by the
// Makefile as toxiproxy-server.
const ToxiproxyVersion = "v2.5.0"

// ToxiproxyInstallPath is the module path and version `make tools`
// installs; its command is renamed toxiproxy-server.
const ToxiproxyInstallPath = "github.com/Shopify/toxiproxy/v2/cmd/server@" + ToxiproxyVersion

// Toxiproxy is a running toxiproxy server, configured over its HTTP API.
//
// toxiproxy v2.5.0 can deadlock when a toxic is removed while connections
// close (its API then answers 503 after 25 s, for good; upstream issues
// #412 and #558). [Toxiproxy.Restart] recovers: it kills the server and
// starts a new one on the same ports with the same proxies, enabled and
// without toxics.
type Toxiproxy struct {
	bin     string
	api     string // http://host:port
	apiAddr string
	logPath string // where the server's output goes; "" for none
	client  *http.Client

	mu       sync.Mutex // serializes starts, stops and restarts
	cmd      *exec.Cmd
	done     chan struct{}
	proxies  map[string]string // name → upstream, to recreate them
	listens  map[string]string // name → listen address
	restarts int
}

// StartToxiproxy starts the toxiproxy server at bin on a free port of
// 127.0.0.1 and waits until its API answers. Its output goes to logPath
// ("" discards it).
func StartToxiproxy(ctx context.Context, bin, logPath string) (*Toxiproxy, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	t := &Toxiproxy{
		bin:     bin,
		api:     "http://" + addr,
		apiAddr: addr,
		logPath: logPath,
		client:  &http.Client{Timeout: 10 * time.Second},
		proxies: map[string]string{},
		listens: map[string]string{},
	}
	if err := t.start(ctx); err != nil {
		return nil, err
	}
	return t, nil
}

// start starts the server process on t.apiAddr and waits for its API.
func (t *Toxiproxy) start(ctx context.Context) error {
	host, port, _ := net.SplitHostPort(t.apiAddr)
	cmd := exec.Command(t.bin, "-host", host, "-port", port)
	var out io.Writer = io.Discard
	if t.logPath != "" {
		f, err := os.OpenFile(t.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("toxiproxy log: %w", err)
		}
		defer f.Close() // the child has its own descriptor
		out = f
	}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start toxiproxy (%s): %w", t.bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.cmd, t.done = cmd, done
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := t.Version(ctx); err == nil {
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("toxiproxy exited during start-up (log: %s)", t.logPath)
		case <-ctx.Done():
			t.kill()
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.kill()
			return fmt.Errorf("toxiproxy at %s not ready after 30s (log: %s)", t.api, t.logPath)
		}
	}
}

// kill kills the server process and waits for it.
func (t *Toxiproxy) kill() {
	if t.cmd == nil {
		return
	}
	_ = t.cmd.Process.Kill()
	<-t.done
}

// Stop stops the server (SIGTERM, then SIGKILL after 5 s).
func (t *Toxiproxy) Stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cmd == nil {
		return
	}
	_ = t.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-t.done:
	case <-time.After(5 * time.Second):
		t.kill()
	}
	t.cmd = nil
}

// Restart kills the server and starts a new one on the same API address
// with the same proxies, on the same listen addresses, enabled and
// without toxics. Every connection through the proxies is cut. gen is
// what [Toxiproxy.Restarts] returned before the call that failed: when
// the server was restarted since, Restart does nothing.
func (t *Toxiproxy) Restart(ctx context.Context, gen int) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.restarts != gen {
		return nil
	}
	t.kill()
	t.restarts++
	var err error
	for range 5 { // the ports may take a moment to be free
		if err = t.start(ctx); err == nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("restart toxiproxy: %w", err)
	}
	for name, upstream := range t.proxies {
		if err := t.createProxy(ctx, name, t.listens[name], upstream); err != nil {
			return fmt.Errorf("restart toxiproxy: %w", err)
		}
	}
	return nil
}

// Restarts returns how many times the server was restarted.
func (t *Toxiproxy) Restarts() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.restarts
}

// Version returns the server's version string.
func (t *Toxiproxy) Version(ctx context.Context) (string, error) {
	var b []byte
	err := t.do(ctx, http.MethodGet, "/version", nil, &b)
	return string(bytes.TrimSpace(b)), err
}

// Proxy is one proxy of a toxiproxy server: it listens on Listen and
// forwards every connection to its upstream.
type Proxy struct {
	t      *Toxiproxy
	Name   string
	Listen string // host:port
}

// CreateProxy creates an enabled proxy from a free port of 127.0.0.1 to
// upstream (host:port).
func (t *Toxiproxy) CreateProxy(ctx context.Context, name, upstream string) (*Proxy, error) {
	listen, err := freeAddr()
	if err != nil {
		return nil, err
	}
	if err := t.createProxy(ctx, name, listen, upstream); err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.proxies[name], t.listens[name] = upstream, listen
	t.mu.Unlock()
	return &Proxy{t: t, Name: name, Listen: listen}, nil
}

// createProxy asks the server for an enabled proxy from listen to
// upstream.
func (t *Toxiproxy) createProxy(ctx context.Context, name, listen, upstream string) error {
	body := map[string]any{"name": name, "listen": listen, "upstream": upstream, "enabled": true}
	if err := t.do(ctx, http.MethodPost, "/proxies", body, nil); err != nil {
		return fmt.Errorf("create proxy %s: %w", name, err)
	}
	return nil
}

// Toxic is a toxic as toxiproxy's API takes it.
type Toxic struct {
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Stream     string         `json:"stream"` // "upstream" (client to server) or "downstream"
	Toxicity   float64        `json:"toxicity"`
	Attributes map[string]any `json:"attributes"`
}

// AddToxic adds a toxic to the proxy; it applies to the connections open
// now and to new ones.
func (p *Proxy) AddToxic(ctx context.Context, tx Toxic) error {
	if err := p.t.do(ctx, http.MethodPost, "/proxies/"+p.Name+"/toxics", tx, nil); err != nil {
		return fmt.Errorf("add toxic %s (%s) to proxy %s: %w", tx.Name, tx.Type, p.Name, err)
	}
	return nil
}

// RemoveToxic removes a toxic from the proxy. A toxic that is not there
// is no error.
func (p *Proxy) RemoveToxic(ctx context.Context, name string) error {
	err := p.t.do(ctx, http.MethodDelete, "/proxies/"+p.Name+"/toxics/"+name, nil, nil)
	var se *statusError
	if errors.As(err, &se) && se.code == http.StatusNotFound {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove toxic %s from proxy %s: %w", name, p.Name, err)
	}
	return nil
}

// SetEnabled enables or disables the proxy. Disabling it closes every
// connection and refuses new ones: the client is cut off from the store.
func (p *Proxy) SetEnabled(ctx context.Context, enabled bool) error {
	if err := p.t.do(ctx, http.MethodPost, "/proxies/"+p.Name, map[string]any{"enabled": enabled}, nil); err != nil {
		return fmt.Errorf("set proxy %s enabled=%v: %w", p.Name, enabled, err)
	}
	return nil
}

// Heal removes every toxic of the proxy and enables it: the network is
// fixed.
func (p *Proxy) Heal(ctx context.Context) error {
	var toxics []Toxic
	if err := p.t.do(ctx, http.MethodGet, "/proxies/"+p.Name+"/toxics", nil, &toxics); err != nil {
		return fmt.Errorf("list the toxics of proxy %s: %w", p.Name, err)
	}
	var errs []error
	for _, tx := range toxics {
		errs = append(errs, p.RemoveToxic(ctx, tx.Name))
	}
	errs = append(errs, p.SetEnabled(ctx, true))
	return errors.Join(errs...)
}

// statusError is an API answer other than 2xx.
type statusError struct {
	code int
	body string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("toxiproxy API: %d %s: %s", e.code, http.StatusText(e.code), e.body)
}

// do sends one API request with body encoded as JSON (when not nil) and
// decodes the answer into out: a *[]byte takes it raw, anything else as
// JSON; nil discards it.
func (t *Toxiproxy) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, t.api+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return &statusError{code: resp.StatusCode, body: string(bytes.TrimSpace(b))}
	}
	switch o := out.(type) {
	case nil:
		return nil
	case *[]byte:
		*o = b
		return nil
	default:
		return json.Unmarshal(b, out)
	}
}

// freeAddr returns a TCP address of 127.0.0.1 that was free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(l.Addr().(*net.TCPAddr).Port)), nil
}
