package summary

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/essflow/essflow/shared/objects"
)

// Skipped is a storage record that yields no object, with the reason.
type Skipped struct {
	RecordID string
	Reason   error
}

// ObjectProcessor processes one storage object (objects.Runner). An error is a transient
// failure of that object: the event should be delivered again.
type ObjectProcessor interface {
	ProcessObject(ctx context.Context, ref objects.Ref) (objects.Report, error)
}

// Objects answers one storage event (COS or S3) the same way on every platform: its unreadable
// records are reported rejected, the ones that are not object creations skipped, and each
// object is processed in turn. The error wraps ErrRetryable when an object is left to retry;
// it is a plain error when objects need processing and proc is nil.
func Objects(ctx context.Context, logger *slog.Logger, trigger string, proc ObjectProcessor, refs []objects.Ref, invalid, ignored []Skipped) (*Summary, error) {
	s := New(trigger)
	for _, r := range invalid {
		s.AddInvalid(ctx, logger, r.RecordID, r.Reason)
	}
	for _, r := range ignored {
		s.AddSkipped(ctx, logger, r.RecordID, r.Reason.Error())
	}
	if len(refs) > 0 && proc == nil {
		return nil, fmt.Errorf("handle %s event: no object processor configured", trigger)
	}
	for _, ref := range refs {
		rep, err := proc.ProcessObject(ctx, ref)
		s.AddObject(ctx, logger, ref, rep, err)
	}
	return s, s.Err()
}
