// Package memory is an in-process idempotency store.
//
// It is for local runs and tests only: every function instance has its own memory, so it
// deduplicates only requests that reach the same process, and it forgets everything on a cold
// start. Deployments that scale out need a shared store (shared/idem/redis).
//
// Records expire by their stored timestamps, read from the injected clock: an expired record
// is treated as absent at once, and expired records are swept from the map lazily, at most
// once per sweep interval, by the operation that notices the interval has passed. No timers or
// goroutines are started. Times are kept to the millisecond, as the Redis store keeps them, so
// both stores answer alike.
package memory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/essflow/essflow/shared/idem"
)

// ErrClosed is returned by every operation on a closed Store.
var ErrClosed = errors.New("memory idempotency store is closed")

// sweepEvery is how often, at most, a write scans the map for expired records.
const sweepEvery = time.Minute

// Options configures a Store. The zero value is ready to use.
type Options struct {
	// Now is the clock (time.Now when nil). Tests inject a manual clock to exercise expiry.
	Now func() time.Time
}

// Store keeps idempotency records in a map guarded by one mutex. It is safe for concurrent
// use; each operation is atomic with respect to the others.
type Store struct {
	now func() time.Time

	mu        sync.Mutex
	records   map[string]idem.Record
	lastSweep time.Time
	closed    bool
}

// New returns an empty store.
func New(opts Options) *Store {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Store{now: now, records: make(map[string]idem.Record)}
}

// ms truncates t to the millisecond, the precision every store keeps.
func ms(t time.Time) time.Time { return time.UnixMilli(t.UnixMilli()) }

// clock returns the current time truncated to the millisecond.
func (s *Store) clock() time.Time { return ms(s.now()) }

// lookup returns the live record under key (one whose ExpiresAt is after now). The caller
// holds s.mu.
func (s *Store) lookup(key string, now time.Time) (idem.Record, bool) {
	rec, ok := s.records[key]
	if !ok {
		return idem.Record{}, false
	}
	if !now.Before(rec.ExpiresAt) {
		delete(s.records, key)
		return idem.Record{}, false
	}
	return rec, true
}

// enter locks the store after checking ctx and that the store is open. On success the caller
// must unlock s.mu.
func (s *Store) enter(ctx context.Context, op, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory idempotency %s %q: %w", op, key, err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fmt.Errorf("memory idempotency %s %q: %w", op, key, ErrClosed)
	}
	return nil
}

// sweep drops expired records when the last sweep is older than sweepEvery. The caller holds
// s.mu.
func (s *Store) sweep(now time.Time) {
	if now.Sub(s.lastSweep) < sweepEvery {
		return
	}
	s.lastSweep = now
	for k, rec := range s.records {
		if !now.Before(rec.ExpiresAt) {
			delete(s.records, k)
		}
	}
}

// Begin takes the IN_PROGRESS lock for key when no live record exists (Acquired) or when the
// existing IN_PROGRESS record's LockUntil has passed (Acquired and TookOver). The new record
// holds payloadHash, owner, lockUntil, UpdatedAt = now and ExpiresAt = now+ttl. Otherwise it
// returns Acquired=false with a copy of the existing record, which is left untouched: the
// caller compares its PayloadHash. An empty key or owner, or a ttl that is not positive, is an
// error.
//
// A Begin repeated by the owner that holds the live lock, with the same payloadHash, reports
// Acquired again and changes nothing, so a retried call is harmless.
func (s *Store) Begin(ctx context.Context, key, payloadHash, owner string, lockUntil time.Time, ttl time.Duration) (idem.BeginResult, error) {
	if err := checkArgs("begin", key, owner, ttl); err != nil {
		return idem.BeginResult{}, err
	}
	if err := s.enter(ctx, "begin", key); err != nil {
		return idem.BeginResult{}, err
	}
	defer s.mu.Unlock()
	now := s.clock()
	s.sweep(now)
	tookOver := false
	if rec, ok := s.lookup(key, now); ok {
		if rec.Live(now) && rec.Owner == owner && rec.PayloadHash == payloadHash {
			return idem.BeginResult{Acquired: true}, nil // this call, retried
		}
		if rec.Live(now) || rec.Status != idem.StatusInProgress {
			return idem.BeginResult{Existing: clone(rec)}, nil
		}
		tookOver = true
	}
	s.records[key] = idem.Record{
		Key:         key,
		Status:      idem.StatusInProgress,
		PayloadHash: payloadHash,
		Owner:       owner,
		LockUntil:   ms(lockUntil),
		ExpiresAt:   now.Add(ttl),
		UpdatedAt:   now,
	}
	return idem.BeginResult{Acquired: true, TookOver: tookOver}, nil
}

