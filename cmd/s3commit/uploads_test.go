package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/internal/testserver"
	"github.com/s3commit/s3commit/multipart"
)

// Job IDs of the uploads the tests create; jobA's contains a '.', which
// job IDs may.
const (
	jobA = "jobA-20260101.1"
	jobB = "jobB-20260102"
)

// servers are the real servers every store-facing test runs on.
var servers = []struct {
	name string
	get  func(testing.TB) *testserver.Server
}{
	{"MinIO", testserver.MinIO},
	{"VersityGW", testserver.VersityGW},
}

// newServerStore returns an awsstore on bucket of srv with the server's
// root credentials, built independently of the binary under test.
func newServerStore(t testing.TB, srv *testserver.Server, bucket string) multipart.Store {
	t.Helper()
	return srv.Store(t, bucket)
}

// upload is an upload a test created.
type upload struct{ Key, UploadID string }

// createUpload starts an upload at key, with one part of body when body is
// not empty.
func createUpload(t testing.TB, st multipart.Store, key, body string) upload {
	t.Helper()
	ctx := context.Background()
	id, err := st.CreateUpload(ctx, key, multipart.CreateOptions{})
	require.NoError(t, err)
	if body != "" {
		_, err := st.UploadPart(ctx, key, id, 1, strings.NewReader(body), int64(len(body)), multipart.PartOptions{})
		require.NoError(t, err)
	}
	return upload{Key: key, UploadID: id}
}

// existing returns those of the given uploads that the store still lists,
// each checked by listing its EXACT key (which every store supports).
func existing(t testing.TB, st multipart.Store, uploads ...upload) []upload {
	t.Helper()
	var out []upload
	for _, want := range uploads {
		for u, err := range st.ListUploads(context.Background(), want.Key) {
			require.NoError(t, err)
			if u.Key == want.Key && u.UploadID == want.UploadID {
				out = append(out, want)
			}
		}
	}
	return out
}

