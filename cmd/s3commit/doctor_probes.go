package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"sync"

	"github.com/s3commit/s3commit/multipart"
)

// doctorInput is what "s3commit doctor" probes.
type doctorInput struct {
	// Store is the store on the target's bucket. Its answers are taken
	// as they come: give a store without a retrying layer (a retried
	// conditional write meets its own first attempt's object).
	Store multipart.Store
	// Target is the bucket and prefix probed: the probe's keys are under
	// Target.Key/.s3commit-doctor-<nonce>/.
	Target s3URL
	// Racers is the number of concurrent writers of the race checks; 0
	// means defaultRacers.
	Racers int
	// Endpoint is the URL whose HTTP Date and Server headers the clock
	// and expiry checks read; empty leaves those unknown.
	Endpoint string
	// HTTPClient sends that request; nil means an http.Client with a
	// timeout.
	HTTPClient httpDoer
	// Lifecycle looks up the bucket's lifecycle rules; nil leaves the
	// lifecycle check unknown.
	Lifecycle lifecycleLookup
	// Staging is the staging dir to check (--staging), or nil.
	Staging *stagingTarget
	// Nonce makes the probe's keys unique; empty means a random one.
	Nonce string
	// Retry is the policy of the clean-up's calls (the probes' calls are
	// not retried); the zero value is multipart's default.
	Retry multipart.RetryPolicy
}

// defaultRacers is the number of concurrent writers of the race checks.
const defaultRacers = 8

// probeDirPrefix starts the name of the probe's own directory of keys.
const probeDirPrefix = ".s3commit-doctor-"

// probeBase returns the probe's prefix under the target's key prefix,
// ending in '/': prefix/.s3commit-doctor-<nonce>/.
func probeBase(prefix, nonce string) string {
	prefix = strings.TrimRight(prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	return prefix + probeDirPrefix + nonce + "/"
}

// newNonce returns 16 random hex digits.
func newNonce() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x", b)
}

// runDoctorProbes runs every check of "s3commit doctor" and removes what
// the probes made, also when ctx ends (SIGINT) or a probe fails. When ctx
// ends, the report holds the rows that finished, is marked interrupted,
// and the context's error is returned with it.
func runDoctorProbes(ctx context.Context, in doctorInput) (*doctorReport, error) {
	if in.Racers <= 0 {
		in.Racers = defaultRacers
	}
	if in.Nonce == "" {
		in.Nonce = newNonce()
	}
	base := probeBase(in.Target.Key, in.Nonce)
	rep := &doctorReport{Target: in.Target.String(), ProbePrefix: base}
	if in.Staging != nil {
		rep.Staging = in.Staging.String()
	}
	// One listing first: a missing bucket, wrong credentials or an
	// endpoint that does not answer end the command here, before any
	// probe, rather than as a table of unknowns.
	if err := preflight(ctx, in.Store, base); err != nil {
		return nil, err
	}
	sess := newProbeSession(in.Store, base, in.Retry)
	p := &prober{s: sess, racers: in.Racers, nonce: in.Nonce}

	var clock *clockProbe
	steps := []func(context.Context) []doctorRow{
		p.putIfNoneMatch,
		p.putRace,
		p.completeIfNoneMatch,
		p.completeRace,
		p.abortUnknown,
		p.listByPrefix,
		func(ctx context.Context) []doctorRow { return p.fullObjectChecksum(ctx, multipart.ChecksumCRC64NVME) },
		func(ctx context.Context) []doctorRow { return p.fullObjectChecksum(ctx, multipart.ChecksumCRC32C) },
		p.objectSize,
		func(ctx context.Context) []doctorRow {
			clock = probeClock(ctx, in.HTTPClient, in.Endpoint)
			return []doctorRow{clock.skewRow(), clock.expiryRow()}
		},
		func(ctx context.Context) []doctorRow {
			return []doctorRow{lifecycleRow(ctx, in.Lifecycle, in.Target.Key)}
		},
	}
	if in.Staging != nil {
		steps = append(steps, func(ctx context.Context) []doctorRow {
			rows, removed, left := checkStaging(ctx, in.Staging, in.Target, in.Racers, in.Nonce, in.Retry)
			rep.Removed.Objects += removed.Objects
			rep.Removed.Uploads += removed.Uploads
			rep.Left = append(rep.Left, left...)
			return rows
		})
	}
	// The clean-up runs however the probes end: interrupted, failed, or
	// with a panic, which goes on after it.
	defer func() {
		removed, left := sess.cleanup(ctx)
		rep.Removed.Objects += removed.Objects
		rep.Removed.Uploads += removed.Uploads
		rep.Left = append(left, rep.Left...)
		rep.finish()
	}()
	for _, step := range steps {
		rows := step(ctx)
		if ctx.Err() != nil {
			// The step's rows may describe the interruption, not the
			// store: they are dropped.
			rep.Interrupted = true
			break
		}
		rep.Rows = append(rep.Rows, rows...)
	}
	if clock != nil {
		rep.Endpoint, rep.Server = clock.endpoint, clock.server
	}
	if rep.Interrupted {
		return rep, fmt.Errorf("doctor interrupted: %w", context.Cause(ctx))
	}
	return rep, nil
}

