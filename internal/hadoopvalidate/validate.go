// Package hadoopvalidate tells whether Hadoop's S3A committer would load a
// pendingset or a pending-upload record: it is a port of the loading and
// validate() methods of the hadoop-aws classes
// org.apache.hadoop.fs.s3a.commit.files.PendingSet,
// SinglePendingCommit, UploadEtag and PersistentCommitData (VERSION), of
// CommitUtils.validateCollectionClass, of the Jackson mapping that
// org.apache.hadoop.util.JsonSerialization sets up for them, and of the
// parser of java.net.URI that SinglePendingCommit.destinationPath() runs.
// It is meant for tests: every record s3commit writes must pass it.
//
// The sources ported are apache/hadoop's: PendingSet at commit e38f6882
// (VERSION = 3, with jobId and iostatistics: Hadoop 3.3.1 to 3.4 and
// trunk), SinglePendingCommit at commits 03753376 (etags as
// List<String>, Hadoop 3.3) and ae1e9f46 (etags as List<UploadEtag>,
// trunk, 3.5.0-SNAPSHOT), whose validate() differ only in the type of an
// ETag, PersistentCommitData's generic version (VERSION = 2), UploadEtag
// at commit 388394cf, JsonSerialization, IOStatisticsSnapshot and
// MeanStatistic of hadoop-common, and java.net.URI of OpenJDK 8. The
// rules, literally:
//
//   - Jackson reads the document's first JSON value and ignores what
//     follows it; properties unknown to the class are ignored
//     (FAIL_ON_UNKNOWN_PROPERTIES is off), so are properties with only a
//     getter (SinglePendingCommit's "partCount") and PendingSet's
//     "extraData", which has no accessor. A known property of the wrong
//     JSON type fails the load, with Jackson's default coercions: a JSON
//     null is 0 for an int or long and null for an object; numbers and
//     booleans become strings; a string holding an integer (or nothing,
//     or "null") becomes an int or long; a fractional number is truncated
//     (ACCEPT_FLOAT_AS_INT); a list or an object never becomes a string,
//     nor a string a list, a map or a class — so UploadEtag cannot be
//     read from a string, nor a String from an {"etag": …} object. A
//     missing property keeps the field's initial value: version = VERSION,
//     uri = "", jobId = "", an empty list of commits, no etags.
//   - PendingSet.validate(): version == PendingSet.VERSION ("Wrong
//     version"); commits not null and without a null element (else a
//     NullPointerException); each commit valid; no destinationKey twice.
//   - SinglePendingCommit.validate(): version == PersistentCommitData.VERSION;
//     bucket, destinationKey and uploadId non-empty; length >= 0; uri
//     non-empty and parsed by java.net.URI; etags not null; no null
//     element; no empty ETag (for UploadEtag: a non-empty "etag");
//     extraData, if not null, without a null value.
//
// A [Target] is one line of Hadoop: its versions and its form of "etags".
// [PendingSet] and [SinglePendingCommit] accept what one of the current
// lines ([Current]) loads. Where several things are wrong, the one
// reported may differ from the one Hadoop reports first.
package hadoopvalidate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Target is a line of Hadoop releases whose committer files share one
// format.
type Target struct {
	// Name names the line, e.g. "Hadoop 3.3.1-3.4".
	Name string
	// PendingSetVersion is PendingSet.VERSION, the only "version" of a
	// pendingset the line accepts.
	PendingSetVersion int
	// SinglePendingCommitVersion is PersistentCommitData.VERSION, the only
	// "version" of a commit the line accepts.
	SinglePendingCommitVersion int
	// UploadEtags is true when "etags" is a List<UploadEtag>, a list of
	// {"etag", "checksumAlgorithm", "checksum"} objects (trunk), false
	// when it is a List<String>.
	UploadEtags bool
}

