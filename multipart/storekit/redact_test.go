package storekit

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRedactURL(t *testing.T) {
	cases := []struct{ in, want string }{
		{"http://127.0.0.1:9000", "http://127.0.0.1:9000"},
		{"https://s3.example/", "https://s3.example/"},
		{"http://key:secret@host:9000", "http://REDACTED@host:9000"},
		{"http://key@host", "http://REDACTED@host"},
		{"key:secret@host:9000", "REDACTED@host:9000"},
		{"http://key:sec/ret@host/path", "http://REDACTED@host/path"},
		{"http://key:sec@ret@host", "http://REDACTED@host"},
		{"http://host/?X-Amz-Security-Token=t", "http://host/?REDACTED"},
		{"http://k:s@host?q=1#frag", "http://REDACTED@host?REDACTED#frag"},
		{"http://k:s%zz@host", "http://REDACTED@host"},
		{"ftp://k:s@host", "ftp://REDACTED@host"},
		{"", ""},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			assert.Equal(t, c.want, RedactURL(c.in))
		})
	}
}
