package staging

import (
	"path/filepath"
	"strconv"
)

// The names of the files and directories of a job in the staging dir.
const (
	jobRecordName    = "job.json"
	tasksDirName     = "tasks"
	sealedTasksName  = "tasks.sealed"
	attemptsDirName  = "attempts"
	commitDirName    = "commit"
	journalName      = "journal"
	pendingSetSuffix = ".pendingset"
	intentsSuffix    = ".intents"
)

// SuccessMarker is the name of the manifest CommitJob writes last, at
// Destination + "/" + SuccessMarker, in Hadoop's SuccessData format (see
// package success).
const SuccessMarker = "_SUCCESS"

// PendingSetPath returns where the pendingset of a committed task of job
// jobID lives in stagingDir until the job commit begins (the commit then
// seals the directory: it renames tasks/ to tasks.sealed/, so that a task
// commit can no longer publish). Tools and tests use it to read or plant
// pendingsets; the IDs are not validated.
func PendingSetPath(stagingDir, jobID, taskID string) string {
	return filepath.Join(stagingDir, jobID, tasksDirName, taskID+pendingSetSuffix)
}

// layout holds the paths of one job.
type layout struct {
	jobDir    string // <staging>/<jobID>
	bufferDir string // <buffer>/<jobID>
}

func newLayout(stagingDir, bufferDir, jobID string) layout {
	return layout{jobDir: filepath.Join(stagingDir, jobID), bufferDir: filepath.Join(bufferDir, jobID)}
}

func (l layout) record() string      { return filepath.Join(l.jobDir, jobRecordName) }
func (l layout) tasksDir() string    { return filepath.Join(l.jobDir, tasksDirName) }
func (l layout) sealedDir() string   { return filepath.Join(l.jobDir, sealedTasksName) }
func (l layout) attemptsDir() string { return filepath.Join(l.jobDir, attemptsDirName) }
func (l layout) commitDir() string   { return filepath.Join(l.jobDir, commitDirName) }
func (l layout) journal() string     { return filepath.Join(l.commitDir(), journalName) }

func (l layout) pendingSet(taskID string) string {
	return filepath.Join(l.tasksDir(), taskID+pendingSetSuffix)
}

// attemptName is "<taskID>_<attempt>"; the attempt number after the last
// '_' makes it unambiguous.
func attemptName(taskID string, attempt int) string {
	return taskID + "_" + strconv.Itoa(attempt)
}

func (l layout) intents(taskID string, attempt int) string {
	return filepath.Join(l.attemptsDir(), attemptName(taskID, attempt)+intentsSuffix)
}

func (l layout) attemptBuffer(taskID string, attempt int) string {
	return filepath.Join(l.bufferDir, attemptName(taskID, attempt))
}
