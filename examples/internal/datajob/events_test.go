package datajob

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSynthetic(t *testing.T) {
	a, b := synthetic(1, 42, 7), synthetic(1, 42, 7)
	assert.Equal(t, a, b, "deterministic")
	assert.Equal(t, "ev-000000042", a.ID)
	assert.Equal(t, "2026-11-01", a.Day(), "event 42 of 7 days is on the first day")
	assert.Equal(t, "2026-11-03", synthetic(1, 44, 7).Day())
	assert.NotEqual(t, string(a.Line), string(synthetic(2, 42, 7).Line), "another seed, other values")
	r, err := parseLine(a.Line, "x")
	require.NoError(t, err)
	assert.Equal(t, a.ID, r.ID)
	assert.True(t, a.TS.Equal(r.TS))
}

func TestShard(t *testing.T) {
	c := &config{tasks: 3, events: 10, seed: 1, days: 2}
	var ids []string
	for r, err := range c.shard(1) {
		require.NoError(t, err)
		ids = append(ids, r.ID)
	}
	assert.Equal(t, []string{"ev-000000001", "ev-000000004", "ev-000000007"}, ids)
	n := 0
	for _, err := range c.all() {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 10, n)
}

func TestParseLine(t *testing.T) {
	tests := []struct {
		line, want, day string
	}{
		{`{"id":"a","ts":"2026-11-22T23:30:00-02:00","x":[1, 2]}`, "", "2026-11-23"},
		{`{"id": "a", "ts": "2026-11-22T08:00:00Z"}`, "", "2026-11-22"},
		{`not json`, "f:3: not a JSON object", ""},
		{`[1]`, "f:3: not a JSON object", ""},
		{`{"ts":"2026-11-22T08:00:00Z"}`, `f:3: no "id"`, ""},
		{`{"id":"","ts":"2026-11-22T08:00:00Z"}`, `f:3: no "id"`, ""},
		{`{"id":"a"}`, `f:3: no "ts"`, ""},
		{`{"id":"a","ts":"2026-11-22"}`, `"ts" "2026-11-22" is not an RFC 3339 time`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			r, err := parseLine([]byte(tt.line), "f:3")
			if tt.want != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.want)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.day, r.Day())
			assert.NotContains(t, string(r.Line), " ", "compact")
		})
	}
}
