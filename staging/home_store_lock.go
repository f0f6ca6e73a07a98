package staging

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/s3commit/s3commit/staging/internal/storerecords"
)

// The store has no flock: a job's lock in the store home is a claim on its
// journal (storerecords.Journal.Claim), and a lease kept by a heartbeat.
//
//   - Fencing. Every chunk of the journal is created with If-None-Match: *
//     and numbered: of two drivers that write chunk N, one is refused, and a
//     driver whose claim another claim followed is refused at its next
//     chunk. Its writes end with ErrJobBusy and it stops; a run that is
//     fenced undoes nothing (the winner carries the job on).
//   - The lease. A process that dies holds no flock that the kernel
//     releases; the store cannot tell a dead driver from a slow one. The
//     holder writes a heartbeat chunk every lease/3; a driver that finds
//     the journal claimed and not released watches it for a lease: a chunk
//     written meanwhile means the holder lives (ErrJobBusy), none means it
//     is gone and the journal is claimed. A driver that ends a run without
//     removing the job releases the journal, so that the next run claims at
//     once.
//
// Unlike a flock, a holder stalled longer than a lease (a paused VM, a
// partition) may act after another driver claimed: it learns it is fenced
// at its next chunk, within a batch interval of its completions. Every
// completion it made is of an upload of the job's pendingsets, which the
// new holder completes or rolls back as it would after a lost answer: by
// asking the store.

// storeJournal is the claimed journal of a job in the store home.
type storeJournal struct {
	j    *storerecords.Journal
	stop chan struct{}
	done chan struct{}

	mu        sync.Mutex
	abandoned bool // the job is being removed: no released entry
}

// watchLease waits a lease out (tests replace it through
// Committer.leaseWatch).
func (c *Committer) watchLease(ctx context.Context, d time.Duration) error {
	if c.leaseWatch != nil {
		return c.leaseWatch(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (c *Committer) leaseTime() time.Duration {
	if c.opts.LockLease > 0 {
		return c.opts.LockLease
	}
	return defaultLease
}

// journalOptions are the options of every journal of the store home.
func journalOptions() storerecords.JournalOptions {
	return storerecords.JournalOptions{MaxJournalBytes: maxJournalBytes}
}

func (h *storeHome) lock(ctx context.Context, l layout, jobID string) (*jobLock, error) {
	busy := func(why string) error {
		return fmt.Errorf("%w (job %s, journal %s): %s; wait for it to end", ErrJobBusy, jobID, h.where(l.journalDir()), why)
	}
	j, rep, err := storerecords.OpenJournal(ctx, h.r, l.journalDir(), journalOptions())
	if err != nil {
		return nil, err
	}
	if held(rep) {
		lease := h.c.leaseTime()
		next := rep.Next
		h.log.InfoContext(ctx, "the job's journal is claimed and not released: watching it for a lease before claiming it",
			"job", jobID, "lease", lease)
		if err := h.c.watchLease(ctx, lease); err != nil {
			return nil, err
		}
		if j, rep, err = storerecords.OpenJournal(ctx, h.r, l.journalDir(), journalOptions()); err != nil {
			return nil, err
		}
		if rep.Next != next {
			return nil, busy("another driver wrote to the journal within its lease")
		}
	}
	host, _ := os.Hostname()
	token := fmt.Sprintf("%s pid %d", host, os.Getpid())
	if err := j.Claim(ctx, token); err != nil {
		if errors.Is(err, storerecords.ErrFenced) {
			return nil, busy("another driver claimed the journal first")
		}
		return nil, fmt.Errorf("claim the job's journal: %w", err)
	}
	sj := &storeJournal{j: j, stop: make(chan struct{}), done: make(chan struct{})}
	go sj.heartbeat(h.c.leaseTime() / 3)
	return &jobLock{free: sj.release, journal: sj}, nil
}

// held reports whether the last claim of a journal is not followed by a
// released entry.
func held(rep *storerecords.Replay) bool {
	if len(rep.Claims) == 0 {
		return false
	}
	last := rep.Claims[len(rep.Claims)-1]
	for _, e := range rep.Entries[last.Entries:] {
		var je journalEntry
		if json.Unmarshal(e, &je) == nil && (je.Op == opReleased || je.Op == opReverted || je.Op == opSuccess) {
			return false
		}
	}
	return true
}

func (s *storeJournal) heartbeat(every time.Duration) {
	defer close(s.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), every)
			err := s.write(ctx, journalEntry{Op: opHeartbeat})
			cancel()
			if errors.Is(err, ErrJobBusy) {
				return // fenced: the run's next write says so
			}
		}
	}
}

