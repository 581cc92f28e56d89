//go:build essflow_nokafka

package lambda

import "github.com/essflow/essflow/shared/sink"

// addKafka leaves the Kafka sink out: this binary was built with -tags essflow_nokafka, and a
// kafka:// sink URL is refused at start as an unknown scheme.
func addKafka(sink.Registry) {}
