package amqp_test

import (
	"testing"
	"time"

	"github.com/essflow/essflow/shared/sink"
	"github.com/essflow/essflow/shared/testenv"
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
			if _, err := sink.Encode(message(i)); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(benchMessages*b.N)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkDeliver1000AMQP delivers 1,000 messages to the real RabbitMQ from 20 goroutines,
// each Deliver waiting for its publisher confirm.
func BenchmarkDeliver1000AMQP(b *testing.B) {
	ch := broker(b)
	q := randomName("essflow-bench-")
	deleteQueue(b, ch, q)
	s := openSink(b, sinkURL(b, testenv.AMQPURL(), "routing_key="+q+"&declare=true"), nil)
	start := time.Now()
	for b.Loop() {
		if err := deliverConcurrently(s, benchMessages, benchWorkers); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchMessages*b.N)/time.Since(start).Seconds(), "msgs/s")
}