var (
	// Hadoop34 is Hadoop 3.3.1 to 3.4 (at least 3.4.1): pendingset
	// version 3, commits of version 2, "etags" as a list of strings.
	Hadoop34 = Target{Name: "Hadoop 3.3.1-3.4", PendingSetVersion: 3, SinglePendingCommitVersion: 2}
	// Trunk is Hadoop's trunk (3.5.0-SNAPSHOT): as Hadoop34, with "etags"
	// as a list of UploadEtag objects.
	Trunk = Target{Name: "Hadoop trunk (3.5.0-SNAPSHOT)", PendingSetVersion: 3, SinglePendingCommitVersion: 2, UploadEtags: true}
	// Current lists the lines [PendingSet] and [SinglePendingCommit] check
	// against.
	Current = []Target{Hadoop34, Trunk}
)

// Error is why a Hadoop line would refuse a record.
type Error struct {
	// Target is the Name of the line.
	Target string
	// Field is the JSON path of the value at fault, e.g.
	// "commits[1].etags[0].etag"; empty for the document itself.
	Field string
	// Reason says what is wrong with it, e.g. "is 2, want 3".
	Reason string
	// Hadoop is how Hadoop fails, e.g. `ValidationFailure "Wrong version: 2"`.
	Hadoop string
}

// Error formats the line, the field, the reason and Hadoop's failure.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Target)
	b.WriteString(" refuses the record: ")
	if e.Field != "" {
		fmt.Fprintf(&b, "field %q ", e.Field)
	}
	b.WriteString(e.Reason)
	if e.Hadoop != "" {
		b.WriteString(" (Hadoop: ")
		b.WriteString(e.Hadoop)
		b.WriteString(")")
	}
	return b.String()
}

// PendingSet reports whether a current line of Hadoop ([Current]) loads
// data as a .pendingset file (PendingSet.load): nil if one does, else the
// [*Error] of each line, joined.
func PendingSet(data []byte) error {
	return anyOf(func(t Target) error { return t.PendingSet(data) })
}

// SinglePendingCommit reports whether a current line of Hadoop
// ([Current]) loads data as a .pending file (SinglePendingCommit.load):
// nil if one does, else the [*Error] of each line, joined.
func SinglePendingCommit(data []byte) error {
	return anyOf(func(t Target) error { return t.SinglePendingCommit(data) })
}

func anyOf(check func(Target) error) error {
	var errs []error
	for _, t := range Current {
		err := check(t)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// PendingSet reports whether Hadoop of line t loads data as a pendingset:
// nil, or an [*Error].
func (t Target) PendingSet(data []byte) error {
	d := &decoder{t: t}
	return d.run(data, d.pendingSet)
}

// SinglePendingCommit reports whether Hadoop of line t loads data as a
// pending-upload record: nil, or an [*Error].
func (t Target) SinglePendingCommit(data []byte) error {
	d := &decoder{t: t}
	return d.run(data, func(root json.RawMessage) {
		c := d.singlePendingCommit("", root)
		if c == nil {
			d.fail("", "is null", "NullPointerException: validate() called on a null instance")
		}
		d.validateCommit("", c)
	})
}

// decoder decodes and validates one document, failing by panicking with
// an *Error that run recovers.
type decoder struct{ t Target }

func (d *decoder) fail(field, reason, hadoop string) {
	panic(&Error{Target: d.t.Name, Field: field, Reason: reason, Hadoop: hadoop})
}

func (d *decoder) failf(field, hadoop, format string, args ...any) {
	d.fail(field, fmt.Sprintf(format, args...), hadoop)
}

func (d *decoder) run(data []byte, check func(json.RawMessage)) (err error) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*Error)
			if !ok {
				panic(r)
			}
			err = e
		}
	}()
	check(d.root(data))
	return nil
}

// root returns the document's first JSON value, as Jackson's readValue
// reads it: a UTF-8 byte order mark is skipped, and what follows the value
// is not read.
func (d *decoder) root(data []byte) json.RawMessage {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	dec := json.NewDecoder(bytes.NewReader(data))
	var v json.RawMessage
	switch err := dec.Decode(&v); {
	case errors.Is(err, io.EOF):
		d.fail("", "is empty", "MismatchedInputException: No content to map due to end-of-input")
	case err != nil:
		d.fail("", "is not valid JSON: "+err.Error(), "JsonParseException")
	case !utf8.Valid(v):
		d.fail("", "is not valid UTF-8", "JsonParseException: Invalid UTF-8")
	}
	return v
}

