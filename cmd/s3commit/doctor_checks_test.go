package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/memstore"
)

// TestDoctorClock: the clock and expiry rows from a server whose Date and
// Server headers the test sets.
func TestDoctorClock(t *testing.T) {
	tests := []struct {
		name    string
		offset  time.Duration // the store's clock minus ours
		noDate  bool
		server  string
		skew    wantRow
		expiry  wantRow
		blocked bool
	}{
		{name: "in sync, MinIO", server: "MinIO", skew: want(verdictWorks, "the same to within"),
			expiry: want(verdictCost, "MinIO (Server: MinIO): 24 h by default")},
		{name: "ahead by 5 minutes, AWS", offset: 5 * time.Minute, server: "AmazonS3",
			skew: want(verdictUnsafe, "the store is", "ahead"), expiry: want(verdictWorks, "AWS S3"), blocked: true},
		{name: "behind by 45 s, versitygw", offset: -45 * time.Second, server: "VERSITYGW",
			skew: want(verdictCost, "behind"), expiry: want(verdictWorks, "versitygw")},
		{name: "behind by 10 s, unknown server", offset: -10 * time.Second, server: "Ceph",
			skew: want(verdictWorks, "behind"), expiry: want(verdictUnknown, "unknown (Server: Ceph)")},
		{name: "no Date header", noDate: true, skew: want(verdictUnknown, "no Date header"),
			expiry: want(verdictUnknown, "unknown (Server: none)")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				if tt.noDate {
					w.Header()["Date"] = nil // net/http adds none then
				} else {
					w.Header().Set("Date", time.Now().Add(tt.offset).UTC().Format(http.TimeFormat))
				}
				if tt.server != "" {
					w.Header().Set("Server", tt.server)
				}
				w.WriteHeader(http.StatusForbidden)
			}))
			defer srv.Close()
			c := probeClock(context.Background(), nil, srv.URL)
			rep := &doctorReport{Rows: []doctorRow{c.skewRow(), c.expiryRow()}}
			requireRows(t, rep, map[string]wantRow{"clock_skew": tt.skew, "upload_expiry": tt.expiry})
			rep.finish()
			assert.Equal(t, !tt.blocked, rep.Safe)
		})
	}
	t.Run("no endpoint", func(t *testing.T) {
		c := probeClock(context.Background(), nil, "")
		assert.Equal(t, verdictUnknown, c.skewRow().Verdict)
		assert.Equal(t, verdictUnknown, c.expiryRow().Verdict)
	})
	t.Run("unreachable", func(t *testing.T) {
		c := probeClock(context.Background(), nil, "http://127.0.0.1:1")
		row := c.skewRow()
		assert.Equal(t, verdictUnknown, row.Verdict)
		assert.Contains(t, row.Result, "connection refused")
	})
}

// TestDoctorLifecycle: the lifecycle row from the rules a lookup returns.
func TestDoctorLifecycle(t *testing.T) {
	rule := func(id, prefix string, days int32) types.LifecycleRule {
		return types.LifecycleRule{
			ID: aws.String(id), Status: types.ExpirationStatusEnabled,
			Filter:                         &types.LifecycleRuleFilter{Prefix: aws.String(prefix)},
			AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(days)},
		}
	}
	disabled := rule("off", "", 1)
	disabled.Status = types.ExpirationStatusDisabled
	tagged := rule("tagged", "", 2)
	tagged.Filter = &types.LifecycleRuleFilter{And: &types.LifecycleRuleAndOperator{Prefix: aws.String("tables/"), Tags: []types.Tag{{Key: aws.String("k")}}}}
	expiresOnly := types.LifecycleRule{ID: aws.String("expire"), Status: types.ExpirationStatusEnabled,
		Expiration: &types.LifecycleExpiration{Days: aws.Int32(30)}}
	tests := []struct {
		name  string
		rules []types.LifecycleRule
		err   error
		nilFn bool
		want  wantRow
	}{
		{name: "not looked up", nilFn: true, want: want(verdictUnknown, "not looked up")},
		{name: "no configuration", err: errNoLifecycle, want: want(verdictWorks, "none")},
		{name: "denied", err: &multipart.Error{Op: "GetBucketLifecycleConfiguration", Kind: multipart.ErrAccessDenied},
			want: want(verdictUnknown, "unknown: AccessDenied")},
		{name: "whole bucket", rules: []types.LifecycleRule{rule("abort-7", "", 7), expiresOnly}, want: want(verdictCost, "rule abort-7 after 7 d")},
		{name: "the prefix's parent", rules: []types.LifecycleRule{rule("abort-3", "tab", 3)}, want: want(verdictCost, "rule abort-3 after 3 d")},
		{name: "under the prefix only", rules: []types.LifecycleRule{rule("deep", "tables/events/tmp/", 1)},
			want: want(verdictCost, `deep after 1 d under "tables/events/tmp/" (for some keys)`)},
		{name: "elsewhere", rules: []types.LifecycleRule{rule("logs", "logs/", 1), disabled, expiresOnly},
			want: want(verdictWorks, `no rule aborts incomplete uploads under the prefix (elsewhere: logs after 1 d under "logs/")`)},
		{name: "with tags", rules: []types.LifecycleRule{tagged}, want: want(verdictCost, "tagged after 2 d", "(for some keys)")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lookup lifecycleLookup
			if !tt.nilFn {
				lookup = func(context.Context) ([]abortRule, error) {
					if tt.err != nil {
						return nil, tt.err
					}
					return abortRules(tt.rules), nil
				}
			}
			row := lifecycleRow(context.Background(), lookup, "tables/events")
			requireRows(t, &doctorReport{Rows: []doctorRow{row}}, map[string]wantRow{"lifecycle_abort_incomplete": tt.want})
			assert.False(t, row.blocks())
		})
	}
}

