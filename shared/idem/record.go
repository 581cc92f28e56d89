// Package idem defines the records kept by idempotency stores (see the memory and redis
// subpackages) so that no request creates contracts twice.
//
// A request's record goes through these states:
//
//	(none) --Begin--> IN_PROGRESS --Finish(COMPLETE)--> COMPLETE (result replayed on duplicates)
//	                       |      --Finish(UNKNOWN)---> UNKNOWN  (never re-sent automatically)
//	                       +--Release (retryable failure)--> (none)
//	IN_PROGRESS whose lock expired (the invocation died) may be taken over by the next Begin.
package idem

import (
	"errors"
	"time"
)

// Status is the state of an idempotency record.
type Status string

// Record states.
const (
	StatusInProgress Status = "IN_PROGRESS"
	StatusComplete   Status = "COMPLETE"
	StatusUnknown    Status = "UNKNOWN"
)

// Record is what a store keeps under one key.
type Record struct {
	Key         string `json:"key"`
	Status      Status `json:"status"`
	PayloadHash string `json:"payloadHash"`
	// Owner is the random token of the invocation that holds the IN_PROGRESS lock; Finish and
	// Release only act for the owner.
	Owner string `json:"owner,omitempty"`
	// LockUntil is when an IN_PROGRESS lock expires (the invocation deadline).
	LockUntil time.Time `json:"lockUntil"`
	// ExpiresAt is when the record is forgotten.
	ExpiresAt time.Time `json:"expiresAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	// Result is the stored outcome (opaque to the store), replayed to duplicates.
	Result []byte `json:"result,omitempty"`
}

// Begin outcomes.
var (
	// ErrNotOwner is returned by Finish and Release when the lock is no longer held by the owner
	// (it expired and another invocation took it over, or the record was cleared).
	ErrNotOwner = errors.New("idempotency lock not held by this owner")
	// ErrNotFound is returned by Get and Delete when no record exists.
	ErrNotFound = errors.New("idempotency record not found")
)

// BeginResult says whether Begin took the lock. When Acquired is false, Existing is the record
// that stands under the key (IN_PROGRESS with a live lock, COMPLETE or UNKNOWN); the caller must
// compare its PayloadHash before replaying it.
type BeginResult struct {
	Acquired bool
	// TookOver is true when the lock was acquired from an IN_PROGRESS record whose lock expired.
	TookOver bool
	Existing *Record
}

// Live reports whether r's IN_PROGRESS lock is still held at now.
func (r *Record) Live(now time.Time) bool {
	return r.Status == StatusInProgress && now.Before(r.LockUntil)
}
