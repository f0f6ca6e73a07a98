package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Entries in the form of golang.org/x/vulndb's data/osv: no modified time.
var testEntries = map[string]string{
	"GO-2026-0002.json": `{
  "schema_version": "1.3.1",
  "id": "GO-2026-0002",
  "modified": "0001-01-01T00:00:00Z",
  "published": "0001-01-01T00:00:00Z",
  "aliases": ["CVE-2026-2", "GHSA-xxxx-yyyy-zzzz"],
  "summary": "Panic in example.com/mod <and> its helper",
  "affected": [
    {
      "package": {"name": "example.com/mod", "ecosystem": "Go"},
      "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.20.2"}]}],
      "ecosystem_specific": {"imports": [{"path": "example.com/mod/fse", "symbols": ["Decompress"]}]}
    }
  ]
}`,
	"GO-2026-0001.json": `{
  "schema_version": "1.3.1",
  "id": "GO-2026-0001",
  "modified": "0001-01-01T00:00:00Z",
  "published": "0001-01-01T00:00:00Z",
  "summary": "A standard-library bug fixed in two release branches",
  "affected": [
    {
      "package": {"name": "stdlib", "ecosystem": "Go"},
      "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.26.10"}, {"introduced": "1.27.0-0"}, {"fixed": "1.27.3"}]}]
    },
    {
      "package": {"name": "example.com/mod", "ecosystem": "Go"},
      "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.2.0"}, {"introduced": "1.5.0"}]}]
    }
  ]
}`,
	// One with its own modified time, which is kept.
	"GO-2025-0009.json": `{
  "schema_version": "1.3.1",
  "id": "GO-2025-0009",
  "modified": "2025-03-04T05:06:07Z",
  "published": "2025-03-01T00:00:00Z",
  "affected": [
    {
      "package": {"name": "example.com/other", "ecosystem": "Go"},
      "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]
    }
  ]
}`,
	"README.md": "not an entry",
}

