// Package javadate formats times as Java's Date.toString() does, the
// human-readable "date" Hadoop's S3A committers write into pendingsets,
// pending uploads and _SUCCESS manifests, so that files written here read
// like theirs.
package javadate

import "time"

// Layout is the [time.Layout] of Java's Date.toString():
// "Fri Jul 03 16:47:07 UTC 2020", the day of the month zero-padded and the
// zone as its abbreviation.
const Layout = "Mon Jan 02 15:04:05 MST 2006"

// Format returns t as Java's Date.toString() shows it, in t's location.
func Format(t time.Time) string { return t.Format(Layout) }
