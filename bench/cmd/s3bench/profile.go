package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
)

// Profile file names inside a run's directory.
const (
	cpuProfileName  = "cpu.pprof"
	heapProfileName = "heap.pprof"
)

// startProfiles starts a CPU profile of the whole run in dir; the returned
// function stops it and writes a heap profile (allocations included) next
// to it. Read them with `go tool pprof`.
func startProfiles(dir string) (func() error, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("profiles: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, cpuProfileName))
	if err != nil {
		return nil, fmt.Errorf("profiles: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("profiles: start CPU profile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("profiles: %w", err)
		}
		h, err := os.Create(filepath.Join(dir, heapProfileName))
		if err != nil {
			return fmt.Errorf("profiles: %w", err)
		}
		runtime.GC()
		if err := pprof.Lookup("allocs").WriteTo(h, 0); err != nil {
			h.Close()
			return fmt.Errorf("profiles: write heap profile: %w", err)
		}
		return h.Close()
	}, nil
}
