package main

import (
	"context"
	"fmt"
)

// startLatencyProxy would put a latency-shaping proxy between the client
// and addr. No proxy is installed with the pinned tools yet.
func startLatencyProxy(_ context.Context, addr, latency string) (*server, error) {
	return nil, fmt.Errorf("--latency %s in front of %s: no latency proxy is installed; run without --latency", latency, addr)
}
