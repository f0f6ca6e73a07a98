package storekit

import "github.com/s3commit/s3commit/multipart"

// ChecksumOf returns the checksum a store reported for an object or a
// part, given the values of its checksum fields of the algorithms of
// package multipart (empty where it reported none): the first set of
// CRC64NVME, CRC32C and CRC32, or no checksum.
func ChecksumOf(crc64nvme, crc32c, crc32 string) multipart.Checksum {
	switch {
	case crc64nvme != "":
		return multipart.Checksum{Algorithm: multipart.ChecksumCRC64NVME, Value: crc64nvme}
	case crc32c != "":
		return multipart.Checksum{Algorithm: multipart.ChecksumCRC32C, Value: crc32c}
	case crc32 != "":
		return multipart.Checksum{Algorithm: multipart.ChecksumCRC32, Value: crc32}
	}
	return multipart.Checksum{}
}
