package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/memstore"
	"github.com/s3commit/s3commit/staging"
	"github.com/s3commit/s3commit/success"
)

// verifyJob commits a job of package staging on st: three tasks, five
// files, one of them of three parts of 5 MiB (so that the store combines
// the parts' checksums into the whole file's), one empty. It returns the
// manifest.
func verifyJob(t *testing.T, st multipart.Store, dest, jobID string) *success.Data {
	t.Helper()
	ctx := context.Background()
	c, err := staging.New(st, staging.Options{StagingDir: t.TempDir(), BufferDir: t.TempDir(), Destination: dest, PartSize: 5 << 20})
	require.NoError(t, err)
	j, err := c.SetupJob(ctx, jobID)
	require.NoError(t, err)
	tasks := []map[string]string{
		{"part-0000.csv": "id,name\n1,ada\n", "part-0001.csv": strings.Repeat("2,grace\n", 1000)},
		{"sub/part-0002.csv": strings.Repeat("0123456789abcdef", (12<<20)/16)},
		{"sub/part-0003.csv": "4,barbara\n", "empty.csv": ""},
	}
	for i, files := range tasks {
		a, err := j.SetupTask(ctx, fmt.Sprintf("task-%04d", i), 0)
		require.NoError(t, err)
		for _, name := range slices.Sorted(maps.Keys(files)) {
			f, err := a.Create(name)
			require.NoError(t, err)
			_, err = f.WriteString(files[name])
			require.NoError(t, err)
			require.NoError(t, f.Close())
		}
		require.NoError(t, a.CommitTask(ctx))
	}
	require.NoError(t, j.CommitJob(ctx))
	d, err := success.Read(ctx, st, dest+"/_SUCCESS")
	require.NoError(t, err)
	require.Len(t, d.Files, 5)
	for _, f := range d.Files {
		require.Equal(t, "CRC64NVME", f.ChecksumAlgorithm, "the manifest lists the checksum of %s", f.Key)
		require.NotEmpty(t, f.Checksum, f.Key)
	}
	return d
}

// verifiedLine is the line of "success show --verify" that says how the
// files were checked.
func verifiedLine(verb string, files, total, stored, data, sizeETag int) string {
	what := fmt.Sprintf("%d files", files)
	if files != total {
		what = fmt.Sprintf("%d of %d files", files, total)
	}
	return fmt.Sprintf("%s %s: %d by the store's checksum, %d by reading the data, %d by size and ETag only (no checksum in the manifest)\n",
		verb, what, stored, data, sizeETag)
}

