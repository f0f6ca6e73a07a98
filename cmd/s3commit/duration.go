package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// parseAge parses a duration for --older-than: a Go duration ("90m",
// "36h", "1h30m") optionally preceded by a number of days with the suffix
// "d" ("2d", "1.5d", "1d12h"). Negative durations are refused.
func parseAge(s string) (time.Duration, error) {
	orig := s
	bad := func(why string) (time.Duration, error) {
		return 0, fmt.Errorf("invalid duration %q: %s; write e.g. 90m, 36h, 2d or 1d12h", orig, why)
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
		days, err := strconv.ParseFloat(s[:i], 64)
		if err != nil || days < 0 || s[:i] == "" || strings.ContainsAny(s[:i], "eE+-") {
			return bad("the number of days is not a number")
		}
		if days > 100*365 {
			return bad("too long")
		}
		d = time.Duration(days * float64(24*time.Hour))
		s = s[i+1:]
		if s == "" {
			return d, nil
		}
	}
	rest, err := time.ParseDuration(s)
	if err != nil {
		return bad("not a Go duration")
	}
	if rest < 0 {
		return bad("negative")
	}
	return d + rest, nil
}
