package memstore

import (
	"bytes"
	"cmp"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/s3commit/s3commit/multipart"
)

// Limits of S3 that the store enforces.
const (
	defaultListPageSize = multipart.MaxListPageSize
	defaultMinPartSize  = multipart.MinPartSize
	maxPartSize         = multipart.MaxPartSize // also the largest single PUT
	maxPartNumber       = multipart.MaxParts
	maxKeyLength        = 1024
)

// Options configure a [Store]. The zero value gives S3's behaviour.
type Options struct {
	// AccessKeyID and SecretAccessKey are the credentials the store
	// presents. They matter only once [Server.RequireCredentials] was
	// called: then a store with other credentials gets
	// [multipart.ErrAccessDenied] on every call.
	AccessKeyID, SecretAccessKey string

	// ListPageSize is how many entries ListUploads and ListObjects fetch
	// per page, as a client of a real server fetches up to 1000 entries per
	// request; 0 means 1000. Small values exercise paging in tests.
	ListPageSize int

	// MinPartSize is the smallest size allowed for every part of a
	// completed upload but the last (EntityTooSmall otherwise); 0 means
	// 5 MiB, the S3 minimum. Lowering it departs from S3 and is only meant
	// to keep tests fast: code tested that way may still fail on a real
	// store.
	MinPartSize int64

	// ListUploadsExactKeyOnly emulates MinIO, whose ListMultipartUploads
	// matches only an exact object key as prefix: a prefix that is not the
	// key of an upload lists nothing, and an empty prefix lists every
	// upload of the bucket.
	ListUploadsExactKeyOnly bool

	// IgnoreConditionalWrites emulates a store that accepts and ignores
	// If-None-Match and If-Match: CompleteUpload and PutObject then
	// overwrite whatever object exists.
	IgnoreConditionalWrites bool

	// PreconditionBeforeUploadLookup emulates MinIO: CompleteUpload
	// evaluates If-None-Match and If-Match before it looks the upload up,
	// so repeating a completion that took effect answers
	// [multipart.ErrPreconditionFailed] with the condition (412
	// PreconditionFailed; 404 NoSuchKey for If-Match on a key without an
	// object) and [multipart.ErrNoSuchUpload] without it. The same holds
	// for an aborted or never created upload ID. S3's order, the default,
	// looks the upload up first: NoSuchUpload in every case. Checked on
	// MinIO RELEASE built from
	// github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c.
	PreconditionBeforeUploadLookup bool

	// CompleteUnknownUploadSucceedsIfObjectExists emulates versitygw
	// (posix backend): CompleteUpload of an upload ID it does not know
	// under the key (completed, aborted, never created, or created for
	// another key) succeeds whenever an object exists at the key. It
	// evaluates no condition, checks neither the parts nor their order,
	// leaves the object as it is, and answers the ETag computed from the
	// part list of the request ([multipart.MultipartETag]), which need not
	// be the object's. A part ETag that is not a hex MD5 fails with
	// [multipart.ErrInvalidPart] before the upload is looked up. Without
	// an object at the key the answer is NoSuchUpload, as in S3. (versitygw
	// means a repeated completion to succeed, as AWS's does, but does not
	// check that the upload made the object.) Checked on versitygw v1.8.0.
	CompleteUnknownUploadSucceedsIfObjectExists bool

	// ListControlCharactersAsReplacement emulates versitygw, which ignores
	// a listing's encoding-type=url and lists each control character of a
	// key that XML 1.0 cannot carry (U+0000 to U+001F but tab, newline and
	// carriage return) as U+FFFD: ListObjects and ListUploads yield such
	// keys changed, so that the key as listed names no object or upload.
	// Checked on versitygw v1.8.0.
	ListControlCharactersAsReplacement bool

	// IgnoreChecksums emulates a store without full-object checksums,
	// which accepts and ignores every checksum of a request: the upload's
	// algorithm ([multipart.CreateOptions.Checksum]), the parts' and the
	// whole object's checksums, at completion and with a PutObject
	// ([multipart.PutOptions.Checksum]), are neither checked nor kept, and
	// HeadObject reports none. By default the store checks and keeps
	// them as AWS S3, MinIO and versitygw do.
	IgnoreChecksums bool

	// IgnoreObjectSize emulates MinIO, which ignores x-amz-mp-object-size
	// ([multipart.CompleteOptions.ObjectSize]); by default a completion
	// whose parts add up to another size fails with
	// [multipart.ErrInvalidArgument] (400 InvalidRequest), as in versitygw
	// v1.8.0 and AWS S3.
	IgnoreObjectSize bool

	// EmptyObjectWithoutChecksum emulates MinIO, which keeps no
	// full-object checksum for a multipart object of zero bytes and
	// refuses a completion of one that gives the (correct) checksum
	// ([multipart.ErrChecksumMismatch], XAmzContentChecksumMismatch).
	// A zero-byte PutObject with its checksum is not concerned: MinIO
	// accepts it and keeps the checksum, as versitygw does. Checked on
	// MinIO RELEASE built from
	// github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c.
	EmptyObjectWithoutChecksum bool
}

