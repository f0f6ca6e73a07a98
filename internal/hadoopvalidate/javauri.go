package hadoopvalidate

import (
	"fmt"
	"strconv"
	"unicode"
	"unicode/utf16"
)

// This file ports the parser of java.net.URI (OpenJDK 8, class
// java.net.URI.Parser, with the IPv6 scope IDs of that release), which
// Hadoop runs on a record's "uri" through new Path(new URI(uri)). It
// checks syntax only: like new URI(String), it builds nothing. The input
// is a Java string, so the parser works on UTF-16 code units; positions in
// its errors are Java string indexes.

// uriSyntaxError is java.net.URISyntaxException (or the
// NumberFormatException the parser lets escape for an IPv4 byte of more
// than nine digits).
type uriSyntaxError struct {
	reason string
	index  int // -1 when Java gives none
	input  string
	nfe    bool // a NumberFormatException, which parseAuthority does not catch
}

// Error formats the error as URISyntaxException.getMessage does.
func (e *uriSyntaxError) Error() string {
	if e.nfe {
		return "NumberFormatException: " + e.reason
	}
	if e.index >= 0 {
		return fmt.Sprintf("%s at index %d: %s", e.reason, e.index, e.input)
	}
	return fmt.Sprintf("%s: %s", e.reason, e.input)
}

// parseJavaURI reports whether new java.net.URI(s) succeeds: nil, or the
// exception it throws.
func parseJavaURI(s string) (err error) {
	p := &uriParser{in: utf16.Encode([]rune(s)), input: s}
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*uriSyntaxError)
			if !ok {
				panic(r)
			}
			err = e
		}
	}()
	p.parse()
	return nil
}

// charMask is a set of US-ASCII characters, as java.net.URI's pairs of
// low and high masks: bit c of lo for c < 64, bit c-64 of hi for c < 128.
// Bit 0, which no character matches, flags that escape pairs and visible
// non-US-ASCII characters are allowed too (java.net.URI's L_ESCAPED).
type charMask struct{ lo, hi uint64 }

func maskOf(chars string) charMask {
	var m charMask
	for i := 0; i < len(chars); i++ {
		if c := chars[i]; c < 64 {
			m.lo |= 1 << c
		} else if c < 128 {
			m.hi |= 1 << (c - 64)
		}
	}
	return m
}

func maskRange(first, last byte) charMask {
	var m charMask
	for c := first; c <= last; c++ {
		m = m.or(maskOf(string(rune(c))))
	}
	return m
}

func (m charMask) or(others ...charMask) charMask {
	for _, o := range others {
		m.lo |= o.lo
		m.hi |= o.hi
	}
	return m
}

// match is java.net.URI.match: NUL and non-US-ASCII never match.
func (m charMask) match(c uint16) bool {
	switch {
	case c == 0:
		return false
	case c < 64:
		return m.lo&(1<<c) != 0
	case c < 128:
		return m.hi&(1<<(c-64)) != 0
	}
	return false
}

func (m charMask) escapes() bool { return m.lo&1 != 0 }

// The character classes of java.net.URI, with its names.
var (
	mDigit         = maskRange('0', '9')
	mAlpha         = maskRange('A', 'Z').or(maskRange('a', 'z'))
	mAlphanum      = mDigit.or(mAlpha)
	mHex           = mDigit.or(maskRange('A', 'F'), maskRange('a', 'f'))
	mMark          = maskOf("-_.!~*'()")
	mUnreserved    = mAlphanum.or(mMark)
	mReserved      = maskOf(";/?:@&=+$,[]") // with RFC 2732's brackets
	mEscaped       = charMask{lo: 1}
	mURIC          = mReserved.or(mUnreserved, mEscaped)
	mPchar         = mUnreserved.or(mEscaped, maskOf(":@&=+$,"))
	mPath          = mPchar.or(maskOf(";/"))
	mDash          = maskOf("-")
	mDot           = maskOf(".")
	mUserinfo      = mUnreserved.or(mEscaped, maskOf(";:&=+$,"))
	mRegName       = mUnreserved.or(mEscaped, maskOf("$,;:@&=+"))
	mServer        = mUserinfo.or(mAlphanum, mDash, maskOf(".:@[]"))
	mServerPercent = mServer.or(maskOf("%"))
	mScheme        = mAlpha.or(mDigit, maskOf("+-."))
)

type uriParser struct {
	in            []uint16
	input         string
	ipv6byteCount int
}

func (p *uriParser) fail(reason string, index int) {
	panic(&uriSyntaxError{reason: reason, index: index, input: p.input})
}

