package staging

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/pendingset"
)

// snapshots for the tests of the decisions: built in memory, as
// loadSnapshot builds them from the staging dir.

var created = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func testRecord(cm committer.ConflictMode, unique bool) *jobRecord {
	return &jobRecord{Version: jobRecordVersion, JobID: "J", Bucket: "lake", Destination: "out",
		Mode: committer.ModeDirectory, Conflict: cm, UniqueFilenames: unique, Created: created.UnixMilli()}
}

// k is the key of file name in the test job's destination.
func k(rec *jobRecord, name string) string {
	return committer.DestinationKey(rec.Destination, name, rec.JobID, rec.UniqueFilenames)
}

type snapBuilder struct{ s *snapshot }

func newSnap(rec *jobRecord) *snapBuilder {
	return &snapBuilder{&snapshot{rec: rec, attempts: map[string]*attemptIntents{}, journal: newJournalState()}}
}

// task adds a committed task whose winning attempt is attempt, with one
// upload per file name ("<name>=<uploadID>").
func (b *snapBuilder) task(taskID, attempt string, files ...string) *snapBuilder {
	ps := &pendingset.Set{ExtraData: map[string]string{pendingset.TaskAttemptIDKey: attempt}}
	for _, f := range files {
		name, id := split(f)
		ps.Commits = append(ps.Commits, pendingset.Upload{Bucket: "lake", Key: k(b.s.rec, name), UploadID: id,
			ETags: []string{"0123456789abcdef0123456789abcdef"}, Length: 1})
	}
	b.s.sets = append(b.s.sets, taskSet{file: taskID + pendingSetSuffix, set: ps})
	return b
}

func split(f string) (string, string) {
	for i := range f {
		if f[i] == '=' {
			return f[:i], f[i+1:]
		}
	}
	return f, ""
}

// intents adds an attempt's intents: "plan:<name>", "up:<name>=<id>",
// "uncertain:<name>", or a raw key with "key:<key>".
func (b *snapBuilder) intents(attempt string, lines ...string) *snapBuilder {
	var in []intent
	for _, l := range lines {
		kind, rest, _ := strings.Cut(l, ":")
		switch kind {
		case "plan":
			in = append(in, intent{Key: k(b.s.rec, rest)})
		case "up":
			name, id := split(rest)
			in = append(in, intent{Key: k(b.s.rec, name), UploadID: id})
		case "uncertain":
			in = append(in, intent{Key: k(b.s.rec, rest), Uncertain: true})
		case "key":
			in = append(in, intent{Key: rest, UploadID: "planted"})
		}
	}
	b.s.addIntents(attempt, in)
	return b
}

// journal applies journal lines.
func (b *snapBuilder) journal(lines ...string) *snapBuilder {
	for _, l := range lines {
		if err := b.s.journal.apply([]byte(l)); err != nil {
			panic(err)
		}
	}
	return b
}

func (b *snapBuilder) build() *snapshot {
	b.s.validateJournal()
	return b.s
}

// up is a listed upload at the test job's file name.
func up(rec *jobRecord, name, id string, initiated time.Time) multipart.Upload {
	return multipart.Upload{Key: k(rec, name), UploadID: id, Initiated: initiated}
}

func refsOf(ups []OrphanUpload) []UploadRef {
	var out []UploadRef
	for _, o := range ups {
		out = append(out, UploadRef{Key: o.Key, UploadID: o.UploadID})
	}
	return out
}

