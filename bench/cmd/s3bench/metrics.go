package main

import (
	"bufio"
	"context"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// cpuSeconds returns the user and system CPU time of this process.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

// clockTicksPerSecond is the unit of the CPU times in /proc/PID/stat
// and /proc/stat (USER_HZ, 100 on every Linux architecture Go supports).
const clockTicksPerSecond = 100

// systemCPUSeconds returns the CPU time every process of the machine has
// used since boot (user, nice, system, irq, softirq and steal of the
// "cpu" line of /proc/stat); false where there is no /proc.
func systemCPUSeconds() (float64, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	return parseProcStatTotal(string(b))
}

// parseProcStatTotal reads the busy time of the "cpu" line of /proc/stat.
func parseProcStatTotal(stat string) (float64, bool) {
	line, _, _ := strings.Cut(stat, "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, false
	}
	var busy int64
	// user nice system idle iowait irq softirq steal: all but idle and
	// iowait (guest time is counted in user already).
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		v, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, false
		}
		busy += v
	}
	return float64(busy) / clockTicksPerSecond, true
}

// otherCPU sums the CPU time of the machine's other processes (neither
// this one nor the local server) over the timed phases of a measurement,
// each between begin and end: the flush between the phases, whose kernel
// write-back is the measurement's own, is left out.
type otherCPU struct {
	sum     float64
	known   bool
	started bool
	sys0    float64
	self0   float64
	server0 float64
}

// sample reads the machine's, this process's and the server's CPU time;
// false when the machine's or a server's cannot be read.
func (o *otherCPU) sample(t *target) (sys, self, server float64, ok bool) {
	sys, ok = systemCPUSeconds()
	self = cpuSeconds()
	if t.serverCPU != nil {
		var sok bool
		server, sok = t.serverCPU()
		ok = ok && sok
	}
	return sys, self, server, ok
}

func (o *otherCPU) begin(t *target) {
	o.sys0, o.self0, o.server0, o.started = o.sample(t)
}

func (o *otherCPU) end(t *target) {
	sys, self, server, ok := o.sample(t)
	if !ok || !o.started {
		return
	}
	// Clock ticks are coarse: a few hundredths below zero are none.
	o.sum += max((sys-o.sys0)-(self-o.self0)-(server-o.server0), 0)
	o.known = true
	o.started = false
}

// seconds is the sum, 0 when it could not be measured.
func (o *otherCPU) seconds() float64 {
	if !o.known {
		return 0
	}
	return o.sum
}

// resetPeakRSS resets the kernel's peak resident set size of this process
// (Linux); elsewhere the peak stays the process's lifetime peak.
func resetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peakRSS returns the peak resident set size since the last resetPeakRSS:
// VmHWM on Linux, else getrusage's maxrss.
func peakRSS() int64 {
	if f, err := os.Open("/proc/self/status"); err == nil {
		defer f.Close()
		s := bufio.NewScanner(f)
		for s.Scan() {
			if rest, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
				kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				if err == nil {
					return kb << 10
				}
			}
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss << 10 // kilobytes on Linux
}

// heapSampler records the peak of live heap objects, sampled through
// runtime/metrics while it runs.
type heapSampler struct {
	peak   atomic.Int64
	cancel context.CancelFunc
	done   chan struct{}
}

const heapMetric = "/memory/classes/heap/objects:bytes"

// startHeapSampler collects garbage, then samples the heap every
// interval until stop.
func startHeapSampler(interval time.Duration) *heapSampler {
	runtime.GC()
	ctx, cancel := context.WithCancel(context.Background())
	h := &heapSampler{cancel: cancel, done: make(chan struct{})}
	sample := []metrics.Sample{{Name: heapMetric}}
	read := func() {
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 {
			v := int64(sample[0].Value.Uint64())
			for {
				old := h.peak.Load()
				if v <= old || h.peak.CompareAndSwap(old, v) {
					break
				}
			}
		}
	}
	go func() {
		defer close(h.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			read()
			select {
			case <-ctx.Done():
				read()
				return
			case <-t.C:
			}
		}
	}()
	return h
}

// stop ends sampling and returns the peak.
func (h *heapSampler) stop() int64 {
	h.cancel()
	<-h.done
	return h.peak.Load()
}
