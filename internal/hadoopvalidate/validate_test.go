package hadoopvalidate

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sample reads a Hadoop sample of package pendingset's testdata.
func sample(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "pendingset", "testdata", name))
	require.NoError(t, err)
	return data
}

func TestHadoopSamples(t *testing.T) {
	tests := []struct {
		file            string
		hadoop34, trunk bool
	}{
		{"hadoop-3.3-partitioned.pendingset", true, false},
		{"hadoop-3.4-quoted-etags.pendingset", true, false},
		{"hadoop-trunk-etag-objects.pendingset", false, true},
		{"hadoop-3.1-v1.pendingset", false, false},
		{"hadoop-3.4-magic.pending", true, false},
		{"hadoop-trunk-etag-objects.pending", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := sample(t, tt.file)
			check := Target.PendingSet
			any := PendingSet
			if strings.HasSuffix(tt.file, ".pending") {
				check, any = Target.SinglePendingCommit, SinglePendingCommit
			}
			for _, tc := range []struct {
				target Target
				ok     bool
			}{{Hadoop34, tt.hadoop34}, {Trunk, tt.trunk}} {
				err := check(tc.target, data)
				if tc.ok {
					assert.NoError(t, err, tc.target.Name)
				} else {
					assert.Error(t, err, tc.target.Name)
				}
			}
			if tt.hadoop34 || tt.trunk {
				assert.NoError(t, any(data))
			} else {
				assert.Error(t, any(data))
			}
		})
	}
}

// validCommit is a commit both current lines accept, but for "etags",
// which the test sets in the form of the line.
func validCommit() map[string]any {
	return map[string]any{
		"version":        2,
		"filename":       nil,
		"uri":            "s3a://lake/out/part%200",
		"uploadId":       "up-1",
		"bucket":         "lake",
		"destinationKey": "out/part 0",
		"created":        1714558542123,
		"saved":          1714558542123,
		"date":           "Wed May 01 10:15:42 UTC 2024",
		"jobId":          "job-1",
		"taskId":         "task-1",
		"text":           "",
		"extraData":      map[string]any{"k": "v"},
		"iostatistics": map[string]any{
			"counters":       map[string]any{"c": 1},
			"gauges":         map[string]any{},
			"minimums":       map[string]any{},
			"maximums":       map[string]any{},
			"meanstatistics": map[string]any{"m": map[string]any{"samples": 2, "sum": 7}},
		},
		"length":    10,
		"partCount": 2,
	}
}

// etagsOf returns etags in the form of target t.
func etagsOf(t Target, etags ...string) []any {
	out := make([]any, len(etags))
	for i, e := range etags {
		if t.UploadEtags {
			out[i] = map[string]any{"etag": e, "checksumAlgorithm": nil, "checksum": nil}
		} else {
			out[i] = e
		}
	}
	return out
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	return data
}

// requireRefusal checks that err is an *Error of target naming field,
// whose message holds each of msg.
func requireRefusal(t *testing.T, err error, target Target, field string, msg ...string) {
	t.Helper()
	require.Error(t, err)
	var e *Error
	require.True(t, errors.As(err, &e), "%v is an *Error", err)
	assert.Equal(t, target.Name, e.Target)
	assert.Equal(t, field, e.Field, "field of %q", err)
	for _, m := range msg {
		assert.Contains(t, err.Error(), m)
	}
}

