package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"

	"github.com/s3commit/s3commit/bench/internal/localminio"
)

// startLatencyProxy starts the pinned toxiproxy server (installed by
// `make bench` as toxiproxy-server) and puts a proxy between the client and
// addr that adds the round-trip latency: half on each direction, on every
// chunk of data. bandwidthKiB > 0 also limits each direction of each
// connection to that many KiB/s.
func startLatencyProxy(ctx context.Context, addr, latency string, bandwidthKiB int) (*server, error) {
	d, err := time.ParseDuration(latency)
	if err != nil {
		return nil, fmt.Errorf("--latency %q: %w", latency, err)
	}
	bin, err := localminio.FindTool("toxiproxy-server")
	if err != nil {
		return nil, fmt.Errorf("--latency needs toxiproxy: %w", err)
	}
	apiAddr, err := localminio.FreeAddr()
	if err != nil {
		return nil, err
	}
	host, port, _ := net.SplitHostPort(apiAddr)
	logFile, err := os.CreateTemp("", "s3bench-toxiproxy-*.log")
	if err != nil {
		return nil, fmt.Errorf("toxiproxy log: %w", err)
	}
	cmd := exec.Command(bin, "-host", host, "-port", port)
	stop, exited, err := localminio.StartProcess(cmd, logFile, 5*time.Second, func() { os.Remove(logFile.Name()) })
	if err != nil {
		return nil, fmt.Errorf("start toxiproxy (%s): %w", bin, err)
	}
	fail := func(err error) (*server, error) {
		stop()
		return nil, fmt.Errorf("toxiproxy: %w", err)
	}
	if err := localminio.WaitReady(ctx, "http://"+apiAddr+"/version", 30*time.Second, exited); err != nil {
		return fail(err)
	}
	listen, err := localminio.FreeAddr()
	if err != nil {
		return fail(err)
	}
	client := toxiproxy.NewClient(apiAddr)
	proxy, err := client.CreateProxy("s3", listen, addr)
	if err != nil {
		return fail(fmt.Errorf("create proxy: %w", err))
	}
	half := d.Milliseconds() / 2
	for _, stream := range []string{"upstream", "downstream"} {
		if half > 0 {
			if _, err := proxy.AddToxic("latency_"+stream, "latency", stream, 1, toxiproxy.Attributes{"latency": half}); err != nil {
				return fail(fmt.Errorf("add latency: %w", err))
			}
		}
		if bandwidthKiB > 0 {
			if _, err := proxy.AddToxic("bandwidth_"+stream, "bandwidth", stream, 1, toxiproxy.Attributes{"rate": bandwidthKiB}); err != nil {
				return fail(fmt.Errorf("add bandwidth limit: %w", err))
			}
		}
	}
	return &server{addr: listen, endpoint: "http://" + listen, version: localminio.CommandVersion(bin), stop: stop}, nil
}