func (p *uriParser) failExpecting(expected string, index int) {
	p.fail("Expected "+expected, index)
}

// at tells whether start < end and the char at start is c.
func (p *uriParser) at(start, end int, c byte) bool {
	return start < end && p.in[start] == uint16(c)
}

// atString tells whether the chars from start match s, within end.
func (p *uriParser) atString(start, end int, s string) bool {
	if len(s) > end-start {
		return false
	}
	for i := 0; i < len(s); i++ {
		if p.in[start+i] != uint16(s[i]) {
			return false
		}
	}
	return true
}

// scanChar returns start+1 if the char at start is c, else start.
func (p *uriParser) scanChar(start, end int, c byte) int {
	if p.at(start, end, c) {
		return start + 1
	}
	return start
}

// scanStop scans from start: -1 at the first char of errs, the position
// of the first char of stop, or end.
func (p *uriParser) scanStop(start, end int, errs, stop string) int {
	in := func(c uint16, set string) bool {
		for i := 0; i < len(set); i++ {
			if c == uint16(set[i]) {
				return true
			}
		}
		return false
	}
	q := start
	for q < end {
		c := p.in[q]
		if in(c, errs) {
			return -1
		}
		if in(c, stop) {
			break
		}
		q++
	}
	return q
}

// scanEscape scans an escape pair or a visible non-US-ASCII char at start.
func (p *uriParser) scanEscape(start, n int, c uint16) int {
	if c == '%' {
		if start+3 <= n && mHex.match(p.in[start+1]) && mHex.match(p.in[start+2]) {
			return start + 3
		}
		p.fail("Malformed escape pair", start)
	} else if c > 128 && !javaIsSpaceChar(c) && !javaIsISOControl(c) {
		return start + 1
	}
	return start
}

// javaIsSpaceChar is Character.isSpaceChar: Unicode space, line or
// paragraph separators.
func javaIsSpaceChar(c uint16) bool {
	return unicode.In(rune(c), unicode.Zs, unicode.Zl, unicode.Zp)
}

// javaIsISOControl is Character.isISOControl.
func javaIsISOControl(c uint16) bool { return c <= 0x1f || (c >= 0x7f && c <= 0x9f) }

// scanMask scans the chars that m matches (and escapes, if m allows them).
func (p *uriParser) scanMask(start, n int, m charMask) int {
	q := start
	for q < n {
		c := p.in[q]
		if m.match(c) {
			q++
			continue
		}
		if m.escapes() {
			if r := p.scanEscape(q, n, c); r > q {
				q = r
				continue
			}
		}
		break
	}
	return q
}

func (p *uriParser) checkChars(start, end int, m charMask, what string) {
	if q := p.scanMask(start, end, m); q < end {
		p.fail("Illegal character in "+what, q)
	}
}

func (p *uriParser) checkChar(q int, m charMask, what string) { p.checkChars(q, q+1, m, what) }

// parse is [<scheme>:]<scheme-specific-part>[#<fragment>].
func (p *uriParser) parse() {
	n := len(p.in)
	q := p.scanStop(0, n, "/?#", ":")
	if q >= 0 && p.at(q, n, ':') {
		if q == 0 {
			p.failExpecting("scheme name", 0)
		}
		p.checkChar(0, mAlpha, "scheme name")
		p.checkChars(1, q, mScheme, "scheme name")
		q++
		if p.at(q, n, '/') {
			q = p.parseHierarchical(q, n)
		} else {
			r := p.scanStop(q, n, "", "#")
			if r <= q {
				p.failExpecting("scheme-specific part", q)
			}
			p.checkChars(q, r, mURIC, "opaque part")
			q = r
		}
	} else {
		q = p.parseHierarchical(0, n)
	}
	if p.at(q, n, '#') {
		p.checkChars(q+1, n, mURIC, "fragment")
		q = n
	}
	if q < n {
		p.fail("end of URI", q)
	}
}

// parseHierarchical is [//authority]<path>[?<query>], with Java's
// deviations: an empty authority before a path, and an empty path.
func (p *uriParser) parseHierarchical(start, n int) int {
	q := start
	if p.at(q, n, '/') && p.at(q+1, n, '/') {
		q += 2
		r := p.scanStop(q, n, "", "/?#")
		if r > q {
			q = p.parseAuthority(q, r)
		} else if r >= n {
			p.failExpecting("authority", q)
		}
	}
	r := p.scanStop(q, n, "", "?#")
	p.checkChars(q, r, mPath, "path")
	q = r
	if p.at(q, n, '?') {
		q++
		r = p.scanStop(q, n, "", "#")
		p.checkChars(q, r, mURIC, "query")
		q = r
	}
	return q
}