// MinIOOptions returns the options that make a [Store] answer as MinIO
// does where MinIO departs from S3: [Options.ListUploadsExactKeyOnly],
// [Options.PreconditionBeforeUploadLookup], [Options.IgnoreObjectSize] and
// [Options.EmptyObjectWithoutChecksum]. Checked against MinIO RELEASE
// built from github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c by
// the conformance suite, which asserts the same flags on the real server.
// Set the other fields (credentials, page size) on the result.
//
// MinIO also answers AbortMultipartUpload of an unknown upload with
// success; the backends of this module ask first and report
// [multipart.ErrNoSuchUpload], as memstore does, so no option emulates it.
func MinIOOptions() Options {
	return Options{
		ListUploadsExactKeyOnly:        true,
		PreconditionBeforeUploadLookup: true,
		IgnoreObjectSize:               true,
		EmptyObjectWithoutChecksum:     true,
	}
}

// VersityGWOptions returns the options that make a [Store] answer as
// versitygw (posix backend) does where it departs from S3:
// [Options.CompleteUnknownUploadSucceedsIfObjectExists] and
// [Options.ListControlCharactersAsReplacement]. Checked against versitygw
// v1.8.0 by the conformance suite, which asserts the same flags on the
// real server. Set the other fields (credentials, page size) on the
// result.
func VersityGWOptions() Options {
	return Options{CompleteUnknownUploadSucceedsIfObjectExists: true, ListControlCharactersAsReplacement: true}
}

// listed returns key as a listing shows it (see
// [Options.ListControlCharactersAsReplacement]).
func (s *Store) listed(key string) string {
	if !s.opts.ListControlCharactersAsReplacement {
		return key
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			return utf8.RuneError
		}
		return r
	}, key)
}

// APIError is the S3 error a real store would have answered. It is the Err
// of the [*multipart.Error] values a [Store] returns; use [errors.As] to
// read the code.
type APIError struct {
	// Code is the S3 error code, for example "NoSuchUpload" or
	// "EntityTooSmall".
	Code string
	// Message explains the failure.
	Message string
}

// Error returns the code and the message.
func (e *APIError) Error() string {
	return e.Code + ": " + e.Message
}

// Store is one bucket's view of a [Server]. It implements
// [multipart.Store] and is safe for concurrent use. Create one with
// [Server.Store] or [New].
type Store struct {
	srv    *Server
	bucket string
	opts   Options // with defaults filled in
}

var _ multipart.Store = (*Store)(nil)

// Bucket returns the name of the store's bucket.
func (s *Store) Bucket() string { return s.bucket }

// Server returns the server holding the store's bucket.
func (s *Store) Server() *Server { return s.srv }

// CreateUpload starts a multipart upload for key and returns its upload
// ID, unique and random. Several uploads for one key may coexist.
func (s *Store) CreateUpload(ctx context.Context, key string, opts multipart.CreateOptions) (string, error) {
	c := s.call("CreateMultipartUpload", key, "")
	if err := c.checkContext(ctx); err != nil {
		return "", err
	}
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	b, err := c.bucket()
	if err != nil {
		return "", err
	}
	if err := c.checkKey(); err != nil {
		return "", err
	}
	algorithm := opts.Checksum
	if s.opts.IgnoreChecksums {
		algorithm = ""
	}
	if algorithm != "" {
		if _, err := algorithm.NewHash(); err != nil {
			return "", c.fail(multipart.ErrInvalidArgument, "InvalidRequest", "checksum algorithm %q is not supported", algorithm)
		}
	}
	id := newUploadID()
	for b.uploads[id] != nil {
		id = newUploadID()
	}
	s.srv.seq++
	b.uploads[id] = &upload{
		key:         key,
		id:          id,
		initiated:   s.srv.clock(),
		seq:         s.srv.seq,
		parts:       make(map[int32]*part),
		contentType: opts.ContentType,
		metadata:    maps.Clone(opts.Metadata),
		checksum:    algorithm,
	}
	return id, nil
}

