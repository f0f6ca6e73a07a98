package pendingset_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/internal/hadoopvalidate"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/memstore"
	"github.com/s3commit/s3commit/pendingset"
)

// hadoopKeys are destination keys that need care in "uri": spaces,
// unicode, URI delimiters, escapes and control characters.
var hadoopKeys = []string{
	"events/part-00000.parquet",
	"events/city=New York/part 1.csv",
	"données/été/ü€😀.json",
	"a b", "q?x=1", "frag#x", "100%", "%zz", "%20", "nul\x00byte", "tab\tx", "del\x7fx", "nbsp\u00a0x",
	"/leading", "dir//double", "trailing/", "a/../b", "colon:x", "at@x", "[bracket]", "{brace}",
	"pipe|x", "back\\slash", `quote"x`, "caret^x", "semi;x", "plus+x",
}

// requireHadoopReads checks that the current Hadoop line that reads the
// record's form of "etags" accepts data, and the other refuses it: Hadoop
// 3.4 reads a list of strings, trunk (3.5.0-SNAPSHOT) a list of objects.
func requireHadoopReads(t *testing.T, data []byte, set, etagObjects bool) {
	t.Helper()
	reads, refuses := hadoopvalidate.Hadoop34, hadoopvalidate.Trunk
	if etagObjects {
		reads, refuses = refuses, reads
	}
	check, any := hadoopvalidate.Target.SinglePendingCommit, hadoopvalidate.SinglePendingCommit
	if set {
		check, any = hadoopvalidate.Target.PendingSet, hadoopvalidate.PendingSet
	}
	require.NoError(t, check(reads, data), "%s reads it:\n%s", reads.Name, data)
	require.NoError(t, any(data))
	require.Error(t, check(refuses, data), "%s reads the other form of etags only", refuses.Name)
}

// hadoopRecords returns records as this package writes them: every key of
// hadoopKeys, with and without metadata, part checksums and the whole
// file's checksum.
func hadoopRecords(t *testing.T) []*pendingset.Upload {
	t.Helper()
	created := time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	var out []*pendingset.Upload
	for _, key := range hadoopKeys {
		plain := pendingset.NewUpload("lake", key, "upload-"+key, []string{`"e1"`, "e2"}, 11<<20, created)

		meta := pendingset.NewUpload("bucket.with-dots_and_underscore", key, "u", []string{"e"}, 0, created)
		meta.JobID, meta.TaskID, meta.Text = "job-1", "task-1", "partition: "+key
		meta.ExtraData = map[string]string{pendingset.TaskAttemptIDKey: "attempt_1", "key": key}

		whole := pendingset.NewUpload("lake", key, "u", []string{"e1"}, 5, created)
		whole.Checksum = multipart.Checksum{Algorithm: multipart.ChecksumCRC64NVME, Value: "AAAAAAAAAAA="}

		parts := pendingset.NewUpload("lake", key, "u", []string{"e1", "e2", "e3"}, 12<<20, created)
		parts.PartChecksums = []multipart.Checksum{
			{Algorithm: multipart.ChecksumCRC64NVME, Value: "AAAAAAAAAAE="},
			{Algorithm: multipart.ChecksumCRC64NVME, Value: "AAAAAAAAAAI="},
			{Algorithm: multipart.ChecksumCRC64NVME, Value: "AAAAAAAAAAM="},
		}
		parts.Checksum = multipart.Checksum{Algorithm: multipart.ChecksumCRC64NVME, Value: "AAAAAAAAAAQ="}

		someParts := pendingset.NewUpload("lake", key, "u", []string{"e1", "e2"}, 6<<20, created)
		someParts.PartChecksums = []multipart.Checksum{{Algorithm: multipart.ChecksumCRC32C, Value: "AAAAAA=="}, {}}

		out = append(out, plain, meta, whole, parts, someParts)
		for _, p := range []*pendingset.Upload{plain, parts, someParts} {
			trunk := *p
			trunk.ETagObjects = true
			out = append(out, &trunk)
		}
	}
	return out
}

func TestPendingUploadsHadoopReads(t *testing.T) {
	for _, p := range hadoopRecords(t) {
		var buf bytes.Buffer
		require.NoError(t, p.Encode(&buf), "key %q", p.Key)
		requireHadoopReads(t, buf.Bytes(), false, p.ETagObjects)
	}
}

func TestPendingSetsHadoopReads(t *testing.T) {
	records := hadoopRecords(t)
	for _, objects := range []bool{false, true} {
		var commits []pendingset.Upload
		for i, p := range records {
			if p.ETagObjects == objects {
				c := *p
				c.Key = fmt.Sprintf("%d/%s", i, p.Key) // Hadoop refuses a key twice
				c.URI = pendingset.NewUpload(c.Bucket, c.Key, "u", []string{"e"}, 0, time.Time{}).URI
				commits = append(commits, c)
			}
		}
		s := pendingset.NewSet("job-1", commits)
		s.ExtraData = map[string]string{pendingset.TaskAttemptIDKey: "attempt_1"}
		var buf bytes.Buffer
		require.NoError(t, s.Encode(&buf))
		requireHadoopReads(t, buf.Bytes(), true, objects)

		buf.Reset()
		require.NoError(t, pendingset.NewSet("job-1", nil).Encode(&buf))
		require.NoError(t, hadoopvalidate.Hadoop34.PendingSet(buf.Bytes()), "an empty pendingset")
		require.NoError(t, hadoopvalidate.Trunk.PendingSet(buf.Bytes()))
	}
}