func TestSinglePendingCommit(t *testing.T) {
	set := func(k string, v any) func(Target, map[string]any) {
		return func(_ Target, m map[string]any) { m[k] = v }
	}
	del := func(k string) func(Target, map[string]any) {
		return func(_ Target, m map[string]any) { delete(m, k) }
	}
	etags := func(v ...any) func(Target, map[string]any) {
		return func(_ Target, m map[string]any) { m["etags"] = v }
	}
	tests := []struct {
		name   string
		mutate func(Target, map[string]any)
		field  string // "" when accepted
		msg    string
	}{
		{"valid", nil, "", ""},
		// Accepted: what Hadoop tolerates.
		{"version missing (the field's initial value)", del("version"), "", ""},
		{"version as a string", set("version", "2"), "", ""},
		{"version as a padded string", set("version", " 2 "), "", ""},
		{"length as a string", set("length", "10"), "", ""},
		{"bucket as a number", set("bucket", 7), "", ""},
		{"etags empty", set("etags", []any{}), "", ""},
		{"extraData null", set("extraData", nil), "", ""},
		{"extraData missing", del("extraData"), "", ""},
		{"iostatistics null", set("iostatistics", nil), "", ""},
		{"iostatistics missing", del("iostatistics"), "", ""},
		{"unknown properties", func(_ Target, m map[string]any) {
			m["checksumAlgorithm"], m["checksum"], m["whatever"] = "CRC64NVME", "AAAAAAAAAAA=", []any{1, 2}
		}, "", ""},
		{"partCount of any type", set("partCount", map[string]any{"x": 1}), "", ""},
		{"uri with visible unicode", set("uri", "s3a://lake/out/ü€"), "", ""},
		{"uri with an escaped space", set("uri", "s3a://lake/a%20b"), "", ""},
		{"uri with another bucket (not checked)", set("uri", "s3a://other/x"), "", ""},
		{"uri relative (only parsed)", set("uri", "out/part-0"), "", ""},
		{"uri with an underscore bucket", set("uri", "s3a://my_bucket/k"), "", ""},
		{"uri with an empty authority", set("uri", "s3a:///k"), "", ""},
		{"uri with a port", set("uri", "s3a://lake:9000/k"), "", ""},

		// Refused.
		{"version 1", set("version", 1), "version", `is 1, want 2 (Hadoop: ValidationFailure "Wrong version: 1")`},
		{"version 3", set("version", 3), "version", "Wrong version: 3"},
		{"version null", set("version", nil), "version", "Wrong version: 0"},
		{"version not a number", set("version", "two"), "version", "not a valid `int` value"},
		{"version a boolean", set("version", true), "version", "from Boolean value"},
		{"version out of range", set("version", 2147483650), "version", "out of range of int"},
		{"version a list", set("version", []any{2}), "version", "from Array value"},
		{"bucket missing", del("bucket"), "bucket", "Empty bucket"},
		{"bucket empty", set("bucket", ""), "bucket", "Empty bucket"},
		{"bucket an object", set("bucket", map[string]any{}), "bucket", "`java.lang.String` from Object value"},
		{"destinationKey null", set("destinationKey", nil), "destinationKey", "Empty destination"},
		{"uploadId missing", del("uploadId"), "uploadId", "Empty uploadId"},
		{"length negative", set("length", -1), "length", "Invalid length: -1"},
		{"uri missing", del("uri"), "uri", `IllegalStateException "Empty uri"`},
		{"uri empty", set("uri", ""), "uri", "Empty uri"},
		{"uri with a space", set("uri", "s3a://lake/out/part 0"), "uri", "Illegal character in path at index 19"},
		{"uri with a malformed escape", set("uri", "s3a://lake/100%"), "uri", "Malformed escape pair at index 14"},
		{"uri with a pipe", set("uri", "s3a://lake/a|b"), "uri", "Illegal character in path"},
		{"uri with a bracket in the path", set("uri", "s3a://lake/a[1]"), "uri", "Illegal character in path"},
		{"uri with two fragments", set("uri", "s3a://lake/a#b#c"), "uri", "Illegal character in fragment"},
		{"uri with a space in the bucket", set("uri", "s3a://la ke/a"), "uri", "Illegal character in authority"},
		{"uri with a no-break space", set("uri", "s3a://lake/a\u00a0b"), "uri", "Illegal character in path"},
		{"uri without a scheme name", set("uri", ":lake"), "uri", "Expected scheme name"},
		{"uri without an authority", set("uri", "s3a://"), "uri", "Expected authority"},
		{"etags missing", del("etags"), "etags", "No etag list"},
		{"etags null", set("etags", nil), "etags", "No etag list"},
		{"etags not a list", set("etags", "e1"), "etags", "from String value"},
		{"etags an object", set("etags", map[string]any{}), "etags", "from Object value"},
		{"etag null", etags(nil), "etags[0]", "NullPointerException"},
		{"extraData with a null value", set("extraData", map[string]any{"a": "b", "k": nil}), "extraData.k", "NullPointerException"},
		{"extraData a list", set("extraData", []any{}), "extraData", "from Array value"},
		{"extraData an empty string", set("extraData", ""), "extraData", "from String value"},
		{"extraData value an object", set("extraData", map[string]any{"k": map[string]any{}}), "extraData.k", "from Object value"},
		{"iostatistics a string", set("iostatistics", "x"), "iostatistics", "from String value"},
		{"iostatistics counter not a number", set("iostatistics", map[string]any{"counters": map[string]any{"c": "x"}}), "iostatistics.counters.c", "not a valid `long` value"},
		{"iostatistics mean statistic not an object", set("iostatistics", map[string]any{"meanstatistics": map[string]any{"m": 1}}), "iostatistics.meanstatistics.m", "from Number value"},
		{"created a list", set("created", []any{}), "created", "from Array value"},
	}
	for _, target := range Current {
		t.Run(target.Name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					m := validCommit()
					m["etags"] = etagsOf(target, `"e1"`, "e2")
					if tt.mutate != nil {
						tt.mutate(target, m)
					}
					data := mustJSON(t, m)
					err := target.SinglePendingCommit(data)
					if tt.field == "" {
						require.NoError(t, err)
						require.NoError(t, SinglePendingCommit(data))
						return
					}
					requireRefusal(t, err, target, tt.field, tt.msg)
					// The commit is refused the same way inside a pendingset.
					set := mustJSON(t, map[string]any{"version": 3, "commits": []any{json.RawMessage(data)}})
					requireRefusal(t, target.PendingSet(set), target, "commits[0]."+tt.field, tt.msg)
				})
			}
		})
	}
}

