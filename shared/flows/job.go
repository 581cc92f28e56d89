package flows

import (
	"time"

	"github.com/essflow/essflow/shared/ess"
	"github.com/essflow/essflow/shared/result"
)

// Job is one request to process, decoded from a trigger record: an HTTP body, a queue message,
// or one line of a storage object.
type Job struct {
	// Trigger is the trigger kind (result.Source.Trigger): apigw, function_url, cmq, ckafka, cos,
	// sqs, s3, http_api, rest_api, invoke.
	Trigger string
	// RecordID identifies the record inside its source, for reports and logs.
	RecordID string
	// Body is the payload: a CreateFlowsByTemplates request JSON, or the essflow envelope
	// {"IdempotencyKey":…, "CorrelationId":…, "Request":{…}}.
	Body []byte
	// IdempotencyKey is an explicit key given outside the body (HTTP Idempotency-Key header).
	// It wins over the envelope's and the derived one.
	IdempotencyKey string
	// DerivedKey is the key derived from the trigger record (SQS messageId, CMQ msgId, CKafka
	// topic/partition/offset, bucket/key/etag/line), used when no explicit key is given.
	// Empty for HTTP: the key is then a hash of the body.
	DerivedKey string
	// CorrelationID is an optional caller correlation id (X-Correlation-Id header).
	CorrelationID string
	// DecodeErr is set when the trigger could not extract a body from the record (bad base64,
	// an unreadable line): the job is rejected with this error and never retried.
	DecodeErr error
}

// Status is the outcome class of a job.
type Status string

// Job outcome classes.
const (
	StatusCreated         Status = "created"
	StatusPartiallyFailed Status = "partially_failed"
	StatusPreviewed       Status = "previewed"
	StatusFailed          Status = "failed"          // ESS refused the call; final
	StatusRejected        Status = "rejected"        // refused before ESS; final, never retried
	StatusUnknown         Status = "outcome_unknown" // final: never re-sent automatically
	StatusRetryable       Status = "retryable"       // transient; the platform should redeliver
	StatusNotProcessed    Status = "not_processed"   // ordered batch stopped before this job; retry
)

// Outcome is the result of one job.
type Outcome struct {
	RecordID string
	Status   Status
	// Retryable is true when the platform should deliver the record again (StatusRetryable,
	// StatusNotProcessed, or a final result whose delivery to the sinks failed).
	Retryable bool
	// HTTPStatus is the status an HTTP caller should get.
	HTTPStatus int
	// RetryAfter is a hint for HTTP 429/503 answers.
	RetryAfter time.Duration
	// Replayed is true when the outcome was served from the idempotency store without calling ESS.
	Replayed bool
	// Message is the result delivered to the sinks (nil for retryable outcomes that produced none).
	Message *result.Message
	// Response is the ESS answer, when one was received.
	Response *ess.CreateFlowsByTemplatesResponse
	// Violations lists every validation failure of a rejected request.
	Violations []ess.Violation
	// Warnings lists deprecated fields the request used.
	Warnings []ess.Warning
	// Err is the internal cause, for logs only; never shown to callers.
	Err error
}

// BatchOptions controls how ProcessBatch runs.
type BatchOptions struct {
	// Ordered sources (a CKafka partition, SQS FIFO) are processed one at a time in order and stop
	// at the first retryable failure; the remaining jobs are reported StatusNotProcessed.
	Ordered bool
}
