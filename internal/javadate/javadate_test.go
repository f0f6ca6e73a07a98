package javadate

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFormat(t *testing.T) {
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2020, 7, 3, 16, 47, 7, 0, time.UTC), "Fri Jul 03 16:47:07 UTC 2020"},
		{time.Date(2025, 11, 22, 2, 50, 0, 999_000_000, time.UTC), "Sat Nov 22 02:50:00 UTC 2025"},
		{time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("CET", 3600)), "Sun Mar 01 12:00:00 CET 2026"},
		{time.Date(2026, 12, 31, 23, 59, 59, 0, time.FixedZone("", -5*3600)), "Thu Dec 31 23:59:59 -0500 2026"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Format(tt.t))
	}
}

func TestLayoutParsesFormat(t *testing.T) {
	in := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	got, err := time.Parse(Layout, Format(in))
	require.NoError(t, err)
	assert.True(t, in.Equal(got), "%v, want %v", got, in)
}