// preflight lists the probe's prefix: the store must answer, and nothing
// may be there yet (the prefix is random).
func preflight(ctx context.Context, st multipart.Store, base string) error {
	for o, err := range st.ListObjects(ctx, base) {
		if err != nil {
			return storeError(fmt.Sprintf("list s3://%s/%s before probing", st.Bucket(), base), err)
		}
		return fmt.Errorf("s3://%s/%s holds an object already; run doctor again (the probe's prefix is random)", st.Bucket(), o.Key)
	}
	return nil
}

// prober runs the store checks in one probe session.
type prober struct {
	s      *probeSession
	racers int
	nonce  string
}

// token returns bytes unique to this probe and label.
func (p *prober) token(label string) []byte {
	return []byte("s3commit doctor probe " + p.nonce + " " + label + "\n")
}

// What s3commit does about each answer; the rows quote these.
const (
	putWorks = "a staging dir in this store (s3://BUCKET/PREFIX) can hold the job records: each is created once, the first writer wins"
	putFails = "refuses a staging dir in this store (SetupJob fails with ErrConditionalWritesIgnored): " +
		"keep the staging dir on a shared filesystem (--staging-dir DIR, staging.Options.StagingDir)"
	putUnknown = "cannot tell whether a staging dir in this store is safe; a staging dir on a shared filesystem does not need it"

	completeWorks = "the fail conflict mode (the default) completes every file with If-None-Match: *: " +
		"an object written at one of its keys during the job is caught (ErrDestinationExists), never overwritten"
	completeFails = "the fail conflict mode (the default) cannot catch a writer racing the job commit: the last completion silently wins; " +
		"no option restores it: keep other writers out of the destination (unique filenames, on by default, keep jobs apart)"
	completeUnknown = "cannot tell whether the fail conflict mode catches a writer racing the job commit"

	repeatUnknown    = "cannot tell how the committer's check of a repeated completion fares on this store"
	abortUnknownText = "cannot tell whether aborts are idempotent on this store"
	listUnknown      = "cannot tell whether the uploads of killed task attempts can be found on this store"
)

