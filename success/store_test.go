package success_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/multipart/memstore"
	"github.com/s3commit/s3commit/success"
)

// putFile stores data at key and returns it as a manifest file.
func putFile(t *testing.T, st multipart.Store, key, data string) success.File {
	t.Helper()
	etag, err := st.PutObject(context.Background(), key, strings.NewReader(data), int64(len(data)), multipart.PutOptions{})
	require.NoError(t, err)
	return success.File{Key: key, Size: int64(len(data)), ETag: etag}
}

func getObject(t *testing.T, st multipart.Store, key string) []byte {
	t.Helper()
	body, _, err := st.GetObject(context.Background(), key)
	require.NoError(t, err)
	defer body.Close()
	data, err := io.ReadAll(body)
	require.NoError(t, err)
	return data
}

func objectKeys(t *testing.T, st multipart.Store, prefix string) []string {
	t.Helper()
	var keys []string
	for obj, err := range st.ListObjects(context.Background(), prefix) {
		require.NoError(t, err)
		keys = append(keys, obj.Key)
	}
	return keys
}

// job writes n files under dest and returns the manifest listing them.
func job(t *testing.T, st multipart.Store, dest string, n int) *success.Data {
	t.Helper()
	d := success.New("directory", "job-1")
	for i := range n {
		d.AddFile(putFile(t, st, fmt.Sprintf("%s/part-%05d.csv", dest, i), fmt.Sprintf("row %d\n", i)))
	}
	return d
}

func TestWriteRead(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{0, 1, 3, success.MaxInlineFiles, success.MaxInlineFiles + 1, 2500} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			st := memstore.New("lake")
			d := job(t, st, "out", n)
			key := "out/_SUCCESS"
			require.NoError(t, success.Write(ctx, st, key, d))
			assert.Empty(t, d.FilesSidecar, "Write does not modify its argument")

			// The manifest itself: inline files, or a sidecar.
			raw, err := success.Decode(bytes.NewReader(getObject(t, st, key)))
			require.NoError(t, err)
			sidecar := "out/" + success.SidecarName(key, d.JobID)
			if n > success.MaxInlineFiles {
				assert.Nil(t, raw.Files)
				assert.Equal(t, "_SUCCESS."+d.JobID+".files.json", raw.FilesSidecar)
				assert.Contains(t, objectKeys(t, st, "out/_"), sidecar)
			} else {
				assert.Len(t, raw.Files, n)
				assert.Empty(t, raw.FilesSidecar)
				assert.NotContains(t, objectKeys(t, st, "out/_"), sidecar)
			}
			assert.Len(t, raw.Filenames, min(n, success.MaxFilenames))

			got, err := success.Read(ctx, st, key)
			require.NoError(t, err)
			assert.Equal(t, d.Files, got.Files)
			assert.Equal(t, d.JobID, got.JobID)
			assert.Equal(t, d.Filenames, got.Filenames)
			require.NoError(t, success.Verify(ctx, st, "out", got))
			require.NoError(t, success.Verify(ctx, st, "out/", got))

			// What Read returns can be written again.
			require.NoError(t, success.Write(ctx, st, key, got))
			again, err := success.Read(ctx, st, key)
			require.NoError(t, err)
			assert.Equal(t, got, again)
		})
	}
}

func TestWriteAtBucketRoot(t *testing.T) {
	ctx := context.Background()
	st := memstore.New("lake")
	d := success.New("directory", "job-1")
	for i := range success.MaxInlineFiles + 1 {
		d.AddFile(putFile(t, st, fmt.Sprintf("f%d", i), "x"))
	}
	require.NoError(t, success.Write(ctx, st, "_SUCCESS", d))
	assert.Contains(t, objectKeys(t, st, "_"), "_SUCCESS.job-1.files.json")
	got, err := success.Read(ctx, st, "_SUCCESS")
	require.NoError(t, err)
	require.NoError(t, success.Verify(ctx, st, "", got))
}

func TestSidecarName(t *testing.T) {
	assert.Equal(t, "_SUCCESS.job-1.files.json", success.SidecarName("a/b/_SUCCESS", "job-1"))
	assert.Equal(t, "_manifest.json.j.files.json", success.SidecarName("manifest.json", "j"))
	assert.Equal(t, "_SUCCESS.files.json", success.SidecarName("_SUCCESS", ""))
	assert.Equal(t, "a/b/_SUCCESS.files.json", success.SidecarKey("a/b/_SUCCESS", "_SUCCESS.files.json"))
	assert.Equal(t, "_SUCCESS.files.json", success.SidecarKey("_SUCCESS", "_SUCCESS.files.json"))
}

func TestWriteInvalid(t *testing.T) {
	st := memstore.New("lake")
	d := success.New("directory", "")
	err := success.Write(context.Background(), st, "out/_SUCCESS", d)
	require.ErrorIs(t, err, success.ErrInvalidManifest)
	assert.Contains(t, err.Error(), `field "jobId" is empty`)
	assert.Empty(t, objectKeys(t, st, ""), "nothing is written")
}

