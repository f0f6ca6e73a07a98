package report

import (
	"fmt"
	"maps"
	"strconv"
	"strings"

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

// isDefault reports whether r ran at the library's default concurrency
// (a concurrency setting that is absent or 0 counts as default) and, for
// staging, with the staging dir on the filesystem, the default checksum
// mode, no deferred PUTs and no uploads at close: the comparisons with
// the other strategies and the sweeps are of the filesystem home with
// verified checksums and every file uploaded at task commit, and the
// store home, the other checksum modes, deferred PUTs and uploads at close
// have targets of their own.
func isDefault(r results.Result) bool {
	if stagingHome(r) == results.StagingHomeStore {
		return false
	}
	if m := stagingChecksums(r); m != "" && m != results.ChecksumsVerified {
		return false
	}
	if stagingDeferred(r) != 0 || stagingAtClose(r) {
		return false
	}
	if t := stagingTelemetry(r); t != "" && t != results.TelemetryNone {
		return false
	}
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

// stagingHome returns where a staging result kept its staging dir: the
// setting, or the filesystem for a result of a run that did not record it;
// "" for the other strategies.
func stagingHome(r results.Result) string {
	if r.Strategy != results.StrategyStaging {
		return ""
	}
	if h := r.Settings[results.SettingStagingHome]; h != "" {
		return h
	}
	return results.StagingHomeFS
}

// stagingChecksums returns the checksum mode of a staging result: the
// setting, or the default (verified) for a result of a run that did not
// record it; "" for the other strategies.
func stagingChecksums(r results.Result) string {
	if r.Strategy != results.StrategyStaging {
		return ""
	}
	if m := r.Settings[results.SettingChecksums]; m != "" {
		return m
	}
	return results.ChecksumsVerified
}

// stagingDeferred returns the deferred-PUT threshold of a staging result:
// the setting, or 0 (none) for a result of a run that did not record it
// and for the other strategies.
func stagingDeferred(r results.Result) int64 {
	if r.Strategy != results.StrategyStaging {
		return 0
	}
	n, _ := strconv.ParseInt(r.Settings[results.SettingDeferredPutThreshold], 10, 64)
	return n
}

// stagingAtClose reports whether a staging result uploaded its files at
// close: false for a result of a run that did not record it and for the
// other strategies.
func stagingAtClose(r results.Result) bool {
	return r.Strategy == results.StrategyStaging && r.Settings[results.SettingUploadAtClose] == results.UploadAtCloseOn
}

// stagingTelemetry returns the OpenTelemetry setting of a staging
// result: the setting, or none for a result of a run that did not record
// it; "" for the other strategies.
func stagingTelemetry(r results.Result) string {
	if r.Strategy != results.StrategyStaging {
		return ""
	}
	if t := r.Settings[results.SettingTelemetry]; t != "" {
		return t
	}
	return results.TelemetryNone
}

// variant is what a staging result was measured with besides the
// concurrency: its home, its checksum mode, whether it deferred PUTs
// (a threshold above 0), whether it uploaded at close and its
// OpenTelemetry setting ("" is none).
type variant struct {
	home, checksums string
	deferred        bool
	atClose         bool
	telemetry       string
}

// plain is the variant the comparisons with the other strategies use.
var plain = variant{home: results.StagingHomeFS, checksums: results.ChecksumsVerified}

// variantOf returns the variant of a staging result.
func variantOf(r results.Result) variant {
	v := variant{home: stagingHome(r), checksums: stagingChecksums(r), deferred: stagingDeferred(r) > 0, atClose: stagingAtClose(r)}
	if t := stagingTelemetry(r); t != results.TelemetryNone {
		v.telemetry = t
	}
	return v
}

// defaultConcurrency reports whether r ran at the default concurrency,
// whatever its variant (see isDefault).
func defaultConcurrency(r results.Result) bool {
	d := r
	d.Settings = maps.Clone(r.Settings)
	for _, k := range []string{results.SettingStagingHome, results.SettingChecksums, results.SettingDeferredPutThreshold, results.SettingUploadAtClose,
		results.SettingTelemetry} {
		delete(d.Settings, k)
	}
	return isDefault(d)
}

// pickHome returns the first successful staging result of workload with
// the staging home, the default checksum mode, no deferred PUTs, no
// uploads at close and the default concurrency, and whether there is one.
func pickHome(run *results.Run, workload, home string) (results.Result, bool) {
	return pickStaging(run, workload, home, results.ChecksumsVerified)
}

// pickStaging returns the first successful staging result of workload
// with the staging home and the checksum mode, no deferred PUTs and no
// uploads at close, at the default concurrency, and whether there is one.
func pickStaging(run *results.Run, workload, home, checksums string) (results.Result, bool) {
	return pickVariant(run, workload, variant{home: home, checksums: checksums})
}

// pickVariant returns the successful staging result of workload with the
// variant v at the default concurrency, and whether there is one: the
// first, or, of a variant that defers PUTs, the one with the highest
// threshold.
func pickVariant(run *results.Run, workload string, v variant) (results.Result, bool) {
	var best results.Result
	found := false
	for _, r := range run.Results {
		if r.Workload != workload || r.Strategy != results.StrategyStaging || variantOf(r) != v || !ok(r) || !defaultConcurrency(r) {
			continue
		}
		if !found || stagingDeferred(r) > stagingDeferred(best) {
			best, found = r, true
		}
	}
	return best, found
}

// strategyLabel names r's strategy in tables: a staging result that
// recorded its home says which, its checksum mode when it is not the
// default, its deferred-PUT threshold when it deferred PUTs and whether
// it uploaded at close.
func strategyLabel(r results.Result) string {
	if r.Strategy != results.StrategyStaging {
		return r.Strategy
	}
	var what []string
	if h := r.Settings[results.SettingStagingHome]; h != "" {
		what = append(what, h+" home")
	}
	if m := stagingChecksums(r); m != results.ChecksumsVerified {
		what = append(what, "checksums "+m)
	}
	if d := stagingDeferred(r); d > 0 {
		what = append(what, "deferred PUTs ≤ "+formatBytes(d))
	}
	if stagingAtClose(r) {
		what = append(what, "upload at close")
	}
	if t := stagingTelemetry(r); t != results.TelemetryNone {
		what = append(what, "OpenTelemetry "+t)
	}
	if len(what) == 0 {
		return r.Strategy
	}
	return fmt.Sprintf("%s (%s)", r.Strategy, strings.Join(what, ", "))
}

// totalRequests is the sum of the counts of m.
func totalRequests(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}
