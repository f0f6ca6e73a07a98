// Package chaos is the chaos run of s3commit: many small jobs, each run as
// real processes — the example data job's setup, one task process per
// attempt, its commit or abort, and the s3commit CLI of an operator —
// against real MinIO and versitygw servers, through toxiproxy, with
// network faults and SIGKILLs drawn from a seed. After each job it checks
// against the store itself, not through the proxy, that the job is all or
// nothing.
//
// # A job
//
// A job's plan ([NewPlan]) is drawn from the run's seed and the job's
// index alone: its size (tasks, events, days), mode and conflict mode, an
// object of an earlier writer in its destination (append and replace), the
// datajob's --fail-task and --crash-task, the network faults of its task
// commits and of its job commit, the processes it kills, and what the
// driver and the operator do. The same seed gives the same plans; the
// timing of real processes and servers still differs from run to run, so
// a replay draws the same faults at the same moments of the protocol, not
// necessarily with the same effect.
//
// Faults and kills fire at triggers: a line a process prints (a task's
// "wrote …" before its task commit, the driver's "committing job …"), or a
// record the committer writes in the staging dir (an attempt's intents
// recording N created uploads, the job-commit journal recording N
// completions or _SUCCESS), plus a delay. A fault is a toxic —
// reset_peer, timeout, latency, bandwidth, slicer, limit_data — switched
// on at its trigger and off after a while, or the proxy disabled (the
// driver cut off from the store); a kill is a SIGKILL of a task attempt or
// of the driver.
//
// The harness runs the tasks as a framework would: at most Parallel at
// once, each up to Attempts times. When every task committed, the driver
// commits (datajob commit, which expects every task); when a task is out
// of attempts the driver aborts the job or gives up on it, as the plan
// says. Then the network is fixed (every toxic removed, the proxy
// enabled) and, if the job's staging dir is still there, the operator
// recovers it as a person would, with the network fixed: `s3commit jobs
// show`, then `s3commit jobs commit` (with --expect-task per task, or
// --expect-tasks N) or `s3commit jobs abort`, as the plan says, repeated
// when it fails; a commit refused because a task never committed leads to
// a new attempt of the task, or to an abort, as the plan says.
//
// # The checks
//
// Either the job committed — its _SUCCESS names it and matches a listing
// of the destination (success.Verify), it lists a file per task and day,
// each carrying the job ID, and datajob verify reads every expected record
// exactly once — or nothing of the job is visible and no _SUCCESS of it
// exists. An old object stays unless a replace commit deleted it. No
// multipart upload is left in the bucket: on MinIO the whole bucket is
// listed (an empty prefix lists it all), on other servers the job's prefix
// and every key the job may write. The job's staging dir is gone. What the
// last command reported (committed, or rolled back) is what the store
// shows. A process that hangs, and a job the operator cannot finish, are
// violations too.
//
// # MinIO and a completion cut off in flight
//
// When the connection of a CompleteMultipartUpload is cut while MinIO
// processes it, MinIO may keep the upload but drop its parts: it deletes
// the parts' metadata before it moves the object into place, and a
// cancelled request stops in between. The retried completion then fails
// with InvalidPart while the upload still lists (with no parts); the
// committer reports "a completion of it was cut off in flight" and
// reverts the job. [ScenarioCutCompletion] provokes it: the proxy is
// disabled as soon as the journal shows the first of 28 completions, while
// the others are in flight.
//
// # Lost answers
//
// [ScenarioLostAnswers] resets, from the moment the driver commits, a
// share of the connections when the store's answer comes back: calls take
// effect without their callers learning it. The commit must tell such
// calls apart from failures (DESIGN.md 4.5, ambiguous answers) and, when
// it gives up, revert under the same lossy network; the operator then
// finishes the job.
//
// # Entry points
//
// The tests of this package run it: TestChaosShort, a run of about a
// minute in `make test`, and TestChaos, which `make chaos` runs with the
// flags -chaos.seed, -chaos.jobs, -chaos.duration, -chaos.only,
// -chaos.scenarios and -chaos.results. Nothing imports this package.
package chaos
