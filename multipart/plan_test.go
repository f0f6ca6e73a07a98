package multipart

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlanParts(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name          string
		size, pref    int64
		wantPartSize  int64
		wantParts     int
		wantLastBytes int64
	}{
		{"zero-byte file is one empty part", 0, 0, DefaultPartSize, 1, 0},
		{"smaller than a part", 100, 0, DefaultPartSize, 1, 100},
		{"exact multiple", 3 * 8 * mib, 8 * mib, 8 * mib, 3, 8 * mib},
		{"remainder in last part", 20*mib + 1, 5 * mib, 5 * mib, 5, 1},
		{"exactly max parts", MaxParts * 5 * mib, 5 * mib, 5 * mib, MaxParts, 5 * mib},
		{"grown past max parts", MaxParts*5*mib + 1, 5 * mib, 6 * mib, 8334, MaxParts*5*mib + 1 - 8333*6*mib},
		{"largest object", MaxObjectSize, 0, 525 * mib, 9987, MaxObjectSize - 9986*525*mib},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := PlanParts(tt.size, tt.pref)
			require.NoError(t, err)
			assert.Equal(t, tt.wantPartSize, p.PartSize)
			assert.Equal(t, tt.wantParts, p.Parts)
			assert.LessOrEqual(t, p.Parts, MaxParts)
			last := p.Part(p.Parts - 1)
			assert.Equal(t, tt.wantLastBytes, last.Size)
			assert.Equal(t, int32(p.Parts), last.Number)
			assert.Equal(t, tt.size, last.Offset+last.Size, "parts cover the file exactly")
			assert.LessOrEqual(t, p.PartSize, MaxPartSize)
		})
	}
}

func TestPlanPartsRejects(t *testing.T) {
	tests := []struct {
		name       string
		size, pref int64
		want       error
	}{
		{"part size below 5 MiB", 1, 5<<20 - 1, ErrInvalidPartSize},
		{"part size above 5 GiB", 1, 5<<30 + 1, ErrInvalidPartSize},
		{"file above 5 TiB", MaxObjectSize + 1, 0, ErrFileTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := PlanParts(tt.size, tt.pref)
			require.ErrorIs(t, err, tt.want)
		})
	}
	_, err := PlanParts(-1, 0)
	require.Error(t, err)
}

func FuzzPlanParts(f *testing.F) {
	f.Add(int64(0), int64(0))
	f.Add(int64(MaxObjectSize), int64(MinPartSize))
	f.Fuzz(func(t *testing.T, size, pref int64) {
		p, err := PlanParts(size, pref)
		if err != nil {
			return
		}
		if p.Parts < 1 || p.Parts > MaxParts || p.PartSize < MinPartSize || p.PartSize > MaxPartSize {
			t.Fatalf("plan out of limits: %+v", p)
		}
		last := p.Part(p.Parts - 1)
		if last.Offset+last.Size != size || last.Size < 0 || (size > 0 && last.Size == 0) {
			t.Fatalf("plan does not cover %d bytes: %+v last %+v", size, p, last)
		}
	})
}