// showVerification decodes the JSON output of "success show --json
// --verify": the manifest, which reads back as want, and the verification.
func showVerification(t *testing.T, stdout string, want *success.Data) verificationJSON {
	t.Helper()
	got, err := success.Decode(strings.NewReader(stdout))
	require.NoError(t, err, "the output reads back as the manifest")
	assert.Equal(t, want, got)
	var out struct {
		Verification *verificationJSON `json:"verification"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &out))
	require.NotNil(t, out.Verification)
	return *out.Verification
}

// On a real store, "success show --verify" checks a committed job by the
// checksums the store keeps, without reading the data; --verify=data reads
// it; --verify=listing checks sizes and ETags. An object rewritten behind
// the job's back with other bytes of the same size is reported (exit 1) by
// every mode; its checksum by the checksum modes.
func TestSuccessShowVerifyChecksums(t *testing.T) {
	// keepsChecksums says, for each server, whether it keeps a full-object
	// checksum of an empty multipart object and of a PutObject sent
	// without one: MinIO keeps none (the file is read back), versitygw
	// computes one.
	keepsChecksums := map[string]bool{"MinIO": false, "VersityGW": true}
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			keeps, known := keepsChecksums[s.name]
			require.True(t, known, "what %s keeps", s.name)
			// The files checked by the store's checksum with --verify, of
			// the 5, before and after one is rewritten.
			stored, storedAfter := 4, 3
			if keeps {
				stored, storedAfter = 5, 5
			}
			ctx := context.Background()
			srv := s.get(t)
			bucket := srv.CreateBucket(t)
			st := newServerStore(t, srv, bucket)
			d := verifyJob(t, st, "tables/events", "job-20260301")
			url := "s3://" + bucket + "/tables/events/_SUCCESS"
			loc := "s3://" + bucket + "/tables/events"
			run := func(args ...string) cliResult {
				return runCLI(t, cliRun{Args: append([]string{"success", "show"}, append(args, url)...), Env: serverEnv(srv)})
			}

			for _, c := range []struct {
				args []string
				line string
			}{
				{[]string{"--verify"}, verifiedLine("verified", 5, 5, stored, 5-stored, 0)},
				{[]string{"--verify=checksum"}, verifiedLine("verified", 5, 5, stored, 5-stored, 0)},
				{[]string{"--verify=true"}, verifiedLine("verified", 5, 5, stored, 5-stored, 0)},
				{[]string{"--verify=data", "--verify-concurrency=2"}, verifiedLine("verified", 5, 5, 0, 5, 0)},
				{[]string{"--verify=listing"}, "verified 5 files by size and ETag from a listing (--verify=listing; --verify compares checksums too)\n"},
			} {
				res := run(c.args...)
				require.Equal(t, exitOK, res.Code, "%v: %s", c.args, res.Stderr)
				assert.Empty(t, res.Stderr)
				assert.True(t, strings.HasSuffix(res.Stdout, "\nverified: "+loc+" holds exactly the 5 files of the manifest\n"+c.line), "%v:\n%s", c.args, res.Stdout)
			}
			res := run("--verify=false")
			require.Equal(t, exitOK, res.Code, res.Stderr)
			assert.NotContains(t, res.Stdout, "verified")

			res = run("--json", "--verify")
			require.Equal(t, exitOK, res.Code, res.Stderr)
			v := showVerification(t, res.Stdout, d)
			assert.Equal(t, verificationJSON{Mode: "checksum", Destination: loc, Matches: true, Files: 5,
				ByStoredChecksum: stored, ByData: 5 - stored, Differences: []differenceJSON{}}, v)

			// Rewrite a file behind the job's back: other bytes, same size.
			victim := d.Files[1]
			require.Contains(t, victim.Key, "/part-0000-")
			body, _, err := st.GetObject(ctx, victim.Key)
			require.NoError(t, err)
			var old bytes.Buffer
			_, err = old.ReadFrom(body)
			require.NoError(t, err)
			require.NoError(t, body.Close())
			other := bytes.ToUpper(old.Bytes())
			require.NotEqual(t, old.Bytes(), other)
			_, err = st.PutObject(ctx, victim.Key, bytes.NewReader(other), int64(len(other)), multipart.PutOptions{})
			require.NoError(t, err)
			otherSum, _, err := multipart.ComputeChecksum(multipart.ChecksumCRC64NVME, bytes.NewReader(other))
			require.NoError(t, err)

			for _, c := range []struct {
				args   []string
				line   string
				source string // the checksum's source in the difference, "" for none
			}{
				// The store's checksum of the new bytes where it keeps
				// one, or theirs read back.
				{[]string{"--verify"}, verifiedLine("checked", 5, 5, storedAfter, 5-storedAfter, 0), map[bool]string{true: "the store's checksum", false: "computed from the data read back"}[keeps]},
				{[]string{"--verify=data"}, verifiedLine("checked", 5, 5, 0, 5, 0), "computed from the data read back"},
				{[]string{"--verify=listing"}, "checked 5 files by size and ETag from a listing (--verify=listing; --verify compares checksums too)\n", ""},
			} {
				res := run(c.args...)
				require.Equal(t, exitError, res.Code, "%v", c.args)
				assert.Contains(t, res.Stdout, "\ndifferences between "+loc+" and the manifest:\n")
				assert.Contains(t, res.Stdout, "  etag differs: "+victim.Key+" (manifest "+victim.ETag+", store ")
				assert.Equal(t, 1, strings.Count(res.Stderr, "\n"), res.Stderr)
				assert.Contains(t, res.Stderr, "s3commit: "+loc+": destination does not match the _SUCCESS manifest: 0 missing, 0 extra, 0 with another size, 1 with another etag")
				assert.Contains(t, res.Stderr, "the destination was changed after the job commit")
				assert.True(t, strings.HasSuffix(res.Stdout, c.line), "%v:\n%s", c.args, res.Stdout)
				if c.source == "" {
					assert.NotContains(t, res.Stdout, "checksum differs")
					continue
				}
				assert.Contains(t, res.Stderr, ", 1 with another checksum;")
				assert.Contains(t, res.Stdout, "  checksum differs: "+victim.Key+" (manifest CRC64NVME:"+victim.Checksum+", "+c.source+" "+otherSum.String()+")\n")
			}

			res = run("--json", "--verify=data")
			require.Equal(t, exitError, res.Code)
			v = showVerification(t, res.Stdout, d)
			require.Len(t, v.Differences, 2)
			assert.Equal(t, verificationJSON{Mode: "data", Destination: loc, Files: 5, ByData: 5, Differences: v.Differences}, v)
			sum := v.Differences[0]
			assert.Equal(t, "checksum differs", sum.Kind)
			assert.Equal(t, victim.Key, sum.Key)
			assert.Equal(t, &victim, sum.Manifest)
			assert.Equal(t, &objectJSON{Size: victim.Size, ETag: sum.Store.ETag, ChecksumAlgorithm: "CRC64NVME", Checksum: otherSum.Value, ChecksumSource: "data"}, sum.Store)
			assert.Equal(t, "etag differs", v.Differences[1].Kind)
			assert.Contains(t, res.Stderr, "1 with another checksum")
		})
	}
}

// The checks the store cannot make, the command line's mistakes, and the
// manifests the checksum modes cannot check, on memstore through the
// command's function.
func TestSuccessShowVerifyModes(t *testing.T) {
	ctx := context.Background()

	t.Run("flag values", func(t *testing.T) {
		for in, want := range map[string]verifyFlag{
			"checksum": {on: true, mode: success.VerifyChecksums}, "true": {on: true, mode: success.VerifyChecksums},
			"CHECKSUMS": {on: true, mode: success.VerifyChecksums}, "data": {on: true, mode: success.VerifyData},
			"listing": {on: true, mode: success.VerifyListing}, "false": {},
		} {
			var v verifyFlag
			require.NoError(t, v.Set(in), in)
			assert.Equal(t, want, v, in)
		}
		var v verifyFlag
		require.Error(t, v.Set("bytes"))
		assert.Equal(t, "", v.String())
	})

	t.Run("usage", func(t *testing.T) {
		oneLineError(t, runCLI(t, cliRun{Args: []string{"success", "show", "--verify=bytes", "s3://lake/x/_SUCCESS"}}), exitUsage,
			`invalid argument "bytes" for "--verify" flag: want checksum (the default of --verify alone), data or listing`)
		oneLineError(t, runCLI(t, cliRun{Args: []string{"success", "show", "--verify", "data", "s3://lake/x/_SUCCESS"}}), exitUsage,
			"give the mode of --verify with '=': --verify=data")
		oneLineError(t, runCLI(t, cliRun{Args: []string{"success", "show", "s3://lake/x/_SUCCESS", "--verify", "listing"}}), exitUsage,
			"--verify=listing")
		oneLineError(t, runCLI(t, cliRun{Args: []string{"success", "show", "--verify=data", "../../success/testdata/s3commit.json"}}), exitUsage,
			"--verify needs an s3:// manifest")
		oneLineError(t, runCLI(t, cliRun{Args: []string{"success", "show", "--verify", "--verify-concurrency=-1", "s3://lake/x/_SUCCESS"}}), exitUsage,
			"--verify-concurrency is -1; want 1 or more (0 means 16)")
	})

	// run verifies the manifest of out in st with options o, as "success
	// show s3://lake/out/_SUCCESS" does once it has read it.
	run := func(t *testing.T, st multipart.Store, o successShowOptions, asJSON bool) (string, error) {
		d, err := success.Read(ctx, st, "out/_SUCCESS")
		require.NoError(t, err)
		u, err := parseS3URL("s3://lake/out/_SUCCESS")
		require.NoError(t, err)
		var stdout bytes.Buffer
		err = showVerified(ctx, st, u, d, &o, &stdout, asJSON)
		return stdout.String(), err
	}
	checksums := successShowOptions{Verify: verifyFlag{on: true, mode: success.VerifyChecksums}, VerifyConcurrency: 4}

	t.Run("store keeps no checksums", func(t *testing.T) {
		srv := memstore.NewServer()
		require.NoError(t, srv.CreateBucket("lake"))
		st := srv.Store("lake", memstore.Options{IgnoreChecksums: true})
		verifyJob(t, st, "out", "job-1")
		out, err := run(t, st, checksums, false)
		require.NoError(t, err)
		assert.True(t, strings.HasSuffix(out, verifiedLine("verified", 5, 5, 0, 5, 0)), out)
	})

	t.Run("manifest without checksums", func(t *testing.T) {
		st := memstore.New("lake")
		d := verifyJob(t, st, "out", "job-1")
		for i := range d.Files {
			d.Files[i].ChecksumAlgorithm, d.Files[i].Checksum = "", ""
		}
		require.NoError(t, success.Write(ctx, st, "out/_SUCCESS", d))
		out, err := run(t, st, checksums, false)
		require.NoError(t, err)
		assert.True(t, strings.HasSuffix(out, verifiedLine("verified", 5, 5, 0, 0, 5)), out)
	})

	t.Run("manifest checksum wrong", func(t *testing.T) {
		st := memstore.New("lake")
		d := verifyJob(t, st, "out", "job-1")
		right := d.Files[3]
		d.Files[3].Checksum = d.Files[2].Checksum
		require.NoError(t, success.Write(ctx, st, "out/_SUCCESS", d))
		out, err := run(t, st, checksums, false)
		require.ErrorIs(t, err, success.ErrMismatch)
		assert.Equal(t, "s3://lake/out: destination does not match the _SUCCESS manifest: 0 missing, 0 extra, 0 with another size, 0 with another etag, 1 with another checksum; "+
			"the destination was changed after the job commit, or the commit is incomplete", err.Error())
		assert.Contains(t, out, "\ndifferences between s3://lake/out and the manifest:\n"+
			"  checksum differs: "+right.Key+" (manifest CRC64NVME:"+d.Files[2].Checksum+", the store's checksum CRC64NVME:"+right.Checksum+")\n"+
			verifiedLine("checked", 5, 5, 5, 0, 0))
	})

	t.Run("manifest checksum unusable", func(t *testing.T) {
		st := memstore.New("lake")
		d := verifyJob(t, st, "out", "job-1")
		d.Files[2].ChecksumAlgorithm = "MD5"
		require.NoError(t, success.Write(ctx, st, "out/_SUCCESS", d))
		_, err := run(t, st, checksums, false)
		require.ErrorIs(t, err, multipart.ErrUnsupportedChecksum)
		assert.Contains(t, err.Error(), `cannot verify s3://lake/out by checksum: file out/part-0001-job-1.csv: unsupported checksum algorithm "MD5"`)
		assert.Contains(t, err.Error(), "--verify=listing checks sizes and ETags only")
		_, err = run(t, st, successShowOptions{Verify: verifyFlag{on: true, mode: success.VerifyListing}, VerifyConcurrency: 1}, false)
		require.NoError(t, err)
	})
}
