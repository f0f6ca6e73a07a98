// Command vulndbindex builds a Go vulnerability database in the v1 layout
// (https://go.dev/security/vuln/database#api) from a directory of OSV JSON
// files, so that govulncheck can read it with -db file:///path where the
// online database cannot be reached.
//
// The OSV files come from the data/osv directory of a pinned version of the
// golang.org/x/vulndb module (the repository of the Go vulnerability
// database, served by the module proxy); `make vulncheck` downloads it with
// `go mod download` and runs
//
//	vulndbindex -osv DIR/data/osv -version VERSION -out DB
//
// which writes
//
//	DB/index/db.json       {"modified": the latest modified time of an entry}
//	DB/index/modules.json  per module: its vulnerabilities, their modified time and latest fix
//	DB/index/vulns.json    per vulnerability: its modified time and aliases
//	DB/ID/GO-YYYY-NNNN.json  the entries
//
// as the Go team's own generator in that repository (cmd/indexdb) does, but
// with the standard library and golang.org/x/mod only: that generator's
// package imports the repository's whole report tooling (go-git, Google
// Cloud clients, gRPC), hundreds of packages to build for a few JSON files.
// Like a local database read by govulncheck, it writes the .json files only,
// not the .json.gz copies that an HTTP server of the database serves.
//
// The OSV files in the module have no modified time (the zero time): the
// published database sets it from the last commit that touched each file.
// Given -version, a pseudo-version, an entry without a modified time gets
// the time of that version's commit, a bound on it, so that govulncheck
// reports the database's age rather than the year 1.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("vulndbindex: ")
	osvDir := flag.String("osv", "", "directory of OSV JSON files, named ID.json (required)")
	outDir := flag.String("out", "", "directory to write the database to; must not exist (required)")
	version := flag.String("version", "", "pseudo-version of golang.org/x/vulndb that the files come from; its time is the modified time of entries without one")
	flag.Parse()
	if *osvDir == "" || *outDir == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	var modified time.Time
	if *version != "" {
		t, err := module.PseudoVersionTime(*version)
		if err != nil {
			log.Fatalf("-version: %v", err)
		}
		modified = t
	}
	db, err := load(*osvDir, modified)
	if err != nil {
		log.Fatal(err)
	}
	if err := db.write(*outDir); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("vulndbindex: wrote %d entries for %d modules to %s (modified %s)\n",
		len(db.entries), len(db.modules), *outDir, db.modified.Format(time.RFC3339))
}

// entry is the part of an OSV entry that the indexes need. The entry itself
// is written back from raw, so that no field is lost.
type entry struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
	Affected []struct {
		Package struct {
			Name      string `json:"name"`
			Ecosystem string `json:"ecosystem"`
		} `json:"package"`
		Ranges []osvRange `json:"ranges"`
	} `json:"affected"`

	raw map[string]json.RawMessage
}

type osvRange struct {
	Type   string `json:"type"`
	Events []struct {
		Introduced string `json:"introduced,omitempty"`
		Fixed      string `json:"fixed,omitempty"`
	} `json:"events"`
}

// The index endpoints, as in the v1 specification.
type (
	dbMeta struct {
		Modified time.Time `json:"modified"`
	}
	moduleMeta struct {
		Path  string       `json:"path"`
		Vulns []moduleVuln `json:"vulns"`
	}
	moduleVuln struct {
		ID       string    `json:"id"`
		Modified time.Time `json:"modified"`
		Fixed    string    `json:"fixed,omitempty"`
	}
	vulnMeta struct {
		ID       string    `json:"id"`
		Modified time.Time `json:"modified"`
		Aliases  []string  `json:"aliases,omitempty"`
	}
)

type database struct {
	modified time.Time
	entries  []*entry // sorted by ID
	modules  map[string]*moduleMeta
}

