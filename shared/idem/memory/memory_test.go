package memory_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/essflow/essflow/shared/idem/idemtest"
	"github.com/essflow/essflow/shared/idem/memory"
)

// The processor's Store interface (mirrored by idemtest.Store) must be satisfied exactly.
var _ idemtest.Store = (*memory.Store)(nil)

func TestConformance(t *testing.T) {
	idemtest.Run(t, func(t *testing.T, now func() time.Time) idemtest.Store {
		s := memory.New(memory.Options{Now: now})
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestLazySweep checks that expired records leave the map without any timer: the first write
// after the sweep interval removes every expired record, and nothing earlier does.
func TestLazySweep(t *testing.T) {
	clock := idemtest.NewClock(time.Now())
	s := memory.New(memory.Options{Now: clock.Now})
	defer s.Close()
	ctx := context.Background()
	tests := []struct {
		name    string
		advance time.Duration
		key     string
		wantLen int
	}{
		{"first write sweeps an empty map", 0, "short-0", 1},
		{"records accumulate", 0, "short-1", 2},
		{"expired but not yet swept", 20 * time.Second, "long", 3},
		{"sweep interval passed", 50 * time.Second, "after", 2},
	}
	for _, tt := range tests {
		clock.Advance(tt.advance)
		ttl := 10 * time.Second
		if tt.key == "long" {
			ttl = time.Hour
		}
		if _, err := s.Begin(ctx, tt.key, "h", "o", clock.Now().Add(time.Second), ttl); err != nil {
			t.Fatalf("%s: Begin: %v", tt.name, err)
		}
		if got := s.Len(); got != tt.wantLen {
			t.Fatalf("%s: Len = %d; want %d", tt.name, got, tt.wantLen)
		}
	}
}

// BenchmarkBeginFinish measures one fresh request's round (Begin then Finish) on distinct keys.
func BenchmarkBeginFinish(b *testing.B) {
	s := memory.New(memory.Options{})
	defer s.Close()
	ctx := context.Background()
	result := []byte(`{"FlowIds":["f1"]}`)
	for i := 0; b.Loop(); i++ {
		key := fmt.Sprintf("k%d", i)
		if _, err := s.Begin(ctx, key, "h", "o", time.Now().Add(time.Minute), time.Hour); err != nil {
			b.Fatal(err)
		}
		if err := s.Finish(ctx, key, "o", "COMPLETE", result, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}