// uploadsOf extracts the uploads of a list or abort JSON document.
func uploadsOf(t testing.TB, stdout string) (doc map[string]any, got []upload) {
	t.Helper()
	var res struct {
		Uploads []struct {
			Key      string `json:"key"`
			UploadID string `json:"upload_id"`
		} `json:"uploads"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), "stdout is one JSON document")
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
	got = []upload{}
	for _, u := range res.Uploads {
		got = append(got, upload{Key: u.Key, UploadID: u.UploadID})
	}
	return doc, got
}

// sorted returns uploads sorted by key then upload ID (the test creates
// uploads of one key in order, so ID order within a key is not asserted).
func sorted(uploads ...upload) []upload {
	out := slices.Clone(uploads)
	slices.SortFunc(out, func(a, b upload) int {
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return strings.Compare(a.UploadID, b.UploadID)
	})
	return out
}

// keysSorted checks that uploads are sorted by key.
func keysSorted(uploads []upload) bool {
	return slices.IsSortedFunc(uploads, func(a, b upload) int { return strings.Compare(a.Key, b.Key) })
}

// uploadsFixture is a bucket with uploads under a prefix, outside it, and
// of two jobs.
type uploadsFixture struct {
	srv    *testserver.Server
	bucket string
	store  multipart.Store
	// under are the uploads under "dest": jobA's (two at one key, one in a
	// subdirectory) and jobB's.
	aFirst, aSecond, aSub, b upload
	// outside are uploads not under "dest": a sibling sharing the string
	// prefix, another directory, and a key that merely ends like jobA's.
	sibling, other upload
}

func (f *uploadsFixture) under() []upload {
	return sorted(f.aFirst, f.aSecond, f.aSub, f.b)
}

func (f *uploadsFixture) all() []upload {
	return append(f.under(), f.sibling, f.other)
}

func newUploadsFixture(t *testing.T, srv *testserver.Server) *uploadsFixture {
	t.Helper()
	f := &uploadsFixture{srv: srv, bucket: srv.CreateBucket(t)}
	f.store = newServerStore(t, srv, f.bucket)
	keyA := committer.DestinationKey("dest", "part-0000.json", jobA, true)
	require.Equal(t, "dest/part-0000-"+jobA+".json", keyA)
	f.aFirst = createUpload(t, f.store, keyA, "hello")
	f.aSecond = createUpload(t, f.store, keyA, "")
	f.aSub = createUpload(t, f.store, committer.DestinationKey("dest", "year=2026/part-0002", jobA, true), "")
	f.b = createUpload(t, f.store, committer.DestinationKey("dest", "part-0001.json", jobB, true), "")
	f.sibling = createUpload(t, f.store, committer.DestinationKey("dest2", "part-0000.json", jobA, true), "")
	f.other = createUpload(t, f.store, committer.DestinationKey("other", "part-0000.json", jobB, true), "")
	return f
}

// run runs the binary against the fixture's server.
func (f *uploadsFixture) run(t *testing.T, args ...string) cliResult {
	t.Helper()
	return runCLI(t, cliRun{Args: args, Env: serverEnv(f.srv)})
}

func (f *uploadsFixture) url(path string) string {
	if path == "" {
		return "s3://" + f.bucket
	}
	return "s3://" + f.bucket + "/" + path
}

func TestUploadsList(t *testing.T) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			f := newUploadsFixture(t, s.get(t))
			start := time.Now()

			t.Run("under the prefix", func(t *testing.T) {
				for _, prefix := range []string{"dest", "dest/"} {
					res := f.run(t, "uploads", "list", f.url(prefix), "--json")
					require.Equal(t, exitOK, res.Code, res.Stderr)
					doc, got := uploadsOf(t, res.Stdout)
					assert.Equal(t, f.under(), sorted(got...), "exactly the uploads under the prefix")
					assert.True(t, keysSorted(got), "sorted by key")
					assert.Equal(t, f.bucket, doc["bucket"])
					assert.Equal(t, prefix, doc["prefix"])
					assert.EqualValues(t, 4, doc["count"])
					assert.NotContains(t, doc, "bytes", "bytes only with --parts")
					assert.Empty(t, res.Stderr)
				}
			})

			t.Run("a subdirectory and an exact key", func(t *testing.T) {
				res := f.run(t, "uploads", "list", f.url("dest/year=2026"), "--json")
				require.Equal(t, exitOK, res.Code, res.Stderr)
				_, got := uploadsOf(t, res.Stdout)
				assert.Equal(t, []upload{f.aSub}, got)

				res = f.run(t, "uploads", "list", f.url(f.b.Key), "--json")
				require.Equal(t, exitOK, res.Code, res.Stderr)
				_, got = uploadsOf(t, res.Stdout)
				assert.Equal(t, []upload{f.b}, got)
			})

			t.Run("the whole bucket", func(t *testing.T) {
				res := f.run(t, "uploads", "list", f.url(""), "--json")
				require.Equal(t, exitOK, res.Code, res.Stderr)
				_, got := uploadsOf(t, res.Stdout)
				assert.Equal(t, sorted(f.all()...), sorted(got...))
				assert.True(t, keysSorted(got))
			})

			t.Run("table", func(t *testing.T) {
				res := f.run(t, "uploads", "list", f.url("dest"))
				require.Equal(t, exitOK, res.Code, res.Stderr)
				lines := strings.Split(strings.TrimSpace(res.Stdout), "\n")
				require.Len(t, lines, 6, "header, 4 uploads, summary")
				assert.Regexp(t, `^KEY\s+UPLOAD ID\s+INITIATED\s+AGE$`, lines[0])
				for _, u := range f.under() {
					assert.Contains(t, res.Stdout, u.UploadID)
				}
				assert.NotContains(t, res.Stdout, f.sibling.Key)
				assert.Equal(t, "4 uploads under "+f.url("dest"), lines[5])

				res = f.run(t, "uploads", "list", f.url("nothing-here"))
				require.Equal(t, exitOK, res.Code, res.Stderr)
				assert.Equal(t, "no uploads under "+f.url("nothing-here")+"\n", res.Stdout)
			})

			t.Run("parts", func(t *testing.T) {
				res := f.run(t, "uploads", "list", f.url("dest"), "--parts", "--json")
				require.Equal(t, exitOK, res.Code, res.Stderr)
				var doc struct {
					Bytes   int64 `json:"bytes"`
					Uploads []struct {
						UploadID string `json:"upload_id"`
						Parts    *int   `json:"parts"`
						Bytes    *int64 `json:"bytes"`
					} `json:"uploads"`
				}
				require.NoError(t, json.Unmarshal([]byte(res.Stdout), &doc))
				assert.EqualValues(t, 5, doc.Bytes)
				require.Len(t, doc.Uploads, 4)
				for _, u := range doc.Uploads {
					require.NotNil(t, u.Parts)
					require.NotNil(t, u.Bytes)
					if u.UploadID == f.aFirst.UploadID {
						assert.Equal(t, 1, *u.Parts)
						assert.EqualValues(t, 5, *u.Bytes)
					} else {
						assert.Equal(t, 0, *u.Parts)
						assert.EqualValues(t, 0, *u.Bytes)
					}
				}

				res = f.run(t, "uploads", "list", f.url("dest"), "--parts")
				require.Equal(t, exitOK, res.Code, res.Stderr)
				assert.Regexp(t, `KEY\s+UPLOAD ID\s+INITIATED\s+AGE\s+PARTS\s+BYTES`, res.Stdout)
				assert.Contains(t, res.Stdout, "4 uploads under "+f.url("dest")+", 5 B")
			})

			t.Run("older than", func(t *testing.T) {
				for _, d := range []string{"1h", "2d", "1d12h"} {
					res := f.run(t, "uploads", "list", f.url("dest"), "--older-than", d, "--json")
					require.Equal(t, exitOK, res.Code, res.Stderr)
					_, got := uploadsOf(t, res.Stdout)
					assert.Empty(t, got, "--older-than %s selects none", d)
				}
				// Initiated times may be rounded to the second.
				time.Sleep(time.Until(start.Add(1500 * time.Millisecond)))
				res := f.run(t, "uploads", "list", f.url("dest"), "--older-than", "1ms", "--json")
				require.Equal(t, exitOK, res.Code, res.Stderr)
				_, got := uploadsOf(t, res.Stdout)
				assert.Equal(t, f.under(), sorted(got...), "a tiny --older-than selects all")
			})

			t.Run("job", func(t *testing.T) {
				res := f.run(t, "uploads", "list", f.url("dest"), "--job", jobA, "--json")
				require.Equal(t, exitOK, res.Code, res.Stderr)
				_, got := uploadsOf(t, res.Stdout)
				assert.Equal(t, sorted(f.aFirst, f.aSecond, f.aSub), sorted(got...))

				res = f.run(t, "uploads", "list", f.url("dest"), "--job", jobB, "--json")
				require.Equal(t, exitOK, res.Code, res.Stderr)
				_, got = uploadsOf(t, res.Stdout)
				assert.Equal(t, []upload{f.b}, got)

				// A job ID that is a prefix of another's selects nothing.
				res = f.run(t, "uploads", "list", f.url("dest"), "--job", "jobA", "--json")
				require.Equal(t, exitOK, res.Code, res.Stderr)
				_, got = uploadsOf(t, res.Stdout)
				assert.Empty(t, got)

				res = f.run(t, "uploads", "list", f.url(""), "--job", jobB, "--older-than", "1ms", "--json")
				require.Equal(t, exitOK, res.Code, res.Stderr)
				_, got = uploadsOf(t, res.Stdout)
				assert.Equal(t, sorted(f.b, f.other), sorted(got...))
			})

			t.Run("prefix only", func(t *testing.T) {
				res := f.run(t, "uploads", "list", f.url("dest"), "--prefix-only", "--json")
				require.Equal(t, exitOK, res.Code, res.Stderr)
				_, got := uploadsOf(t, res.Stdout)
				if s.name == "MinIO" {
					// MinIO's ListMultipartUploads matches exact keys only:
					// the reason for the bucket-wide listing.
					assert.Empty(t, got)
				} else {
					assert.Equal(t, f.under(), sorted(got...))
				}
			})
		})
	}
}

func TestUploadsAbort(t *testing.T) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			f := newUploadsFixture(t, s.get(t))
			all := f.all()

			t.Run("dry run changes nothing", func(t *testing.T) {
				res := f.run(t, "uploads", "abort", f.url("dest"))
				require.Equal(t, exitOK, res.Code, res.Stderr)
				assert.Contains(t, res.Stdout, "dry run: nothing aborted; rerun with --force")
				assert.Contains(t, res.Stdout, "4 uploads under "+f.url("dest")+" would be aborted")
				for _, u := range f.under() {
					assert.Contains(t, res.Stdout, u.UploadID)
				}

				res = f.run(t, "uploads", "abort", f.url("dest"), "--job", jobA, "--json")
				require.Equal(t, exitOK, res.Code, res.Stderr)
				doc, got := uploadsOf(t, res.Stdout)
				assert.Equal(t, sorted(f.aFirst, f.aSecond, f.aSub), sorted(got...))
				assert.Equal(t, true, doc["dry_run"])
				assert.EqualValues(t, 3, doc["count"])
				assert.EqualValues(t, 0, doc["aborted"])
				assert.Equal(t, "dry run: nothing aborted; rerun with --force\n", res.Stderr)

				assert.Equal(t, all, existing(t, f.store, all...))
			})

			t.Run("expect mismatch aborts nothing", func(t *testing.T) {
				for _, args := range [][]string{
					{"--expect", "2", "--force"},
					{"--expect", "4", "--force"},
					{"--expect", "0"},
				} {
					res := f.run(t, append([]string{"uploads", "abort", f.url("dest"), "--job", jobA}, args...)...)
					assert.Equal(t, exitCountMismatch, res.Code)
					assert.Empty(t, res.Stdout)
					assert.Equal(t, 1, strings.Count(res.Stderr, "\n"), "one line: %q", res.Stderr)
					assert.Contains(t, res.Stderr, "s3commit: --expect")
					assert.Contains(t, res.Stderr, "3 uploads selected, nothing changed")
				}
				assert.Equal(t, all, existing(t, f.store, all...))
			})

			t.Run("force aborts exactly the selection", func(t *testing.T) {
				res := f.run(t, "uploads", "abort", f.url("dest"), "--job", jobA, "--expect", "3", "--force", "--json")
				require.Equal(t, exitOK, res.Code, res.Stderr)
				doc, got := uploadsOf(t, res.Stdout)
				assert.Equal(t, sorted(f.aFirst, f.aSecond, f.aSub), sorted(got...))
				assert.Equal(t, false, doc["dry_run"])
				assert.EqualValues(t, 3, doc["aborted"])
				assert.EqualValues(t, 0, doc["failed"])
				for _, u := range doc["uploads"].([]any) {
					assert.Equal(t, "aborted", u.(map[string]any)["result"])
				}
				assert.Empty(t, existing(t, f.store, f.aFirst, f.aSecond, f.aSub), "jobA's uploads under dest are gone")
				survivors := []upload{f.b, f.sibling, f.other}
				assert.Equal(t, survivors, existing(t, f.store, survivors...), "jobB's and those outside dest survive")

				// Nothing of jobA is left under dest; jobA's upload in dest2 is not touched.
				res = f.run(t, "uploads", "abort", f.url("dest"), "--job", jobA, "--force")
				require.Equal(t, exitOK, res.Code, res.Stderr)
				assert.Equal(t, "no uploads under "+f.url("dest")+" selected; nothing to abort\n", res.Stdout)
				assert.Equal(t, survivors, existing(t, f.store, survivors...))
			})

			t.Run("force with a table", func(t *testing.T) {
				res := f.run(t, "uploads", "abort", f.url("dest"), "--force")
				require.Equal(t, exitOK, res.Code, res.Stderr)
				assert.Regexp(t, `KEY\s+UPLOAD ID\s+INITIATED\s+AGE\s+RESULT`, res.Stdout)
				assert.Contains(t, res.Stdout, f.b.UploadID)
				assert.Contains(t, res.Stdout, "1 upload under "+f.url("dest")+": 1 aborted, 0 gone already, 0 failed")
				assert.Empty(t, existing(t, f.store, f.b))
				survivors := []upload{f.sibling, f.other}
				assert.Equal(t, survivors, existing(t, f.store, survivors...))
			})
		})
	}
}

// TestStoreSettings configures the store through flags, through a profile
// in a shared credentials file, and through the environment.
func TestStoreSettings(t *testing.T) {
	srv := testserver.MinIO(t)
	bucket := srv.CreateBucket(t)
	st := newServerStore(t, srv, bucket)
	u := createUpload(t, st, "dest/part-0000-"+jobA+".json", "")
	keys := []string{"AWS_ACCESS_KEY_ID=" + srv.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + srv.SecretAccessKey}

	profileDir := t.TempDir()
	credsFile := filepath.Join(profileDir, "credentials")
	require.NoError(t, os.WriteFile(credsFile, []byte(fmt.Sprintf(
		"[ops]\naws_access_key_id = %s\naws_secret_access_key = %s\n", srv.AccessKeyID, srv.SecretAccessKey)), 0o600))

	cases := []struct {
		name string
		args []string
		env  []string
	}{
		{"flags", []string{"--endpoint-url", srv.Endpoint, "--region", srv.Region, "--path-style"}, keys},
		{"flags without region", []string{"--endpoint-url", srv.Endpoint, "--path-style"}, keys},
		{"environment", nil, serverEnv(srv)},
		{"profile flag", []string{"--profile", "ops", "--endpoint-url", srv.Endpoint, "--path-style"},
			[]string{"AWS_SHARED_CREDENTIALS_FILE=" + credsFile}},
		{"AWS_PROFILE", []string{"--path-style"},
			[]string{"AWS_SHARED_CREDENTIALS_FILE=" + credsFile, "AWS_PROFILE=ops", "AWS_ENDPOINT_URL=" + srv.Endpoint}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append(slices.Clone(tc.args), "uploads", "list", "s3://"+bucket+"/dest", "--json")
			res := runCLI(t, cliRun{Args: args, Env: tc.env})
			require.Equal(t, exitOK, res.Code, res.Stderr)
			_, got := uploadsOf(t, res.Stdout)
			assert.Equal(t, []upload{u}, got)
		})
	}
}
