package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/bench/internal/results"
)

// fakeMeasure replaces measureOnce for the test: it records the order of
// the measurements (strategy/repetition) and answers with the total time
// that times gives for each strategy, one entry per repetition, failing
// the repetition failAt names.
func fakeMeasure(t *testing.T, times map[string][]float64, failAt map[string]int) *[]string {
	t.Helper()
	var order []string
	count := map[string]int{}
	old := measureOnce
	t.Cleanup(func() { measureOnce = old })
	measureOnce = func(_ context.Context, _ *target, p params) results.Result {
		order = append(order, p.strategy+"/"+filepath.Base(p.work))
		n := count[p.strategy]
		count[p.strategy]++
		res := results.Result{
			Strategy:      p.strategy,
			Settings:      map[string]string{},
			Phases:        map[string]float64{results.PhaseTotal: times[p.strategy][n]},
			PeakHeapBytes: int64(n + 1),
		}
		if at, ok := failAt[p.strategy]; ok && at == n {
			res.Error = "failed on purpose"
		}
		return res
	}
	return &order
}

func TestMeasureGroup(t *testing.T) {
	tests := []struct {
		name      string
		times     map[string][]float64
		failAt    map[string]int
		wantOrder []string
		wantTotal map[string]float64
		wantError map[string]bool
	}{
		{
			name:  "repetitions are interleaved, each round starting one further, and the median is kept",
			times: map[string][]float64{"staging": {3, 1, 2}, "direct": {5, 9, 7}, "rename": {4, 4, 6}},
			wantOrder: []string{
				"staging/r1", "direct/r1", "rename/r1",
				"direct/r2", "rename/r2", "staging/r2",
				"rename/r3", "staging/r3", "direct/r3",
			},
			wantTotal: map[string]float64{"staging": 2, "direct": 7, "rename": 4},
		},
		{
			name:      "a failed repetition is the entry's result and ends its repetitions",
			times:     map[string][]float64{"staging": {3, 1, 2}, "direct": {5, 9, 7}},
			failAt:    map[string]int{"staging": 1},
			wantOrder: []string{"staging/r1", "direct/r1", "direct/r2", "staging/r2", "direct/r3"},
			wantTotal: map[string]float64{"staging": 1, "direct": 7},
			wantError: map[string]bool{"staging": true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			order := fakeMeasure(t, tt.times, tt.failAt)
			dir := t.TempDir()
			var g []params
			for _, s := range strategyNames {
				if _, ok := tt.times[s]; ok {
					g = append(g, params{strategy: s, dest: "d-" + s, work: filepath.Join(dir, s)})
				}
			}
			out := measureGroup(context.Background(), &target{}, g, 3, true)
			require.Len(t, out, len(tt.times))
			assert.Equal(t, tt.wantOrder, *order)
			for i, res := range out {
				s := g[i].strategy
				require.NotNil(t, res, s)
				assert.Equal(t, tt.wantTotal[s], res.Phases[results.PhaseTotal], s)
				assert.Equal(t, tt.wantError[s], res.Error != "", s)
				if !tt.wantError[s] {
					assert.Equal(t, "3", res.Settings[results.SettingRepeats], s)
					assert.Equal(t, int64(3), res.PeakHeapBytes, "%s: the highest peak of all repetitions", s)
				}
			}
		})
	}
}

func TestMeasureGroupInterrupted(t *testing.T) {
	fakeMeasure(t, map[string][]float64{"staging": {1}}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := measureGroup(ctx, &target{}, []params{{strategy: "staging", work: t.TempDir()}}, 1, true)
	require.Len(t, out, 1)
	assert.Nil(t, out[0], "nothing was measured after the context ended")
}

func TestMedian(t *testing.T) {
	for _, tt := range []struct {
		totals []float64
		want   float64
	}{
		{[]float64{4}, 4},
		{[]float64{3, 1, 2}, 2},
		{[]float64{1, 4, 3, 2}, 3},
	} {
		t.Run(fmt.Sprint(tt.totals), func(t *testing.T) {
			var runs []results.Result
			for _, v := range tt.totals {
				runs = append(runs, results.Result{Phases: map[string]float64{results.PhaseTotal: v}})
			}
			assert.Equal(t, tt.want, median(runs).Phases[results.PhaseTotal])
		})
	}
}
