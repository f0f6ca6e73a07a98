package committer

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestIsHidden(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"_SUCCESS", true},
		{"_SUCCESS.job-1.files.json", true},
		{".part-0000.parquet.crc", true},
		{"._temporary", true},
		{"_", true},
		{".", true},
		{"part-0000.parquet", false},
		{"part_0000", false},
		{"a.b", false},
		{"", false},
		{"-_x", false},
		{" _x", false},
		{"_dir/part-0000.csv", true}, // a whole path: its first byte decides, so pass the last segment
		{"dir/_SUCCESS", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, IsHidden(tt.name), "%q", tt.name)
	}
}
