// Package report turns a benchmark run (the results document written by
// s3bench, see package results) into a Markdown report and PNG charts.
//
// The report states the machine, the versions and the settings of the run,
// one table per workload, the concurrency sweep of the staging strategy,
// and the ratios the benchmark exists to check — staging against direct
// writes and against the rename protocol, staging with its staging dir in
// the object store against staging with it on the filesystem — each marked
// "holds" or "does not hold" (or "not measured" when the run lacks the
// data, as quick runs lack a 1 GiB job-commit point); a few are shown
// without a bound ("no target"), such as staging's client CPU per small
// file over direct's. Where a workload was measured with both staging
// homes, a section compares their times and their requests per file by
// phase and operation; where it was measured with deferred PUTs and
// without, or with uploads at close (paced-files), a section gives their
// figures beside direct's. The charts are drawn with gonum.org/v1/plot:
// throughput by strategy and workload, and job-commit time against bytes
// per file for staging and rename.
//
// [Write] does all of it for one run directory; [Ratios] is the
// computation alone.
package report