// UploadPart reads exactly size bytes from body and stores them as part
// number of the upload, replacing a part uploaded before under that
// number. The part's ETag is the hex MD5 of its bytes.
func (s *Store) UploadPart(ctx context.Context, key, uploadID string, number int32, body io.ReadSeeker, size int64, opts multipart.PartOptions) (multipart.Part, error) {
	c := s.call("UploadPart", key, uploadID)
	if err := c.checkContext(ctx); err != nil {
		return multipart.Part{}, err
	}
	// Check everything before reading the body, so that a bad request
	// fails without reading (or allocating) up to 5 GiB.
	err := func() error {
		s.srv.mu.RLock()
		defer s.srv.mu.RUnlock()
		b, err := c.bucket()
		if err != nil {
			return err
		}
		if err := c.checkKey(); err != nil {
			return err
		}
		if number < 1 || number > maxPartNumber {
			return c.fail(multipart.ErrInvalidArgument, "InvalidArgument",
				"part number %d is outside 1 to %d", number, maxPartNumber)
		}
		if err := c.checkSize(size); err != nil {
			return err
		}
		u, err := c.upload(b)
		if err != nil {
			return err
		}
		return c.checkPartChecksum(u, opts.Checksum, s.opts.IgnoreChecksums)
	}()
	if err != nil {
		return multipart.Part{}, err
	}

	data, err := c.readBody(body, size)
	if err != nil {
		return multipart.Part{}, err
	}
	if err := c.checkContext(ctx); err != nil {
		return multipart.Part{}, err
	}
	sum := md5.Sum(data)
	p := &part{data: data, sum: sum, etag: hex.EncodeToString(sum[:])}
	if p.checksum, err = c.verifyChecksum(data, opts.Checksum, s.opts.IgnoreChecksums, fmt.Sprintf("part %d", number)); err != nil {
		return multipart.Part{}, err
	}

	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	b, err := c.bucket()
	if err != nil {
		return multipart.Part{}, err
	}
	u, err := c.upload(b) // it may have been completed or aborted meanwhile
	if err != nil {
		return multipart.Part{}, err
	}
	p.modified = s.srv.clock()
	u.parts[number] = p
	return multipart.Part{Number: number, ETag: p.etag, Size: size, Checksum: opts.Checksum}, nil
}

// checkPartChecksum checks that a part's checksum is of an algorithm this
// store computes and, when the upload was created with an algorithm, of
// that one: MinIO answers a part without it "checksum missing" (400
// InvalidArgument). The caller holds the server's lock.
func (c call) checkPartChecksum(u *upload, sent multipart.Checksum, ignore bool) error {
	if ignore {
		return nil
	}
	if err := c.checkChecksumAlgorithm(sent, ignore); err != nil {
		return err
	}
	if u.checksum != "" && sent.Algorithm != u.checksum {
		return c.fail(multipart.ErrInvalidArgument, "InvalidArgument",
			"checksum missing: the upload was created with %s, the part has %q", u.checksum, sent.Algorithm)
	}
	return nil
}

