package staging

import (
	"path"
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
	lockName         = "lock"
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

// layout holds the paths of one job: in the staging dir relative to it,
// slash-separated (the staging dir's fsys takes them), and the job's
// buffer directory.
type layout struct {
	jobDir    string // <jobID>, in the staging dir
	bufferDir string // <buffer>/<jobID>, an OS path
}

func newLayout(bufferDir, jobID string) layout {
	l := layout{jobDir: jobID}
	if bufferDir != "" {
		l.bufferDir = filepath.Join(bufferDir, jobID)
	}
	return l
}

func (l layout) record() string      { return path.Join(l.jobDir, jobRecordName) }
func (l layout) tasksDir() string    { return path.Join(l.jobDir, tasksDirName) }
func (l layout) sealedDir() string   { return path.Join(l.jobDir, sealedTasksName) }
func (l layout) attemptsDir() string { return path.Join(l.jobDir, attemptsDirName) }
func (l layout) commitDir() string   { return path.Join(l.jobDir, commitDirName) }
func (l layout) journal() string     { return path.Join(l.commitDir(), journalName) }
func (l layout) lock() string        { return path.Join(l.jobDir, lockName) }

func (l layout) pendingSet(taskID string) string {
	return path.Join(l.tasksDir(), taskID+pendingSetSuffix)
}

// attemptName is "<taskID>_<attempt>"; the attempt number after the last
// '_' makes it unambiguous.
func attemptName(taskID string, attempt int) string {
	return taskID + "_" + strconv.Itoa(attempt)
}

func (l layout) intents(taskID string, attempt int) string {
	return path.Join(l.attemptsDir(), attemptName(taskID, attempt)+intentsSuffix)
}

// attemptBuffer is the attempt's directory, relative to the buffer dir.
func (l layout) attemptBuffer(taskID string, attempt int) string {
	return path.Join(l.jobDir, attemptName(taskID, attempt))
}