func TestETagForms(t *testing.T) {
	withEtags := func(etags ...any) []byte {
		m := validCommit()
		m["etags"] = etags
		return mustJSON(t, m)
	}
	strs := withEtags(`"e1"`, "e2")
	objs := withEtags(map[string]any{"etag": "e1", "checksumAlgorithm": "CRC64NVME", "checksum": "AAAAAAAAAAA="}, map[string]any{"etag": "e2"})

	require.NoError(t, Hadoop34.SinglePendingCommit(strs))
	requireRefusal(t, Trunk.SinglePendingCommit(strs), Trunk, "etags[0]", "Cannot construct instance of `UploadEtag`", "no String-argument constructor")
	require.NoError(t, Trunk.SinglePendingCommit(objs))
	requireRefusal(t, Hadoop34.SinglePendingCommit(objs), Hadoop34, "etags[0]", "`java.lang.String` from Object value")
	require.NoError(t, SinglePendingCommit(strs), "one current line reads each form")
	require.NoError(t, SinglePendingCommit(objs))

	mixed := withEtags("e1", map[string]any{"etag": "e2"})
	err := SinglePendingCommit(mixed)
	require.Error(t, err, "no line reads a mix")
	assert.Contains(t, err.Error(), Hadoop34.Name+" refuses the record: field \"etags[1]\"")
	assert.Contains(t, err.Error(), Trunk.Name+" refuses the record: field \"etags[0]\"")

	tests := []struct {
		name   string
		target Target
		etag   any
		field  string // "" when accepted
		msg    string
	}{
		{"string", Hadoop34, "e1", "", ""},
		{"number, coerced to a string", Hadoop34, 5, "", ""},
		{"empty string", Hadoop34, "", "etags[0]", `"Empty etag"`},
		{"list", Hadoop34, []any{"e"}, "etags[0]", "`java.lang.String` from Array value"},
		{"object with an unknown property", Trunk, map[string]any{"etag": "e1", "partNumber": 1}, "", ""},
		{"object without etag", Trunk, map[string]any{"checksum": "x"}, "etags[0].etag", `"Empty etag"`},
		{"object with an empty etag", Trunk, map[string]any{"etag": ""}, "etags[0].etag", `"Empty etag"`},
		{"object with an object etag", Trunk, map[string]any{"etag": map[string]any{}}, "etags[0].etag", "from Object value"},
		{"number", Trunk, 5.5, "etags[0]", "from Number value"},
		{"list of objects", Trunk, []any{map[string]any{"etag": "e"}}, "etags[0]", "from Array value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.target.SinglePendingCommit(withEtags(tt.etag))
			if tt.field == "" {
				assert.NoError(t, err)
				return
			}
			requireRefusal(t, err, tt.target, tt.field, tt.msg)
		})
	}
}

