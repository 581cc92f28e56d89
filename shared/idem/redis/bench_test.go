package redis_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/essflow/essflow/shared/idem"
)

// BenchmarkRequestPath measures the latency the Redis store adds to one request, against the
// local Redis, with a plain PING round trip beside it as the baseline:
//
//   - ping: one PING on the same connection pool (the floor of any Redis call);
//   - fresh: Begin then Finish on a new key (the path of a first request);
//   - duplicate: Begin on a key whose record is COMPLETE (the path of a replayed request).
//
// Each reports the p50 and p99 of its iterations in microseconds.
func BenchmarkRequestPath(b *testing.B) {
	s, _ := openStore(b, time.Now)
	admin := adminClient(b)
	ctx := context.Background()
	result := []byte(`{"FlowIds":["yDwFkUUckpstyhxaUuNb9DM0FNoNnEU1"],"ErrorMessages":[""]}`)
	const hash = "sha256:3b5d5c3712955042212316173ccf37be800e3b6b3d8b0b6b1b0d7d1d2a9f8e7c"

	b.Run("ping", func(b *testing.B) {
		measure(b, func(int) error { return admin.Ping(ctx).Err() })
	})
	runs := 0 // -count reruns the sub-benchmarks on the same store: keep their keys apart
	b.Run("fresh", func(b *testing.B) {
		runs++
		measure(b, func(i int) error {
			key := fmt.Sprintf("fresh-%d-%d", runs, i)
			r, err := s.Begin(ctx, key, hash, "inv", time.Now().Add(time.Minute), time.Minute)
			if err != nil || !r.Acquired {
				return fmt.Errorf("begin %s: %+v, %w", key, r, err)
			}
			return s.Finish(ctx, key, "inv", idem.StatusComplete, result, time.Minute)
		})
	})
	b.Run("duplicate", func(b *testing.B) {
		if _, err := s.Begin(ctx, "dup", hash, "inv", time.Now().Add(time.Minute), time.Hour); err != nil {
			b.Fatal(err)
		}
		if err := s.Finish(ctx, "dup", "inv", idem.StatusComplete, result, time.Hour); err != nil {
			b.Fatal(err)
		}
		measure(b, func(int) error {
			r, err := s.Begin(ctx, "dup", hash, "inv-2", time.Now().Add(time.Minute), time.Hour)
			if err != nil || r.Acquired || r.Existing.Status != idem.StatusComplete {
				return fmt.Errorf("duplicate begin: %+v, %w", r, err)
			}
			return nil
		})
	})
}

// measure runs op in a b.Loop, timing each call, and reports the p50 and p99 in µs.
func measure(b *testing.B, op func(i int) error) {
	b.Helper()
	durs := make([]time.Duration, 0, 1024)
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		if err := op(i); err != nil {
			b.Fatal(err)
		}
		durs = append(durs, time.Since(start))
	}
	slices.Sort(durs)
	pct := func(p float64) float64 {
		return float64(durs[int(p*float64(len(durs)-1))].Nanoseconds()) / 1e3
	}
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}