// TestUploaderRecordsHadoopReads checks the records the Uploader makes in
// each checksum mode: Hadoop 3.4's, with the part checksums
// (ChecksumStoreVerified) beside the ETags; with ETagObjects set, trunk's.
func TestUploaderRecordsHadoopReads(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), (11<<20)/16+3) // three parts of 5 MiB
	for _, mode := range []multipart.ChecksumMode{multipart.ChecksumStoreVerified, multipart.ChecksumRecordOnly, multipart.ChecksumOff} {
		t.Run(mode.String(), func(t *testing.T) {
			u, err := multipart.NewUploader(memstore.New("lake"), multipart.UploaderOptions{PartSize: multipart.MinPartSize, Checksums: mode})
			require.NoError(t, err)
			var commits []pendingset.Upload
			for _, key := range hadoopKeys[:4] {
				uploaded, err := u.Upload(context.Background(), bytes.NewReader(data), int64(len(data)), key)
				require.NoError(t, err)
				p := pendingset.UploadOf(uploaded)
				require.Len(t, p.ETags, 3)
				assert.Equal(t, mode != multipart.ChecksumOff, !p.Checksum.IsZero(), "the whole file's checksum")
				assert.Equal(t, mode == multipart.ChecksumStoreVerified, p.PartChecksums != nil, "part checksums")
				assert.False(t, p.ETagObjects, "Hadoop 3.4's form by default")

				var buf bytes.Buffer
				require.NoError(t, p.Encode(&buf))
				requireHadoopReads(t, buf.Bytes(), false, false)
				trunk := *p
				trunk.ETagObjects = true
				var tbuf bytes.Buffer
				require.NoError(t, trunk.Encode(&tbuf))
				requireHadoopReads(t, tbuf.Bytes(), false, true)
				got, err := pendingset.DecodeUpload(&buf)
				require.NoError(t, err)
				assert.Equal(t, p, got, "the record reads back")
				commits = append(commits, *p)
			}
			var buf bytes.Buffer
			require.NoError(t, pendingset.NewSet("job-1", commits).Encode(&buf))
			requireHadoopReads(t, buf.Bytes(), true, false)
		})
	}
}

// TestPendingSetFilesHadoopReads checks the pendingsets of testdata as
// Hadoop reads them, and as this package writes them back.
func TestPendingSetFilesHadoopReads(t *testing.T) {
	tests := []struct {
		file            string
		hadoop34, trunk bool
	}{
		// What this package writes now: Hadoop 3.4's etags, the part
		// checksums beside them.
		{"s3commit-v3.pendingset", true, false},
		// What it wrote before: version 2, which no Hadoop line reads.
		{"s3commit-v2.pendingset", false, false},
		{"hadoop-3.3-partitioned.pendingset", true, false},
		{"hadoop-3.4-quoted-etags.pendingset", true, false},
		{"hadoop-trunk-etag-objects.pendingset", false, true},
		{"hadoop-3.1-v1.pendingset", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			require.NoError(t, err)
			s, err := pendingset.DecodeSet(bytes.NewReader(data))
			require.NoError(t, err, "this package reads every version")
			var again bytes.Buffer
			require.NoError(t, s.Encode(&again))
			for _, doc := range [][]byte{data, again.Bytes()} {
				assert.Equal(t, tt.hadoop34, hadoopvalidate.Hadoop34.PendingSet(doc) == nil, "Hadoop 3.4 reads %s", tt.file)
				assert.Equal(t, tt.trunk, hadoopvalidate.Trunk.PendingSet(doc) == nil, "trunk reads %s", tt.file)
			}
		})
	}
}

// TestHadoopRefusesDeferredPendingSets checks that no line of Hadoop
// loads a pendingset with deferred files: it would commit the job without
// them. Hadoop checks the version strictly.
func TestHadoopRefusesDeferredPendingSets(t *testing.T) {
	created := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, target := range []hadoopvalidate.Target{hadoopvalidate.Hadoop34, hadoopvalidate.Trunk} {
		up := pendingset.NewUpload("lake", "out/big-j1.bin", "u1", []string{"e1"}, 5<<20, created)
		up.ETagObjects = target == hadoopvalidate.Trunk
		s := pendingset.NewSet("j1", []pendingset.Upload{*up})
		var buf bytes.Buffer
		require.NoError(t, s.Encode(&buf))
		require.NoError(t, target.PendingSet(buf.Bytes()), "%s reads it without deferred files", target.Name)

		s.Version = pendingset.SetVersionDeferred
		s.Deferred = []pendingset.DeferredPut{{Bucket: "lake", Key: "out/small-j1.csv", Path: "t1_0/small.csv", Length: 1,
			Checksum: multipart.Checksum{Algorithm: multipart.ChecksumCRC64NVME, Value: "AAAAAAAAAAA="}}}
		buf.Reset()
		require.NoError(t, s.Encode(&buf))
		err := target.PendingSet(buf.Bytes())
		require.Error(t, err, "%s must refuse a pendingset with deferred files", target.Name)
		assert.Contains(t, err.Error(), "version", target.Name)
	}
}
