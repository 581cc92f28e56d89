// Package objects runs storage-triggered batches: a COS or S3 object holding many
// CreateFlowsByTemplates requests is read as a stream, cut into jobs, processed in chunks and
// answered by a results object written beside it.
//
// # Input
//
// An object is either NDJSON (one request per line; blank lines are ignored) or a JSON array of
// requests, told apart by its first non-space byte ('[' means an array). Each request becomes one
// [flows.Job] whose RecordID is "<store>://<bucket>/<key>#<n>" and whose DerivedKey is
// "<store>:<bucket>/<key>@<etag or version id>#<n>", where n is the 1-based line number for
// NDJSON and the 0-based element index for an array. The idempotency key of a request therefore
// stays the same when the platform redelivers the event for the same object version, so lines
// that were already done replay instead of creating flows again. A line or element that is not
// valid JSON, or is longer than Runner.MaxLineBytes, becomes a job carrying DecodeErr, which the
// processor rejects; the other requests go on.
//
// # Output
//
// The results object is "<ResultsPrefix><key>.ndjson" in the same bucket, one line per request in
// input order:
//
//	{"n":1,"recordId":"cos://bucket-1250000000/batch.ndjson#1","status":"created","retryable":false,"result":{…}}
//
// where result is the [result.Message] delivered for the request, or null. Objects under
// ResultsPrefix are skipped, so that writing a results object never triggers another run.
//
// # Memory
//
// Neither the input nor the results are held whole in memory: requests are read Runner.Chunk at a
// time while the previous chunk is being processed, and results are spooled to a temporary file
// under os.TempDir before the upload (object stores want the length up front).
//
// The adapters live in the sub-packages cos (Tencent COS, cos-go-sdk-v5) and s3 (AWS S3,
// aws-sdk-go-v2); both implement [Store].
package objects
