package report

import (
	"strconv"

	"github.com/s3commit/s3commit/bench/internal/results"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/staging"
)

// settingInt returns the integer setting key of r, and whether it is set.
func settingInt(r results.Result, key string) (int, bool) {
	v, ok := r.Settings[key]
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}

// isDefault reports whether r ran at the library's default concurrency: a
// concurrency setting that is absent or 0 counts as default.
func isDefault(r results.Result) bool {
	if n, ok := settingInt(r, results.SettingUploadConcurrency); ok && n != 0 && n != multipart.DefaultConcurrency {
		return false
	}
	if n, ok := settingInt(r, results.SettingCommitConcurrency); ok && n != 0 && n != staging.DefaultCommitConcurrency {
		return false
	}
	return true
}

// ok reports whether r measured something: no error.
func ok(r results.Result) bool { return r.Error == "" }

// pick returns the first successful result of the strategy for workload
// and bytes per file (any when bytesPerFile < 0) at default settings, and
// whether there is one.
func pick(run *results.Run, workload, strategy string, bytesPerFile int64) (results.Result, bool) {
	for _, r := range run.Results {
		if r.Workload == workload && r.Strategy == strategy && ok(r) && isDefault(r) &&
			(bytesPerFile < 0 || r.BytesPerFile == bytesPerFile) {
			return r, true
		}
	}
	return results.Result{}, false
}

// workloads returns the workload names of the run in order of first
// appearance.
func workloads(run *results.Run) []string {
	var names []string
	seen := map[string]bool{}
	for _, r := range run.Results {
		if !seen[r.Workload] {
			seen[r.Workload] = true
			names = append(names, r.Workload)
		}
	}
	return names
}

// strategies returns the strategies of the run in the canonical order
// (staging, direct, rename), then any other in order of appearance.
func strategies(run *results.Run) []string {
	names := []string{}
	present := map[string]bool{}
	for _, r := range run.Results {
		present[r.Strategy] = true
	}
	for _, s := range []string{results.StrategyStaging, results.StrategyDirect, results.StrategyRename} {
		if present[s] {
			names = append(names, s)
			delete(present, s)
		}
	}
	for _, r := range run.Results {
		if present[r.Strategy] {
			names = append(names, r.Strategy)
			delete(present, r.Strategy)
		}
	}
	return names
}

// commitSeconds is the time a strategy spends making the output durable
// and visible: task commit plus job commit, or the total when a run
// records neither.
func commitSeconds(r results.Result) float64 {
	tc, okT := r.Phases[results.PhaseTaskCommit]
	jc, okJ := r.Phases[results.PhaseJobCommit]
	if !okT && !okJ {
		return r.Phases[results.PhaseTotal]
	}
	return tc + jc
}