func TestWriteSidecarFailure(t *testing.T) {
	ctx := context.Background()
	mem := memstore.New("lake")
	d := job(t, mem, "out", success.MaxInlineFiles+1)
	st := faultstore.New(mem, faultstore.FailNth(faultstore.OpPutObject, 1, multipart.ErrServer))
	err := success.Write(ctx, st, "out/_SUCCESS", d)
	require.ErrorIs(t, err, multipart.ErrServer)
	assert.Contains(t, err.Error(), "file list")
	_, err = mem.HeadObject(ctx, "out/_SUCCESS")
	require.ErrorIs(t, err, multipart.ErrNotFound, "no manifest without its file list")
}

func TestReadErrors(t *testing.T) {
	ctx := context.Background()
	st := memstore.New("lake")

	_, err := success.Read(ctx, st, "out/_SUCCESS")
	require.ErrorIs(t, err, multipart.ErrNotFound)
	assert.Contains(t, err.Error(), "s3://lake/out/_SUCCESS")

	putFile(t, st, "classic/_SUCCESS", "")
	_, err = success.Read(ctx, st, "classic/_SUCCESS")
	require.ErrorIs(t, err, success.ErrClassicMarker)
	assert.Contains(t, err.Error(), "s3://lake/classic/_SUCCESS")

	putFile(t, st, "bad/_SUCCESS", `{"name":"x"}`)
	_, err = success.Read(ctx, st, "bad/_SUCCESS")
	require.ErrorIs(t, err, success.ErrInvalidManifest)
	assert.Contains(t, err.Error(), "s3://lake/bad/_SUCCESS")

	// A large job whose sidecar is lost, corrupt, or another job's.
	d := job(t, st, "big", success.MaxInlineFiles+1)
	require.NoError(t, success.Write(ctx, st, "big/_SUCCESS", d))
	sidecar := getObject(t, st, "big/_SUCCESS.job-1.files.json")

	require.NoError(t, st.DeleteObjects(ctx, []string{"big/_SUCCESS.job-1.files.json"}))
	_, err = success.Read(ctx, st, "big/_SUCCESS")
	require.ErrorIs(t, err, success.ErrInvalidManifest)
	assert.NotErrorIs(t, err, multipart.ErrNotFound, "the manifest exists")
	assert.Contains(t, err.Error(), `field "s3commitFilesSidecar" names s3://lake/big/_SUCCESS.job-1.files.json, which does not exist`)

	// Other store errors stay what they are.
	failing := faultstore.New(st, faultstore.FailNth(faultstore.OpGetObject, 2, multipart.ErrThrottled))
	_, err = success.Read(ctx, failing, "big/_SUCCESS")
	require.ErrorIs(t, err, multipart.ErrThrottled)
	assert.NotErrorIs(t, err, success.ErrInvalidManifest)
	assert.Contains(t, err.Error(), "file list of s3://lake/big/_SUCCESS")

	putFile(t, st, "big/_SUCCESS.job-1.files.json", `{"name":"other"}`)
	_, err = success.Read(ctx, st, "big/_SUCCESS")
	require.ErrorIs(t, err, success.ErrInvalidManifest)
	assert.Contains(t, err.Error(), `field "name" is "other"`)

	putFile(t, st, "big/_SUCCESS.job-1.files.json", strings.Replace(string(sidecar), `"jobId":"job-1"`, `"jobId":"job-2"`, 1))
	_, err = success.Read(ctx, st, "big/_SUCCESS")
	require.ErrorIs(t, err, success.ErrInvalidManifest)
	assert.Contains(t, err.Error(), "belongs to another job")

	putFile(t, st, "big/_SUCCESS.job-1.files.json", strings.Replace(string(sidecar), `"size":6`, `"size":-1`, 1))
	_, err = success.Read(ctx, st, "big/_SUCCESS")
	require.ErrorIs(t, err, success.ErrInvalidManifest)
	assert.Contains(t, err.Error(), `s3://lake/big/_SUCCESS.job-1.files.json: invalid _SUCCESS manifest: field "s3commitFiles[0].size" is -1`)
}