// abandon ends the lease without releasing the journal: the job is being
// removed.
func (s *storeJournal) abandon() {
	s.mu.Lock()
	s.abandoned = true
	s.mu.Unlock()
}

// release stops the heartbeat and, unless the job is being removed,
// journals that the journal is free.
func (s *storeJournal) release() {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	abandoned := s.abandoned
	s.mu.Unlock()
	if abandoned {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_ = s.write(ctx, journalEntry{Op: opReleased})
}

// write appends entries and flushes them.
func (s *storeJournal) write(ctx context.Context, entries ...journalEntry) error {
	for _, e := range entries {
		if err := s.append(ctx, e); err != nil {
			return err
		}
	}
	return s.fenced(s.j.Flush(ctx))
}

func (s *storeJournal) append(ctx context.Context, e journalEntry) error {
	e.Time = time.Now().UnixMilli()
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return s.fenced(s.j.Append(ctx, data))
}

// fenced turns a fenced write into ErrJobBusy.
func (s *storeJournal) fenced(err error) error {
	if errors.Is(err, storerecords.ErrFenced) {
		return fmt.Errorf("%w: %w", ErrJobBusy, err)
	}
	if err != nil {
		return fmt.Errorf("write the job-commit journal: %w", err)
	}
	return nil
}

// storeJournalWriter is the journalWriter of a held storeJournal; Close
// leaves the journal to the lock.
type storeJournalWriter struct{ s *storeJournal }

func (w storeJournalWriter) add(ctx context.Context, entries ...journalEntry) error {
	return w.s.write(ctx, entries...)
}

func (w storeJournalWriter) addCompleted(ctx context.Context, e journalEntry) error {
	return w.s.append(ctx, e)
}

func (w storeJournalWriter) flush(ctx context.Context) error { return w.s.fenced(w.s.j.Flush(ctx)) }

func (w storeJournalWriter) Close() error { return nil }

func (h *storeHome) openJournal(_ context.Context, l layout, lk *jobLock) (journalWriter, error) {
	if lk == nil || lk.journal == nil {
		return nil, fmt.Errorf("the job-commit journal %s is written only by the driver that claimed it", h.where(l.journalDir()))
	}
	return storeJournalWriter{lk.journal}, nil
}

// lockHeld reports whether the journal, as readJournal read it, is
// claimed and not released, and its holder wrote to it within a lease
// (the default lease, give or take the clock skew): a commit runs. A
// claim whose holder has been silent longer is a driver that died: the
// job reads as interrupted. A claim with nothing written since has no
// known time: held.
func (h *storeHome) lockHeld(_ context.Context, _ layout, st *journalState) bool {
	if !st.claimed {
		return false
	}
	return st.lastWrite.IsZero() || time.Since(st.lastWrite) < h.c.leaseTime()+timeSkew
}

// noteClaim records in st whether rep is claimed and not released, and
// the time of its last entry since the claim.
func noteClaim(st *journalState, rep *storerecords.Replay) {
	if st.claimed = held(rep); !st.claimed {
		return
	}
	last := rep.Claims[len(rep.Claims)-1]
	if len(rep.Entries) == last.Entries {
		return
	}
	var e journalEntry
	if json.Unmarshal(rep.Entries[len(rep.Entries)-1], &e) == nil {
		st.lastWrite = time.UnixMilli(e.Time)
	}
}
