package redis

import (
	"strconv"
	"testing"
	"time"

	"github.com/essflow/essflow/shared/idem"
)

func TestDecodeRecord(t *testing.T) {
	full := map[string]string{
		fieldStatus: "COMPLETE", fieldHash: "h", fieldOwner: "o", fieldLockUntil: "1000",
		fieldExpiresAt: "3000", fieldUpdatedAt: "2000", fieldResult: "r",
	}
	without := func(field string) map[string]string {
		m := make(map[string]string, len(full))
		for k, v := range full {
			if k != field {
				m[k] = v
			}
		}
		return m
	}
	with := func(field, value string) map[string]string {
		m := without(field)
		m[field] = value
		return m
	}
	tests := []struct {
		name    string
		fields  map[string]string
		want    *idem.Record
		wantErr bool
	}{
		{"complete", full, &idem.Record{Key: "k", Status: idem.StatusComplete, PayloadHash: "h", Owner: "o",
			LockUntil: time.UnixMilli(1000), ExpiresAt: time.UnixMilli(3000), UpdatedAt: time.UnixMilli(2000), Result: []byte("r")}, false},
		{"no result", without(fieldResult), &idem.Record{Key: "k", Status: idem.StatusComplete, PayloadHash: "h", Owner: "o",
			LockUntil: time.UnixMilli(1000), ExpiresAt: time.UnixMilli(3000), UpdatedAt: time.UnixMilli(2000)}, false},
		{"no status", without(fieldStatus), nil, true},
		{"bad status", with(fieldStatus, "DONE"), nil, true},
		{"no lock_until", without(fieldLockUntil), nil, true},
		{"no expires_at", without(fieldExpiresAt), nil, true},
		{"float updated_at", with(fieldUpdatedAt, "1.5"), nil, true},
		{"empty", map[string]string{}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeRecord("k", tt.fields)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("decodeRecord = %+v; want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Key != tt.want.Key || got.Status != tt.want.Status || got.PayloadHash != tt.want.PayloadHash ||
				got.Owner != tt.want.Owner || !got.LockUntil.Equal(tt.want.LockUntil) || !got.ExpiresAt.Equal(tt.want.ExpiresAt) ||
				!got.UpdatedAt.Equal(tt.want.UpdatedAt) || string(got.Result) != string(tt.want.Result) {
				t.Fatalf("decodeRecord = %+v; want %+v", got, tt.want)
			}
		})
	}
}

// FuzzDecodeRecord checks that decodeRecord never panics and accepts exactly the hashes
// with a known status and three integer times, carrying every field over unchanged.
func FuzzDecodeRecord(f *testing.F) {
	f.Add("IN_PROGRESS", "sha256:x", "inv-1", "1700000000000", "1700003600000", "1700000000000", "")
	f.Add("COMPLETE", "", "", "0", "-1", "9223372036854775807", "\x00\xff")
	f.Add("UNKNOWN", "h", "o", "1e3", "", "x", "r")
	f.Add("done", "h", "o", "1", "2", "3", "r")
	f.Fuzz(func(t *testing.T, status, hash, owner, lock, exp, upd, result string) {
		rec, err := decodeRecord("k", map[string]string{
			fieldStatus: status, fieldHash: hash, fieldOwner: owner, fieldLockUntil: lock,
			fieldExpiresAt: exp, fieldUpdatedAt: upd, fieldResult: result,
		})
		valid := status == "IN_PROGRESS" || status == "COMPLETE" || status == "UNKNOWN"
		for _, v := range []string{lock, exp, upd} {
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				valid = false
			}
		}
		if valid != (err == nil) {
			t.Fatalf("valid = %v but err = %v", valid, err)
		}
		if err != nil {
			return
		}
		if string(rec.Status) != status || rec.PayloadHash != hash || rec.Owner != owner || string(rec.Result) != result ||
			millis(rec.LockUntil) != canon(lock) || millis(rec.ExpiresAt) != canon(exp) || millis(rec.UpdatedAt) != canon(upd) {
			t.Fatalf("decodeRecord changed a field: %+v", rec)
		}
	})
}

// canon returns the canonical decimal form of an integer string.
func canon(s string) string {
	n, _ := strconv.ParseInt(s, 10, 64)
	return strconv.FormatInt(n, 10)
}
