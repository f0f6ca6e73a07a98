package memstore

import (
	"crypto/md5"
	"errors"
	"sync"
	"time"

	"github.com/s3commit/s3commit/multipart"
)

// ErrBucketExists is the error (inside a [*multipart.Error]) that
// [Server.CreateBucket] returns for a bucket that exists already.
var ErrBucketExists = errors.New("bucket already exists")

// Server is an in-memory object store holding buckets. Its zero value is
// not usable: create one with [NewServer]. A Server is safe for concurrent
// use.
type Server struct {
	mu      sync.RWMutex
	buckets map[string]*bucket
	creds   *credentials // nil: any credentials are accepted
	now     func() time.Time
	seq     uint64 // orders uploads initiated at the same time
}

type credentials struct {
	accessKeyID, secretAccessKey string
}

type bucket struct {
	objects map[string]*object
	uploads map[string]*upload // by upload ID
}

// object is a visible object. Its segments are never modified once stored
// (parts are replaced by new slices, never written in place), so readers
// share them without copying.
type object struct {
	segments    [][]byte
	size        int64
	etag        string
	modified    time.Time
	contentType string
	metadata    map[string]string
	checksum    multipart.Checksum // full-object checksum, if completed or put with one
}

type upload struct {
	key, id     string
	initiated   time.Time
	seq         uint64
	parts       map[int32]*part
	contentType string
	metadata    map[string]string
	checksum    multipart.ChecksumAlgorithm // created with this full-object checksum
}

type part struct {
	data     []byte
	sum      [md5.Size]byte
	etag     string
	modified time.Time
	checksum multipart.Checksum // of the upload's algorithm, if it has one
}

// NewServer returns an empty server: no buckets, no credentials required.
func NewServer() *Server {
	return &Server{buckets: make(map[string]*bucket), now: time.Now}
}

// New returns a store on bucket of a new server that holds only that
// bucket, empty. It is the shortcut for tests that need one bucket; use
// [Store.Server] to reach the server.
//
// New panics if bucket is not a valid S3 bucket name (see
// [Server.CreateBucket]): the name is a constant of the calling test.
func New(bucket string) *Store {
	srv := NewServer()
	if err := srv.CreateBucket(bucket); err != nil {
		panic(err)
	}
	return srv.Store(bucket, Options{})
}

// CreateBucket creates an empty bucket. The name must follow the S3 rules
// for bucket names that [multipart.ValidateBucketName] checks: 3 to 63
// lowercase letters, digits, dots and hyphens, starting and ending with a
// letter or digit, without two adjacent dots, not an IPv4 address, and
// without the prefixes and suffixes S3 reserves. An invalid name is a
// [multipart.ErrInvalidArgument] error (its [APIError] has the code
// InvalidBucketName); an existing bucket is an error that matches
// [ErrBucketExists].
func (srv *Server) CreateBucket(name string) error {
	if err := multipart.ValidateBucketName(name); err != nil {
		return &multipart.Error{Op: "CreateBucket", Bucket: name, Kind: multipart.ErrInvalidArgument,
			Err: &APIError{Code: "InvalidBucketName", Message: err.Error()}}
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if _, ok := srv.buckets[name]; ok {
		return &multipart.Error{Op: "CreateBucket", Bucket: name, Err: ErrBucketExists}
	}
	srv.buckets[name] = &bucket{objects: make(map[string]*object), uploads: make(map[string]*upload)}
	return nil
}

// Store returns a store on bucket with the given options. The bucket need
// not exist: while it does not, every call fails with
// [multipart.ErrBucketNotFound].
func (srv *Server) Store(bucket string, opts Options) *Store {
	if opts.ListPageSize <= 0 {
		opts.ListPageSize = defaultListPageSize
	}
	if opts.MinPartSize <= 0 {
		opts.MinPartSize = defaultMinPartSize
	}
	return &Store{srv: srv, bucket: bucket, opts: opts}
}

// RequireCredentials makes the server check credentials: from now on,
// every call of a store whose [Options] AccessKeyID or SecretAccessKey
// differ from these fails with [multipart.ErrAccessDenied]. Stores created
// earlier are checked too.
func (srv *Server) RequireCredentials(accessKeyID, secretAccessKey string) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	srv.creds = &credentials{accessKeyID: accessKeyID, secretAccessKey: secretAccessKey}
}

// SetClock replaces the clock the server reads when it stamps upload
// initiation, part and object modification times; nil restores
// [time.Now]. Tests of age-based clean-up set it to a fake clock.
func (srv *Server) SetClock(now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	srv.now = now
}

// UploadCount returns the number of uncompleted multipart uploads in
// bucket, or 0 if the bucket does not exist. Tests use it to check that a
// job left no upload behind.
func (srv *Server) UploadCount(bucket string) int {
	srv.mu.RLock()
	defer srv.mu.RUnlock()
	if b := srv.buckets[bucket]; b != nil {
		return len(b.uploads)
	}
	return 0
}

// ObjectCount returns the number of visible objects in bucket, or 0 if the
// bucket does not exist.
func (srv *Server) ObjectCount(bucket string) int {
	srv.mu.RLock()
	defer srv.mu.RUnlock()
	if b := srv.buckets[bucket]; b != nil {
		return len(b.objects)
	}
	return 0
}

// clock returns the current time, in UTC and without a monotonic reading,
// so that times compare with == as times read back from a store do. The
// caller holds srv.mu.
func (srv *Server) clock() time.Time {
	return srv.now().UTC()
}

// Clone returns a new server holding a copy of s's buckets, objects and
// uploads (with their upload IDs and parts) and s's credentials. The two
// servers change independently afterwards: a test forks a world in one
// state to try two continuations from it. The bytes are shared, not
// copied: stored bytes are never written in place.
func (s *Server) Clone() *Server {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := &Server{buckets: make(map[string]*bucket, len(s.buckets)), creds: s.creds, now: s.now, seq: s.seq}
	for name, b := range s.buckets {
		nb := &bucket{objects: make(map[string]*object, len(b.objects)), uploads: make(map[string]*upload, len(b.uploads))}
		for key, o := range b.objects {
			co := *o
			nb.objects[key] = &co
		}
		for id, u := range b.uploads {
			cu := *u
			cu.parts = make(map[int32]*part, len(u.parts))
			for n, p := range u.parts {
				cp := *p
				cu.parts[n] = &cp
			}
			nb.uploads[id] = &cu
		}
		c.buckets[name] = nb
	}
	return c
}