// race runs f(0) … f(n-1) at once, released together, and returns their
// errors.
func race(n int, f func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// raceTally counts the outcome of a race of conditional writes.
type raceTally struct {
	winners []int  // the writers that succeeded
	refused int    // answered PreconditionFailed
	other   int    // failed otherwise
	first   string // the first other answer
}

func tally(errs []error) raceTally {
	var t raceTally
	for i, err := range errs {
		switch {
		case err == nil:
			t.winners = append(t.winners, i)
		case errors.Is(err, multipart.ErrPreconditionFailed):
			t.refused++
		default:
			t.other++
			if t.first == "" {
				t.first = answer(err)
			}
		}
	}
	return t
}

// describe says how the race went: "1 of 8 won, 7 got PreconditionFailed".
func (t raceTally) describe(n int) string {
	s := fmt.Sprintf("%d of %d won, %d got PreconditionFailed", len(t.winners), n, t.refused)
	if t.other > 0 {
		s += fmt.Sprintf(", %d failed otherwise (%s)", t.other, t.first)
	}
	return s
}

// judge fills the row of a race of n writers of bodies from its tally and
// the object read back after it (got, or the read's error rerr): exactly
// one winner whose bytes are the object's works; more winners, or an
// object that is not the winner's, gets failed; anything else is unknown.
// works, fails and unknown say what s3commit does in each case.
func (t raceTally) judge(row doctorRow, n int, got []byte, rerr error, bodies [][]byte, failed doctorVerdict, works, fails, unknown string) []doctorRow {
	row.Result = t.describe(n)
	switch {
	case rerr != nil:
		return unknownRow(row, row.Result+"; reading the object back failed: "+answer(rerr), unknown)
	case len(t.winners) > 1:
		row.Verdict, row.S3commit = failed, fails
	case len(t.winners) == 1 && bytes.Equal(got, bodies[t.winners[0]]) && t.other == 0:
		row.Result += "; the object is the winner's"
		row.Verdict, row.S3commit = verdictWorks, works
	case len(t.winners) == 1 && !bytes.Equal(got, bodies[t.winners[0]]):
		row.Result += "; the object is not the winner's"
		row.Verdict, row.S3commit = failed, fails
	default:
		return unknownRow(row, row.Result, unknown)
	}
	return []doctorRow{row}
}

// unknownRow fills row for a check that could not tell.
func unknownRow(row doctorRow, result, s3commit string) []doctorRow {
	row.Result, row.Verdict, row.S3commit = result, verdictUnknown, s3commit
	return []doctorRow{row}
}

// putIfNoneMatch: a second PutObject with If-None-Match: * over an object
// is refused with 412 and leaves the object as it was.
func (p *prober) putIfNoneMatch(ctx context.Context) []doctorRow {
	return probePutSequential(ctx, p.s, "put_if_none_match", p.token("put first"), p.token("put second"))
}

// probePutSequential is putIfNoneMatch on a session and row ID of its
// own (the staging store has its own).
func probePutSequential(ctx context.Context, s *probeSession, id string, first, second []byte) []doctorRow {
	row := doctorRow{ID: id, Check: "PutObject If-None-Match: *, a second writer", Required: true}
	key := s.key("put-exclusive")
	if _, err := s.put(ctx, key, first, true); err != nil {
		return unknownRow(row, "the first put failed: "+answer(err), putUnknown)
	}
	_, err := s.put(ctx, key, second, true)
	got, rerr := s.read(ctx, key, 1<<10)
	if rerr != nil {
		return unknownRow(row, fmt.Sprintf("the second put: %s; reading the object back failed: %s", answer(err), answer(rerr)), putUnknown)
	}
	kept := bytes.Equal(got, first)
	switch {
	case err == nil:
		row.Result, row.Verdict, row.S3commit = "success: the second writer replaced the object", verdictRefuses, putFails
	case errors.Is(err, multipart.ErrPreconditionFailed) && kept:
		row.Result, row.Verdict, row.S3commit = answer(err)+"; the object is the first writer's", verdictWorks, putWorks
	case errors.Is(err, multipart.ErrPreconditionFailed):
		row.Result, row.Verdict, row.S3commit = answer(err)+", but the object was replaced", verdictRefuses, putFails
	default:
		return unknownRow(row, "the second put: "+answer(err), putUnknown)
	}
	return []doctorRow{row}
}

// putRace: of racers PutObject calls with If-None-Match: * to one new key,
// exactly one succeeds and its object stays.
func (p *prober) putRace(ctx context.Context) []doctorRow {
	return probePutRace(ctx, p.s, "put_if_none_match_race", p.racers, p.token)
}

// probePutRace is putRace on a session and row ID of its own.
func probePutRace(ctx context.Context, s *probeSession, id string, n int, token func(string) []byte) []doctorRow {
	row := doctorRow{ID: id, Check: fmt.Sprintf("PutObject If-None-Match: *, %d writers at once", n), Required: true}
	key := s.key("put-race")
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = token(fmt.Sprintf("put racer %d", i))
	}
	t := tally(race(n, func(i int) error {
		_, err := s.put(ctx, key, bodies[i], true)
		return err
	}))
	got, rerr := s.read(ctx, key, 1<<10)
	return t.judge(row, n, got, rerr, bodies, verdictRefuses, putWorks, putFails, putUnknown)
}