// Finish stores status (COMPLETE or UNKNOWN) and a copy of result under key, and makes the
// record live for ttl from now, provided owner still holds the IN_PROGRESS record; a lock
// whose LockUntil passed still counts as held until another Begin takes it over. Otherwise it
// returns idem.ErrNotOwner and changes nothing. A Finish repeated by the same
// owner with the same status and result succeeds without changing the record.
func (s *Store) Finish(ctx context.Context, key, owner string, status idem.Status, result []byte, ttl time.Duration) error {
	if err := checkFinish(key, owner, status, ttl); err != nil {
		return err
	}
	if err := s.enter(ctx, "finish", key); err != nil {
		return err
	}
	defer s.mu.Unlock()
	now := s.clock()
	rec, ok := s.lookup(key, now)
	if ok && rec.Owner == owner && rec.Status == status && bytes.Equal(rec.Result, result) {
		return nil // this call, retried
	}
	if !ok || rec.Status != idem.StatusInProgress || rec.Owner != owner {
		return fmt.Errorf("memory idempotency finish %q: %w", key, idem.ErrNotOwner)
	}
	rec.Status = status
	rec.Result = cloneBytes(result)
	rec.ExpiresAt = now.Add(ttl)
	rec.UpdatedAt = now
	s.records[key] = rec
	return nil
}

// Release deletes key's IN_PROGRESS record when owner holds it, so that a retry may run at
// once. Otherwise (another owner, a final record, no record) it returns idem.ErrNotOwner and
// changes nothing.
func (s *Store) Release(ctx context.Context, key, owner string) error {
	if key == "" || owner == "" {
		return fmt.Errorf("memory idempotency release %q: key and owner must not be empty", key)
	}
	if err := s.enter(ctx, "release", key); err != nil {
		return err
	}
	defer s.mu.Unlock()
	rec, ok := s.lookup(key, s.clock())
	if !ok || rec.Status != idem.StatusInProgress || rec.Owner != owner {
		return fmt.Errorf("memory idempotency release %q: %w", key, idem.ErrNotOwner)
	}
	delete(s.records, key)
	return nil
}

// Get returns a copy of the live record under key, or idem.ErrNotFound when there is none or
// it has expired.
func (s *Store) Get(ctx context.Context, key string) (*idem.Record, error) {
	if err := s.enter(ctx, "get", key); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	rec, ok := s.lookup(key, s.clock())
	if !ok {
		return nil, fmt.Errorf("memory idempotency get %q: %w", key, idem.ErrNotFound)
	}
	return clone(rec), nil
}

// Delete removes the record under key whatever its state (an operator clearing a key), or
// returns idem.ErrNotFound when there is no live record.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.enter(ctx, "delete", key); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.lookup(key, s.clock()); !ok {
		return fmt.Errorf("memory idempotency delete %q: %w", key, idem.ErrNotFound)
	}
	delete(s.records, key)
	return nil
}

// List returns copies of the live records whose key starts with prefix, sorted by key: the
// first limit of them, or all when limit is not positive.
func (s *Store) List(ctx context.Context, prefix string, limit int) ([]idem.Record, error) {
	if err := s.enter(ctx, "list", prefix); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	now := s.clock()
	var out []idem.Record
	for k := range s.records {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		if rec, ok := s.lookup(k, now); ok {
			out = append(out, *clone(rec))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Close drops every record; later operations return ErrClosed. Closing twice is harmless.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.records = nil
	return nil
}

// Len returns how many records the map holds, expired ones not yet swept included. It lets
// tests and diagnostics watch the lazy sweep.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.records)
}

func checkArgs(op, key, owner string, ttl time.Duration) error {
	switch {
	case key == "":
		return fmt.Errorf("memory idempotency %s: empty key", op)
	case owner == "":
		return fmt.Errorf("memory idempotency %s %q: empty owner", op, key)
	case ttl <= 0:
		return fmt.Errorf("memory idempotency %s %q: ttl %v is not positive", op, key, ttl)
	}
	return nil
}

func checkFinish(key, owner string, status idem.Status, ttl time.Duration) error {
	if err := checkArgs("finish", key, owner, ttl); err != nil {
		return err
	}
	if status != idem.StatusComplete && status != idem.StatusUnknown {
		return fmt.Errorf("memory idempotency finish %q: status %q is not COMPLETE or UNKNOWN", key, status)
	}
	return nil
}

func clone(rec idem.Record) *idem.Record {
	rec.Result = cloneBytes(rec.Result)
	return &rec
}

func cloneBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}
