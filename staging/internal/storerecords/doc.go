// Package storerecords keeps the records of a staging directory as objects
// in an S3-compatible store, under a key prefix, with the operations the
// staging protocol needs where the shared filesystem offers exclusive
// creation, append-only files and flock: records created once by the first
// writer ([Records.CreateExclusive]), bounded reads ([Records.Read]),
// replacement, listing and removal, an append-only journal of numbered
// chunk objects ([Journal]), and a probe that tells whether a store
// enforces the conditional writes all of this rests on
// ([CheckConditionalWrites]).
//
// # First writer wins
//
// A record is created with PutObject and If-None-Match: *, which AWS S3,
// MinIO and versitygw refuse with 412 PreconditionFailed when an object
// exists at the key: exactly one of the writers racing for a name
// succeeds, and the others get an error that matches [ErrExist].
//
// A put whose answer was lost (a network error, a 5xx, throttling) may
// have taken effect, and a put sent again after one that took effect is
// refused with 412 by the first one's object. Neither answer says whose
// object is at the key, so CreateExclusive reads the object back and
// compares it with what it wrote: the same bytes are its own record (the
// creation succeeded), other bytes are another writer's ([ErrExist]), and
// no object means the put did not take effect: it is sent again, up to
// [Options.CreateAttempts] times. This makes the contents of every record
// its writer's identity: callers put something unique to the writer (a
// random token, the attempt ID) in every record they create.
//
// Records retries nothing else. Read, Put, List and Remove pass the
// store's errors on, classified by package multipart; give Records a
// [multipart.RetryingStore] for retries of transient failures. Over one,
// CreateExclusive still decides correctly: the store's retry of a put that
// took effect meets the 412 of its own object, and the read-back tells.
//
// # The journal
//
// A [Journal] is an append-only log kept as numbered chunk objects
// <dir>/0000000000.chunk, <dir>/0000000001.chunk, …, each created with
// CreateExclusive, so no chunk is ever replaced or torn: a PUT is whole or
// absent. [Journal.Append] buffers entries and writes one chunk per
// [JournalOptions.BatchCount] entries or [JournalOptions.BatchInterval];
// [Journal.Flush] writes what is buffered, and only then are the entries
// durable. Reading a journal ([ReadJournal], [OpenJournal]) takes the
// chunks in order from number 0; a missing number or a chunk that cannot
// be parsed is damage ([ErrDamaged]): the entries from there on are left
// out, and the journal refuses to be written, as nothing appended after the
// gap would be read back.
//
// A chunk is a header line of JSON naming the format, the version, the
// chunk's number, the writer's random token and the number of entries,
// then each entry as a line "e <length>" or "c <length>" (a claim)
// followed by that many bytes and a newline. Entries may hold any bytes.
//
// # Fencing
//
// The chunk numbering is the journal's lock. A writer that finds the
// number it is about to write taken by another writer's chunk has lost the
// journal: it returns an error that matches [ErrFenced] and refuses every
// later Append, Flush and Claim. [Journal.Claim] writes a chunk holding
// only a claim entry at once, so that a driver that starts or resumes a
// job commit takes the journal before it does anything: an earlier writer,
// still running, is fenced at its next chunk write.
//
// Compared with flock on a shared filesystem, which the staging dir on
// NFS uses:
//
//   - Nobody waits. flock blocks (or fails) the second process until the
//     first releases the lock; here the second process claims the journal
//     at once and the first finds out later.
//   - The first writer learns that it was fenced only at its next chunk
//     write, not before: whatever it does to the store between two chunk
//     writes happens while another writer may already be running. So a
//     writer journals an intent, and calls Flush, before any store call
//     whose effect a later writer needs to know about (a completion, a
//     deletion), or the later writer checks the store for what the journal
//     does not say. Entries buffered but not flushed when a writer is
//     fenced or crashes are lost.
//   - A crashed writer leaves no lock behind: there is nothing to release,
//     expire or break, and no NFS lock manager (no nolock, no local_lock)
//     is needed. The next writer claims the journal and carries on.
//   - A claim that loses a race (another writer's chunk took its number)
//     fences the claimer instead: its replay of the journal is stale. It
//     opens the journal again, reads what the other wrote, and claims
//     again.
//
// # Conditional writes are a capability
//
// Some S3-compatible stores accept If-None-Match and ignore it; on such a
// store every CreateExclusive succeeds and the last writer silently wins.
// [CheckConditionalWrites] probes a store once, before it is used as a home
// for staging records.
//
// # Names
//
// A record's name is a slash-separated path relative to the prefix, such
// as "tasks/task-0001.pendingset". Names are checked before any request
// ([ErrInvalidName]): not empty, no leading '/', no empty, "." or ".."
// segment, valid UTF-8 without control characters, and the key (prefix,
// '/', name) at most 1024 bytes. Every key a Records touches lies under
// its prefix.
package storerecords
