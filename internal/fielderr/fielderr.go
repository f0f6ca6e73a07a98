// Package fielderr formats what is wrong with one field of a record read
// from outside (a pendingset, a _SUCCESS manifest), the same way for each.
package fielderr

import "fmt"

// Describe returns `field "<field>" <reason>: <err>`, leaving out the
// field when it is empty (the record is not valid JSON) and the cause when
// err is nil.
func Describe(field, reason string, err error) string {
	s := reason
	if field != "" {
		s = fmt.Sprintf("field %q %s", field, reason)
	}
	if err != nil {
		s += ": " + err.Error()
	}
	return s
}
