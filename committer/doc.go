// Package committer is the protocol of an all-or-nothing job output commit,
// as Go types and without I/O: the driver's [Job], a task's [TaskAttempt],
// the [Committer] that sets up and opens jobs, their IDs and validation,
// the [ConflictMode]s and the sentinel errors every implementation returns.
//
// The protocol follows Hadoop's output committers:
//
//	driver:        SetupJob → (tasks run) → CommitJob or AbortJob
//	task attempt:  OpenJob → SetupTask → write files → NeedsTaskCommit →
//	               CommitTask or AbortTask
//
// Package staging implements it on S3 multipart uploads; package
// committer/committertest is the suite any implementation must pass.
package committer
