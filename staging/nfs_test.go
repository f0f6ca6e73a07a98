package staging

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart/memstore"
)

func TestNFSLockProblem(t *testing.T) {
	mounts := strings.Join([]string{
		"/dev/vda / ext4 rw,relatime 0 0",
		"nas:/export /shared nfs rw,vers=3,nolock,proto=tcp 0 0",
		"nas:/export/s /shared/staging nfs4 rw,vers=4.1,local_lock=flock 0 0",
		"nas:/ok /ok nfs4 rw,vers=4.2,local_lock=none 0 0",
		`nas:/sp /with\040space nfs rw,vers=3,local_lock=all 0 0`,
		"tmpfs /shared/staging/tmp tmpfs rw 0 0",
	}, "\n")
	tests := []struct {
		dir, want string
	}{
		{"/home/u/staging", ""},
		{"/shared", "/shared is mounted with nolock"},
		{"/shared/jobs", "/shared is mounted with nolock"},
		{"/shared/staging", "/shared/staging is mounted with local_lock=flock"},
		{"/shared/staging/a/b", "/shared/staging is mounted with local_lock=flock"},
		{"/shared/staging/tmp/x", ""},
		{"/sharedx", ""},
		{"/ok/jobs", ""},
		{"/with space/jobs", "/with space is mounted with local_lock=all"},
	}
	for _, tt := range tests {
		got := nfsLockProblem([]byte(mounts), tt.dir)
		if tt.want == "" {
			assert.Empty(t, got, tt.dir)
		} else {
			assert.Contains(t, got, tt.want, tt.dir)
		}
	}
}

// TestPublishRecognisesItsOwnLink: on NFSv3 a LINK whose reply was lost is
// retransmitted and answered EEXIST although the link was made; the
// publisher must see its own win, not another's.
func TestPublishRecognisesItsOwnLink(t *testing.T) {
	defer func(f func(*os.Root, string, string) error) { linkFile = f }(linkFile)
	for _, tt := range []struct {
		name  string
		link  func(root *os.Root, tmp, path string) error
		other bool // another publisher's bytes are at the target
		want  error
	}{
		{"retransmitted link", retransmittedLink, false, nil},
		{"retransmitted link, temp file's second name gone", func(root *os.Root, tmp, path string) error {
			data, err := root.ReadFile(tmp)
			if err != nil {
				return err
			}
			if err := root.WriteFile(path, data, 0o644); err != nil {
				return err
			}
			return &os.LinkError{Op: "link", Old: tmp, New: path, Err: os.ErrExist}
		}, false, nil},
		{"another publisher won", func(root *os.Root, tmp, path string) error { return root.Link(tmp, path) }, true, errTargetExists},
	} {
		t.Run(tt.name, func(t *testing.T) {
			linkFile = tt.link
			fsys, dir := testFS(t)
			path := filepath.Join(dir, "t.pendingset")
			if tt.other {
				require.NoError(t, os.WriteFile(path, []byte("theirs"), 0o644))
			}
			err := publishExclusive(fsys, "t.pendingset", []byte("ours"))
			if tt.want != nil {
				require.ErrorIs(t, err, tt.want)
				assert.Equal(t, "theirs", string(mustRead(t, path)))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "ours", string(mustRead(t, path)))
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// TestCommitTaskOverRetransmittedLink: end to end, an attempt whose
// publish is answered EEXIST for its own link commits, and its uploads are
// completed, not aborted.
// retransmittedLink makes the link and answers EEXIST, as a LINK
// retransmitted after a lost reply is answered on NFSv3.
func retransmittedLink(root *os.Root, tmp, path string) error {
	if err := root.Link(tmp, path); err != nil {
		return err
	}
	return &os.LinkError{Op: "link", Old: tmp, New: path, Err: os.ErrExist}
}

func TestCommitTaskOverRetransmittedLink(t *testing.T) {
	defer func(f func(*os.Root, string, string) error) { linkFile = f }(linkFile)
	linkFile = retransmittedLink
	ctx := context.Background()
	st := memstore.New("lake")
	c, err := New(st, Options{StagingDir: t.TempDir(), BufferDir: t.TempDir(), Destination: "out"})
	require.NoError(t, err)
	j, err := c.SetupJob(ctx, "job")
	require.NoError(t, err)
	a, err := j.SetupTask(ctx, "t", 0)
	require.NoError(t, err)
	f, err := a.Create("part.json")
	require.NoError(t, err)
	_, err = f.WriteString("data")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.NoError(t, a.CommitTask(ctx))
	require.NoError(t, j.CommitJob(ctx))
	_, err = st.HeadObject(ctx, "out/part-job.json")
	require.NoError(t, err)
}

// TestNoFileOpenWhenTheJobDirIsRemoved: on NFS, removing a file that is
// still open leaves a .nfs file that keeps its directory from being
// removed. The journal and the lock are closed first.
func TestNoFileOpenWhenTheJobDirIsRemoved(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("needs /proc/self/fd to see the open files")
	}
	var open []string
	removingJobDir = func(dir string) {
		entries, _ := os.ReadDir("/proc/self/fd")
		for _, e := range entries {
			target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
			if err == nil && strings.HasPrefix(target, dir) {
				open = append(open, target)
			}
		}
	}
	defer func() { removingJobDir = nil }()
	ctx := context.Background()
	for _, how := range []string{"commit", "abort"} {
		t.Run(how, func(t *testing.T) {
			open = nil
			c, err := New(memstore.New("lake"), Options{StagingDir: t.TempDir(), BufferDir: t.TempDir(), Destination: "out"})
			require.NoError(t, err)
			j, err := c.SetupJob(ctx, "job")
			require.NoError(t, err)
			for i := range 3 {
				a, err := j.SetupTask(ctx, fmt.Sprint("t", i), 0)
				require.NoError(t, err)
				f, err := a.Create(fmt.Sprintf("part-%d.json", i))
				require.NoError(t, err)
				require.NoError(t, f.Close())
				require.NoError(t, a.CommitTask(ctx))
			}
			if how == "commit" {
				require.NoError(t, j.CommitJob(ctx))
			} else {
				require.NoError(t, j.AbortJob(ctx))
			}
			assert.Empty(t, open, "files of the job dir open when it was removed")
			assert.NoDirExists(t, filepath.Join(c.opts.StagingDir, "job"))
		})
	}
}