// load reads every *.json file of dir (not of its subdirectories) as an OSV
// entry. An entry whose modified time is the zero time gets modified.
func load(dir string, modified time.Time) (*database, error) {
	files, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	db := &database{modules: map[string]*moduleMeta{}}
	for _, f := range files {
		name := f.Name()
		if f.IsDir() || filepath.Ext(name) != ".json" {
			continue
		}
		e, err := readEntry(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		if e.Modified.IsZero() && !modified.IsZero() {
			e.Modified = modified
			b, err := json.Marshal(e.Modified)
			if err != nil {
				return nil, err
			}
			e.raw["modified"] = b
		}
		db.add(e)
	}
	if len(db.entries) == 0 {
		return nil, fmt.Errorf("%s: no OSV entries (*.json)", dir)
	}
	// ReadDir returns the files sorted by name, and names are IDs: the
	// entries are sorted by ID and each ID is there once.
	return db, nil
}

func readEntry(path string) (*entry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	e := &entry{}
	if err := json.Unmarshal(b, e); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	e.Modified = e.Modified.UTC()
	if err := json.Unmarshal(b, &e.raw); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if e.ID == "" || filepath.Base(path) != e.ID+".json" {
		return nil, fmt.Errorf("%s: the entry's ID is %q: a file must be named ID.json", path, e.ID)
	}
	if _, ok := e.raw["modified"]; !ok {
		return nil, fmt.Errorf("%s: no modified time", path)
	}
	for _, a := range e.Affected {
		if a.Package.Name == "" {
			return nil, fmt.Errorf("%s: an affected package without a name", path)
		}
	}
	return e, nil
}

func (db *database) add(e *entry) {
	db.entries = append(db.entries, e)
	if e.Modified.After(db.modified) {
		db.modified = e.Modified
	}
	for _, a := range e.Affected {
		path := a.Package.Name
		m := db.modules[path]
		if m == nil {
			m = &moduleMeta{Path: path, Vulns: []moduleVuln{}}
			db.modules[path] = m
		}
		m.Vulns = append(m.Vulns, moduleVuln{ID: e.ID, Modified: e.Modified, Fixed: latestFixed(a.Ranges)})
	}
}

// latestFixed returns the latest version that fixes the vulnerability in
// the SEMVER ranges, or "" if it is re-introduced after that version (or
// never fixed): a module at that version or later is not affected.
// govulncheck skips an entry for a module whose version is at least this
// one without reading it. This is the rule of golang.org/x/vulndb's
// osvutils.LatestFixed.
func latestFixed(ranges []osvRange) string {
	var latest string
	for _, r := range ranges {
		if r.Type != "SEMVER" {
			continue
		}
		for _, e := range r.Events {
			if e.Fixed != "" && before(latest, e.Fixed) {
				latest = e.Fixed
			}
		}
		for _, e := range r.Events {
			if e.Introduced != "" && e.Introduced != "0" && before(latest, e.Introduced) {
				latest = ""
				break
			}
		}
	}
	return latest
}

// before reports whether v < w, for unprefixed semantic versions; "" is
// before any version.
func before(v, w string) bool {
	return semver.Compare("v"+v, "v"+w) < 0
}

// write writes the database to dir, which must not exist; on an error it
// removes what it wrote.
func (db *database) write(dir string) (err error) {
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("%s exists: remove it first", dir)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	for _, sub := range []string{"index", "ID"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
	}

	modules := make([]*moduleMeta, 0, len(db.modules))
	for _, m := range db.modules {
		slices.SortFunc(m.Vulns, func(a, b moduleVuln) int { return strings.Compare(a.ID, b.ID) })
		modules = append(modules, m)
	}
	slices.SortFunc(modules, func(a, b *moduleMeta) int { return strings.Compare(a.Path, b.Path) })
	vulns := make([]vulnMeta, 0, len(db.entries))
	for _, e := range db.entries {
		vulns = append(vulns, vulnMeta{ID: e.ID, Modified: e.Modified, Aliases: e.Aliases})
	}

	files := map[string]any{
		"index/db.json":      dbMeta{Modified: db.modified},
		"index/modules.json": modules,
		"index/vulns.json":   vulns,
	}
	for _, e := range db.entries {
		files["ID/"+e.ID+".json"] = e.raw
	}
	for name, v := range files {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
