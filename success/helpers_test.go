package success_test

import (
	"encoding/json"
	"errors"

	"github.com/s3commit/s3commit/success"
)

// jsonOf is the JSON form of d without validation, to build invalid input.
func jsonOf(d *success.Data) ([]byte, error) { return json.Marshal(d) }

// errorsIsAny reports whether err matches one of targets.
func errorsIsAny(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}
