package staging_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/internal/testserver"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/memstore"
	"github.com/s3commit/s3commit/pendingset"
	"github.com/s3commit/s3commit/staging"
	"github.com/s3commit/s3commit/success"
)

// corruptingStore flips one byte of every part it uploads for keys
// containing victim: the bytes change after the Uploader computed their checksum
// and before they reach the store, as a disk, a buffer or a proxy on the
// way could change them.
type corruptingStore struct {
	multipart.Store
	victim string
}

func (s corruptingStore) UploadPart(ctx context.Context, key, uploadID string, number int32, body io.ReadSeeker, size int64, opts multipart.PartOptions) (multipart.Part, error) {
	if strings.Contains(key, s.victim) {
		data, err := io.ReadAll(io.LimitReader(body, size))
		if err != nil {
			return multipart.Part{}, err
		}
		data[len(data)/2] ^= 0x20
		body = bytes.NewReader(data)
	}
	return s.Store.UploadPart(ctx, key, uploadID, number, body, size, opts)
}

// checksumStores are the stores the checksum tests run on: memstore as S3
// and as MinIO, and the real MinIO and versitygw.
func checksumStores(t *testing.T) map[string]func(t *testing.T) multipart.Store {
	return map[string]func(t *testing.T) multipart.Store{
		"memstore": func(t *testing.T) multipart.Store { return memstore.New(bucket) },
		"memstore-minio": func(t *testing.T) multipart.Store {
			srv := memstore.NewServer()
			require.NoError(t, srv.CreateBucket(bucket))
			return srv.Store(bucket, memstore.MinIOOptions())
		},
		"minio": func(t *testing.T) multipart.Store {
			srv := testserver.MinIO(t)
			return srv.Store(t, srv.CreateBucket(t))
		},
		"versitygw": func(t *testing.T) multipart.Store {
			srv := testserver.VersityGW(t)
			return srv.Store(t, srv.CreateBucket(t))
		},
	}
}

// TestCorruptedBytesAreRefusedByTheStore: one byte of a buffered file
// changes between its checksum and its upload. A store that verifies
// checksums refuses the part, the task commit fails with
// ErrChecksumMismatch naming the file, nothing becomes visible, no upload
// is left, and the job can still be aborted cleanly.
func TestCorruptedBytesAreRefusedByTheStore(t *testing.T) {
	for name, newStore := range checksumStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			raw := newStore(t)
			dest := "checksums/" + name
			c, err := staging.New(corruptingStore{Store: raw, victim: "victim"}, staging.Options{
				StagingDir: t.TempDir(), BufferDir: t.TempDir(), Destination: dest,
				Retry: multipart.RetryPolicy{MaxAttempts: 2, InitialBackoff: 1, MaxBackoff: 1},
			})
			require.NoError(t, err)
			j, err := c.SetupJob(ctx, "")
			require.NoError(t, err)
			a := writeTask(t, j, "task-0", 0, map[string]string{
				"good.txt":   strings.Repeat("good bytes\n", 1000),
				"victim.txt": strings.Repeat("bytes that will change on the way\n", 1000),
			})
			err = a.CommitTask(ctx)
			require.Error(t, err)
			assert.ErrorIs(t, err, multipart.ErrChecksumMismatch)
			assert.Contains(t, err.Error(), "victim")
			assert.False(t, multipart.IsRetryable(err))
			t.Logf("task commit: %v", err)

			require.NoError(t, j.AbortJob(ctx))
			keys := []string{committer.DestinationKey(dest, "good.txt", j.ID(), true), committer.DestinationKey(dest, "victim.txt", j.ID(), true)}
			for obj, err := range raw.ListObjects(ctx, dest+"/") {
				require.NoError(t, err)
				t.Errorf("object left: %s", obj.Key)
			}
			for _, k := range keys {
				for up, err := range raw.ListUploads(ctx, k) {
					require.NoError(t, err)
					if up.Key == k {
						t.Errorf("upload left: %s %s", up.Key, up.UploadID)
					}
				}
			}
		})
	}
}