// parseAuthority is server | reg_name: a server-based authority if the
// whole of it parses as one, else a registry-based one.
func (p *uriParser) parseAuthority(start, n int) int {
	var serverChars bool
	if p.scanStop(start, n, "", "]") > start {
		// Java's test for an IPv6 literal, which holds for any non-empty
		// authority.
		serverChars = p.scanMask(start, n, mServerPercent) == n
	} else {
		serverChars = p.scanMask(start, n, mServer) == n
	}
	regChars := p.scanMask(start, n, mRegName) == n
	if regChars && !serverChars {
		return n
	}
	q := start
	var saved *uriSyntaxError
	if serverChars {
		func() {
			defer func() {
				if r := recover(); r != nil {
					e, ok := r.(*uriSyntaxError)
					if !ok || e.nfe {
						panic(r)
					}
					saved, q = e, start
				}
			}()
			q = p.parseServer(start, n)
			if q < n {
				p.failExpecting("end of authority", q)
			}
		}()
	}
	if q < n {
		switch {
		case regChars:
		case saved != nil:
			panic(saved)
		default:
			p.fail("Illegal character in authority", q)
		}
	}
	return n
}

// parseServer is [<userinfo>@]<host>[:<port>].
func (p *uriParser) parseServer(start, n int) int {
	pos := start
	q := p.scanStop(pos, n, "/?#", "@")
	if q >= pos && p.at(q, n, '@') {
		p.checkChars(pos, q, mUserinfo, "user info")
		pos = q + 1
	}
	if p.at(pos, n, '[') {
		pos++
		q = p.scanStop(pos, n, "/?#", "]")
		if q > pos && p.at(q, n, ']') {
			r := p.scanStop(pos, q, "", "%")
			if r > pos {
				p.parseIPv6Reference(pos, r)
				if r+1 == q {
					p.fail("scope id expected", -1)
				}
				p.checkChars(r+1, q, mAlphanum, "scope id")
			} else {
				p.parseIPv6Reference(pos, q)
			}
			pos = q + 1
		} else {
			p.failExpecting("closing bracket for IPv6 address", q)
		}
	} else {
		q = p.parseIPv4Address(pos, n)
		if q <= pos {
			q = p.parseHostname(pos, n)
		}
		pos = q
	}
	if p.at(pos, n, ':') {
		pos++
		q = p.scanStop(pos, n, "", "/")
		if q > pos {
			p.checkChars(pos, q, mDigit, "port number")
			if _, err := strconv.ParseInt(string(utf16.Decode(p.in[pos:q])), 10, 32); err != nil {
				p.fail("Malformed port number", pos)
			}
			pos = q
		}
	}
	if pos < n {
		p.failExpecting("port number", pos)
	}
	return pos
}

// scanByte scans decimal digits whose value fits in a byte.
func (p *uriParser) scanByte(start, n int) int {
	q := p.scanMask(start, n, mDigit)
	if q <= start {
		return q
	}
	v, err := strconv.ParseInt(string(utf16.Decode(p.in[start:q])), 10, 32)
	if err != nil {
		panic(&uriSyntaxError{reason: "For input string: " + strconv.Quote(string(utf16.Decode(p.in[start:q]))), index: -1, input: p.input, nfe: true})
	}
	if v > 255 {
		return start
	}
	return q
}

// scanIPv4Address scans an IPv4 address: -1 if [start, n) does not start
// with (or, strict, hold only) digits and dots, a failure if those do not
// make an address.
func (p *uriParser) scanIPv4Address(start, n int, strict bool) int {
	pos := start
	m := p.scanMask(pos, n, mDigit.or(mDot))
	if m <= pos || (strict && m != n) {
		return -1
	}
	var q int
	// Java's do { … } while (false): the first part that does not scan ends it.
	if func() bool {
		if q = p.scanByte(pos, m); q <= pos {
			return false
		}
		pos = q
		if q = p.scanChar(pos, m, '.'); q <= pos {
			return false
		}
		pos = q
		if q = p.scanByte(pos, m); q <= pos {
			return false
		}
		pos = q
		if q = p.scanChar(pos, m, '.'); q <= pos {
			return false
		}
		pos = q
		if q = p.scanByte(pos, m); q <= pos {
			return false
		}
		pos = q
		if q = p.scanChar(pos, m, '.'); q <= pos {
			return false
		}
		pos = q
		if q = p.scanByte(pos, m); q <= pos {
			return false
		}
		pos = q
		return q >= m
	}() {
		return q
	}
	p.fail("Malformed IPv4 address", q)
	return -1
}

