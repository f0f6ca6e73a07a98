package report

import (
	"fmt"
	"image/color"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/s3commit/s3commit/bench/internal/results"
)

// Chart file names inside a run's directory.
const (
	ThroughputChart = "throughput.png"
	JobCommitChart  = "job-commit.png"
)

// strategyColors keeps a strategy's colour the same in every chart.
var strategyColors = map[string]color.Color{
	results.StrategyStaging: color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	results.StrategyDirect:  color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	results.StrategyRename:  color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
}

func strategyColor(s string) color.Color {
	if c, ok := strategyColors[s]; ok {
		return c
	}
	return color.Gray{Y: 0x80}
}

// writeCharts draws the charts of run into dir and returns the names of
// the files written; a chart without data is skipped.
func writeCharts(dir string, run *results.Run) ([]string, error) {
	var written []string
	for _, c := range []struct {
		name string
		draw func(*results.Run) (*plot.Plot, error)
	}{
		{ThroughputChart, throughputPlot},
		{JobCommitChart, jobCommitPlot},
	} {
		p, err := c.draw(run)
		if err != nil {
			return written, fmt.Errorf("report: chart %s: %w", c.name, err)
		}
		if p == nil {
			continue
		}
		if err := p.Save(20*vg.Centimeter, 12*vg.Centimeter, filepath.Join(dir, c.name)); err != nil {
			return written, fmt.Errorf("report: chart %s: %w", c.name, err)
		}
		written = append(written, c.name)
	}
	return written, nil
}

// throughputPlot is a grouped bar chart of MiB/s by workload (groups) and
// strategy (bars), at default settings and, for the job-commit series, the
// largest files; the concurrency sweeps are left out. It is nil when there
// is nothing to draw.
func throughputPlot(run *results.Run) (*plot.Plot, error) {
	var ws []string
	for _, w := range workloads(run) {
		if w == results.WorkloadConcurrencyUpload || w == results.WorkloadConcurrencyCommit {
			continue // staging alone; its table shows the sweep
		}
		for _, s := range strategies(run) {
			if r, ok := pick(run, w, s, largestBytes(run, w, s)); ok && r.MiBPerSecond > 0 {
				ws = append(ws, w)
				break
			}
		}
	}
	if len(ws) == 0 {
		return nil, nil
	}
	ss := strategies(run)
	p := plot.New()
	p.Title.Text = "Throughput by strategy and workload (default settings)"
	p.Y.Label.Text = "MiB/s"
	p.Legend.Top = true
	const barWidth = 14
	var top float64
	for i, s := range ss {
		vals := make(plotter.Values, len(ws))
		for j, w := range ws {
			if r, ok := pick(run, w, s, largestBytes(run, w, s)); ok {
				vals[j] = r.MiBPerSecond
				top = max(top, r.MiBPerSecond)
			}
		}
		bars, err := plotter.NewBarChart(vals, vg.Points(barWidth))
		if err != nil {
			return nil, err
		}
		bars.Color = strategyColor(s)
		bars.LineStyle.Width = 0
		bars.Offset = vg.Points(barWidth * (float64(i) - float64(len(ss)-1)/2))
		p.Add(bars)
		p.Legend.Add(s, bars)
	}
	p.Y.Min, p.Y.Max = 0, top*1.25 // room for the legend
	p.NominalX(ws...)
	p.Add(plotter.NewGrid())
	return p, nil
}

// largestBytes is the largest bytes per file of a strategy's results in a
// workload, so that the job-commit series shows as its largest point.
func largestBytes(run *results.Run, workload, strategy string) int64 {
	var n int64 = -1
	for _, r := range run.Results {
		if r.Workload == workload && r.Strategy == strategy && ok(r) && isDefault(r) {
			n = max(n, r.BytesPerFile)
		}
	}
	return n
}

// jobCommitPlot draws job-commit seconds against bytes per file (log
// scale) for staging and rename over the job-commit series; nil when the
// run has no series.
func jobCommitPlot(run *results.Run) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Job commit time against bytes per file (fixed file count)"
	p.X.Label.Text = "bytes per file"
	p.Y.Label.Text = "job commit, seconds"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = bytesTicks{}
	p.Legend.Top = true
	p.Legend.Left = true
	drawn := false
	for _, s := range []string{results.StrategyStaging, results.StrategyRename} {
		pts := seriesPoints(run, s)
		if len(pts) == 0 {
			continue
		}
		xys := make(plotter.XYs, len(pts))
		for i, r := range pts {
			xys[i] = plotter.XY{X: float64(max(r.BytesPerFile, 1)), Y: r.Phases[results.PhaseJobCommit]}
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, err
		}
		line.Color = strategyColor(s)
		line.Width = vg.Points(2)
		points.Color = strategyColor(s)
		points.Shape = draw.CircleGlyph{}
		p.Add(line, points)
		p.Legend.Add(s, line, points)
		drawn = true
	}
	if !drawn {
		return nil, nil
	}
	p.Y.Min = 0
	p.Add(plotter.NewGrid())
	return p, nil
}

// bytesTicks labels a logarithmic byte axis at powers of 4 in binary
// units.
type bytesTicks struct{}

// Ticks returns a labelled tick at every power of 4 between lo and hi.
func (bytesTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for v := 1.0; v <= hi*1.0001; v *= 4 {
		if v >= lo/1.0001 {
			ticks = append(ticks, plot.Tick{Value: v, Label: formatBytes(int64(v))})
		}
	}
	if len(ticks) < 2 {
		return plot.LogTicks{Prec: -1}.Ticks(lo, hi)
	}
	return ticks
}
