package multipart

// S3's limits on listing and deleting, which a Store backend on S3 follows.
const (
	// MaxListPageSize is the most entries one page of ListObjectsV2,
	// ListMultipartUploads or ListParts holds (max-keys, max-uploads,
	// max-parts): S3 answers a request for more with this many.
	MaxListPageSize = 1000
	// MaxDeleteKeys is the most keys one DeleteObjects request may name;
	// S3 rejects a longer list as MalformedXML.
	MaxDeleteKeys = 1000
)