// TestChecksumsFromTheFileToTheManifest: a committed job records each
// file's CRC64NVME in its pending record and in _SUCCESS, the store
// reports the same full-object checksum, and a pending record whose
// checksum is not the file's makes the job commit fail on a store that
// checks it, with nothing visible after the revert.
func TestChecksumsFromTheFileToTheManifest(t *testing.T) {
	for name, newStore := range checksumStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := newStore(t)
			dest := "manifest/" + name
			stagingDir := t.TempDir()
			c, err := staging.New(st, staging.Options{StagingDir: stagingDir, BufferDir: t.TempDir(), Destination: dest})
			require.NoError(t, err)
			files := map[string]string{"a.txt": "alpha\n", "b/c.txt": strings.Repeat("gamma\n", 5000), "empty.txt": ""}
			j, err := c.SetupJob(ctx, "")
			require.NoError(t, err)
			require.NoError(t, writeTask(t, j, "task-0", 0, files).CommitTask(ctx))
			require.NoError(t, j.CommitJob(ctx))

			d, err := success.Read(ctx, st, dest+"/"+staging.SuccessMarker)
			require.NoError(t, err)
			require.Len(t, d.Files, len(files))
			for _, f := range d.Files {
				rel := strings.TrimPrefix(f.Key, dest+"/")
				var content string
				for r, body := range files {
					if committer.DestinationKey(dest, r, j.ID(), true) == f.Key {
						content = body
					}
				}
				want, _, err := multipart.ComputeChecksum(multipart.ChecksumCRC64NVME, strings.NewReader(content))
				require.NoError(t, err)
				assert.Equal(t, want, f.FileChecksum(), "_SUCCESS checksum of %s", rel)
				head, err := st.HeadObject(ctx, f.Key)
				require.NoError(t, err)
				if content == "" && strings.Contains(name, "minio") {
					// MinIO keeps no checksum of an empty multipart object.
					assert.Zero(t, head.Checksum, "the store's checksum of %s", rel)
					continue
				}
				assert.Equal(t, want, head.Checksum, "the store's checksum of %s", rel)
				assert.Equal(t, multipart.ChecksumTypeFullObject, head.ChecksumType)
			}
		})
	}
}

// TestAWrongFileChecksumFailsTheJobCommit: a pendingset whose whole-file
// checksum is not the file's (a record damaged or forged after the task
// committed) makes the store refuse the completion; the job commit fails
// with ErrChecksumMismatch and reverts: nothing is visible, no upload left.
func TestAWrongFileChecksumFailsTheJobCommit(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.committer(t, nil)
	j, err := c.SetupJob(ctx, "")
	require.NoError(t, err)
	require.NoError(t, writeTask(t, j, "task-0", 0, map[string]string{"a.txt": "alpha", "b.txt": "beta"}).CommitTask(ctx))
	path := staging.PendingSetPath(e.stagingDir, j.ID(), "task-0")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	ps, err := pendingset.DecodeSet(bytes.NewReader(data))
	require.NoError(t, err)
	require.NotEmpty(t, ps.Commits)
	require.False(t, ps.Commits[0].Checksum.IsZero(), "the record has the file's checksum")
	wrong, _, err := multipart.ComputeChecksum(multipart.ChecksumCRC64NVME, strings.NewReader("not the file"))
	require.NoError(t, err)
	ps.Commits[0].Checksum = wrong
	var buf bytes.Buffer
	require.NoError(t, ps.Encode(&buf))
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))

	err = j.CommitJob(ctx)
	require.Error(t, err)
	assert.ErrorIs(t, err, multipart.ErrChecksumMismatch)
	assert.Contains(t, err.Error(), ps.Commits[0].Key)
	e.requireNothing(t, j.ID(), e.key(j.ID(), "a.txt"), e.key(j.ID(), "b.txt"))
}

// TestChecksumModes: what each Options.Checksums records and sends.
func TestChecksumModes(t *testing.T) {
	for _, tc := range []struct {
		mode          multipart.ChecksumMode
		inManifest    bool // _SUCCESS lists the file's checksum
		storeKeepsOne bool // the upload was created with a checksum
	}{
		{multipart.ChecksumStoreVerified, true, true},
		{multipart.ChecksumRecordOnly, true, false},
		{multipart.ChecksumOff, false, false},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			c := e.committer(t, func(o *staging.Options) { o.Checksums = tc.mode })
			j, err := c.SetupJob(ctx, "")
			require.NoError(t, err)
			require.NoError(t, writeTask(t, j, "task-0", 0, map[string]string{"a.txt": "alpha"}).CommitTask(ctx))
			require.NoError(t, j.CommitJob(ctx))
			e.requireCommitted(t, j.ID(), map[string]string{e.key(j.ID(), "a.txt"): "alpha"}, nil)

			d, err := success.Read(ctx, e.mem, e.dest+"/"+staging.SuccessMarker)
			require.NoError(t, err)
			require.Len(t, d.Files, 1)
			want, _, err := multipart.ComputeChecksum(multipart.ChecksumCRC64NVME, strings.NewReader("alpha"))
			require.NoError(t, err)
			if tc.inManifest {
				assert.Equal(t, want, d.Files[0].FileChecksum())
			} else {
				assert.Zero(t, d.Files[0].FileChecksum())
			}
			head, err := e.mem.HeadObject(ctx, d.Files[0].Key)
			require.NoError(t, err)
			if tc.storeKeepsOne {
				assert.Equal(t, want, head.Checksum)
			} else {
				assert.Zero(t, head.Checksum)
			}
		})
	}
	_, err := staging.New(memstore.New(bucket), staging.Options{StagingDir: t.TempDir(), Destination: "d", Checksums: 7})
	assert.ErrorIs(t, err, staging.ErrInvalidOptions)
	assert.ErrorContains(t, err, "Checksums")
}
