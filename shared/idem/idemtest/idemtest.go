// Package idemtest is the conformance suite every idempotency store (shared/idem/memory,
// shared/idem/redis) must pass, so that the processor can rely on the same behaviour whatever
// backend a deployment uses.
//
// The suite drives the store through an injected manual clock (see Clock) that starts at the
// real current time and only moves forward. A store must read "now" only from that clock, and
// must treat a record whose ExpiresAt has passed on that clock as absent even when its backend
// still holds it; that is how record expiry is tested without sleeping. Backends that also
// expire keys themselves (Redis PEXPIREAT) therefore never drop a record earlier than the
// clock says.
package idemtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/essflow/essflow/shared/idem"
)

// Store is the idempotency store contract exercised by Run. It matches the interface the
// processor in shared/flows declares.
type Store interface {
	Begin(ctx context.Context, key, payloadHash, owner string, lockUntil time.Time, ttl time.Duration) (idem.BeginResult, error)
	Finish(ctx context.Context, key, owner string, status idem.Status, result []byte, ttl time.Duration) error
	Release(ctx context.Context, key, owner string) error
	Get(ctx context.Context, key string) (*idem.Record, error)
	Delete(ctx context.Context, key string) error
	List(ctx context.Context, prefix string, limit int) ([]idem.Record, error)
	Close() error
}

const (
	// lockFor is how long the suite's invocations hold their IN_PROGRESS lock.
	lockFor = 30 * time.Second
	// ttl is the record lifetime the suite asks for.
	ttl = time.Hour
	// racers is how many goroutines race for one key.
	racers = 50
)

// env is what one conformance case works with.
type env struct {
	t     *testing.T
	s     Store
	clock *Clock
	ctx   context.Context
}

// Run runs the conformance cases as parallel subtests of t. newStore must return an empty
// store (or one whose keys cannot collide with another call's) that reads the time from now;
// it registers its own cleanup with t.Cleanup. A case may Close the store itself, so the
// cleanup must tolerate a second Close.
func Run(t *testing.T, newStore func(t *testing.T, now func() time.Time) Store) {
	t.Helper()
	cases := []struct {
		name string
		run  func(e *env)
	}{
		{"FirstBeginAcquires", firstBeginAcquires},
		{"LiveLockReturnsExisting", liveLockReturnsExisting},
		{"ConflictingPayloadSeesOriginalHash", conflictingPayloadSeesOriginalHash},
		{"ExpiredLockIsTakenOver", expiredLockIsTakenOver},
		{"FinishByOwnerIsReplayed", finishByOwnerIsReplayed},
		{"FinalRecordIsNeverTakenOver", finalRecordIsNeverTakenOver},
		{"FinishByNonOwner", finishByNonOwner},
		{"OldOwnerAfterTakeover", oldOwnerAfterTakeover},
		{"FinishWithoutLock", finishWithoutLock},
		{"ReleaseByOwnerRemoves", releaseByOwnerRemoves},
		{"ReleaseByNonOwnerKeeps", releaseByNonOwnerKeeps},
		{"UnknownPersists", unknownPersists},
		{"ExpiryAfterTTL", expiryAfterTTL},
		{"InProgressExpiry", inProgressExpiry},
		{"Delete", deleteRecord},
		{"ListWithPrefix", listWithPrefix},
		{"BinaryResult", binaryResult},
		{"RacingBegin", racingBegin},
		{"RacingTakeover", racingTakeover},
		{"RetriedCallsAreHarmless", retriedCallsAreHarmless},
		{"InvalidArguments", invalidArguments},
		{"CanceledContext", canceledContext},
		{"Close", closeStore},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := NewClock(time.Now())
			s := newStore(t, clock.Now)
			tc.run(&env{t: t, s: s, clock: clock, ctx: context.Background()})
		})
	}
}

// begin calls Begin with the suite's lock and ttl, failing the test on error.
func (e *env) begin(key, hash, owner string) idem.BeginResult {
	e.t.Helper()
	r, err := e.s.Begin(e.ctx, key, hash, owner, e.clock.Now().Add(lockFor), ttl)
	if err != nil {
		e.t.Fatalf("Begin(%q, %q, %q): %v", key, hash, owner, err)
	}
	return r
}

