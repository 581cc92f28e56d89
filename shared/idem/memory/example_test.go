package memory_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/essflow/essflow/shared/idem"
	"github.com/essflow/essflow/shared/idem/memory"
)

// A fresh request takes the lock, creates its contracts and stores the result; a duplicate
// with the same payload gets the stored result back; one with another payload under the same
// key is a conflict the caller detects by comparing hashes.
func ExampleStore() {
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	s := memory.New(memory.Options{Now: func() time.Time { return now }})
	defer s.Close()

	first, _ := s.Begin(ctx, "order-42", "sha256:aaa", "invocation-1", now.Add(15*time.Minute), time.Hour)
	fmt.Println("first acquired:", first.Acquired)
	_ = s.Finish(ctx, "order-42", "invocation-1", idem.StatusComplete, []byte(`{"FlowIds":["f1"]}`), time.Hour)

	dup, _ := s.Begin(ctx, "order-42", "sha256:aaa", "invocation-2", now.Add(15*time.Minute), time.Hour)
	fmt.Println("duplicate acquired:", dup.Acquired, dup.Existing.Status, string(dup.Existing.Result))

	other, _ := s.Begin(ctx, "order-42", "sha256:bbb", "invocation-3", now.Add(15*time.Minute), time.Hour)
	fmt.Println("conflict:", other.Existing.PayloadHash != "sha256:bbb")
	// Output:
	// first acquired: true
	// duplicate acquired: false COMPLETE {"FlowIds":["f1"]}
	// conflict: true
}

// An invocation that fails in a retryable way releases its lock so the platform's redelivery
// runs at once; one that died is taken over after its lock's deadline.
func ExampleStore_Release() {
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	s := memory.New(memory.Options{Now: func() time.Time { return now }})
	defer s.Close()

	_, _ = s.Begin(ctx, "msg-1", "h", "invocation-1", now.Add(time.Minute), time.Hour)
	fmt.Println("release:", s.Release(ctx, "msg-1", "invocation-1"))
	_, err := s.Get(ctx, "msg-1")
	fmt.Println("after release:", errors.Is(err, idem.ErrNotFound))

	_, _ = s.Begin(ctx, "msg-2", "h", "invocation-1", now.Add(time.Minute), time.Hour)
	now = now.Add(time.Minute) // invocation-1 died; its lock's deadline passed
	r, _ := s.Begin(ctx, "msg-2", "h", "invocation-2", now.Add(time.Minute), time.Hour)
	fmt.Println("taken over:", r.Acquired, r.TookOver)
	err = s.Finish(ctx, "msg-2", "invocation-1", idem.StatusComplete, nil, time.Hour)
	fmt.Println("late finish:", errors.Is(err, idem.ErrNotOwner))
	// Output:
	// release: <nil>
	// after release: true
	// taken over: true true
	// late finish: true
}