func TestPhaseAndActions(t *testing.T) {
	replace := testRecord(committer.ConflictReplace, true)
	fail := testRecord(committer.ConflictFail, true)
	tests := []struct {
		name   string
		s      *snapshot
		owned  bool
		state  JobState
		commit commitAction
		abort  abortAction
		fail   failureAction // after a failure, not interrupted, not kept
	}{
		{"set up", newSnap(fail).build(), false, StateSetUp, commitProceed, abortRollback, failRevert},
		{"tasks", newSnap(fail).task("t", "t_0", "a=1").build(), false, StateTasksCommitted, commitProceed, abortRollback, failRevert},
		{"began", newSnap(fail).task("t", "t_0", "a=1").journal(`{"op":"begin"}`).build(), false, StateInterrupted, commitProceed, abortRollback, failRevert},
		{"success written, journal missed it", newSnap(fail).task("t", "t_0", "a=1").journal(`{"op":"begin"}`).build(), true, StateCommitted, commitProceed, abortFinishCleanup, failRevert},
		{"succeeded", newSnap(fail).journal(`{"op":"begin"}`, `{"op":"success"}`).build(), false, StateCommitted, commitFinishCleanup, abortFinishCleanup, failRevert},
		{"reverted", newSnap(fail).journal(`{"op":"begin"}`, `{"op":"reverted"}`).build(), false, StateReverted, commitRefuseReverted, abortRemoveOnly, failRevert},
		{"reverting", newSnap(fail).task("t", "t_0", "a=1").journal(`{"op":"begin"}`, `{"op":"completed","key":"out/a-J","uploadId":"1","etag":"e"}`, `{"op":"reverting"}`).build(),
			false, StateReverting, commitRefuseReverting, abortRollback, failRevert},
		{"reverting an open job", newSnap(fail).task("t", "t_0", "a=1").journal(`{"op":"reverting"}`).build(),
			false, StateReverting, commitRefuseReverting, abortRollback, failRevert},
		{"replace listing old objects", newSnap(replace).task("t", "t_0", "a=1").journal(`{"op":"begin"}`, `{"op":"delete-keys","keys":["out/old"]}`).build(),
			false, StateInterrupted, commitProceed, abortRollback, failRevert},
		{"replace deleting", newSnap(replace).task("t", "t_0", "a=1").journal(`{"op":"begin"}`, `{"op":"delete-keys","keys":["out/old"]}`, `{"op":"delete"}`).build(),
			false, StateMustResume, commitProceed, abortRefuse, failRollForward},
		{"replace deleting, old format", newSnap(replace).task("t", "t_0", "a=1").journal(`{"op":"begin"}`, `{"op":"delete","keys":["out/old"]}`).build(),
			false, StateMustResume, commitProceed, abortRefuse, failRollForward},
		{"replace with nothing old to delete", newSnap(replace).task("t", "t_0", "a=1").journal(`{"op":"begin"}`, `{"op":"delete"}`).build(),
			false, StateInterrupted, commitProceed, abortRollback, failRevert},
		{"replace deleting its own output (planted)", newSnap(replace).task("t", "t_0", "a=1").journal(`{"op":"begin"}`, `{"op":"delete","keys":["out/a-J"]}`).build(),
			false, StateInterrupted, commitProceed, abortRollback, failRevert},
		{"replace deleted, success written", newSnap(replace).task("t", "t_0", "a=1").journal(`{"op":"begin"}`, `{"op":"delete","keys":["out/old"]}`, `{"op":"deleted"}`).build(),
			true, StateCommitted, commitProceed, abortFinishCleanup, failRollForward},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.state, tt.s.state(false, tt.owned), "InspectJob's state")
			assert.Equal(t, StateCommitting, tt.s.state(true, tt.owned), "a held lock")
			assert.Equal(t, tt.commit, tt.s.commitAction(false), "CommitJob")
			assert.Equal(t, tt.abort, tt.s.abortAction(tt.owned), "AbortJob")
			assert.Equal(t, tt.fail, tt.s.failureAction(false, false, false), "a failed commit")
			if tt.fail != failRollForward {
				assert.Equal(t, failKeep, tt.s.failureAction(true, false, false), "an interrupted commit")
				assert.Equal(t, failKeep, tt.s.failureAction(false, true, false), "a store that did not answer")
				assert.Equal(t, failKeep, tt.s.failureAction(false, false, true), "KeepStateOnFailure")
			}
		})
	}
}

