package main

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ageForm is the accepted form of --older-than, as error messages show it.
const ageForm = "write a duration more than zero, e.g. 90m, 36h, 2d or 1d12h"

// plainDays is a plain decimal number of days: digits with at most one '.'
// ("2", "1.5", ".5"). It leaves out every other spelling strconv.ParseFloat
// accepts (NaN, Inf, exponents, hexadecimal, underscores, signs).
var plainDays = regexp.MustCompile(`^([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)

// parseAge parses a duration for --older-than: a Go duration ("90m",
// "36h", "1h30m") optionally preceded by a plain decimal number of days
// with the suffix "d" ("2d", "1.5d", "1d12h"). It refuses, with an error
// naming the value and the accepted form, what would select every upload
// or nothing sensible: negative values, a result of zero or less, NaN and
// infinite numbers of days (and every float spelling but plain decimals),
// and a result longer than a time.Duration holds (about 292 years).
func parseAge(s string) (time.Duration, error) {
	orig := s
	bad := func(why string) (time.Duration, error) {
		return 0, fmt.Errorf("invalid duration %q: %s; %s", orig, why, ageForm)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return bad("empty")
	}
	if strings.HasPrefix(s, "-") {
		return bad("negative")
	}
	var d time.Duration
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		if !plainDays.MatchString(s[:i]) {
			return bad("the number of days is not a number")
		}
		days, err := strconv.ParseFloat(s[:i], 64)
		if err != nil || math.IsNaN(days) || math.IsInf(days, 0) || days < 0 {
			return bad("the number of days is not a number")
		}
		// float64(math.MaxInt64) rounds up to 2^63, itself too long.
		ns := days * float64(24*time.Hour)
		if ns >= float64(math.MaxInt64) {
			return bad("too long")
		}
		d = time.Duration(ns)
		s = s[i+1:]
	}
	if s != "" {
		rest, err := time.ParseDuration(s)
		switch {
		case err != nil:
			return bad("not a Go duration")
		case rest < 0:
			return bad("negative")
		case rest > math.MaxInt64-d:
			return bad("too long")
		}
		d += rest
	}
	if d <= 0 {
		return bad("not more than zero")
	}
	return d, nil
}
