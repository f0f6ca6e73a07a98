package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseProcStatTotal(t *testing.T) {
	got, ok := parseProcStatTotal("cpu  100 5 50 9999 77 3 2 1 0 0\ncpu0 50 2 25 5000 40 1 1 0 0 0\n")
	require.True(t, ok)
	assert.InDelta(t, 1.61, got, 1e-9, "user+nice+system+irq+softirq+steal, not idle nor iowait")
	_, ok = parseProcStatTotal("intr 1 2 3\n")
	assert.False(t, ok)
	_, ok = parseProcStatTotal("cpu 1 2 x 4 5 6 7 8\n")
	assert.False(t, ok)
}
