package idemtest

import (
	"sync"
	"time"
)

// Clock is a manual clock for store tests: Now returns the same instant until Advance moves
// it. It is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock standing at start, truncated to the millisecond (stores keep
// times as unix milliseconds).
func NewClock(start time.Time) *Clock {
	return &Clock{now: start.Truncate(time.Millisecond)}
}

// Now returns the clock's current instant.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d (backward when d is negative).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
