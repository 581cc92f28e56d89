package objects

import "fmt"

// Ref names one object announced by a storage event (COS or S3).
type Ref struct {
	// Store is "cos" or "s3".
	Store string
	// Bucket is the bucket name as the storage API expects it (COS: name-appid).
	Bucket string
	Region string
	// Key is the object key, without COS's "/appid/bucket/" prefix and URL-decoded for S3.
	Key string
	// ETag and VersionID identify the object version; either may be empty.
	ETag      string
	VersionID string
	Size      int64
	// EventID identifies the storage event (request id, sequencer), for logs.
	EventID string
}

// String returns store://bucket/key, for logs and record ids.
func (r Ref) String() string { return fmt.Sprintf("%s://%s/%s", r.Store, r.Bucket, r.Key) }

// Report summarises the processing of one object.
type Report struct {
	Object Ref
	// ResultsKey is the key of the results object written beside the input.
	ResultsKey string
	// Requests counts the requests read; the others count their outcome classes.
	Requests  int
	Created   int
	Rejected  int
	Failed    int
	Unknown   int
	Retryable int
	// Skipped is true when the object was not processed (for example a results object).
	Skipped    bool
	SkipReason string
}