// completeIfNoneMatch: a second CompleteMultipartUpload with
// If-None-Match: * at a key that holds an object is refused with 412 and
// leaves the object as it was. Then the first completion is repeated (the
// repeated_completion row).
func (p *prober) completeIfNoneMatch(ctx context.Context) []doctorRow {
	row := doctorRow{ID: "complete_if_none_match", Check: "CompleteMultipartUpload If-None-Match: *, a second writer", Required: true}
	key := p.s.key("complete-exclusive")
	first, second := p.token("complete first"), p.token("complete second")
	id, parts, err := p.s.upload(ctx, key, first)
	if err != nil {
		return unknownRow(row, "creating the first upload failed: "+answer(err), completeUnknown)
	}
	if _, err := p.s.complete(ctx, key, id, parts, multipart.CompleteOptions{IfNoneMatch: true}); err != nil {
		return unknownRow(row, "the first completion, at a key without an object, failed: "+answer(err), completeUnknown)
	}
	id2, parts2, err := p.s.upload(ctx, key, second)
	if err != nil {
		return unknownRow(row, "creating the second upload failed: "+answer(err), completeUnknown)
	}
	_, cerr := p.s.complete(ctx, key, id2, parts2, multipart.CompleteOptions{IfNoneMatch: true})
	got, rerr := p.s.read(ctx, key, 1<<10)
	switch {
	case rerr != nil:
		return unknownRow(row, fmt.Sprintf("the second completion: %s; reading the object back failed: %s", answer(cerr), answer(rerr)), completeUnknown)
	case cerr == nil:
		row.Result, row.Verdict, row.S3commit = "success: the second writer replaced the object", verdictUnsafe, completeFails
	case errors.Is(cerr, multipart.ErrPreconditionFailed) && bytes.Equal(got, first):
		row.Result, row.Verdict, row.S3commit = answer(cerr)+"; the object is the first writer's", verdictWorks, completeWorks
	case errors.Is(cerr, multipart.ErrPreconditionFailed):
		row.Result, row.Verdict, row.S3commit = answer(cerr)+", but the object was replaced", verdictUnsafe, completeFails
	default:
		return unknownRow(row, "the second completion: "+answer(cerr), completeUnknown)
	}
	return append([]doctorRow{row}, p.repeatedCompletion(ctx, key, id, parts)...)
}

