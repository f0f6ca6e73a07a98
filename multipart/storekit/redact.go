package storekit

import "strings"

// redacted replaces what RedactURL removes.
const redacted = "REDACTED"

// RedactURL returns raw, an endpoint URL as a user gave it, fit for errors
// and logs: what may be credentials, the user information before an '@'
// and the query, is replaced by "REDACTED". It works on the text, so that
// it redacts what url.Parse cannot parse (or parses as something else,
// such as "key:secret@host" without a scheme) too.
func RedactURL(raw string) string {
	prefix, rest := "", raw
	if i := strings.Index(raw, "://"); i >= 0 {
		prefix, rest = raw[:i+3], raw[i+3:]
	}
	suffix := ""
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest, suffix = rest[:i], rest[i:]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest = rest[:i+1] + redacted
	}
	// The last '@' before the query: a password may hold an unescaped '/'.
	if at := strings.LastIndexByte(strings.SplitN(rest, "?", 2)[0], '@'); at >= 0 {
		rest = redacted + rest[at:]
	}
	return prefix + rest + suffix
}