// CompleteUpload makes the object key out of the listed parts, in order,
// and returns its ETag: the hex MD5 of the concatenated binary MD5s of the
// parts, a hyphen and the number of parts. Parts uploaded but not listed
// are discarded, and the upload ID becomes unknown.
//
// It fails with [multipart.ErrInvalidArgument] for an empty part list,
// [multipart.ErrInvalidPart] for parts out of strictly ascending order,
// missing, with another ETag, or (but the last) smaller than the minimum
// part size, and [multipart.ErrNoSuchUpload] for an unknown upload.
// IfNoneMatch fails with [multipart.ErrPreconditionFailed] when the object
// exists; IfMatch fails with [multipart.ErrPreconditionFailed] when the
// object has another ETag or does not exist (S3 answers 404 NoSuchKey
// then, with the same meaning); IfMatch "*" matches any
// existing object. After a failure the upload
// remains, so that it can still be completed or aborted.
//
// The checks come in S3's order: the part order, the upload, the
// conditions, the parts. [Options.PreconditionBeforeUploadLookup]
// evaluates the conditions before the upload is looked up, as MinIO does;
// [Options.CompleteUnknownUploadSucceedsIfObjectExists] answers an unknown
// upload at a key holding an object with success, as versitygw does.
func (s *Store) CompleteUpload(ctx context.Context, key, uploadID string, parts []multipart.Part, opts multipart.CompleteOptions) (string, error) {
	c := s.call("CompleteMultipartUpload", key, uploadID)
	if err := c.checkContext(ctx); err != nil {
		return "", err
	}
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	b, err := c.bucket()
	if err != nil {
		return "", err
	}
	if err := c.checkKey(); err != nil {
		return "", err
	}
	if len(parts) == 0 {
		return "", c.fail(multipart.ErrInvalidArgument, "MalformedXML",
			"the part list is empty: an upload needs at least one part")
	}
	if s.opts.CompleteUnknownUploadSucceedsIfObjectExists {
		if etag, done, err := c.completeUnknownOverObject(b, parts); done {
			return etag, err
		}
	}
	for i := 1; i < len(parts); i++ {
		if parts[i].Number <= parts[i-1].Number {
			return "", c.fail(multipart.ErrInvalidPart, "InvalidPartOrder",
				"parts must be listed in strictly ascending order of part number: part %d follows part %d",
				parts[i].Number, parts[i-1].Number)
		}
	}
	if s.opts.PreconditionBeforeUploadLookup {
		if err := c.checkConditions(b, opts.IfNoneMatch, opts.IfMatch); err != nil {
			return "", err
		}
	}
	u, err := c.upload(b)
	if err != nil {
		return "", err
	}
	if !s.opts.PreconditionBeforeUploadLookup {
		if err := c.checkConditions(b, opts.IfNoneMatch, opts.IfMatch); err != nil {
			return "", err
		}
	}

	segments := make([][]byte, len(parts))
	partSums := make([]multipart.Checksum, len(parts))
	sums := make([]byte, 0, len(parts)*md5.Size)
	var size int64
	for i, lp := range parts {
		p := u.parts[lp.Number]
		if p == nil {
			return "", c.fail(multipart.ErrInvalidPart, "InvalidPart",
				"part %d was not uploaded", lp.Number)
		}
		if got := multipart.NormalizeETag(lp.ETag); got != p.etag {
			return "", c.fail(multipart.ErrInvalidPart, "InvalidPart",
				"part %d has ETag %q, not %q", lp.Number, p.etag, got)
		}
		if u.checksum != "" && lp.Checksum != p.checksum {
			return "", c.fail(multipart.ErrInvalidPart, "InvalidPart",
				"part %d has checksum %q, the request %q", lp.Number, p.checksum, lp.Checksum)
		}
		if i < len(parts)-1 && int64(len(p.data)) < s.opts.MinPartSize {
			return "", c.fail(multipart.ErrInvalidPart, "EntityTooSmall",
				"part %d is %d bytes, smaller than the minimum of %d bytes for every part but the last",
				lp.Number, len(p.data), s.opts.MinPartSize)
		}
		segments[i] = p.data
		partSums[i] = p.checksum
		sums = append(sums, p.sum[:]...)
		size += int64(len(p.data))
	}
	if opts.ObjectSize > 0 && opts.ObjectSize != size && !s.opts.IgnoreObjectSize {
		return "", c.fail(multipart.ErrInvalidArgument, "InvalidRequest",
			"the provided 'x-amz-mp-object-size' header value %d does not match what was computed: %d", opts.ObjectSize, size)
	}
	checksum, err := c.objectChecksum(u, partSums, segments, opts.Checksum, s.opts.IgnoreChecksums)
	if err != nil {
		return "", err
	}
	if size == 0 && s.opts.EmptyObjectWithoutChecksum && u.checksum != "" {
		if !opts.Checksum.IsZero() {
			return "", c.fail(multipart.ErrChecksumMismatch, "XAmzContentChecksumMismatch",
				"the provided 'x-amz-checksum' header does not match what was computed")
		}
		checksum = multipart.Checksum{}
	}
	sum := md5.Sum(sums)
	etag := hex.EncodeToString(sum[:]) + "-" + strconv.Itoa(len(parts))
	b.objects[key] = &object{
		segments:    segments,
		size:        size,
		etag:        etag,
		modified:    s.srv.clock(),
		contentType: u.contentType,
		metadata:    u.metadata,
		checksum:    checksum,
	}
	delete(b.uploads, uploadID)
	return etag, nil
}

// objectChecksum returns the full-object checksum of a completed upload
// made of segments, combined from the checksums its parts were stored
// with (partSums; every part of an upload created with an algorithm has
// one), and fails with [multipart.ErrChecksumMismatch] when want, the
// checksum of the request, is another. An upload created without an
// algorithm keeps none; a checksum sent for it fails with
// [multipart.ErrInvalidArgument]. The caller holds the server's lock.
func (c call) objectChecksum(u *upload, partSums []multipart.Checksum, segments [][]byte, want multipart.Checksum, ignore bool) (multipart.Checksum, error) {
	if ignore {
		return multipart.Checksum{}, nil
	}
	if u.checksum == "" {
		if !want.IsZero() {
			return multipart.Checksum{}, c.fail(multipart.ErrInvalidArgument, "InvalidRequest",
				"the upload was created without a checksum algorithm, the completion has a %s checksum", want.Algorithm)
		}
		return multipart.Checksum{}, nil
	}
	sizes := make([]int64, len(segments))
	for i, seg := range segments {
		sizes[i] = int64(len(seg))
	}
	got, err := multipart.CombineChecksums(partSums, sizes)
	if err != nil {
		return multipart.Checksum{}, c.fail(multipart.ErrInvalidPart, "InvalidPart", "combine the parts' checksums: %v", err)
	}
	if !want.IsZero() && want != got {
		return multipart.Checksum{}, c.fail(multipart.ErrChecksumMismatch, "BadDigest",
			"the %s checksum you specified (%s) did not match the calculated checksum (%s)", want.Algorithm, want.Value, got.Value)
	}
	return got, nil
}

