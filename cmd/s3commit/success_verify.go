package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/success"
)

// showVerified checks the manifest's directory against its file list (see
// success.VerifyWith) and prints the manifest with the outcome: as text,
// the manifest, then the differences and how the files were checked; as
// JSON, the manifest with a "verification" member. A difference is an
// error (exit code 1) whose one line sums the differences up.
func showVerified(ctx context.Context, st multipart.Store, u s3URL, d *success.Data, o *successShowOptions, stdout io.Writer, asJSON bool) error {
	dest := path.Dir(u.Key)
	if dest == "." {
		dest = ""
	}
	loc := fmt.Sprintf("s3://%s/%s", u.Bucket, dest)
	if !asJSON {
		// The manifest first: checking may take a while.
		if err := success.Print(stdout, d); err != nil {
			return fmt.Errorf("print %s: %w", u, err)
		}
	}
	report, err := success.VerifyWith(ctx, st, dest, d, success.VerifyOptions{Mode: o.Verify.mode, Concurrency: o.VerifyConcurrency})
	if report == nil {
		if asJSON {
			// The manifest alone, as without --verify; the error follows.
			if perr := d.Encode(stdout); perr != nil {
				return fmt.Errorf("print %s: %w", u, perr)
			}
		}
		return verifyFailure(loc, err)
	}
	if asJSON {
		if perr := writeManifestWithReport(stdout, d, report); perr != nil {
			return perr
		}
	} else {
		printReport(stdout, loc, report)
	}
	var ve *success.VerifyError
	if errors.As(err, &ve) {
		summary, _, _ := strings.Cut(ve.Error(), "\n")
		return &cliError{msg: strings.TrimPrefix(summary, "success: ") + "; the destination was changed after the job commit, or the commit is incomplete", err: err}
	}
	return err
}

// verifyFailure describes an error of success.VerifyWith that left no
// report: the verification could not be carried out.
func verifyFailure(loc string, err error) error {
	var me *success.ManifestError
	switch {
	case errors.Is(err, success.ErrNoFileList):
		return &cliError{msg: fmt.Sprintf("cannot verify %s: the manifest lists no files with sizes and ETags (written by Hadoop?)", loc), err: err}
	case errors.As(err, &me):
		return &cliError{msg: fmt.Sprintf("cannot verify %s: %v; --verify=listing checks sizes and ETags only", loc, me), err: err}
	case errors.Is(err, multipart.ErrUnsupportedChecksum):
		return &cliError{msg: fmt.Sprintf("cannot verify %s by checksum: %s; --verify=listing checks sizes and ETags only", loc,
			strings.TrimPrefix(err.Error(), "success: verify "+loc+": ")), err: err}
	}
	return storeError("verify "+loc, err)
}

// printReport prints the differences, if any, and how the files were
// checked.
func printReport(w io.Writer, loc string, r *success.VerifyReport) {
	if len(r.Differences) == 0 {
		fmt.Fprintf(w, "\nverified: %s holds exactly the %d files of the manifest\n", termText(loc), r.Files)
	} else {
		fmt.Fprintf(w, "\ndifferences between %s and the manifest:\n", termText(loc))
		for _, diff := range r.Differences {
			fmt.Fprintln(w, "  "+termText(diff.String()))
		}
	}
	verb := "verified"
	files := count(r.Checked(), "file")
	if len(r.Differences) > 0 {
		verb = "checked"
	}
	if r.Checked() != r.Files {
		// Missing files, and files of another size, are not checked.
		files = fmt.Sprintf("%d of %s", r.Checked(), count(r.Files, "file"))
	}
	if r.Mode == success.VerifyListing {
		fmt.Fprintf(w, "%s %s by size and ETag from a listing (--verify=listing; --verify compares checksums too)\n", verb, files)
		return
	}
	fmt.Fprintf(w, "%s %s: %d by the store's checksum, %d by reading the data, %d by size and ETag only (no checksum in the manifest)\n",
		verb, files, r.ByStoredChecksum, r.ByData, r.BySizeETag)
}