// kind names the kind of a JSON value from its first byte, as Jackson's
// messages do.
func kind(v json.RawMessage) string {
	switch v = bytes.TrimSpace(v); {
	case len(v) == 0:
		return "nothing"
	case v[0] == 'n':
		return "null"
	case v[0] == 't' || v[0] == 'f':
		return "Boolean value"
	case v[0] == '"':
		return "String value"
	case v[0] == '{':
		return "Object value"
	case v[0] == '[':
		return "Array value"
	}
	return "Number value"
}

func isNull(v json.RawMessage) bool { return kind(v) == "null" }

func mismatch(javaType string, v json.RawMessage) string {
	return fmt.Sprintf("MismatchedInputException: Cannot deserialize value of type `%s` from %s", javaType, kind(v))
}

// member is one property of a JSON object, in document order.
type member struct {
	name  string
	value json.RawMessage
}

// members returns the properties of a JSON object, duplicates included:
// Jackson deserializes each and keeps the last.
func (d *decoder) members(field, javaType string, v json.RawMessage) []member {
	if kind(v) != "Object value" {
		d.failf(field, mismatch(javaType, v), "is a JSON %s, want an object", jsonKind(v))
	}
	dec := json.NewDecoder(bytes.NewReader(v))
	if _, err := dec.Token(); err != nil { // '{'
		d.fail(field, "is not valid JSON: "+err.Error(), "JsonParseException")
	}
	var ms []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			d.fail(field, "is not valid JSON: "+err.Error(), "JsonParseException")
		}
		var m member
		m.name, _ = tok.(string)
		if err := dec.Decode(&m.value); err != nil {
			d.fail(field, "is not valid JSON: "+err.Error(), "JsonParseException")
		}
		ms = append(ms, m)
	}
	return ms
}

// jsonKind names a JSON value's kind in this package's words.
func jsonKind(v json.RawMessage) string {
	switch k := kind(v); k {
	case "Boolean value":
		return "boolean"
	case "String value":
		return "string"
	case "Object value":
		return "object"
	case "Array value":
		return "list"
	case "Number value":
		return "number"
	default:
		return k
	}
}

func join(field, name string) string {
	if field == "" {
		return name
	}
	return field + "." + name
}

func index(field string, i int) string { return fmt.Sprintf("%s[%d]", field, i) }

// javaString decodes a java.lang.String: nil for null.
func (d *decoder) javaString(field string, v json.RawMessage) *string {
	switch kind(v) {
	case "null":
		return nil
	case "String value":
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			d.fail(field, "is not a valid JSON string", "JsonParseException")
		}
		return &s
	case "Number value", "Boolean value":
		s := string(bytes.TrimSpace(v)) // the value's text
		return &s
	}
	d.failf(field, mismatch("java.lang.String", v), "is a JSON %s, want a string", jsonKind(v))
	return nil
}