func TestPendingSet(t *testing.T) {
	type commitOf = func(key string) map[string]any
	tests := []struct {
		name  string
		set   func(commit commitOf) any
		field string // "" when accepted
		msg   string
	}{
		{"valid", func(commit commitOf) any {
			return map[string]any{"version": 3, "jobId": "j", "commits": []any{commit("a"), commit("b")}}
		}, "", ""},
		{"no commits", func(commit commitOf) any { return map[string]any{"version": 3, "commits": []any{}} }, "", ""},
		{"commits missing", func(commit commitOf) any { return map[string]any{"version": 3} }, "", ""},
		{"empty object", func(commit commitOf) any { return map[string]any{} }, "", ""},
		{"extraData ignored, whatever it holds", func(commit commitOf) any { return map[string]any{"version": 3, "extraData": 5} }, "", ""},
		{"iostatistics", func(commit commitOf) any {
			return map[string]any{"version": 3, "iostatistics": map[string]any{"counters": map[string]any{"x": "12"}}}
		}, "", ""},
		{"jobId a number", func(commit commitOf) any { return map[string]any{"version": 3, "jobId": 1} }, "", ""},

		{"version 2", func(commit commitOf) any { return map[string]any{"version": 2, "commits": []any{}} }, "version", `is 2, want 3 (Hadoop: ValidationFailure "Wrong version: 2")`},
		{"version 1", func(commit commitOf) any { return map[string]any{"version": 1} }, "version", "Wrong version: 1"},
		{"version 4", func(commit commitOf) any { return map[string]any{"version": 4} }, "version", "Wrong version: 4"},
		{"commits null", func(commit commitOf) any { return map[string]any{"version": 3, "commits": nil} }, "commits", "NullPointerException"},
		{"commit null", func(commit commitOf) any { return map[string]any{"version": 3, "commits": []any{commit("a"), nil}} }, "commits[1]", "NullPointerException"},
		{"commits an object", func(commit commitOf) any { return map[string]any{"version": 3, "commits": map[string]any{}} }, "commits", "from Object value"},
		{"commit a string", func(commit commitOf) any { return map[string]any{"version": 3, "commits": []any{"a"}} }, "commits[0]", "from String value"},
		{"destination twice", func(commit commitOf) any {
			return map[string]any{"version": 3, "commits": []any{commit("a"), commit("b"), commit("a")}}
		},
			"commits[2].destinationKey", `Destination a is written to by more than one pending commit`},
		{"jobId an object", func(commit commitOf) any { return map[string]any{"version": 3, "jobId": map[string]any{}} }, "jobId", "from Object value"},
		{"iostatistics a list", func(commit commitOf) any { return map[string]any{"version": 3, "iostatistics": []any{}} }, "iostatistics", "from Array value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, target := range Current {
				commit := func(key string) map[string]any {
					m := validCommit()
					m["destinationKey"], m["uri"], m["etags"] = key, "s3a://lake/"+key, etagsOf(target, "e1")
					return m
				}
				data := mustJSON(t, tt.set(commit))
				if tt.field == "" {
					assert.NoError(t, PendingSet(data))
				} else {
					assert.Error(t, PendingSet(data))
				}
				err := target.PendingSet(data)
				if tt.field == "" {
					assert.NoError(t, err, target.Name)
					continue
				}
				requireRefusal(t, err, target, tt.field, tt.msg)
			}
		})
	}
}