// completeUnknownOverObject is CompleteUpload's start under
// [Options.CompleteUnknownUploadSucceedsIfObjectExists]: done reports that
// the call ends here, with a failure for part ETags that are not hex MD5s,
// or with success when the upload is unknown and an object exists at the
// key. The caller holds the server's lock.
func (c call) completeUnknownOverObject(b *bucket, parts []multipart.Part) (etag string, done bool, err error) {
	etags := make([]string, len(parts))
	for i, p := range parts {
		etags[i] = p.ETag
	}
	etag, ok := multipart.MultipartETag(etags)
	if !ok {
		return "", true, c.fail(multipart.ErrInvalidPart, "InvalidPart",
			"a part ETag is not the hex MD5 of the part")
	}
	if _, err := c.upload(b); err != nil && b.objects[c.key] != nil {
		return etag, true, nil
	}
	return "", false, nil
}

// AbortUpload discards an upload and its parts, or fails with
// [multipart.ErrNoSuchUpload] if the upload is unknown.
func (s *Store) AbortUpload(ctx context.Context, key, uploadID string) error {
	c := s.call("AbortMultipartUpload", key, uploadID)
	if err := c.checkContext(ctx); err != nil {
		return err
	}
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	b, err := c.bucket()
	if err != nil {
		return err
	}
	if err := c.checkKey(); err != nil {
		return err
	}
	if _, err := c.upload(b); err != nil {
		return err
	}
	delete(b.uploads, uploadID)
	return nil
}

// ListUploads yields the uncompleted uploads whose key starts with prefix
// (or, with [Options.ListUploadsExactKeyOnly], whose key is prefix), sorted
// by key and then by initiation time. It fetches [Options.ListPageSize]
// uploads at a time, as the caller iterates; an error ends the sequence.
func (s *Store) ListUploads(ctx context.Context, prefix string) iter.Seq2[multipart.Upload, error] {
	return func(yield func(multipart.Upload, error) bool) {
		c := s.call("ListMultipartUploads", "", "")
		var after *uploadPos
		for {
			page, more, err := s.uploadPage(ctx, c, prefix, after)
			if err != nil {
				yield(multipart.Upload{}, err)
				return
			}
			for _, pos := range page {
				if !yield(multipart.Upload{Key: s.listed(pos.key), UploadID: pos.id, Initiated: pos.initiated}, nil) {
					return
				}
			}
			if !more {
				return
			}
			after = &page[len(page)-1]
		}
	}
}

// uploadPos is an upload's position in the order of ListUploads: by key,
// then initiation time, then creation order (the clock may stand still).
type uploadPos struct {
	key       string
	initiated time.Time
	seq       uint64
	id        string
}

func compareUploadPos(a, b uploadPos) int {
	return cmp.Or(strings.Compare(a.key, b.key), a.initiated.Compare(b.initiated), cmp.Compare(a.seq, b.seq))
}

// uploadPage returns the next page of ListUploads after position after
// (nil: from the start), and whether more uploads follow.
func (s *Store) uploadPage(ctx context.Context, c call, prefix string, after *uploadPos) ([]uploadPos, bool, error) {
	if err := c.checkContext(ctx); err != nil {
		return nil, false, err
	}
	s.srv.mu.RLock()
	defer s.srv.mu.RUnlock()
	b, err := c.bucket()
	if err != nil {
		return nil, false, err
	}
	var match []uploadPos
	for _, u := range b.uploads {
		if s.opts.ListUploadsExactKeyOnly {
			if prefix != "" && u.key != prefix {
				continue
			}
		} else if !strings.HasPrefix(u.key, prefix) {
			continue
		}
		pos := uploadPos{key: u.key, initiated: u.initiated, seq: u.seq, id: u.id}
		if after != nil && compareUploadPos(pos, *after) <= 0 {
			continue
		}
		match = append(match, pos)
	}
	slices.SortFunc(match, compareUploadPos)
	more := len(match) > s.opts.ListPageSize
	if more {
		match = match[:s.opts.ListPageSize]
	}
	return match, more, nil
}