// javaInteger decodes an int (bits 32) or a long (bits 64), with
// Jackson's coercions; a null is 0 (a primitive) or null (a Long), which
// makes no difference to the rules.
func (d *decoder) javaInteger(field string, bits int, v json.RawMessage) int64 {
	javaType := map[int]string{32: "int", 64: "long"}[bits]
	lo, hi := int64(math.MinInt32), int64(math.MaxInt32)
	if bits == 64 {
		lo, hi = math.MinInt64, math.MaxInt64
	}
	outOfRange := func(text string) {
		d.failf(field, fmt.Sprintf("InputCoercionException: Numeric value (%s) out of range of %s", text, javaType), "is %s, out of the range of a Java %s", text, javaType)
	}
	text := string(bytes.TrimSpace(v))
	switch kind(v) {
	case "null":
		return 0
	case "Number value":
		if !strings.ContainsAny(text, ".eE") {
			n, ok := new(big.Int).SetString(text, 10)
			if !ok {
				d.failf(field, "JsonParseException", "is not a valid JSON number: %s", text)
			}
			if !n.IsInt64() || n.Int64() < lo || n.Int64() > hi {
				outOfRange(text)
			}
			return n.Int64()
		}
		// ACCEPT_FLOAT_AS_INT: truncated toward zero, within the range.
		f, _, err := big.ParseFloat(text, 10, 256, big.ToZero)
		if err != nil {
			d.failf(field, "JsonParseException", "is not a valid JSON number: %s", text)
		}
		n, _ := f.Int(nil)
		if !n.IsInt64() || n.Int64() < lo || n.Int64() > hi {
			outOfRange(text)
		}
		return n.Int64()
	case "String value":
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			d.fail(field, "is not a valid JSON string", "JsonParseException")
		}
		s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' }) // String.trim
		if s == "" || s == "null" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, bits) // Integer/Long.parseInt: [+-]digits
		if err != nil {
			d.failf(field, fmt.Sprintf("InvalidFormatException: Cannot deserialize value of type `%s` from String %q: not a valid `%s` value", javaType, s, javaType),
				"is the string %q, not a Java %s", s, javaType)
		}
		return n
	}
	d.failf(field, mismatch(javaType, v), "is a JSON %s, want a number", jsonKind(v))
	return 0
}