// verificationJSON is the "verification" member of the JSON output of
// "success show --verify".
type verificationJSON struct {
	Mode             string           `json:"mode"`
	Destination      string           `json:"destination"`
	Matches          bool             `json:"matches"`
	Files            int              `json:"files"`
	ByStoredChecksum int              `json:"byStoredChecksum"`
	ByData           int              `json:"byData"`
	BySizeAndETag    int              `json:"bySizeAndETag"`
	Differences      []differenceJSON `json:"differences"`
}

// differenceJSON is one difference of verificationJSON.
type differenceJSON struct {
	Kind     string        `json:"kind"`
	Key      string        `json:"key"`
	Manifest *success.File `json:"manifest,omitempty"`
	Store    *objectJSON   `json:"store,omitempty"`
	Text     string        `json:"text"`
}

// objectJSON is the object as the store has it, in a differenceJSON.
type objectJSON struct {
	Size              int64  `json:"size"`
	ETag              string `json:"etag"`
	ChecksumAlgorithm string `json:"checksumAlgorithm,omitempty"`
	Checksum          string `json:"checksum,omitempty"`
	// ChecksumSource says where Checksum comes from: "store" (the one the
	// store keeps) or "data" (computed from the bytes read back).
	ChecksumSource string `json:"checksumSource,omitempty"`
}

// reportJSON returns the JSON form of r.
func reportJSON(r *success.VerifyReport) verificationJSON {
	v := verificationJSON{
		Mode: r.Mode.String(), Destination: r.Location, Matches: len(r.Differences) == 0, Files: r.Files,
		ByStoredChecksum: r.ByStoredChecksum, ByData: r.ByData, BySizeAndETag: r.BySizeETag,
		Differences: []differenceJSON{},
	}
	for _, d := range r.Differences {
		j := differenceJSON{Kind: string(d.Kind), Key: d.Key, Text: d.String()}
		if d.Kind != success.DiffExtra {
			m := d.Manifest
			j.Manifest = &m
		}
		if d.Kind != success.DiffMissing {
			s := &objectJSON{Size: d.Store.Size, ETag: d.Store.ETag}
			if d.Kind == success.DiffChecksum {
				s.ChecksumAlgorithm, s.Checksum, s.ChecksumSource = string(d.Store.Checksum.Algorithm), d.Store.Checksum.Value, "store"
				if d.ReadBack {
					s.ChecksumSource = "data"
				}
			}
			j.Store = s
		}
		v.Differences = append(v.Differences, j)
	}
	return v
}

// writeManifestWithReport writes d in its JSON format, as d.Encode does,
// with the member "verification" added last, which success.Decode (and
// Hadoop) ignore: the output still reads back as the same manifest.
func writeManifestWithReport(w io.Writer, d *success.Data, r *success.VerifyReport) error {
	var manifest bytes.Buffer
	if err := d.Encode(&manifest); err != nil {
		return fmt.Errorf("print manifest: %w", err)
	}
	text := bytes.TrimRight(manifest.Bytes(), " \n")
	if !bytes.HasSuffix(text, []byte("}")) {
		return fmt.Errorf("print manifest: its JSON is not an object")
	}
	var report bytes.Buffer
	enc := json.NewEncoder(&report)
	enc.SetIndent("  ", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(reportJSON(r)); err != nil {
		return fmt.Errorf("write JSON output: %w", err)
	}
	var out bytes.Buffer
	out.Write(bytes.TrimRight(text[:len(text)-1], " \n"))
	out.WriteString(",\n  \"verification\": ")
	out.Write(bytes.TrimRight(report.Bytes(), "\n"))
	out.WriteString("\n}\n")
	return writeEscapedJSON(w, out.Bytes())
}
