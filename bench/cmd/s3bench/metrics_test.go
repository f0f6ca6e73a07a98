package main

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseProcStatCPU(t *testing.T) {
	tests := []struct {
		name string
		stat string
		want float64
		ok   bool
	}{
		{"plain", "4242 (minio) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 566 0 0 20 0 12 0 100 0 0", 18.00, true},
		{"name with spaces and parens", "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 50 25 0 0 20 0", 0.75, true},
		{"truncated", "7 (x) R 1 2", 0, false},
		{"no name", "garbage", 0, false},
		{"not a number", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 x 25", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseProcStatCPU(tt.stat)
			assert.Equal(t, tt.ok, ok)
			assert.InDelta(t, tt.want, got, 1e-9)
		})
	}
}

func TestProcessCPUSecondsOfThisProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system: server CPU is not measured here")
	}
	v, ok := processCPUSeconds(os.Getpid())
	require.True(t, ok)
	assert.GreaterOrEqual(t, v, 0.0)
	_, ok = processCPUSeconds(1 << 30)
	assert.False(t, ok, "a process that does not exist")
}

func TestParseProcStatTotal(t *testing.T) {
	got, ok := parseProcStatTotal("cpu  100 5 50 9999 77 3 2 1 0 0\ncpu0 50 2 25 5000 40 1 1 0 0 0\n")
	require.True(t, ok)
	assert.InDelta(t, 1.61, got, 1e-9, "user+nice+system+irq+softirq+steal, not idle nor iowait")
	_, ok = parseProcStatTotal("intr 1 2 3\n")
	assert.False(t, ok)
	_, ok = parseProcStatTotal("cpu 1 2 x 4 5 6 7 8\n")
	assert.False(t, ok)
}