func TestVerify(t *testing.T) {
	ctx := context.Background()
	st := memstore.New("lake")
	d := job(t, st, "out", 4)
	putFile(t, st, "out/_SUCCESS", "{}")
	putFile(t, st, "out/.part-0.crc", "x")
	putFile(t, st, "out/sub/_temporary", "x")
	putFile(t, st, "outside/file", "x")
	putFile(t, st, "out2/file", "x") // an adjacent destination
	require.NoError(t, success.Verify(ctx, st, "out", d))

	// Make every kind of difference.
	putFile(t, st, "out/extra.csv", "new")                              // extra
	d.AddFile(putFile(t, st, "out/sub/_listed", "x"))                   // hidden name, but listed: checked, and matching
	putFile(t, st, d.Files[0].Key, "changed size")                      // size
	putFile(t, st, d.Files[1].Key, "row 9\n")                           // same size, other bytes: etag
	require.NoError(t, st.DeleteObjects(ctx, []string{d.Files[2].Key})) // missing
	d.AddFile(success.File{Key: "outside/file", Size: 1, ETag: "e"})    // not under the destination: missing

	err := success.Verify(ctx, st, "out", d)
	require.ErrorIs(t, err, success.ErrMismatch)
	var ve *success.VerifyError
	require.ErrorAs(t, err, &ve)
	kinds := map[string]success.DiffKind{}
	for _, diff := range ve.Differences {
		kinds[diff.Key] = diff.Kind
	}
	assert.Equal(t, map[string]success.DiffKind{
		"out/extra.csv":      success.DiffExtra,
		"out/part-00000.csv": success.DiffSize,
		"out/part-00001.csv": success.DiffETag,
		"out/part-00002.csv": success.DiffMissing,
		"outside/file":       success.DiffMissing,
	}, kinds)
	assert.Equal(t, "success: s3://lake/out: destination does not match the _SUCCESS manifest: "+
		"2 missing, 1 extra, 1 with another size, 1 with another etag\n"+
		"  extra: out/extra.csv (size 3, etag "+ve.Differences[0].Store.ETag+")\n"+
		"  size differs: out/part-00000.csv (manifest 6, store 12; etag manifest "+d.Files[0].ETag+", store "+ve.Differences[1].Store.ETag+")\n"+
		"  etag differs: out/part-00001.csv (manifest "+d.Files[1].ETag+", store "+ve.Differences[2].Store.ETag+")\n"+
		"  missing: out/part-00002.csv (size 6, etag "+d.Files[2].ETag+")\n"+
		"  missing: outside/file (size 1, etag e)", err.Error())
}

func TestVerifyCapsLines(t *testing.T) {
	ctx := context.Background()
	st := memstore.New("lake")
	d := success.New("directory", "job-1")
	for i := range 25 {
		d.AddFile(success.File{Key: fmt.Sprintf("out/f%02d", i), Size: 1, ETag: "e"})
	}
	err := success.Verify(ctx, st, "out", d)
	require.ErrorIs(t, err, success.ErrMismatch)
	lines := strings.Split(err.Error(), "\n")
	require.Len(t, lines, 1+20+1)
	assert.Contains(t, lines[0], "25 missing, 0 extra")
	assert.Equal(t, "  missing: out/f00 (size 1, etag e)", lines[1])
	assert.Equal(t, "  missing: out/f19 (size 1, etag e)", lines[20])
	assert.Equal(t, "  and 5 more", lines[21])
	var ve *success.VerifyError
	require.ErrorAs(t, err, &ve)
	assert.Len(t, ve.Differences, 25)
}

func TestVerifyEmptyJob(t *testing.T) {
	ctx := context.Background()
	st := memstore.New("lake")
	d := success.New("directory", "job-1")
	require.NoError(t, success.Verify(ctx, st, "out", d))
	putFile(t, st, "out/x", "x")
	require.ErrorIs(t, success.Verify(ctx, st, "out", d), success.ErrMismatch)
}

func TestVerifyWithoutFileList(t *testing.T) {
	ctx := context.Background()
	st := memstore.New("lake")
	d, err := success.Decode(bytes.NewReader(readTestdata(t, "hadoop-s3a-directory.json")))
	require.NoError(t, err)
	err = success.Verify(ctx, st, "events", d)
	require.ErrorIs(t, err, success.ErrNoFileList)
	assert.Contains(t, err.Error(), "Hadoop S3A committer")

	d = success.New("directory", "job-1")
	d.FilesSidecar = "_SUCCESS.files.json"
	err = success.Verify(ctx, st, "events", d)
	require.ErrorIs(t, err, success.ErrNoFileList)
	assert.Contains(t, err.Error(), "use Read")
}

func TestVerifyListError(t *testing.T) {
	ctx := context.Background()
	st := faultstore.New(memstore.New("lake"), faultstore.Fail(faultstore.OpListObjects, multipart.ErrAccessDenied))
	err := success.Verify(ctx, st, "out", success.New("directory", "job-1"))
	require.ErrorIs(t, err, multipart.ErrAccessDenied)
	assert.NotErrorIs(t, err, success.ErrMismatch)
}

func TestWriteManifestFailure(t *testing.T) {
	ctx := context.Background()
	mem := memstore.New("lake")
	d := job(t, mem, "out", success.MaxInlineFiles+1)
	st := faultstore.New(mem, faultstore.FailNth(faultstore.OpPutObject, 2, multipart.ErrAccessDenied))
	err := success.Write(ctx, st, "out/_SUCCESS", d)
	require.ErrorIs(t, err, multipart.ErrAccessDenied)
	assert.Contains(t, err.Error(), "write manifest")
	_, err = success.Read(ctx, mem, "out/_SUCCESS")
	require.ErrorIs(t, err, multipart.ErrNotFound, "no manifest; its sidecar alone is hidden and harmless")
}
