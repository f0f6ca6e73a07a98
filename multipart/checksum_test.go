package multipart_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/s3commit/s3commit/multipart"
)

func TestCombineChecksumsEqualsTheChecksumOfTheWhole(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 1<<20+77)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	algorithms := []multipart.ChecksumAlgorithm{multipart.ChecksumCRC64NVME, multipart.ChecksumCRC32C, multipart.ChecksumCRC32}
	splits := map[string][]int{
		"one part":          {len(data)},
		"two parts":         {1 << 19, len(data) - 1<<19},
		"empty middle part": {1000, 0, len(data) - 1000},
		"many small parts":  {1, 2, 3, 5, 8, 13, 21, 34, 55, len(data) - 142},
	}
	for _, a := range algorithms {
		whole, n, err := multipart.ComputeChecksum(a, bytes.NewReader(data))
		if err != nil || n != int64(len(data)) {
			t.Fatalf("%s: ComputeChecksum = %v, %d", a, err, n)
		}
		for name, sizes := range splits {
			var sums []multipart.Checksum
			var lens []int64
			off := 0
			for _, size := range sizes {
				c, _, err := multipart.ComputeChecksum(a, bytes.NewReader(data[off:off+size]))
				if err != nil {
					t.Fatal(err)
				}
				sums = append(sums, c)
				lens = append(lens, int64(size))
				off += size
			}
			got, err := multipart.CombineChecksums(sums, lens)
			if err != nil {
				t.Fatalf("%s %s: %v", a, name, err)
			}
			if got != whole {
				t.Errorf("%s %s: combined %v, want %v", a, name, got, whole)
			}
		}
	}
}

func TestChecksumKnownValues(t *testing.T) {
	// The check values of the CRC catalogue ("123456789") and the value S3
	// documents for the empty object with CRC64NVME.
	for _, tc := range []struct {
		a     multipart.ChecksumAlgorithm
		input string
		want  string
	}{
		{multipart.ChecksumCRC64NVME, "", "AAAAAAAAAAA="},
		{multipart.ChecksumCRC64NVME, "123456789", "rosUhgp5mIg="}, // 0xae8b14860a799888
		{multipart.ChecksumCRC32C, "123456789", "4waSgw=="},        // 0xe3069283
		{multipart.ChecksumCRC32, "123456789", "y/Q5Jg=="},         // 0xcbf43926
	} {
		got, _, err := multipart.ComputeChecksum(tc.a, bytes.NewReader([]byte(tc.input)))
		if err != nil || got.Value != tc.want || got.Algorithm != tc.a {
			t.Errorf("%s(%q) = %v, %v; want %s", tc.a, tc.input, got, err, tc.want)
		}
	}
}

func TestChecksumErrors(t *testing.T) {
	if _, err := multipart.ChecksumAlgorithm("SHA256").NewHash(); !errors.Is(err, multipart.ErrUnsupportedChecksum) {
		t.Errorf("SHA256: %v, want ErrUnsupportedChecksum", err)
	}
	a := multipart.Checksum{Algorithm: multipart.ChecksumCRC32C, Value: "4waSgw=="}
	b := multipart.Checksum{Algorithm: multipart.ChecksumCRC32, Value: "y/Q5Jg=="}
	for name, call := range map[string]func() error{
		"mixed algorithms": func() error {
			_, err := multipart.CombineChecksums([]multipart.Checksum{a, b}, []int64{9, 9})
			return err
		},
		"count mismatch": func() error { _, err := multipart.CombineChecksums([]multipart.Checksum{a}, []int64{9, 9}); return err },
		"bad value": func() error {
			_, err := multipart.CombineChecksums([]multipart.Checksum{{Algorithm: multipart.ChecksumCRC32C, Value: "x"}}, []int64{1})
			return err
		},
	} {
		if call() == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