// mustAcquire calls Begin and fails unless it took a fresh lock (no takeover).
func (e *env) mustAcquire(key, hash, owner string) {
	e.t.Helper()
	r := e.begin(key, hash, owner)
	if !r.Acquired || r.TookOver || r.Existing != nil {
		e.t.Fatalf("Begin(%q, %q) = %+v; want a fresh acquisition", key, owner, describe(r))
	}
}

// mustExist calls Begin and fails unless it returned an existing record, which it returns.
func (e *env) mustExist(key, hash, owner string) *idem.Record {
	e.t.Helper()
	r := e.begin(key, hash, owner)
	if r.Acquired || r.TookOver || r.Existing == nil {
		e.t.Fatalf("Begin(%q, %q) = %+v; want the existing record", key, owner, describe(r))
	}
	return r.Existing
}

// finish calls Finish with the suite's ttl, failing the test on error.
func (e *env) finish(key, owner string, status idem.Status, result []byte) {
	e.t.Helper()
	if err := e.s.Finish(e.ctx, key, owner, status, result, ttl); err != nil {
		e.t.Fatalf("Finish(%q, %q, %s): %v", key, owner, status, err)
	}
}

// get calls Get, failing the test on error.
func (e *env) get(key string) *idem.Record {
	e.t.Helper()
	rec, err := e.s.Get(e.ctx, key)
	if err != nil {
		e.t.Fatalf("Get(%q): %v", key, err)
	}
	return rec
}

// wantNotFound fails unless Get reports idem.ErrNotFound for key.
func (e *env) wantNotFound(key string) {
	e.t.Helper()
	rec, err := e.s.Get(e.ctx, key)
	if !errors.Is(err, idem.ErrNotFound) {
		e.t.Fatalf("Get(%q) = %+v, %v; want ErrNotFound", key, rec, err)
	}
}

// wantErr fails unless err matches target.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: err = %v; want %v", what, err, target)
	}
}

// sameRecord fails unless got equals want field by field (times compared with Equal).
func sameRecord(t *testing.T, what string, got, want *idem.Record) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: record is nil", what)
	}
	var diffs []string
	check := func(field string, ok bool, g, w any) {
		if !ok {
			diffs = append(diffs, fmt.Sprintf("%s = %v, want %v", field, g, w))
		}
	}
	check("Key", got.Key == want.Key, got.Key, want.Key)
	check("Status", got.Status == want.Status, got.Status, want.Status)
	check("PayloadHash", got.PayloadHash == want.PayloadHash, got.PayloadHash, want.PayloadHash)
	check("Owner", got.Owner == want.Owner, got.Owner, want.Owner)
	check("LockUntil", got.LockUntil.Equal(want.LockUntil), got.LockUntil, want.LockUntil)
	check("ExpiresAt", got.ExpiresAt.Equal(want.ExpiresAt), got.ExpiresAt, want.ExpiresAt)
	check("UpdatedAt", got.UpdatedAt.Equal(want.UpdatedAt), got.UpdatedAt, want.UpdatedAt)
	check("Result", bytes.Equal(got.Result, want.Result), got.Result, want.Result)
	if len(diffs) > 0 {
		t.Fatalf("%s: record differs:\n%s", what, joinLines(diffs))
	}
}

