package sink

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/essflow/essflow/shared/result"
)

// Fanout delivers each message to all its sinks concurrently. The zero value is a Fanout with
// no sinks, on which Deliver does nothing and succeeds.
type Fanout struct {
	sinks []Sink
}

// NewFanout returns a Fanout over sinks; it takes ownership of them (Close closes them).
func NewFanout(sinks ...Sink) *Fanout {
	return &Fanout{sinks: slices.Clone(sinks)}
}

// Len is the number of sinks.
func (f *Fanout) Len() int { return len(f.sinks) }

// Names lists the redacted names of the sinks, in configuration order.
func (f *Fanout) Names() []string {
	names := make([]string, len(f.sinks))
	for i, s := range f.sinks {
		names[i] = s.Name()
	}
	return names
}

// Deliver sends msg to every sink concurrently and waits for all of them. It fails if any sink
// fails: the error joins one error per failed sink, each naming the sink.
func (f *Fanout) Deliver(ctx context.Context, msg *result.Message) error {
	return f.each(func(s Sink) error { return s.Deliver(ctx, msg) })
}

// DeliverBatch sends msgs to every sink concurrently: sinks implementing BatchSink get the
// whole batch in one call, others get the messages one after another in order (so queue sinks
// keep the order of one request's results). It returns nil when every sink accepted every
// message and otherwise a *BatchError listing, for each failed message, the errors of the
// sinks that failed it (a sink that fails as a whole fails every message).
func (f *Fanout) DeliverBatch(ctx context.Context, msgs []*result.Message) error {
	if len(msgs) == 0 || len(f.sinks) == 0 {
		return nil
	}
	var (
		mu     sync.Mutex
		failed = map[int][]error{}
	)
	record := func(s Sink, i int, err error) {
		mu.Lock()
		failed[i] = append(failed[i], fmt.Errorf("sink %s: %w", s.Name(), err))
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for _, s := range f.sinks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if bs, ok := s.(BatchSink); ok {
				err := bs.DeliverBatch(ctx, msgs)
				var be *BatchError
				switch {
				case err == nil:
				case errors.As(err, &be):
					for _, fl := range be.Failures {
						record(s, fl.Index, fl.Err)
					}
				default:
					for i := range msgs {
						record(s, i, err)
					}
				}
				return
			}
			for i, m := range msgs {
				if err := s.Deliver(ctx, m); err != nil {
					record(s, i, err)
				}
			}
		}()
	}
	wg.Wait()
	if len(failed) == 0 {
		return nil
	}
	be := &BatchError{}
	for i, errs := range failed {
		be.Failures = append(be.Failures, BatchFailure{Index: i, ID: msgs[i].ID, Err: errors.Join(errs...)})
	}
	slices.SortFunc(be.Failures, func(a, b BatchFailure) int { return a.Index - b.Index })
	return be
}

// Close closes every sink and joins their errors.
func (f *Fanout) Close() error {
	var errs []error
	for _, s := range f.sinks {
		if err := s.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close sink %s: %w", s.Name(), err))
		}
	}
	return errors.Join(errs...)
}

func (f *Fanout) each(fn func(Sink) error) error {
	switch len(f.sinks) {
	case 0:
		return nil
	case 1:
		if err := fn(f.sinks[0]); err != nil {
			return fmt.Errorf("sink %s: %w", f.sinks[0].Name(), err)
		}
		return nil
	}
	errs := make([]error, len(f.sinks))
	var wg sync.WaitGroup
	for i, s := range f.sinks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(s); err != nil {
				errs[i] = fmt.Errorf("sink %s: %w", s.Name(), err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// BatchError reports which messages of a batch failed; messages not listed were accepted.
type BatchError struct {
	// Failures lists the failed messages in increasing Index order.
	Failures []BatchFailure
}

// BatchFailure is one failed message of a batch.
type BatchFailure struct {
	Index int    // position of the message in the batch passed to DeliverBatch
	ID    string // the message's ID
	Err   error  // why it failed
}

// Error summarises the failures: how many, and the first one.
func (e *BatchError) Error() string {
	if len(e.Failures) == 0 {
		return "batch delivery: no failures"
	}
	var b strings.Builder
	b.WriteString(strconv.Itoa(len(e.Failures)))
	b.WriteString(" message(s) of the batch failed; first: message ")
	b.WriteString(strconv.Itoa(e.Failures[0].Index))
	b.WriteString(" (")
	b.WriteString(e.Failures[0].ID)
	b.WriteString("): ")
	b.WriteString(e.Failures[0].Err.Error())
	return b.String()
}

// Unwrap returns the errors of all failed messages, so errors.Is and errors.As see them.
func (e *BatchError) Unwrap() []error {
	errs := make([]error, len(e.Failures))
	for i, f := range e.Failures {
		errs[i] = f.Err
	}
	return errs
}

// Failed reports whether the message at index i is listed as failed.
func (e *BatchError) Failed(i int) bool {
	for _, f := range e.Failures {
		if f.Index == i {
			return true
		}
	}
	return false
}
