package datajob

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"os"
	"time"
)

// firstDay is the day of the first dt= partition of synthetic events.
var firstDay = time.Date(2026, time.November, 1, 0, 0, 0, 0, time.UTC)

// dayLayout is the layout of a dt= partition's date.
const dayLayout = "2006-01-02"

// record is one event: its ID, its time and the JSON object it came from,
// which is what the job writes.
type record struct {
	ID   string
	TS   time.Time
	Line []byte // one compact JSON object, no newline
}

// Day returns the dt= partition of the record.
func (r record) Day() string { return r.TS.UTC().Format(dayLayout) }

// syntheticEvent is the JSON shape of a generated event.
type syntheticEvent struct {
	ID    string `json:"id"`
	TS    string `json:"ts"`
	User  string `json:"user"`
	Kind  string `json:"kind"`
	Value int    `json:"value"`
}

var eventKinds = []string{"view", "click", "purchase", "signup"}

// synthetic returns event n of the synthetic events of seed over days
// days. The same seed, n and days give the same event.
func synthetic(seed int64, n, days int) record {
	rng := rand.New(rand.NewPCG(uint64(seed), uint64(n)))
	ts := firstDay.AddDate(0, 0, n%days).Add(time.Duration(rng.IntN(86400)) * time.Second)
	ev := syntheticEvent{
		ID:    fmt.Sprintf("ev-%09d", n),
		TS:    ts.Format(time.RFC3339),
		User:  fmt.Sprintf("u-%04d", rng.IntN(1000)),
		Kind:  eventKinds[rng.IntN(len(eventKinds))],
		Value: rng.IntN(10000),
	}
	line, _ := json.Marshal(ev) // cannot fail: plain strings and ints
	return record{ID: ev.ID, TS: ts, Line: line}
}

// inputEvent is what an input line must hold.
type inputEvent struct {
	ID *string `json:"id"`
	TS *string `json:"ts"`
}

// parseLine decodes one input line into a record; where names it in
// errors.
func parseLine(line []byte, where string) (record, error) {
	var ev inputEvent
	if err := json.Unmarshal(line, &ev); err != nil {
		return record{}, fmt.Errorf("%s: not a JSON object: %w", where, err)
	}
	if ev.ID == nil || *ev.ID == "" {
		return record{}, fmt.Errorf("%s: no \"id\": every line needs a non-empty string \"id\"", where)
	}
	if ev.TS == nil {
		return record{}, fmt.Errorf("%s: no \"ts\": every line needs a \"ts\" time in RFC 3339 form", where)
	}
	ts, err := time.Parse(time.RFC3339, *ev.TS)
	if err != nil {
		return record{}, fmt.Errorf("%s: \"ts\" %q is not an RFC 3339 time (e.g. 2026-11-22T08:00:00Z)", where, *ev.TS)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, line); err != nil {
		return record{}, fmt.Errorf("%s: %w", where, err)
	}
	return record{ID: *ev.ID, TS: ts, Line: compact.Bytes()}, nil
}

// readInput yields the records of an input file of JSON lines; blank
// lines are skipped. An error stops the sequence.
func readInput(path string) iter.Seq2[record, error] {
	return func(yield func(record, error) bool) {
		f, err := os.Open(path)
		if err != nil {
			yield(record{}, fmt.Errorf("open input file: %w", err))
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		n := 0
		for sc.Scan() {
			n++
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) == 0 {
				continue
			}
			r, err := parseLine(line, fmt.Sprintf("%s:%d", path, n))
			if !yield(r, err) || err != nil {
				return
			}
		}
		if err := sc.Err(); err != nil {
			yield(record{}, fmt.Errorf("read %s: %w", path, err))
		}
	}
}

// shard yields the records of task index of a job with the settings of c:
// the input files index, index+tasks, … or, without inputs, the synthetic
// events index, index+tasks, ….
func (c *config) shard(index int) iter.Seq2[record, error] {
	return func(yield func(record, error) bool) {
		if len(c.inputs) == 0 {
			for n := index; n < c.events; n += c.tasks {
				if !yield(synthetic(c.seed, n, c.days), nil) {
					return
				}
			}
			return
		}
		for i := index; i < len(c.inputs); i += c.tasks {
			for r, err := range readInput(c.inputs[i]) {
				if !yield(r, err) || err != nil {
					return
				}
			}
		}
	}
}

// all yields every record of the job, task by task.
func (c *config) all() iter.Seq2[record, error] {
	return func(yield func(record, error) bool) {
		for i := range c.tasks {
			for r, err := range c.shard(i) {
				if !yield(r, err) || err != nil {
					return
				}
			}
		}
	}
}

// checkInputs checks that every input file can be opened, so that a
// mistyped name is a usage error before any task starts.
func (c *config) checkInputs() error {
	for _, p := range c.inputs {
		fi, err := os.Stat(p)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return usagef("input file %s does not exist; give JSON-lines files, or none for synthetic events", p)
			}
			return usagef("input file %s: %v", p, err)
		}
		if fi.IsDir() {
			return usagef("input file %s is a directory; give JSON-lines files", p)
		}
	}
	return nil
}
