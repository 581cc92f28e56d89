package sink

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// ErrPermanent marks a delivery failure that sending the same message again cannot fix (the
// destination refused it for what it is: too large, malformed, forbidden). Sinks wrap it; callers
// test with errors.Is.
var ErrPermanent = errors.New("permanent delivery failure")

// Backoff returns the pause after the given attempt (1-based): base doubled per attempt, capped
// at max, with up to half of it subtracted at random (jitter), never below half the step.
func Backoff(base, max time.Duration, attempt int) time.Duration {
	d := base << (attempt - 1)
	if d > max || d <= 0 {
		d = max
	}
	return d - time.Duration(rand.Int64N(int64(d)/2+1))
}

// Sleep waits d and reports true, or reports false at once when ctx ends first or its deadline
// is closer than d (a retry would not fit).
func Sleep(ctx context.Context, d time.Duration) bool {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
