package fielderr

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		field, reason string
		err           error
		want          string
	}{
		{"uploadId", "is empty", nil, `field "uploadId" is empty`},
		{"", "is not JSON", errors.New("unexpected EOF"), `is not JSON: unexpected EOF`},
		{"etag", "is not a string", errors.New("bad"), `field "etag" is not a string: bad`},
	} {
		assert.Equal(t, tc.want, Describe(tc.field, tc.reason, tc.err))
	}
}