// repeatedCompletion sends the completion of an upload that took effect
// again, with If-None-Match: * (as the fail conflict mode completes) and
// without, as a client does whose first answer was lost, and reports the
// answers and whether the object stayed as it was.
func (p *prober) repeatedCompletion(ctx context.Context, key, id string, parts []multipart.Part) []doctorRow {
	row := doctorRow{ID: "repeated_completion", Check: "a completion repeated after it took effect"}
	before, err := p.s.store.HeadObject(ctx, key)
	if err != nil {
		return unknownRow(row, "HeadObject of the completed object failed: "+answer(err), repeatUnknown)
	}
	_, withCond := p.s.complete(ctx, key, id, parts, multipart.CompleteOptions{IfNoneMatch: true})
	_, without := p.s.complete(ctx, key, id, parts, multipart.CompleteOptions{})
	after, err := p.s.store.HeadObject(ctx, key)
	row.Result = fmt.Sprintf("with If-None-Match: %s; without: %s", answer(withCond), answer(without))
	if err != nil {
		return unknownRow(row, row.Result+"; HeadObject afterwards failed: "+answer(err), repeatUnknown)
	}
	recognised := func(err error) bool {
		return errors.Is(err, multipart.ErrNoSuchUpload) || errors.Is(err, multipart.ErrPreconditionFailed)
	}
	switch {
	case after.ETag != before.ETag || after.Size != before.Size:
		row.Verdict = verdictUnsafe
		row.Result += "; the object changed"
		row.S3commit = "a completion sent again (its first answer lost) changes the object: a retried or resumed job commit may not leave the file it completed"
	case recognised(withCond) && recognised(without):
		row.Verdict = verdictWorks
		row.S3commit = "a completion whose answer was lost and that is sent again is told apart from a conflict or a lost upload: " +
			"the committer asks the store (ListParts, HeadObject: size and multipart ETag) whether it took effect"
	case withCond == nil || without == nil:
		row.Verdict = verdictCost
		row.S3commit = "the store answers success for an upload it no longer knows when an object is at the key: " +
			"without unique filenames (staging.Options.DisableUniqueFilenames) the committer checks every completed object with a HeadObject; " +
			"with them (the default) only the job writes its keys"
	default:
		row.Verdict = verdictCost
		row.S3commit = "the committer does not take these answers for an upload that is gone: a job commit whose completion answer was lost " +
			"fails and keeps its state; 'jobs show' and 'jobs commit' need an operator"
	}
	return []doctorRow{row}
}

// completeRace: of racers uploads completed at once at one new key with
// If-None-Match: *, exactly one succeeds and its object stays.
func (p *prober) completeRace(ctx context.Context) []doctorRow {
	n := p.racers
	row := doctorRow{ID: "complete_if_none_match_race", Check: fmt.Sprintf("CompleteMultipartUpload If-None-Match: *, %d at once", n), Required: true}
	key := p.s.key("complete-race")
	bodies := make([][]byte, n)
	ids := make([]string, n)
	parts := make([][]multipart.Part, n)
	var failed error
	for i := range n {
		bodies[i] = p.token(fmt.Sprintf("complete racer %d", i))
		var err error
		if ids[i], parts[i], err = p.s.upload(ctx, key, bodies[i]); err != nil {
			failed = err
			break
		}
	}
	if failed != nil {
		return unknownRow(row, "creating the racers' uploads failed: "+answer(failed), completeUnknown)
	}
	t := tally(race(n, func(i int) error {
		_, err := p.s.complete(ctx, key, ids[i], parts[i], multipart.CompleteOptions{IfNoneMatch: true})
		return err
	}))
	got, rerr := p.s.read(ctx, key, 1<<10)
	return t.judge(row, n, got, rerr, bodies, verdictUnsafe, completeWorks, completeFails, completeUnknown)
}