// TestCommitAbortAndInspectAgree feeds the same snapshots and store
// listings to the decisions of CommitJob (its cleanup after a commit),
// AbortJob (its rollback) and InspectJob (its report) and checks that they
// agree: what InspectJob calls an orphan is exactly what both others abort
// of what the store lists, a rollback aborts that and every pending
// upload, the states match the actions, and no upload of another writer
// or older than the job is touched by any of them.
func TestCommitAbortAndInspectAgree(t *testing.T) {
	uniq := testRecord(committer.ConflictAppend, true)
	plain := testRecord(committer.ConflictAppend, false)
	after, before := created.Add(time.Hour), created.Add(-time.Hour)
	tests := []struct {
		name     string
		s        *snapshot
		listed   []multipart.Upload
		orphans  []string // "<name>=<id>" InspectJob must report
		untouch  []string // listed uploads nobody may abort
		problems int
	}{
		{
			name:   "clean",
			s:      newSnap(uniq).task("t", "t_0", "a=1").intents("t_0", "plan:a", "up:a=1").build(),
			listed: []multipart.Upload{up(uniq, "a", "1", after)},
		},
		{
			name: "a losing attempt's recorded uploads",
			s: newSnap(uniq).task("t", "t_1", "a=1").intents("t_1", "plan:a", "up:a=1").
				intents("t_2", "plan:a", "plan:b", "up:a=2", "up:b=3").build(),
			listed:  []multipart.Upload{up(uniq, "a", "1", after), up(uniq, "a", "2", after), up(uniq, "b", "3", after)},
			orphans: []string{"a=2", "b=3"},
		},
		{
			name:    "a lost creation answer, retried",
			s:       newSnap(uniq).task("t", "t_0", "a=1").intents("t_0", "plan:a", "uncertain:a", "up:a=1").build(),
			listed:  []multipart.Upload{up(uniq, "a", "1", after), up(uniq, "a", "9", after)},
			orphans: []string{"a=9"},
		},
		{
			name: "a run that died between a creation and its record, then won",
			s: newSnap(uniq).task("t", "t_0", "a=1").
				intents("t_0", "plan:a", "plan:a", "up:a=1").build(),
			listed:  []multipart.Upload{up(uniq, "a", "1", after), up(uniq, "a", "8", after)},
			orphans: []string{"a=8"},
		},
		{
			name:    "an upload older than the job at a suspect key",
			s:       newSnap(uniq).intents("t_0", "plan:a").build(),
			listed:  []multipart.Upload{up(uniq, "a", "7", before), up(uniq, "a", "8", after)},
			orphans: []string{"a=8"},
			untouch: []string{"a=7"},
		},
		{
			name:    "an unrecorded upload where no record says one may be",
			s:       newSnap(uniq).task("t", "t_0", "a=1").intents("t_0", "plan:a", "up:a=1").build(),
			listed:  []multipart.Upload{up(uniq, "a", "1", after), up(uniq, "a", "5", after)},
			untouch: []string{"a=5"},
		},
		{
			name:    "without unique filenames an unrecorded upload may be another job's",
			s:       newSnap(plain).task("t", "t_0", "a=1").intents("t_0", "plan:a", "uncertain:a", "up:a=1").intents("t_9", "plan:b", "up:b=4").build(),
			listed:  []multipart.Upload{up(plain, "a", "1", after), up(plain, "a", "6", after), up(plain, "b", "4", after)},
			orphans: []string{"b=4"},
			untouch: []string{"a=6"},
		},
		{
			name:     "intents outside the destination are left out",
			s:        newSnap(uniq).intents("t_0", "key:finance/ledger-J.csv", "key:out/../finance/x-J.csv", "key:out/_SUCCESS").build(),
			listed:   []multipart.Upload{{Key: "finance/ledger-J.csv", UploadID: "planted", Initiated: after}},
			untouch:  []string{"finance/ledger-J.csv=planted"},
			problems: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.s
			assert.Len(t, s.recordProblems, tt.problems)
			x := s.index()
			sweep := s.sweepKeys(x)
			var atSweep []multipart.Upload
			for _, u := range tt.listed {
				if slices.Contains(sweep, u.Key) {
					atSweep = append(atSweep, u)
				}
			}
			// InspectJob: lists every key of the job.
			rep := s.report(false, false)
			s.reconcile(&rep, tt.listed)
			inspected := refsOf(rep.Orphans)
			// CommitJob's cleanup: stale uploads by ID, then a sweep.
			cleanup := append(s.staleUploads(x), refsOf(s.orphans(x, atSweep))...)
			// AbortJob's rollback: the pending uploads too.
			rollback := slices.Clone(cleanup)
			for _, p := range s.uploads() {
				rollback = append(rollback, UploadRef{Key: p.Key, UploadID: p.UploadID})
			}

			var want []UploadRef
			for _, o := range tt.orphans {
				name, id := split(o)
				want = append(want, UploadRef{Key: k(s.rec, name), UploadID: id})
			}
			assert.ElementsMatch(t, want, inspected, "InspectJob's orphans")
			listedRefs := map[UploadRef]bool{}
			for _, u := range tt.listed {
				listedRefs[UploadRef{Key: u.Key, UploadID: u.UploadID}] = true
			}
			var cleanupListed []UploadRef
			for _, r := range cleanup {
				if listedRefs[r] {
					cleanupListed = append(cleanupListed, r)
				}
			}
			assert.ElementsMatch(t, inspected, cleanupListed, "CommitJob's cleanup aborts what InspectJob calls orphans")
			for _, o := range inspected {
				assert.Contains(t, rollback, o, "AbortJob aborts every orphan")
			}
			for _, u := range tt.untouch {
				name, id := split(u)
				key := name
				if !strings.Contains(name, "/") {
					key = k(s.rec, name)
				}
				ref := UploadRef{Key: key, UploadID: id}
				assert.NotContains(t, cleanup, ref, "cleanup leaves %s", u)
				assert.NotContains(t, rollback, ref, "rollback leaves %s", u)
				assert.NotContains(t, inspected, ref, "InspectJob does not call %s an orphan", u)
			}
		})
	}
}

