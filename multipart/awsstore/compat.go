package awsstore

import "unicode/utf8"

// markerBefore returns a key-marker that lists key itself, for stores that
// read upload-id-marker as naming an upload of the first key after
// key-marker, where S3 reads it as an upload of key-marker itself.
//
// versitygw (1.8.0, issue versity/versitygw#2149) does so: it drops every
// upload whose key is not after key-marker and then requires
// upload-id-marker to belong to the first remaining key, so the
// NextKeyMarker / NextUploadIdMarker pair it returns is rejected with 400
// InvalidArgument. Sending a key-marker just before key instead makes it
// continue after the marker upload, as S3 does with the original pair.
//
// A marker "just before" key is one with no listed key between it and key:
// prevKey, the last distinct key listed before key, or, when every upload
// listed so far had key (so no key below it matches the prefix), key
// without its last character. ok is false when there is none (a
// one-character key).
func markerBefore(key, lastKey, prevKey string) (marker string, ok bool) {
	if key == lastKey && prevKey != "" {
		return prevKey, true
	}
	_, size := utf8.DecodeLastRuneInString(key)
	if size == 0 || size == len(key) {
		return "", false
	}
	return key[:len(key)-size], true
}