func joinLines(lines []string) string {
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString("  ")
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

func describe(r idem.BeginResult) string {
	if r.Existing == nil {
		return fmt.Sprintf("{Acquired:%v TookOver:%v Existing:nil}", r.Acquired, r.TookOver)
	}
	return fmt.Sprintf("{Acquired:%v TookOver:%v Existing:{Status:%s Owner:%q PayloadHash:%q}}",
		r.Acquired, r.TookOver, r.Existing.Status, r.Existing.PayloadHash, r.Existing.Owner)
}

func firstBeginAcquires(e *env) {
	start := e.clock.Now()
	e.mustAcquire("k", "h1", "o1")
	sameRecord(e.t, "after Begin", e.get("k"), &idem.Record{
		Key: "k", Status: idem.StatusInProgress, PayloadHash: "h1", Owner: "o1",
		LockUntil: start.Add(lockFor), ExpiresAt: start.Add(ttl), UpdatedAt: start,
	})
}

func liveLockReturnsExisting(e *env) {
	start := e.clock.Now()
	e.mustAcquire("k", "h1", "o1")
	e.clock.Advance(lockFor - time.Millisecond)
	ex := e.mustExist("k", "h1", "o2")
	want := &idem.Record{
		Key: "k", Status: idem.StatusInProgress, PayloadHash: "h1", Owner: "o1",
		LockUntil: start.Add(lockFor), ExpiresAt: start.Add(ttl), UpdatedAt: start,
	}
	sameRecord(e.t, "existing", ex, want)
	if !ex.Live(e.clock.Now()) {
		e.t.Fatalf("existing lock is not live at %v (LockUntil %v)", e.clock.Now(), ex.LockUntil)
	}
	sameRecord(e.t, "record after the duplicate Begin", e.get("k"), want)
}

// conflictingPayloadSeesOriginalHash checks the "record already exists" path that the
// Powertools ports got wrong: a duplicate key with another payload must be handed the stored
// record with its ORIGINAL hash, in every state, and must leave it untouched.
func conflictingPayloadSeesOriginalHash(e *env) {
	for _, final := range []idem.Status{idem.StatusInProgress, idem.StatusComplete, idem.StatusUnknown} {
		key := "k-" + string(final)
		e.mustAcquire(key, "original", "o1")
		if final != idem.StatusInProgress {
			e.finish(key, "o1", final, []byte(`{"FlowIds":["f1"]}`))
		}
		before := e.get(key)
		ex := e.mustExist(key, "changed", "o2")
		if ex.PayloadHash != "original" {
			e.t.Fatalf("%s: existing PayloadHash = %q; want the original hash", final, ex.PayloadHash)
		}
		sameRecord(e.t, string(final)+" existing", ex, before)
		sameRecord(e.t, string(final)+" after the conflicting Begin", e.get(key), before)
	}
}

func expiredLockIsTakenOver(e *env) {
	e.mustAcquire("k", "h1", "o1")
	e.clock.Advance(lockFor - time.Millisecond)
	e.mustExist("k", "h1", "o2")
	e.clock.Advance(time.Millisecond) // now == LockUntil: the lock is no longer live
	now := e.clock.Now()
	r := e.begin("k", "h2", "o2")
	if !r.Acquired || !r.TookOver || r.Existing != nil {
		e.t.Fatalf("Begin on an expired lock = %s; want Acquired and TookOver", describe(r))
	}
	sameRecord(e.t, "after takeover", e.get("k"), &idem.Record{
		Key: "k", Status: idem.StatusInProgress, PayloadHash: "h2", Owner: "o2",
		LockUntil: now.Add(lockFor), ExpiresAt: now.Add(ttl), UpdatedAt: now,
	})
}

func finishByOwnerIsReplayed(e *env) {
	start := e.clock.Now()
	e.mustAcquire("k", "h1", "o1")
	e.clock.Advance(2 * time.Second)
	done := e.clock.Now()
	result := []byte(`{"FlowIds":["f1","f2"]}`)
	if err := e.s.Finish(e.ctx, "k", "o1", idem.StatusComplete, result, 2*ttl); err != nil {
		e.t.Fatalf("Finish: %v", err)
	}
	e.clock.Advance(time.Second)
	ex := e.mustExist("k", "h1", "o2")
	sameRecord(e.t, "replayed", ex, &idem.Record{
		Key: "k", Status: idem.StatusComplete, PayloadHash: "h1", Owner: "o1",
		LockUntil: start.Add(lockFor), ExpiresAt: done.Add(2 * ttl), UpdatedAt: done, Result: result,
	})
}

func finalRecordIsNeverTakenOver(e *env) {
	for _, final := range []idem.Status{idem.StatusComplete, idem.StatusUnknown} {
		key := "k-" + string(final)
		e.mustAcquire(key, "h1", "o1")
		e.finish(key, "o1", final, []byte("r"))
		e.clock.Advance(2 * lockFor) // LockUntil has passed; only IN_PROGRESS locks expire
		if ex := e.mustExist(key, "h1", "o2"); ex.Status != final {
			e.t.Fatalf("existing status = %s; want %s", ex.Status, final)
		}
	}
}

func finishByNonOwner(e *env) {
	e.mustAcquire("k", "h1", "o1")
	before := e.get("k")
	err := e.s.Finish(e.ctx, "k", "intruder", idem.StatusComplete, []byte("r"), ttl)
	wantErr(e.t, "Finish by a non-owner", err, idem.ErrNotOwner)
	sameRecord(e.t, "after the refused Finish", e.get("k"), before)
	e.finish("k", "o1", idem.StatusComplete, []byte("r"))
	if got := e.get("k").Status; got != idem.StatusComplete {
		e.t.Fatalf("status after the owner's Finish = %s", got)
	}
}

func oldOwnerAfterTakeover(e *env) {
	e.mustAcquire("k", "h1", "o1")
	e.clock.Advance(lockFor)
	if r := e.begin("k", "h1", "o2"); !r.TookOver {
		e.t.Fatalf("takeover Begin = %s", describe(r))
	}
	taken := e.get("k")
	wantErr(e.t, "Finish by the old owner", e.s.Finish(e.ctx, "k", "o1", idem.StatusComplete, []byte("late"), ttl), idem.ErrNotOwner)
	wantErr(e.t, "Release by the old owner", e.s.Release(e.ctx, "k", "o1"), idem.ErrNotOwner)
	sameRecord(e.t, "after the old owner's attempts", e.get("k"), taken)
	e.finish("k", "o2", idem.StatusComplete, []byte("new"))
	if rec := e.get("k"); rec.Owner != "o2" || string(rec.Result) != "new" {
		e.t.Fatalf("after the new owner's Finish: owner %q result %q", rec.Owner, rec.Result)
	}
}

func finishWithoutLock(e *env) {
	wantErr(e.t, "Finish on a missing key", e.s.Finish(e.ctx, "missing", "o1", idem.StatusComplete, nil, ttl), idem.ErrNotOwner)
	e.wantNotFound("missing")
	e.mustAcquire("k", "h1", "o1")
	e.finish("k", "o1", idem.StatusComplete, []byte("first"))
	wantErr(e.t, "second Finish", e.s.Finish(e.ctx, "k", "o1", idem.StatusUnknown, []byte("second"), ttl), idem.ErrNotOwner)
	if rec := e.get("k"); rec.Status != idem.StatusComplete || string(rec.Result) != "first" {
		e.t.Fatalf("after a second Finish: %s %q; want the first result kept", rec.Status, rec.Result)
	}
}

func releaseByOwnerRemoves(e *env) {
	e.mustAcquire("k", "h1", "o1")
	if err := e.s.Release(e.ctx, "k", "o1"); err != nil {
		e.t.Fatalf("Release by owner: %v", err)
	}
	e.wantNotFound("k")
	e.mustAcquire("k", "h1", "o2") // the retry runs at once, as a fresh acquisition
}

func releaseByNonOwnerKeeps(e *env) {
	e.mustAcquire("k", "h1", "o1")
	before := e.get("k")
	wantErr(e.t, "Release by a non-owner", e.s.Release(e.ctx, "k", "o2"), idem.ErrNotOwner)
	sameRecord(e.t, "after the refused Release", e.get("k"), before)
	wantErr(e.t, "Release of a missing key", e.s.Release(e.ctx, "missing", "o1"), idem.ErrNotOwner)

	e.finish("k", "o1", idem.StatusComplete, []byte("r"))
	done := e.get("k")
	wantErr(e.t, "Release of a COMPLETE record", e.s.Release(e.ctx, "k", "o1"), idem.ErrNotOwner)
	sameRecord(e.t, "COMPLETE record after Release", e.get("k"), done)
}

func unknownPersists(e *env) {
	e.mustAcquire("k", "h1", "o1")
	result := []byte(`{"error":"timeout after send"}`)
	e.finish("k", "o1", idem.StatusUnknown, result)
	e.clock.Advance(ttl / 2)
	ex := e.mustExist("k", "h1", "o2")
	if ex.Status != idem.StatusUnknown || !bytes.Equal(ex.Result, result) || ex.PayloadHash != "h1" {
		e.t.Fatalf("existing = %s %q %q; want UNKNOWN with its result", ex.Status, ex.PayloadHash, ex.Result)
	}
	if got := e.get("k").Status; got != idem.StatusUnknown {
		e.t.Fatalf("Get status = %s; want UNKNOWN", got)
	}
}

func expiryAfterTTL(e *env) {
	e.mustAcquire("k", "h1", "o1")
	e.finish("k", "o1", idem.StatusComplete, []byte("r"))
	e.clock.Advance(ttl - time.Millisecond)
	e.get("k")
	if recs := e.list("", 10); len(recs) != 1 {
		e.t.Fatalf("List before expiry = %d records; want 1", len(recs))
	}
	e.clock.Advance(time.Millisecond) // now == ExpiresAt: the record is gone
	e.wantNotFound("k")
	if recs := e.list("", 10); len(recs) != 0 {
		e.t.Fatalf("List after expiry = %v; want none", keysOf(recs))
	}
	wantErr(e.t, "Delete of an expired record", e.s.Delete(e.ctx, "k"), idem.ErrNotFound)
	e.mustAcquire("k", "h2", "o2") // an expired final record is forgotten, not taken over
}

func inProgressExpiry(e *env) {
	now := e.clock.Now()
	// A lock that outlives the record: the record's expiry wins.
	if _, err := e.s.Begin(e.ctx, "k", "h1", "o1", now.Add(ttl), time.Minute); err != nil {
		e.t.Fatalf("Begin: %v", err)
	}
	e.clock.Advance(time.Minute)
	e.wantNotFound("k")
	wantErr(e.t, "Finish on an expired record", e.s.Finish(e.ctx, "k", "o1", idem.StatusComplete, nil, ttl), idem.ErrNotOwner)
	e.mustAcquire("k", "h1", "o2")
}

func deleteRecord(e *env) {
	wantErr(e.t, "Delete of a missing key", e.s.Delete(e.ctx, "k"), idem.ErrNotFound)
	e.mustAcquire("k", "h1", "o1")
	e.finish("k", "o1", idem.StatusUnknown, []byte("r"))
	e.mustAcquire("other", "h1", "o1")
	if err := e.s.Delete(e.ctx, "k"); err != nil {
		e.t.Fatalf("Delete: %v", err)
	}
	e.wantNotFound("k")
	wantErr(e.t, "second Delete", e.s.Delete(e.ctx, "k"), idem.ErrNotFound)
	e.get("other")
	e.mustAcquire("k", "h1", "o2") // an operator-cleared key runs again
}

func (e *env) list(prefix string, limit int) []idem.Record {
	e.t.Helper()
	recs, err := e.s.List(e.ctx, prefix, limit)
	if err != nil {
		e.t.Fatalf("List(%q, %d): %v", prefix, limit, err)
	}
	return recs
}

func keysOf(recs []idem.Record) []string {
	keys := make([]string, len(recs))
	for i, r := range recs {
		keys[i] = r.Key
	}
	return keys
}

func listWithPrefix(e *env) {
	keys := []string{"job/a/1", "job/a/2", "job/b/1", "job/a*x", "job/a?", "job/[a]", `job/\a`, "other/1"}
	for _, k := range keys {
		e.mustAcquire(k, "h-"+k, "o1")
	}
	e.finish("job/a/2", "o1", idem.StatusComplete, []byte("r2"))
	tests := []struct {
		prefix string
		want   []string
	}{
		{"job/a/", []string{"job/a/1", "job/a/2"}},
		{"job/", []string{"job/[a]", "job/\\a", "job/a*x", "job/a/1", "job/a/2", "job/a?", "job/b/1"}},
		{"job/a*", []string{"job/a*x"}},
		{"job/a?", []string{"job/a?"}},
		{"job/[a", []string{"job/[a]"}},
		{`job/\`, []string{`job/\a`}},
		{"", []string{"job/[a]", "job/\\a", "job/a*x", "job/a/1", "job/a/2", "job/a?", "job/b/1", "other/1"}},
		{"none/", nil},
	}
	for _, tt := range tests {
		recs := e.list(tt.prefix, 100)
		got := keysOf(recs)
		if fmt.Sprint(got) != fmt.Sprint(tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
			e.t.Errorf("List(%q) keys = %q; want %q (sorted)", tt.prefix, got, tt.want)
		}
		for _, r := range recs {
			if r.PayloadHash != "h-"+r.Key {
				e.t.Errorf("List(%q): record %q has hash %q", tt.prefix, r.Key, r.PayloadHash)
			}
			wantStatus := idem.StatusInProgress
			if r.Key == "job/a/2" {
				wantStatus = idem.StatusComplete
			}
			if r.Status != wantStatus {
				e.t.Errorf("List(%q): record %q status %s; want %s", tt.prefix, r.Key, r.Status, wantStatus)
			}
		}
	}
	limited := e.list("job/", 3)
	if len(limited) != 3 || !sort.SliceIsSorted(limited, func(i, j int) bool { return limited[i].Key < limited[j].Key }) {
		e.t.Fatalf("List(job/, 3) = %q; want 3 sorted records", keysOf(limited))
	}
	for _, r := range limited {
		if r.Key[:4] != "job/" {
			e.t.Fatalf("List(job/, 3) returned %q", r.Key)
		}
	}
}

func binaryResult(e *env) {
	result := make([]byte, 256)
	for i := range result {
		result[i] = byte(i)
	}
	e.mustAcquire("k", "h1", "o1")
	e.finish("k", "o1", idem.StatusComplete, result)
	if got := e.get("k").Result; !bytes.Equal(got, result) {
		e.t.Fatalf("Result round trip = %x; want %x", got, result)
	}
	e.mustAcquire("empty", "h1", "o1")
	e.finish("empty", "o1", idem.StatusComplete, nil)
	if got := e.get("empty").Result; len(got) != 0 {
		e.t.Fatalf("empty Result round trip = %q", got)
	}
}

// race makes racers goroutines call Begin on key at once and returns their results.
func (e *env) race(key string) []idem.BeginResult {
	e.t.Helper()
	results := make([]idem.BeginResult, racers)
	errs := make([]error, racers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], errs[i] = e.s.Begin(e.ctx, key, "h", fmt.Sprintf("racer-%d", i), e.clock.Now().Add(lockFor), ttl)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			e.t.Fatalf("racer %d: %v", i, err)
		}
	}
	return results
}

// winner checks that exactly one racer acquired the lock, that the others were shown the
// winner's record, and returns the winner's owner.
func (e *env) winner(results []idem.BeginResult) (owner string, tookOver bool) {
	e.t.Helper()
	acquired := 0
	for i, r := range results {
		if r.Acquired {
			acquired++
			owner, tookOver = fmt.Sprintf("racer-%d", i), r.TookOver
		}
	}
	if acquired != 1 {
		e.t.Fatalf("%d of %d racing Begins acquired the lock; want exactly 1", acquired, racers)
	}
	for i, r := range results {
		if !r.Acquired && (r.Existing == nil || r.Existing.Owner != owner || r.Existing.Status != idem.StatusInProgress) {
			e.t.Fatalf("racer %d = %s; want the winner %s's IN_PROGRESS record", i, describe(r), owner)
		}
	}
	return owner, tookOver
}

func racingBegin(e *env) {
	owner, tookOver := e.winner(e.race("k"))
	if tookOver {
		e.t.Fatalf("the winner on an empty key reports TookOver")
	}
	if got := e.get("k").Owner; got != owner {
		e.t.Fatalf("stored owner = %q; want the winner %q", got, owner)
	}
}

func racingTakeover(e *env) {
	e.mustAcquire("k", "h", "dead")
	e.clock.Advance(lockFor)
	owner, tookOver := e.winner(e.race("k"))
	if !tookOver {
		e.t.Fatalf("the winner over an expired lock does not report TookOver")
	}
	if got := e.get("k").Owner; got != owner {
		e.t.Fatalf("stored owner = %q; want the winner %q", got, owner)
	}
}

// retriedCallsAreHarmless checks that a Begin or Finish resent by its owner (a client retry
// after a lost reply) reports success again without changing the record, while anything that
// differs is still refused.
func retriedCallsAreHarmless(e *env) {
	e.mustAcquire("k", "h1", "o1")
	before := e.get("k")
	e.clock.Advance(time.Second)
	if r := e.begin("k", "h1", "o1"); !r.Acquired || r.TookOver || r.Existing != nil {
		e.t.Fatalf("repeated Begin by the owner = %s; want Acquired", describe(r))
	}
	sameRecord(e.t, "after the repeated Begin", e.get("k"), before)
	if ex := e.mustExist("k", "h2", "o1"); ex.PayloadHash != "h1" {
		e.t.Fatalf("Begin by the owner with another hash saw hash %q", ex.PayloadHash)
	}

	e.finish("k", "o1", idem.StatusComplete, []byte("r"))
	done := e.get("k")
	e.clock.Advance(time.Second)
	e.finish("k", "o1", idem.StatusComplete, []byte("r"))
	sameRecord(e.t, "after the repeated Finish", e.get("k"), done)
	wantErr(e.t, "Finish by the owner with another result", e.s.Finish(e.ctx, "k", "o1", idem.StatusComplete, []byte("other"), ttl), idem.ErrNotOwner)
	wantErr(e.t, "Finish by another owner with the same result", e.s.Finish(e.ctx, "k", "o2", idem.StatusComplete, []byte("r"), ttl), idem.ErrNotOwner)
	sameRecord(e.t, "after the refused Finishes", e.get("k"), done)
}

func invalidArguments(e *env) {
	now := e.clock.Now()
	e.mustAcquire("k", "h1", "o1")
	checks := []struct {
		name string
		err  error
	}{
		{"Begin with an empty key", func() error {
			_, err := e.s.Begin(e.ctx, "", "h", "o", now.Add(lockFor), ttl)
			return err
		}()},
		{"Begin with an empty owner", func() error {
			_, err := e.s.Begin(e.ctx, "x", "h", "", now.Add(lockFor), ttl)
			return err
		}()},
		{"Begin with a zero ttl", func() error {
			_, err := e.s.Begin(e.ctx, "x", "h", "o", now.Add(lockFor), 0)
			return err
		}()},
		{"Finish with IN_PROGRESS", e.s.Finish(e.ctx, "k", "o1", idem.StatusInProgress, nil, ttl)},
		{"Finish with an unknown status", e.s.Finish(e.ctx, "k", "o1", idem.Status("DONE"), nil, ttl)},
		{"Finish with a zero ttl", e.s.Finish(e.ctx, "k", "o1", idem.StatusComplete, nil, 0)},
		{"Finish with an empty owner", e.s.Finish(e.ctx, "k", "", idem.StatusComplete, nil, ttl)},
		{"Release with an empty owner", e.s.Release(e.ctx, "k", "")},
	}
	for _, c := range checks {
		if c.err == nil || errors.Is(c.err, idem.ErrNotOwner) || errors.Is(c.err, idem.ErrNotFound) {
			e.t.Errorf("%s: err = %v; want an argument error", c.name, c.err)
		}
	}
	e.wantNotFound("x")
	if rec := e.get("k"); rec.Status != idem.StatusInProgress || rec.Owner != "o1" {
		e.t.Fatalf("record changed by invalid calls: %s owner %q", rec.Status, rec.Owner)
	}
}

func canceledContext(e *env) {
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	_, err := e.s.Begin(ctx, "k", "h1", "o1", e.clock.Now().Add(lockFor), ttl)
	wantErr(e.t, "Begin with a canceled context", err, context.Canceled)
	e.wantNotFound("k")
}

func closeStore(e *env) {
	e.mustAcquire("k", "h1", "o1")
	if err := e.s.Close(); err != nil {
		e.t.Fatalf("Close: %v", err)
	}
	if _, err := e.s.Begin(e.ctx, "k2", "h1", "o1", e.clock.Now().Add(lockFor), ttl); err == nil {
		e.t.Fatalf("Begin after Close succeeded; want an error")
	}
	if _, err := e.s.Get(e.ctx, "k"); err == nil || errors.Is(err, idem.ErrNotFound) {
		e.t.Fatalf("Get after Close = %v; want a store error", err)
	}
}