func writeEntries(t *testing.T, entries map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range entries {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBuild(t *testing.T) {
	osvDir := writeEntries(t, testEntries)
	modified := time.Date(2026, 11, 5, 23, 49, 57, 0, time.UTC)
	db, err := load(osvDir, modified)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "db")
	if err := db.write(out); err != nil {
		t.Fatal(err)
	}

	want := map[string]string{
		"index/db.json": `{"modified":"2026-11-05T23:49:57Z"}`,
		"index/modules.json": `[` +
			`{"path":"example.com/mod","vulns":[` +
			`{"id":"GO-2026-0001","modified":"2026-11-05T23:49:57Z"},` + // re-introduced in 1.5.0: no fix
			`{"id":"GO-2026-0002","modified":"2026-11-05T23:49:57Z","fixed":"1.20.2"}]},` +
			`{"path":"example.com/other","vulns":[{"id":"GO-2025-0009","modified":"2025-03-04T05:06:07Z"}]},` +
			`{"path":"stdlib","vulns":[{"id":"GO-2026-0001","modified":"2026-11-05T23:49:57Z","fixed":"1.27.3"}]}]`,
		"index/vulns.json": `[` +
			`{"id":"GO-2025-0009","modified":"2025-03-04T05:06:07Z"},` +
			`{"id":"GO-2026-0001","modified":"2026-11-05T23:49:57Z"},` +
			`{"id":"GO-2026-0002","modified":"2026-11-05T23:49:57Z","aliases":["CVE-2026-2","GHSA-xxxx-yyyy-zzzz"]}]`,
	}
	for name, w := range want {
		if got := readFile(t, filepath.Join(out, name)); got != w {
			t.Errorf("%s:\n got %s\nwant %s", name, got, w)
		}
	}

	// The entries keep every field, with the modified time filled in.
	ids, err := os.ReadDir(filepath.Join(out, "ID"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 3 {
		t.Errorf("ID/ has %d files, want 3", len(ids))
	}
	for name, content := range testEntries {
		if !strings.HasPrefix(name, "GO-") {
			continue
		}
		var in, got map[string]any
		if err := json.Unmarshal([]byte(content), &in); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(readFile(t, filepath.Join(out, "ID", name))), &got); err != nil {
			t.Fatal(err)
		}
		if in["modified"] == "0001-01-01T00:00:00Z" {
			in["modified"] = "2026-11-05T23:49:57Z"
		}
		inJSON, _ := json.Marshal(in)
		gotJSON, _ := json.Marshal(got)
		if string(inJSON) != string(gotJSON) {
			t.Errorf("ID/%s:\n got %s\nwant %s", name, gotJSON, inJSON)
		}
	}
}

func TestBuildWithoutVersionKeepsZeroTimes(t *testing.T) {
	db, err := load(writeEntries(t, testEntries), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC); !db.modified.Equal(want) {
		t.Errorf("modified %v, want %v", db.modified, want)
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries map[string]string
		want    string
	}{
		{"empty", map[string]string{"README.md": "x"}, "no OSV entries"},
		{"misnamed", map[string]string{"GO-2026-0003.json": `{"id":"GO-2026-0004","modified":"2026-01-01T00:00:00Z"}`}, "must be named ID.json"},
		{"no ID", map[string]string{"x.json": `{"modified":"2026-01-01T00:00:00Z"}`}, "must be named ID.json"},
		{"no modified", map[string]string{"GO-2026-0003.json": `{"id":"GO-2026-0003"}`}, "no modified time"},
		{"bad time", map[string]string{"GO-2026-0003.json": `{"id":"GO-2026-0003","modified":"yesterday"}`}, "GO-2026-0003.json"},
		{"not JSON", map[string]string{"GO-2026-0003.json": `{`}, "GO-2026-0003.json"},
		{"unnamed package", map[string]string{"GO-2026-0003.json": `{"id":"GO-2026-0003","modified":"2026-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Go"}}]}`}, "without a name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(writeEntries(t, tc.entries), time.Time{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestWriteRefusesExistingDir(t *testing.T) {
	db, err := load(writeEntries(t, testEntries), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := db.write(out); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("write to an existing dir: error %v", err)
	}
}

func TestLatestFixed(t *testing.T) {
	type ev = struct{ introduced, fixed string }
	for _, tc := range []struct {
		events []ev
		want   string
	}{
		{[]ev{{"0", ""}, {"", "1.20.2"}}, "1.20.2"},
		{[]ev{{"0", ""}}, ""},
		{[]ev{{"0", ""}, {"", "1.26.9"}, {"1.27.0-0", ""}, {"", "1.27.2"}}, "1.27.2"},
		{[]ev{{"0", ""}, {"", "1.2.0"}, {"1.5.0", ""}}, ""},
		{[]ev{{"1.16.0", ""}, {"", "1.18.7"}}, "1.18.7"},
		{[]ev{{"0", ""}, {"", "0.0.0-20260721043339-eef10568384e"}}, "0.0.0-20260721043339-eef10568384e"},
		{[]ev{{"0", ""}, {"", "1.10.0"}, {"", "1.9.0"}}, "1.10.0"},
	} {
		var r osvRange
		r.Type = "SEMVER"
		for _, e := range tc.events {
			r.Events = append(r.Events, struct {
				Introduced string `json:"introduced,omitempty"`
				Fixed      string `json:"fixed,omitempty"`
			}{e.introduced, e.fixed})
		}
		if got := latestFixed([]osvRange{r}); got != tc.want {
			t.Errorf("latestFixed(%v) = %q, want %q", tc.events, got, tc.want)
		}
		// Ranges of another type are not semantic versions.
		r.Type = "ECOSYSTEM"
		if got := latestFixed([]osvRange{r}); got != "" {
			t.Errorf("latestFixed(ECOSYSTEM %v) = %q, want \"\"", tc.events, got)
		}
	}
}