// abortUnknown: what aborting an upload that was aborted already answers.
func (p *prober) abortUnknown(ctx context.Context) []doctorRow {
	row := doctorRow{ID: "abort_unknown_upload", Check: "AbortMultipartUpload of an upload aborted already"}
	key := p.s.key("abort-unknown")
	id, err := p.s.create(ctx, key, multipart.CreateOptions{})
	if err != nil {
		return unknownRow(row, "creating the upload failed: "+answer(err), abortUnknownText)
	}
	if err := p.s.store.AbortUpload(ctx, key, id); err != nil {
		return unknownRow(row, "the first abort failed: "+answer(err), abortUnknownText)
	}
	err = p.s.store.AbortUpload(ctx, key, id)
	row.Result = answer(err)
	switch {
	case errors.Is(err, multipart.ErrNoSuchUpload):
		row.Verdict = verdictWorks
		row.S3commit = "aborts are idempotent: AbortJob, job commits and 'uploads abort' take NoSuchUpload for an upload that is gone already"
	case err == nil:
		row.Verdict = verdictCost
		row.S3commit = "an abort cannot tell an upload that was gone already (completed by someone, expired) from one it removed: " +
			"'uploads abort' and AbortJob count it as aborted"
	default:
		row.Verdict = verdictCost
		row.S3commit = "an abort repeated after one whose answer was lost fails with this answer instead of succeeding: AbortJob and 'uploads abort' report it; run them again"
	}
	return []doctorRow{row}
}

// listByPrefix: whether ListMultipartUploads lists an upload by a prefix
// of its key, or only by its exact key (MinIO).
func (p *prober) listByPrefix(ctx context.Context) []doctorRow {
	row := doctorRow{ID: "list_uploads_by_prefix", Check: "ListMultipartUploads by prefix; by exact key", Required: true}
	key := p.s.key("list/dir/pending.bin")
	id, err := p.s.create(ctx, key, multipart.CreateOptions{})
	if err != nil {
		return unknownRow(row, "creating the upload failed: "+answer(err), listUnknown)
	}
	listed := func(prefix string) (bool, error) {
		for u, err := range p.s.store.ListUploads(ctx, prefix) {
			if err != nil {
				return false, err
			}
			if u.Key == key && u.UploadID == id {
				return true, nil
			}
		}
		return false, nil
	}
	byPrefix, perr := listed(p.s.key("list/"))
	byKey, kerr := listed(key)
	if err := errors.Join(perr, kerr); err != nil {
		return unknownRow(row, "listing failed: "+answer(err), listUnknown)
	}
	say := map[bool]string{true: "listed", false: "not listed"}
	row.Result = fmt.Sprintf("by prefix: %s; by key: %s", say[byPrefix], say[byKey])
	switch {
	case byPrefix && byKey:
		row.Verdict = verdictWorks
		row.S3commit = "'uploads list' and 'uploads abort' list by prefix; --prefix-only skips their listing of the whole bucket"
	case byKey:
		row.Verdict = verdictCost
		row.S3commit = "'uploads list' and 'uploads abort' list the whole bucket and filter (one request per 1000 uploads in the bucket); " +
			"the committer looks its uploads up by exact key (intents), which works"
	default:
		row.Verdict = verdictUnsafe
		row.S3commit = "uploads of task attempts killed during their commit cannot be found: they stay, and cost, until the store expires them"
	}
	return []doctorRow{row}
}

// bulk returns n bytes of a pattern drawn from the probe's nonce.
func (p *prober) bulk(n int) []byte {
	var seed [32]byte
	copy(seed[:], p.nonce)
	r := mrand.NewChaCha8(seed)
	b := make([]byte, n)
	_, _ = r.Read(b)
	return b
}

// wrongChecksum returns c with its last byte changed.
func wrongChecksum(c multipart.Checksum) multipart.Checksum {
	raw, err := base64.StdEncoding.DecodeString(c.Value)
	if err != nil || len(raw) == 0 {
		return multipart.Checksum{Algorithm: c.Algorithm, Value: "AAAAAA=="}
	}
	raw[len(raw)-1] ^= 0xff
	return multipart.Checksum{Algorithm: c.Algorithm, Value: base64.StdEncoding.EncodeToString(raw)}
}

