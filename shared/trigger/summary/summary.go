// Package summary builds the answer of an asynchronous or batch invocation (queue messages,
// storage objects, timer ticks): one line per record with its outcome class, the count of
// records the platform should deliver again, and one structured log line per record.
package summary

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/essflow/essflow/shared/flows"
	"github.com/essflow/essflow/shared/objects"
)

// ErrRetryable is wrapped by the error Summary.Err returns when records are left to retry.
var ErrRetryable = errors.New("records left to retry")

// Record statuses that are not flows.Status values.
const (
	StatusProcessed = "processed" // a storage object was read and all its requests reached a final outcome
	StatusSkipped   = "skipped"   // a storage object was deliberately not processed (Report.SkipReason)
)

// Summary is the JSON answer of a batch invocation.
type Summary struct {
	Trigger string   `json:"trigger"`
	Records []Record `json:"records"`
	// Retryable counts the records with Retryable set.
	Retryable int `json:"retryable"`
	// Note explains an invocation with nothing to do (for example a timer without a message).
	Note string `json:"note,omitempty"`
}

// Record is the outcome of one queue message, timer tick or storage object. It carries no
// request body and no personal data.
type Record struct {
	RecordID string `json:"recordId"`
	// Status is a flows.Status for jobs, StatusProcessed, StatusSkipped or "retryable" for objects.
	Status    string `json:"status"`
	Retryable bool   `json:"retryable"`
	// ResultID is the id of the result message (jobs only).
	ResultID string `json:"resultId,omitempty"`
	Replayed bool   `json:"replayed,omitempty"`
	// The remaining fields describe a storage object (see objects.Report).
	ResultsKey        string `json:"resultsKey,omitempty"`
	Requests          int    `json:"requests,omitempty"`
	Created           int    `json:"created,omitempty"`
	Rejected          int    `json:"rejected,omitempty"`
	Failed            int    `json:"failed,omitempty"`
	Unknown           int    `json:"unknown,omitempty"`
	RetryableRequests int    `json:"retryableRequests,omitempty"`
	SkipReason        string `json:"skipReason,omitempty"`
}

// New returns an empty summary for the trigger; Records is empty, not nil, so it encodes as [].
func New(trigger string) *Summary { return &Summary{Trigger: trigger, Records: []Record{}} }

// AddOutcomes appends one record per outcome and logs each. jobs and outcomes must run
// parallel (the processor's contract); when they do not, every job is recorded as retryable
// (status not_processed) and the mismatch is returned, so the platform redelivers the batch.
func (s *Summary) AddOutcomes(ctx context.Context, logger *slog.Logger, jobs []flows.Job, outcomes []flows.Outcome) error {
	if len(outcomes) != len(jobs) {
		err := fmt.Errorf("processor returned %d outcome(s) for %d job(s)", len(outcomes), len(jobs))
		for _, j := range jobs {
			s.add(ctx, logger, Record{RecordID: j.RecordID, Status: string(flows.StatusNotProcessed), Retryable: true}, err)
		}
		return err
	}
	for i, o := range outcomes {
		id := o.RecordID
		if id == "" {
			id = jobs[i].RecordID
		}
		r := Record{RecordID: id, Status: string(o.Status), Retryable: o.Retryable, Replayed: o.Replayed}
		if o.Message != nil {
			r.ResultID = o.Message.ID
		}
		s.add(ctx, logger, r, o.Err)
	}
	return nil
}

// AddObject appends the record of one storage object and logs it. A non-nil err (the object
// could not be processed, a transient failure) or a report with retryable requests makes the
// record retryable: processing the object again is safe because every request in it carries
// a derived idempotency key.
func (s *Summary) AddObject(ctx context.Context, logger *slog.Logger, ref objects.Ref, rep objects.Report, err error) {
	r := Record{RecordID: ref.String()}
	switch {
	case err != nil:
		r.Status, r.Retryable = string(flows.StatusRetryable), true
	case rep.Skipped:
		r.Status, r.SkipReason = StatusSkipped, rep.SkipReason
	default:
		r.Status = StatusProcessed
		r.ResultsKey = rep.ResultsKey
		r.Requests, r.Created, r.Rejected = rep.Requests, rep.Created, rep.Rejected
		r.Failed, r.Unknown, r.RetryableRequests = rep.Failed, rep.Unknown, rep.Retryable
		if rep.Retryable > 0 {
			r.Status, r.Retryable = string(flows.StatusRetryable), true
		}
	}
	s.add(ctx, logger, r, err)
}

// AddSkipped appends a record the trigger deliberately ignored (for example a storage event
// that is not an object creation), with the reason; it is not retried.
func (s *Summary) AddSkipped(ctx context.Context, logger *slog.Logger, recordID, reason string) {
	s.add(ctx, logger, Record{RecordID: recordID, Status: StatusSkipped, SkipReason: reason}, nil)
}

// AddInvalid appends a record the trigger could not decode: rejected, never retried.
func (s *Summary) AddInvalid(ctx context.Context, logger *slog.Logger, recordID string, cause error) {
	s.add(ctx, logger, Record{RecordID: recordID, Status: string(flows.StatusRejected)}, cause)
}

func (s *Summary) add(ctx context.Context, logger *slog.Logger, r Record, cause error) {
	s.Records = append(s.Records, r)
	if r.Retryable {
		s.Retryable++
	}
	if logger == nil {
		return
	}
	attrs := []slog.Attr{
		slog.String("trigger", s.Trigger),
		slog.String("recordId", r.RecordID),
		slog.String("status", r.Status),
		slog.Bool("retryable", r.Retryable),
	}
	if r.ResultID != "" {
		attrs = append(attrs, slog.String("resultId", r.ResultID))
	}
	if r.Replayed {
		attrs = append(attrs, slog.Bool("replayed", true))
	}
	if r.SkipReason != "" {
		attrs = append(attrs, slog.String("skipReason", r.SkipReason))
	}
	if r.Requests > 0 {
		attrs = append(attrs, slog.Int("requests", r.Requests))
	}
	if cause != nil {
		attrs = append(attrs, slog.String("cause", cause.Error()))
	}
	level := slog.LevelInfo
	if r.Retryable || cause != nil {
		level = slog.LevelWarn
	}
	logger.LogAttrs(ctx, level, "record", attrs...)
}

// Err returns nil when no record is retryable, otherwise an error wrapping ErrRetryable that
// counts them: returned from a handler, it makes the platform deliver the whole event again.
func (s *Summary) Err() error {
	if s.Retryable == 0 {
		return nil
	}
	return fmt.Errorf("%s: %d of %d record(s) retryable: %w", s.Trigger, s.Retryable, len(s.Records), ErrRetryable)
}
