package redis

import (
	"fmt"
	"strconv"
	"time"

	"github.com/essflow/essflow/shared/idem"
)

// decodeRecord turns the fields of a record hash into an idem.Record for key. It fails on a
// hash that this package did not write: an unknown status or a missing or non-integer time.
func decodeRecord(key string, fields map[string]string) (*idem.Record, error) {
	status := idem.Status(fields[fieldStatus])
	switch status {
	case idem.StatusInProgress, idem.StatusComplete, idem.StatusUnknown:
	default:
		return nil, fmt.Errorf("malformed record: status %q", status)
	}
	rec := &idem.Record{
		Key:         key,
		Status:      status,
		PayloadHash: fields[fieldHash],
		Owner:       fields[fieldOwner],
	}
	times := []struct {
		field string
		dst   *time.Time
	}{
		{fieldLockUntil, &rec.LockUntil},
		{fieldExpiresAt, &rec.ExpiresAt},
		{fieldUpdatedAt, &rec.UpdatedAt},
	}
	for _, tf := range times {
		v, ok := fields[tf.field]
		if !ok {
			return nil, fmt.Errorf("malformed record: no %s", tf.field)
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("malformed record: %s: %w", tf.field, err)
		}
		*tf.dst = time.UnixMilli(n)
	}
	if r := fields[fieldResult]; r != "" {
		rec.Result = []byte(r)
	}
	return rec, nil
}

// flatToMap turns an HGETALL array reply (field, value, field, value …) as returned from a
// script into a map.
func flatToMap(flat []any) (map[string]string, error) {
	if len(flat)%2 != 0 {
		return nil, fmt.Errorf("malformed record reply: %d elements", len(flat))
	}
	m := make(map[string]string, len(flat)/2)
	for i := 0; i < len(flat); i += 2 {
		k, ok1 := flat[i].(string)
		v, ok2 := flat[i+1].(string)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("malformed record reply: element %d is %T", i, flat[i])
		}
		m[k] = v
	}
	return m, nil
}

// millis formats t as unix milliseconds.
func millis(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