// fullObjectChecksum: an upload of two parts (the first of the 5 MiB
// minimum) created with a full-object checksum of algorithm a, each part
// sent with its checksum; a completion with a wrong whole-object checksum
// must be refused, one with the right checksum accepted, and HeadObject
// must report it with type FULL_OBJECT.
func (p *prober) fullObjectChecksum(ctx context.Context, a multipart.ChecksumAlgorithm) []doctorRow {
	row := doctorRow{ID: "checksum_" + strings.ToLower(string(a)), Check: fmt.Sprintf("full-object %s checksum of an upload", a)}
	works, cost, refused := checksumTexts(a)
	bodies := [][]byte{p.bulk(int(multipart.MinPartSize)), p.token("checksum " + string(a))}
	sums := make([]multipart.Checksum, len(bodies))
	sizes := make([]int64, len(bodies))
	for i, b := range bodies {
		var err error
		if sums[i], sizes[i], err = multipart.ComputeChecksum(a, bytes.NewReader(b)); err != nil {
			return unknownRow(row, "computing the checksum failed: "+err.Error(), cost)
		}
	}
	full, err := multipart.CombineChecksums(sums, sizes)
	if err != nil {
		return unknownRow(row, "combining the checksums failed: "+err.Error(), cost)
	}
	key := p.s.key("checksum-" + strings.ToLower(string(a)))
	id, err := p.s.create(ctx, key, multipart.CreateOptions{Checksum: a})
	if err != nil {
		return refusedRow(row, "CreateMultipartUpload with it: ", err, refused)
	}
	parts := make([]multipart.Part, len(bodies))
	for i, b := range bodies {
		if parts[i], err = p.s.part(ctx, key, id, int32(i+1), b, sums[i]); err != nil {
			return refusedRow(row, "UploadPart with the part's checksum: ", err, refused)
		}
	}
	var notes []string
	_, werr := p.s.complete(ctx, key, id, parts, multipart.CompleteOptions{Checksum: wrongChecksum(full)})
	wrongRefused := werr != nil
	switch {
	case werr == nil:
		notes = append(notes, "a wrong one accepted (not checked)")
	case errors.Is(werr, multipart.ErrChecksumMismatch):
		notes = append(notes, "a wrong one refused ("+answer(werr)+")")
		_, err = p.s.complete(ctx, key, id, parts, multipart.CompleteOptions{Checksum: full})
	default:
		notes = append(notes, "a wrong one refused with "+answer(werr))
		_, err = p.s.complete(ctx, key, id, parts, multipart.CompleteOptions{Checksum: full})
	}
	if err != nil {
		return refusedRow(row, strings.Join(append(notes, "the right one refused too: "), "; "), err, refused)
	}
	notes = append([]string{"accepted"}, notes...)
	info, err := p.s.store.HeadObject(ctx, key)
	headOK := false
	switch {
	case err != nil:
		notes = append(notes, "HeadObject failed: "+answer(err))
	case info.Checksum.IsZero():
		notes = append(notes, "HeadObject reports no checksum")
	case info.Checksum == full && info.ChecksumType == multipart.ChecksumTypeFullObject:
		notes = append(notes, "HeadObject reports it, FULL_OBJECT")
		headOK = true
	default:
		typ := info.ChecksumType
		if typ == "" {
			typ = "no type"
		}
		same := "another value"
		if info.Checksum == full {
			same = "the same value"
		}
		notes = append(notes, fmt.Sprintf("HeadObject reports %s %s, %s", info.Checksum.Algorithm, typ, same))
	}
	row.Result = strings.Join(notes, "; ")
	if wrongRefused && headOK {
		row.Verdict, row.S3commit = verdictWorks, works
	} else {
		row.Verdict, row.S3commit = verdictCost, cost
	}
	return []doctorRow{row}
}

// refusedRow fills row for a request of the checksum check that failed:
// a refusal of the request (s3commit's verdict refused), or a failure
// that says nothing about checksums (unknown).
func refusedRow(row doctorRow, what string, err error, refused verdictText) []doctorRow {
	row.Result = what + answer(err)
	if notAboutRequest(err) {
		row.Verdict, row.S3commit = verdictUnknown, "cannot tell whether the store takes the checksum"
		return []doctorRow{row}
	}
	row.Verdict, row.S3commit = refused.verdict, refused.text
	return []doctorRow{row}
}