func TestDocuments(t *testing.T) {
	valid := mustJSON(t, map[string]any{"version": 3, "commits": []any{}})
	tests := []struct {
		name string
		data string
		ok   bool
		msg  string
	}{
		{"valid", string(valid), true, ""},
		{"byte order mark", "\xef\xbb\xbf" + string(valid), true, ""},
		{"trailing content is not read", string(valid) + " {not json", true, ""},
		{"two documents", string(valid) + string(valid), true, ""},
		{"empty", "", false, "No content to map due to end-of-input"},
		{"white space", " \n", false, "No content to map"},
		{"null", "null", false, "NullPointerException"},
		{"list", "[]", false, "from Array value"},
		{"string", `"x"`, false, "from String value"},
		{"truncated", string(valid[:len(valid)-1]), false, "JsonParseException"},
		{"invalid UTF-8", `{"version":3,"jobId":"` + "\xff" + `"}`, false, "Invalid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Hadoop34.PendingSet([]byte(tt.data))
			if tt.ok {
				assert.NoError(t, err)
				return
			}
			requireRefusal(t, err, Hadoop34, "", tt.msg)
		})
	}
}

func TestJavaURI(t *testing.T) {
	tests := []struct {
		uri string
		err string // "" when java.net.URI parses it
	}{
		{"s3a://lake/out/part-0", ""},
		{"s3a://lake/a%20b?x=1&y#frag", ""},
		{"s3a://lake/[]?a[]=1", "Illegal character in path at index 11"},
		{"s3a://lake/k?a[]=1#[x]", ""},
		{"s3a://user:pw@lake/k", ""},
		{"s3a://lake.example.com:443/k", ""},
		{"s3a://lake-1.2/k", ""},         // not a hostname (last label a digit): a registry name
		{"s3a://192.168.0.1:80/k", ""},   // IPv4
		{"s3a://999.1.1.1/k", ""},        // not IPv4: a registry name
		{"s3a://[::1]:80/k", ""},         // IPv6
		{"s3a://[fe80::1%eth0]/k", ""},   // IPv6 with a scope ID
		{"s3a://[fe80::1%25eth0]/k", ""}, // "25eth0" is alphanumeric too
		{"s3a://[fe80::1%e-0]/k", "Illegal character in scope id"},
		{"s3a://[fe80::1%]/k", "scope id expected"},
		{"s3a://[::1/k", "Expected closing bracket for IPv6 address"},
		{"s3a://[1:2:3]/k", "IPv6 address too short"},
		{"s3a://a%zz/k", "Malformed escape pair at index 7"},
		{"s3a://a b/k", "Illegal character in authority at index 6"},
		{"s3a://lake/a\x7fb", "Illegal character in path at index 12"},
		{"s3a://lake/a\u0085b", "Illegal character in path at index 12"},
		{"s3a://lake/a\u2028b", "Illegal character in path at index 12"},
		{"s3a://lake/\U0001F600", ""}, // a surrogate pair
		{"s3a://lake/a%2", "Malformed escape pair at index 12"},
		{"s3a:", "Expected scheme-specific part at index 4"},
		{"s3a:opaque part", "Illegal character in opaque part at index 10"},
		{"mailto:a@b", ""},
		{"1a://x", "Illegal character in scheme name at index 0"},
		{"s_3://x", "Illegal character in scheme name at index 1"},
		{"://x", "Expected scheme name at index 0"},
		{"/abs/path", ""},
		{"rel/path?q", ""},
		{"#frag", ""},
		{"s3a://x/k#a#b", "Illegal character in fragment at index 11"},
		{"s3a://", "Expected authority at index 6"},
		{"s3a:///k", ""},
		{"s3a://x/\"k\"", "Illegal character in path at index 8"},
		{"s3a://x/a\\b", "Illegal character in path at index 9"},
		{"s3a://x/{a}", "Illegal character in path at index 8"},
	}
	for _, tt := range tests {
		err := parseJavaURI(tt.uri)
		if tt.err == "" {
			assert.NoError(t, err, "%q", tt.uri)
			continue
		}
		if assert.Error(t, err, "%q", tt.uri) {
			assert.Contains(t, err.Error(), tt.err, "%q", tt.uri)
		}
	}
}