func (p *uriParser) takeIPv4Address(start, n int, expected string) int {
	q := p.scanIPv4Address(start, n, true)
	if q <= start {
		p.failExpecting(expected, start)
	}
	return q
}

// parseIPv4Address returns -1 unless [start, n) starts with an IPv4
// address followed by nothing or ':'; it never fails.
func (p *uriParser) parseIPv4Address(start, n int) (q int) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(*uriSyntaxError); !ok {
				panic(r)
			}
			q = -1
		}
	}()
	q = p.scanIPv4Address(start, n, false)
	if q > start && q < n && p.in[q] != ':' {
		q = -1
	}
	return q
}

// parseHostname is hostname = domainlabel [ "." ] | 1*( domainlabel "." )
// toplabel [ "." ], the last label starting with a letter.
func (p *uriParser) parseHostname(start, n int) int {
	pos := start
	l := -1 // start of the last label
	for {
		q := p.scanMask(pos, n, mAlphanum)
		if q <= pos {
			break
		}
		l = pos
		pos = q
		q = p.scanMask(pos, n, mAlphanum.or(mDash))
		if q > pos {
			if p.in[q-1] == '-' {
				p.fail("Illegal character in hostname", q-1)
			}
			pos = q
		}
		q = p.scanChar(pos, n, '.')
		if q <= pos {
			break
		}
		pos = q
		if pos >= n {
			break
		}
	}
	if pos < n && !p.at(pos, n, ':') {
		p.fail("Illegal character in hostname", pos)
	}
	if l < 0 {
		p.failExpecting("hostname", start)
	}
	if l > start && !mAlpha.match(p.in[l]) {
		p.fail("Illegal character in hostname", l)
	}
	return pos
}

// parseIPv6Reference parses an IPv6 address (RFC 2373, with the IPv4
// forms the JDK's revised grammar allows).
func (p *uriParser) parseIPv6Reference(start, n int) int {
	pos := start
	compressedZeros := false
	q := p.scanHexSeq(pos, n)
	if q > pos {
		pos = q
		if p.atString(pos, n, "::") {
			compressedZeros = true
			pos = p.scanHexPost(pos+2, n)
		} else if p.at(pos, n, ':') {
			pos = p.takeIPv4Address(pos+1, n, "IPv4 address")
			p.ipv6byteCount += 4
		}
	} else if p.atString(pos, n, "::") {
		compressedZeros = true
		pos = p.scanHexPost(pos+2, n)
	}
	switch {
	case pos < n:
		p.fail("Malformed IPv6 address", start)
	case p.ipv6byteCount > 16:
		p.fail("IPv6 address too long", start)
	case !compressedZeros && p.ipv6byteCount < 16:
		p.fail("IPv6 address too short", start)
	case compressedZeros && p.ipv6byteCount == 16:
		p.fail("Malformed IPv6 address", start)
	}
	return pos
}

func (p *uriParser) scanHexPost(start, n int) int {
	pos := start
	if pos == n {
		return pos
	}
	q := p.scanHexSeq(pos, n)
	if q > pos {
		pos = q
		if p.at(pos, n, ':') {
			pos = p.takeIPv4Address(pos+1, n, "hex digits or IPv4 address")
			p.ipv6byteCount += 4
		}
	} else {
		pos = p.takeIPv4Address(pos, n, "hex digits or IPv4 address")
		p.ipv6byteCount += 4
	}
	return pos
}

// scanHexSeq scans hex4 *( ":" hex4 ); -1 if none could be scanned.
func (p *uriParser) scanHexSeq(start, n int) int {
	pos := start
	q := p.scanMask(pos, n, mHex)
	if q <= pos || p.at(q, n, '.') {
		return -1
	}
	if q > pos+4 {
		p.fail("IPv6 hexadecimal digit sequence too long", pos)
	}
	p.ipv6byteCount += 2
	pos = q
	for pos < n {
		if !p.at(pos, n, ':') || p.at(pos+1, n, ':') {
			break
		}
		pos++
		q = p.scanMask(pos, n, mHex)
		if q <= pos {
			p.failExpecting("digits for an IPv6 address", pos)
		}
		if p.at(q, n, '.') {
			pos--
			break
		}
		if q > pos+4 {
			p.fail("IPv6 hexadecimal digit sequence too long", pos)
		}
		p.ipv6byteCount += 2
		pos = q
	}
	return pos
}