func TestObjectMadeBy(t *testing.T) {
	p := &pendingset.Upload{Length: 10, ETags: []string{"0123456789abcdef0123456789abcdef"}}
	want, ok := multipart.MultipartETag(p.ETags)
	require.True(t, ok)
	began := created
	tests := []struct {
		name      string
		info      multipart.ObjectInfo
		etag      string
		notBefore time.Time
		p         *pendingset.Upload
		ours      bool
	}{
		{"computed ETag", multipart.ObjectInfo{Size: 10, ETag: `"` + want + `"`}, "", began, p, true},
		{"other ETag", multipart.ObjectInfo{Size: 10, ETag: "ffff-1"}, "", began, p, false},
		{"other size", multipart.ObjectInfo{Size: 11, ETag: want}, "", began, p, false},
		{"journaled ETag", multipart.ObjectInfo{Size: 10, ETag: "abc-1"}, "abc-1", began, p, true},
		{"journaled ETag differs", multipart.ObjectInfo{Size: 10, ETag: want}, "abc-1", began, p, false},
		{"unpredictable ETag, written after the commit began", multipart.ObjectInfo{Size: 10, ETag: "x", LastModified: began.Add(time.Second)}, "", began,
			&pendingset.Upload{Length: 10, ETags: []string{"not-md5"}}, true},
		{"unpredictable ETag, older", multipart.ObjectInfo{Size: 10, ETag: "x", LastModified: began.Add(-time.Hour)}, "", began,
			&pendingset.Upload{Length: 10, ETags: []string{"not-md5"}}, false},
		{"unpredictable ETag, no commit time", multipart.ObjectInfo{Size: 10, ETag: "x", LastModified: began}, "", time.Time{},
			&pendingset.Upload{Length: 10, ETags: []string{"not-md5"}}, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.ours, objectMadeBy(tt.info, tt.p, tt.etag, tt.notBefore), tt.name)
	}
}