// list decodes a java.util.List: ok false for null; each element is given
// to elem, in order.
func (d *decoder) list(field, javaType string, v json.RawMessage, elem func(i int, v json.RawMessage)) (ok bool) {
	switch kind(v) {
	case "null":
		return false
	case "Array value":
	default:
		// Neither ACCEPT_SINGLE_VALUE_AS_ARRAY nor an empty-string coercion
		// to a collection is on by default.
		d.failf(field, mismatch(javaType, v), "is a JSON %s, want a list", jsonKind(v))
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(v, &elems); err != nil {
		d.fail(field, "is not valid JSON: "+err.Error(), "JsonParseException")
	}
	for i, e := range elems {
		elem(i, e)
	}
	return true
}

// stringMap decodes a Map<String, String> and returns the key of a null
// value, if any; a null map has none.
func (d *decoder) stringMap(field string, v json.RawMessage) (nullKey *string) {
	if isNull(v) {
		return nil
	}
	values := make(map[string]*string)
	var order []string
	for _, m := range d.members(field, "java.util.Map<java.lang.String,java.lang.String>", v) {
		if _, seen := values[m.name]; !seen {
			order = append(order, m.name)
		}
		values[m.name] = d.javaString(join(field, m.name), m.value)
	}
	for _, k := range order {
		if values[k] == nil {
			return &k
		}
	}
	return nil
}

// ioStatistics decodes an IOStatisticsSnapshot: maps of Longs "counters",
// "gauges", "minimums" and "maximums", and a map of MeanStatistic
// ({"samples", "sum"}) "meanstatistics". Nothing of it is validated.
func (d *decoder) ioStatistics(field string, v json.RawMessage) {
	if isNull(v) {
		return
	}
	for _, m := range d.members(field, "org.apache.hadoop.fs.statistics.IOStatisticsSnapshot", v) {
		f := join(field, m.name)
		switch m.name {
		case "counters", "gauges", "minimums", "maximums":
			if isNull(m.value) {
				continue
			}
			for _, e := range d.members(f, "java.util.Map<java.lang.String,java.lang.Long>", m.value) {
				d.javaInteger(join(f, e.name), 64, e.value)
			}
		case "meanstatistics":
			if isNull(m.value) {
				continue
			}
			for _, e := range d.members(f, "java.util.Map<java.lang.String,org.apache.hadoop.fs.statistics.MeanStatistic>", m.value) {
				if isNull(e.value) {
					continue
				}
				for _, p := range d.members(join(f, e.name), "org.apache.hadoop.fs.statistics.MeanStatistic", e.value) {
					if p.name == "samples" || p.name == "sum" {
						d.javaInteger(join(join(f, e.name), p.name), 64, p.value)
					}
				}
			}
		}
	}
}

// pendingSet decodes and validates a PendingSet.
func (d *decoder) pendingSet(root json.RawMessage) {
	if isNull(root) {
		d.fail("", "is null", "NullPointerException: validate() called on a null instance")
	}
	version := int64(d.t.PendingSetVersion) // private int version = VERSION
	commits, commitsNull := []*commit(nil), false
	for _, m := range d.members("", "org.apache.hadoop.fs.s3a.commit.files.PendingSet", root) {
		switch m.name {
		case "version":
			version = d.javaInteger(m.name, 32, m.value)
		case "jobId":
			d.javaString(m.name, m.value)
		case "commits":
			var cs []*commit
			commitsNull = !d.list(m.name, "java.util.List<SinglePendingCommit>", m.value, func(i int, v json.RawMessage) {
				cs = append(cs, d.singlePendingCommit(index(m.name, i), v))
			})
			commits = cs
		case "iostatistics":
			d.ioStatistics(m.name, m.value)
		}
	}

	// PendingSet.validate()
	if version != int64(d.t.PendingSetVersion) {
		d.failf("version", fmt.Sprintf("ValidationFailure \"Wrong version: %d\"", version), "is %d, want %d", version, d.t.PendingSetVersion)
	}
	if commitsNull {
		d.fail("commits", "is null", "NullPointerException: commits.size()")
	}
	for i, c := range commits { // validateCollectionClass(commits, SinglePendingCommit.class)
		if c == nil {
			d.fail(index("commits", i), "is null", "NullPointerException: validateCollectionClass calls getClass() on it")
		}
	}
	first := make(map[string]int, len(commits))
	for i, c := range commits {
		field := index("commits", i)
		d.validateCommit(field, c)
		if j, dup := first[*c.destinationKey]; dup {
			d.failf(join(field, "destinationKey"), fmt.Sprintf("ValidationFailure \"Destination %s is written to by more than one pending commit\"", *c.destinationKey),
				"is %q, also the key of commits[%d]", *c.destinationKey, j)
		}
		first[*c.destinationKey] = i
	}
}

// commit holds what SinglePendingCommit.validate() looks at; nil pointers
// are Java nulls.
type commit struct {
	version                               int64
	uri, uploadID, bucket, destinationKey *string
	length                                int64
	etagsNull                             bool      // "etags" is null or missing
	etags                                 []*string // each ETag string, or UploadEtag's "etag"
	etagNull                              []bool    // etagNull[i]: element i itself is null
	extraDataNullKey                      *string   // the key of a null value of extraData
}

// singlePendingCommit decodes a SinglePendingCommit: nil for null.
func (d *decoder) singlePendingCommit(field string, v json.RawMessage) *commit {
	if isNull(v) {
		return nil
	}
	empty := ""
	c := &commit{version: int64(d.t.SinglePendingCommitVersion), uri: &empty, etagsNull: true}
	for _, m := range d.members(field, "org.apache.hadoop.fs.s3a.commit.files.SinglePendingCommit", v) {
		f := join(field, m.name)
		switch m.name {
		case "version":
			c.version = d.javaInteger(f, 32, m.value)
		case "uri":
			c.uri = d.javaString(f, m.value)
		case "uploadId":
			c.uploadID = d.javaString(f, m.value)
		case "bucket":
			c.bucket = d.javaString(f, m.value)
		case "destinationKey":
			c.destinationKey = d.javaString(f, m.value)
		case "filename", "date", "jobId", "taskId", "text":
			d.javaString(f, m.value)
		case "created", "saved":
			d.javaInteger(f, 64, m.value)
		case "length":
			c.length = d.javaInteger(f, 64, m.value)
		case "etags":
			c.etags, c.etagNull = nil, nil
			c.etagsNull = !d.list(f, d.etagsType(), m.value, func(i int, e json.RawMessage) {
				etag, null := d.etag(index(f, i), e)
				c.etags = append(c.etags, etag)
				c.etagNull = append(c.etagNull, null)
			})
		case "extraData":
			c.extraDataNullKey = d.stringMap(f, m.value)
		case "iostatistics":
			d.ioStatistics(f, m.value)
		}
	}
	return c
}

func (d *decoder) etagsType() string {
	if d.t.UploadEtags {
		return "java.util.List<org.apache.hadoop.fs.s3a.commit.files.UploadEtag>"
	}
	return "java.util.List<java.lang.String>"
}

// etag decodes an element of "etags": the ETag (nil when null or, for an
// UploadEtag, when its "etag" is null) and whether the element is null.
func (d *decoder) etag(field string, v json.RawMessage) (*string, bool) {
	if isNull(v) {
		return nil, true
	}
	if !d.t.UploadEtags {
		return d.javaString(field, v), false
	}
	switch k := kind(v); k {
	case "Object value":
	case "Array value":
		d.failf(field, mismatch("UploadEtag", v), "is a JSON list, want an {\"etag\", \"checksumAlgorithm\", \"checksum\"} object")
	default:
		// UploadEtag has no String-, number- or boolean-argument creator.
		d.failf(field, fmt.Sprintf("MismatchedInputException: Cannot construct instance of `UploadEtag`: no %s-argument constructor/factory method to deserialize from %s", strings.TrimSuffix(k, " value"), k),
			"is a JSON %s, want an {\"etag\", \"checksumAlgorithm\", \"checksum\"} object", jsonKind(v))
	}
	var etag *string
	for _, m := range d.members(field, "org.apache.hadoop.fs.s3a.commit.files.UploadEtag", v) {
		switch m.name {
		case "etag":
			etag = d.javaString(join(field, m.name), m.value)
		case "checksumAlgorithm", "checksum":
			d.javaString(join(field, m.name), m.value)
		}
	}
	return etag, false
}

func empty(s *string) bool { return s == nil || *s == "" }

// validateCommit is SinglePendingCommit.validate().
func (d *decoder) validateCommit(field string, c *commit) {
	vf := func(reason string) string { return "ValidationFailure \"" + reason + "\"" }
	switch {
	case c.version != int64(d.t.SinglePendingCommitVersion):
		d.failf(join(field, "version"), vf(fmt.Sprintf("Wrong version: %d", c.version)), "is %d, want %d", c.version, d.t.SinglePendingCommitVersion)
	case empty(c.bucket):
		d.fail(join(field, "bucket"), "is empty", vf("Empty bucket"))
	case empty(c.destinationKey):
		d.fail(join(field, "destinationKey"), "is empty", vf("Empty destination"))
	case empty(c.uploadID):
		d.fail(join(field, "uploadId"), "is empty", vf("Empty uploadId"))
	case c.length < 0:
		d.failf(join(field, "length"), vf(fmt.Sprintf("Invalid length: %d", c.length)), "is %d, want >= 0", c.length)
	case empty(c.uri):
		d.fail(join(field, "uri"), "is empty", "IllegalStateException \"Empty uri\"")
	}
	if err := parseJavaURI(*c.uri); err != nil {
		d.failf(join(field, "uri"), "IllegalStateException \"Cannot parse URI "+*c.uri+"\"", "is not a java.net.URI: %v", err)
	}
	if c.etagsNull {
		d.fail(join(field, "etags"), "is null", vf("No etag list"))
	}
	for i, null := range c.etagNull { // validateCollectionClass(etags, …)
		if null {
			d.fail(index(join(field, "etags"), i), "is null", "NullPointerException: validateCollectionClass calls getClass() on it")
		}
	}
	for i, e := range c.etags {
		if empty(e) {
			f := index(join(field, "etags"), i)
			if d.t.UploadEtags {
				f = join(f, "etag")
			}
			d.fail(f, "is empty", vf("Empty etag"))
		}
	}
	if c.extraDataNullKey != nil {
		d.fail(join(join(field, "extraData"), *c.extraDataNullKey), "is null", "NullPointerException: validateCollectionClass calls getClass() on it")
	}
}
