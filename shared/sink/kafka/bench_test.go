package kafka_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/essflow/essflow/shared/sink"
	"github.com/essflow/essflow/shared/sink/kafka"
)

const (
	benchMessages = 1000
	benchWorkers  = 20 // as many deliveries in flight as the processor runs at once
)

// BenchmarkEncode1000 is the baseline: encoding the same 1,000 messages without sending them.
func BenchmarkEncode1000(b *testing.B) {
	start := time.Now()
	for b.Loop() {
		for i := range benchMessages {
			if _, err := sink.Encode(message(i, fmt.Sprintf("req-%d", i%50))); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(benchMessages*b.N)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkDeliver1000Kafka delivers 1,000 messages to an in-process Kafka (kfake) from 20
// goroutines, each Deliver waiting for its acknowledgement.
func BenchmarkDeliver1000Kafka(b *testing.B) {
	c := cluster(b)
	s, err := kafka.New(kafka.Options{Brokers: c.ListenAddrs(), Topic: topic})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	for b.Loop() {
		if err := deliverConcurrently(s, benchMessages, benchWorkers); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchMessages*b.N)/time.Since(start).Seconds(), "msgs/s")
}
