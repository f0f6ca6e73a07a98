// Package readme keeps the repository's README.md honest. Its tests check
// that every Go snippet of the README appears, whitespace aside, in the
// Example functions of this package, which compile with the library and,
// where memstore can stand in for S3, run and check their output; and that
// every `make X` the README mentions is a target of the Makefile.
//
// The package has no API: its Example functions are the README's snippets
// in context.
package readme