// ListParts returns the parts uploaded so far, in part number order, with
// their sizes, ETags and upload times.
func (s *Store) ListParts(ctx context.Context, key, uploadID string) ([]multipart.Part, error) {
	c := s.call("ListParts", key, uploadID)
	if err := c.checkContext(ctx); err != nil {
		return nil, err
	}
	s.srv.mu.RLock()
	defer s.srv.mu.RUnlock()
	b, err := c.bucket()
	if err != nil {
		return nil, err
	}
	if err := c.checkKey(); err != nil {
		return nil, err
	}
	u, err := c.upload(b)
	if err != nil {
		return nil, err
	}
	parts := make([]multipart.Part, 0, len(u.parts))
	for n, p := range u.parts {
		parts = append(parts, multipart.Part{Number: n, ETag: p.etag, Size: int64(len(p.data)), LastModified: p.modified, Checksum: p.checksum})
	}
	slices.SortFunc(parts, func(a, b multipart.Part) int { return cmp.Compare(a.Number, b.Number) })
	return parts, nil
}

// PutObject reads exactly size bytes (at most 5 GiB) from body and stores
// them as the object key, replacing any object there unless
// opts.IfNoneMatch is set: then an existing object makes it fail with
// [multipart.ErrPreconditionFailed]. The ETag is the hex MD5 of the bytes.
//
// With opts.Checksum the bytes are checked against it: a mismatch fails
// with [multipart.ErrChecksumMismatch] and leaves the key as it was. The
// code is versitygw's and S3's, BadDigest, also with [MinIOOptions]
// (MinIO answers XAmzContentChecksumMismatch). The object keeps the checksum, which HeadObject reports with
// type FULL_OBJECT, also for an object of zero bytes: MinIO and versitygw
// v1.8.0 do both (MinIO's [Options.EmptyObjectWithoutChecksum] concerns
// multipart objects only). An object put without a checksum keeps none.
func (s *Store) PutObject(ctx context.Context, key string, body io.ReadSeeker, size int64, opts multipart.PutOptions) (string, error) {
	c := s.call("PutObject", key, "")
	if err := c.checkContext(ctx); err != nil {
		return "", err
	}
	err := func() error {
		s.srv.mu.RLock()
		defer s.srv.mu.RUnlock()
		if _, err := c.bucket(); err != nil {
			return err
		}
		if err := c.checkKey(); err != nil {
			return err
		}
		if err := c.checkSize(size); err != nil {
			return err
		}
		return c.checkChecksumAlgorithm(opts.Checksum, s.opts.IgnoreChecksums)
	}()
	if err != nil {
		return "", err
	}

	data, err := c.readBody(body, size)
	if err != nil {
		return "", err
	}
	if err := c.checkContext(ctx); err != nil {
		return "", err
	}
	checksum, err := c.verifyChecksum(data, opts.Checksum, s.opts.IgnoreChecksums, "the object")
	if err != nil {
		return "", err
	}
	sum := md5.Sum(data)
	etag := hex.EncodeToString(sum[:])

	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	b, err := c.bucket()
	if err != nil {
		return "", err
	}
	if err := c.checkConditions(b, opts.IfNoneMatch, ""); err != nil {
		return "", err
	}
	b.objects[key] = &object{
		segments:    [][]byte{data},
		size:        size,
		etag:        etag,
		modified:    s.srv.clock(),
		contentType: opts.ContentType,
		checksum:    checksum,
	}
	return etag, nil
}

// verifyChecksum checks data, the body of a part or an object (what), against
// the checksum sent with it, if any and unless ignore, and returns the
// checksum the store keeps for it.
func (c call) verifyChecksum(data []byte, sent multipart.Checksum, ignore bool, what string) (multipart.Checksum, error) {
	if sent.IsZero() || ignore {
		return multipart.Checksum{}, nil
	}
	got, _, _ := multipart.ComputeChecksum(sent.Algorithm, bytes.NewReader(data))
	if got != sent {
		return multipart.Checksum{}, c.fail(multipart.ErrChecksumMismatch, "BadDigest",
			"the %s checksum you specified did not match the calculated checksum: %s has %s, the request %s",
			sent.Algorithm, what, got.Value, sent.Value)
	}
	return got, nil
}

// checkChecksumAlgorithm checks that the checksum sent with a part or a
// PutObject, if any, is of an algorithm this store computes. The caller
// holds the server's lock.
func (c call) checkChecksumAlgorithm(sent multipart.Checksum, ignore bool) error {
	if ignore || sent.IsZero() {
		return nil
	}
	if _, err := sent.Algorithm.NewHash(); err != nil {
		return c.fail(multipart.ErrInvalidArgument, "InvalidRequest", "checksum algorithm %q is not supported", sent.Algorithm)
	}
	return nil
}