// notAboutRequest reports whether err is a failure that says nothing about
// what the request asked: access, a missing bucket, the network, the
// server's health.
func notAboutRequest(err error) bool {
	for _, k := range []error{multipart.ErrAccessDenied, multipart.ErrBucketNotFound, multipart.ErrNetwork,
		multipart.ErrServer, multipart.ErrThrottled, multipart.ErrNotFound} {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

// verdictText is a verdict and what s3commit does.
type verdictText struct {
	verdict doctorVerdict
	text    string
}

// checksumTexts returns what s3commit does when the store checks
// full-object checksums of algorithm a, when it accepts but does not
// check them, and when it refuses them. s3commit's Uploader sends
// CRC64NVME; CRC32C is reported for other writers of the bucket.
func checksumTexts(a multipart.ChecksumAlgorithm) (works, cost string, refused verdictText) {
	if a != multipart.ChecksumCRC64NVME {
		return "s3commit sends CRC64NVME, not " + string(a) + "; the store checks " + string(a) + " for other writers",
			"s3commit sends CRC64NVME, not " + string(a) + "; the store does not check " + string(a) + " of other writers",
			verdictText{verdictWorks, "s3commit sends CRC64NVME, not " + string(a)}
	}
	return "task commits (staging.Options.Checksums, default multipart.ChecksumStoreVerified) have the store check every part, and job commits each whole file",
		"the store does not check what task commits send: a file's bytes are checked end to end only by reading the output back; " +
			"staging.Options.Checksums = multipart.ChecksumRecordOnly saves sending the checksums",
		verdictText{verdictRefuses, "task commits with the default (multipart.ChecksumStoreVerified) fail on this store: " +
			"set staging.Options.Checksums (multipart.UploaderOptions.Checksums for the Uploader) to multipart.ChecksumRecordOnly or ChecksumOff"}
}

// objectSize: a completion whose x-amz-mp-object-size is one byte more
// than the parts hold is refused, or ignored (MinIO).
func (p *prober) objectSize(ctx context.Context) []doctorRow {
	row := doctorRow{ID: "mp_object_size", Check: "x-amz-mp-object-size one byte off"}
	key := p.s.key("object-size")
	body := p.token("object size")
	id, parts, err := p.s.upload(ctx, key, body)
	if err != nil {
		return unknownRow(row, "creating the upload failed: "+answer(err), "cannot tell whether the store checks a file's size at completion")
	}
	_, err = p.s.complete(ctx, key, id, parts, multipart.CompleteOptions{ObjectSize: int64(len(body)) + 1})
	if err == nil {
		row.Result, row.Verdict = "accepted (not checked)", verdictCost
		row.S3commit = "the store does not check a file's size at completion; where it checks the full-object checksum, that covers the bytes"
		return []doctorRow{row}
	}
	row.Result = "refused (" + answer(err) + ")"
	if _, err := p.s.complete(ctx, key, id, parts, multipart.CompleteOptions{ObjectSize: int64(len(body))}); err != nil {
		row.Result += "; the right size refused too: " + answer(err)
		row.Verdict = verdictRefuses
		row.S3commit = "job commits send the size of files uploaded with a checksum (PendingUpload.CompleteOptions) and fail on this store: " +
			"set staging.Options.Checksums to multipart.ChecksumRecordOnly or ChecksumOff"
		return []doctorRow{row}
	}
	row.Result += "; the right size accepted"
	row.Verdict = verdictWorks
	row.S3commit = "a job commit's completion whose parts do not add up to the file's recorded size is refused by the store (for files uploaded with a checksum)"
	return []doctorRow{row}
}