// TestDoctorStagingDirectory: a local directory passes every check and is
// left as it was; a missing one is not safe.
func TestDoctorStagingDirectory(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "keep"), []byte("x"), 0o600))
	rows, left := checkStagingDirectory(dir, "n0nce")
	assert.Empty(t, left)
	rep := &doctorReport{Rows: rows}
	requireRows(t, rep, map[string]wantRow{
		"staging_write":     want(verdictWorks, "ok"),
		"staging_link":      want(verdictWorks, "ok; the second: EEXIST"),
		"staging_flock":     want(verdictWorks, "ok; the second: "),
		"staging_fsync_dir": want(verdictWorks, "ok"),
	})
	fsRow, ok := rep.row("staging_filesystem")
	require.True(t, ok)
	assert.NotEmpty(t, fsRow.Result)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "keep", entries[0].Name())

	rows, _ = checkStagingDirectory(filepath.Join(dir, "missing"), "n0nce")
	rep = &doctorReport{Rows: rows}
	requireRows(t, rep, map[string]wantRow{"staging_dir": want(verdictUnknown, "does not exist")})
	rep.finish()
	assert.False(t, rep.Safe)

	if os.Geteuid() != 0 {
		ro := t.TempDir()
		require.NoError(t, os.Chmod(ro, 0o500))
		t.Cleanup(func() { _ = os.Chmod(ro, 0o700) })
		rows, _ = checkStagingDirectory(ro, "n0nce")
		requireRows(t, &doctorReport{Rows: rows}, map[string]wantRow{"staging_write": want(verdictRefuses, "permission denied")})
	}
}

// TestDoctorFilesystem: the filesystem row from the mount table.
func TestDoctorFilesystem(t *testing.T) {
	const mountinfo = `22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
40 22 0:40 / /shared rw,relatime shared:2 - nfs4 filer:/export rw,vers=4.2,hard,proto=tcp,local_lock=none,addr=10.0.0.2
41 22 0:41 / /old rw,relatime shared:3 - nfs filer:/old rw,vers=3,nolock,proto=tcp,local_lock=all,addr=10.0.0.2
42 22 0:42 / /mnt/with\040space rw - nfs filer:/x rw,vers=4.1,local_lock=flock
43 22 0:43 / /dev/shm rw - tmpfs tmpfs rw
44 22 0:44 / /mnt/sshfs rw - fuse.sshfs host:/ rw
`
	mount := func(dir string) mountEntry {
		m, ok := findMount([]byte(mountinfo), dir)
		require.True(t, ok, dir)
		return m
	}
	tests := []struct {
		dir   string
		magic int64
		want  wantRow
	}{
		{"/var/staging", 0xEF53, want(verdictWorks, "ext4 at / (local)")},
		{"/shared/staging", 0x6969, want(verdictWorks, "nfs4 at /shared (NFSv4.2, locking on the server)")},
		{"/old/staging", 0x6969, want(verdictUnsafe, "nfs at /old with nolock, local_lock=all")},
		{"/mnt/with space/s", 0x6969, want(verdictUnsafe, "with local_lock=flock")},
		{"/dev/shm/s", 0x01021994, want(verdictCost, "tmpfs at /dev/shm (in memory)")},
		{"/mnt/sshfs/s", 0x65735546, want(verdictUnknown, "fuse.sshfs at /mnt/sshfs (a network filesystem)")},
		{"/var/x", 0x1234, want(verdictUnknown, "ext4 at /")},
	}
	for _, tt := range tests {
		m := mount(tt.dir)
		row := filesystemVerdict(fsTypeOfMagic(tt.magic, m.FSType), nil, m, nil)
		requireRows(t, &doctorReport{Rows: []doctorRow{row}}, map[string]wantRow{"staging_filesystem": tt.want})
	}
	row := filesystemVerdict(fsTypeOfMagic(0x6969, ""), nil, mountEntry{}, errors.New("no mount table"))
	assert.Equal(t, verdictUnknown, row.Verdict)
	assert.Equal(t, "filesystem type 0x1234", fsTypeOfMagic(0x1234, "").name)

	// The mount table of this host holds the test's temporary directory.
	if _, err := os.Stat(mountinfoFile); err == nil {
		m, err := mountOf(t.TempDir())
		require.NoError(t, err)
		assert.NotEmpty(t, m.FSType)
	}
}