// GetObject returns a reader over the object's bytes and its metadata, or
// fails with [multipart.ErrNotFound]. The reader stays valid whatever
// happens to the object afterwards.
func (s *Store) GetObject(ctx context.Context, key string) (io.ReadCloser, multipart.ObjectInfo, error) {
	c := s.call("GetObject", key, "")
	obj, err := s.object(ctx, c)
	if err != nil {
		return nil, multipart.ObjectInfo{}, err
	}
	// The segments are never modified, so the reader needs no copy.
	readers := make([]io.Reader, len(obj.segments))
	for i, seg := range obj.segments {
		readers[i] = bytes.NewReader(seg)
	}
	return io.NopCloser(io.MultiReader(readers...)), obj.info(key), nil
}

// HeadObject returns the object's metadata, or fails with
// [multipart.ErrNotFound].
func (s *Store) HeadObject(ctx context.Context, key string) (multipart.ObjectInfo, error) {
	c := s.call("HeadObject", key, "")
	obj, err := s.object(ctx, c)
	if err != nil {
		return multipart.ObjectInfo{}, err
	}
	return obj.info(key), nil
}

// object returns the object c.key.
func (s *Store) object(ctx context.Context, c call) (*object, error) {
	if err := c.checkContext(ctx); err != nil {
		return nil, err
	}
	s.srv.mu.RLock()
	defer s.srv.mu.RUnlock()
	b, err := c.bucket()
	if err != nil {
		return nil, err
	}
	if err := c.checkKey(); err != nil {
		return nil, err
	}
	obj := b.objects[c.key]
	if obj == nil {
		return nil, c.fail(multipart.ErrNotFound, "NoSuchKey", "the object does not exist")
	}
	return obj, nil
}

func (obj *object) info(key string) multipart.ObjectInfo {
	info := multipart.ObjectInfo{Key: key, Size: obj.size, ETag: obj.etag, LastModified: obj.modified, Checksum: obj.checksum}
	if !obj.checksum.IsZero() {
		info.ChecksumType = multipart.ChecksumTypeFullObject
	}
	return info
}

// ListObjects yields the objects whose key starts with prefix, in key
// order. It fetches [Options.ListPageSize] objects at a time, as the
// caller iterates; an error ends the sequence.
func (s *Store) ListObjects(ctx context.Context, prefix string) iter.Seq2[multipart.ObjectInfo, error] {
	return func(yield func(multipart.ObjectInfo, error) bool) {
		c := s.call("ListObjectsV2", "", "")
		after, started := "", false
		for {
			page, more, err := s.objectPage(ctx, c, prefix, after, started)
			if err != nil {
				yield(multipart.ObjectInfo{}, err)
				return
			}
			for _, info := range page {
				shown := info
				shown.Key = s.listed(info.Key)
				if !yield(shown, nil) {
					return
				}
			}
			if !more {
				return
			}
			after, started = page[len(page)-1].Key, true
		}
	}
}