// TestDoctorStagingStore: a staging dir in another bucket of a memstore,
// one inside the destination, and one in a bucket whose store ignores
// conditional writes.
func TestDoctorStagingStore(t *testing.T) {
	srv := memstore.NewServer()
	require.NoError(t, srv.CreateBucket("lake"))
	require.NoError(t, srv.CreateBucket("records"))
	require.NoError(t, srv.CreateBucket("sloppy"))
	lake := srv.Store("lake", memstore.Options{})
	tests := []struct {
		name    string
		staging string
		store   multipart.Store
		rows    map[string]wantRow
		safe    bool
	}{
		{"another bucket", "s3://records/_staging", srv.Store("records", memstore.Options{}), map[string]wantRow{
			"staging_prefix":                 want(verdictWorks, "outside"),
			"staging_put_if_none_match":      want(verdictWorks, "PreconditionFailed"),
			"staging_put_if_none_match_race": want(verdictWorks, "1 of 8 won"),
		}, true},
		{"inside the destination", "s3://lake/tables/events/_staging", lake, map[string]wantRow{
			"staging_prefix": want(verdictRefuses, "contain one another"),
		}, false},
		{"containing the destination", "s3://lake/tables", lake, map[string]wantRow{
			"staging_prefix": want(verdictRefuses, "contain one another"),
		}, false},
		{"a store ignoring conditions", "s3://sloppy/_staging", srv.Store("sloppy", memstore.Options{IgnoreConditionalWrites: true}), map[string]wantRow{
			"staging_put_if_none_match":      want(verdictRefuses, "success"),
			"staging_put_if_none_match_race": want(verdictRefuses, "8 of 8 won"),
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := parseStagingDir(tt.staging)
			require.NoError(t, err)
			w := newWatchStore(tt.store)
			rep, err := runDoctorProbes(context.Background(), doctorInput{
				Store: lake, Target: s3URL{Bucket: "lake", Key: "tables/events"},
				Staging: &stagingTarget{Dir: d, Store: w},
			})
			require.NoError(t, err)
			requireRows(t, rep, tt.rows)
			assert.Equal(t, tt.safe, rep.Safe)
			assert.Equal(t, tt.staging, rep.Staging)
			for _, k := range w.seen() {
				assert.True(t, strings.HasPrefix(k, d.prefix+"/.s3commit-doctor-"), k)
			}
			requireNothingLeft(t, tt.store, w.seen())
			requireNothingLeft(t, lake, nil)
		})
	}
}

// TestDoctorAnswer: how store answers are named.
func TestDoctorAnswer(t *testing.T) {
	assert.Equal(t, "success", answer(nil))
	assert.Equal(t, "NoSuchUpload", answer(&multipart.Error{Kind: multipart.ErrNoSuchUpload}))
	assert.Equal(t, "error: boom", answer(errors.New("boom")))
	assert.Equal(t, "1 of 3 won, 1 got PreconditionFailed, 1 failed otherwise (ServerError)",
		tally([]error{nil, &multipart.Error{Kind: multipart.ErrPreconditionFailed}, &multipart.Error{Kind: multipart.ErrServer}}).describe(3))
}