// objectPage returns the next page of ListObjects: the objects after key
// after (from the start if !started), and whether more objects follow.
func (s *Store) objectPage(ctx context.Context, c call, prefix, after string, started bool) ([]multipart.ObjectInfo, bool, error) {
	if err := c.checkContext(ctx); err != nil {
		return nil, false, err
	}
	s.srv.mu.RLock()
	defer s.srv.mu.RUnlock()
	b, err := c.bucket()
	if err != nil {
		return nil, false, err
	}
	var keys []string
	for key := range b.objects {
		if strings.HasPrefix(key, prefix) && (!started || key > after) {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	more := len(keys) > s.opts.ListPageSize
	if more {
		keys = keys[:s.opts.ListPageSize]
	}
	page := make([]multipart.ObjectInfo, len(keys))
	for i, key := range keys {
		page[i] = b.objects[key].info(key)
	}
	return page, more, nil
}

// DeleteObjects deletes the given keys; keys without an object are not
// errors. An invalid key gives a [multipart.ErrInvalidArgument] error
// naming it, joined with the others, and the valid keys are deleted.
func (s *Store) DeleteObjects(ctx context.Context, keys []string) error {
	c := s.call("DeleteObjects", "", "")
	if err := c.checkContext(ctx); err != nil {
		return err
	}
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	b, err := c.bucket()
	if err != nil {
		return err
	}
	var errs []error
	for _, key := range keys {
		kc := s.call(c.op, key, "")
		if err := kc.checkKey(); err != nil {
			errs = append(errs, err)
			continue
		}
		delete(b.objects, key)
	}
	return errors.Join(errs...)
}

// call describes one operation, for its checks and errors.
type call struct {
	s                 *Store
	op, key, uploadID string
}

func (s *Store) call(op, key, uploadID string) call {
	return call{s: s, op: op, key: key, uploadID: uploadID}
}

// fail returns an error of the given kind carrying the S3 error code.
func (c call) fail(kind error, code, format string, args ...any) error {
	return c.wrap(kind, &APIError{Code: code, Message: fmt.Sprintf(format, args...)})
}

func (c call) wrap(kind, err error) error {
	return &multipart.Error{Op: c.op, Bucket: c.s.bucket, Key: c.key, UploadID: c.uploadID, Kind: kind, Err: err}
}

// checkContext returns the context's error, if it is done.
func (c call) checkContext(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return c.wrap(nil, err)
	}
	return nil
}

// bucket checks the credentials and returns the bucket. The caller holds
// the server's lock.
func (c call) bucket() (*bucket, error) {
	srv, opts := c.s.srv, c.s.opts
	if cr := srv.creds; cr != nil {
		if opts.AccessKeyID != cr.accessKeyID {
			return nil, c.fail(multipart.ErrAccessDenied, "InvalidAccessKeyId",
				"the access key ID %q does not exist in the server's records", opts.AccessKeyID)
		}
		if opts.SecretAccessKey != cr.secretAccessKey {
			return nil, c.fail(multipart.ErrAccessDenied, "SignatureDoesNotMatch",
				"the secret access key does not match the access key ID %q", opts.AccessKeyID)
		}
	}
	b := srv.buckets[c.s.bucket]
	if b == nil {
		return nil, c.fail(multipart.ErrBucketNotFound, "NoSuchBucket", "the bucket does not exist")
	}
	return b, nil
}

// checkKey checks that c.key is a valid object key.
func (c call) checkKey() error {
	switch {
	case c.key == "":
		return c.fail(multipart.ErrInvalidArgument, "InvalidArgument", "the object key is empty")
	case len(c.key) > maxKeyLength:
		return c.fail(multipart.ErrInvalidArgument, "KeyTooLongError",
			"the object key is %d bytes long, more than the maximum of %d", len(c.key), maxKeyLength)
	case !utf8.ValidString(c.key):
		return c.fail(multipart.ErrInvalidArgument, "InvalidArgument", "the object key is not valid UTF-8")
	}
	return nil
}

// checkSize checks the size of a part or of a single PUT.
func (c call) checkSize(size int64) error {
	switch {
	case size < 0:
		return c.fail(multipart.ErrInvalidArgument, "InvalidArgument", "the size %d is negative", size)
	case size > maxPartSize:
		return c.fail(multipart.ErrInvalidArgument, "EntityTooLarge",
			"the size %d is larger than the maximum of %d bytes", size, int64(maxPartSize))
	}
	return nil
}

// upload returns the upload c.uploadID of c.key.
func (c call) upload(b *bucket) (*upload, error) {
	u := b.uploads[c.uploadID]
	if u == nil || u.key != c.key {
		return nil, c.fail(multipart.ErrNoSuchUpload, "NoSuchUpload",
			"the upload does not exist: it was never created for this key, or was completed or aborted")
	}
	return u, nil
}

// checkConditions evaluates If-None-Match: * and If-Match against the
// object c.key, unless the store ignores conditional writes.
func (c call) checkConditions(b *bucket, ifNoneMatch bool, ifMatch string) error {
	if c.s.opts.IgnoreConditionalWrites {
		return nil
	}
	cur := b.objects[c.key]
	if ifNoneMatch && cur != nil {
		return c.fail(multipart.ErrPreconditionFailed, "PreconditionFailed",
			"If-None-Match: * failed: the object exists with ETag %q", cur.etag)
	}
	if ifMatch != "" {
		if cur == nil {
			// S3 answers 404 NoSuchKey; the condition did not hold, which is
			// what the Store contract reports, as every backend does.
			return c.fail(multipart.ErrPreconditionFailed, "NoSuchKey", "If-Match failed: the object does not exist")
		}
		if want := multipart.NormalizeETag(ifMatch); want != "*" && want != cur.etag {
			return c.fail(multipart.ErrPreconditionFailed, "PreconditionFailed",
				"If-Match failed: the object has ETag %q, not %q", cur.etag, want)
		}
	}
	return nil
}

// readBody reads exactly size bytes from body into a buffer of that size.
func (c call) readBody(body io.Reader, size int64) ([]byte, error) {
	data := make([]byte, size)
	if size == 0 {
		return data, nil
	}
	if body == nil {
		return nil, c.fail(multipart.ErrInvalidArgument, "IncompleteBody",
			"the body is nil but the size is %d bytes", size)
	}
	n, err := io.ReadFull(body, data)
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return nil, c.fail(multipart.ErrInvalidArgument, "IncompleteBody",
			"the body ended after %d of %d bytes", n, size)
	case err != nil:
		return nil, c.wrap(nil, fmt.Errorf("reading the body: %w", err))
	}
	return data, nil
}

// newUploadID returns a random upload ID, URL-safe like the IDs of S3.
func newUploadID() string {
	b := make([]byte, 24)
	rand.Read(b) // never fails; see crypto/rand.Read
	return base64.RawURLEncoding.EncodeToString(b)
}
