//go:build !essflow_nokafka

package scf

import (
	"github.com/essflow/essflow/shared/sink"
	"github.com/essflow/essflow/shared/sink/kafka"
)

// addKafka registers the Kafka sink (CKafka, MSK). Build with -tags essflow_nokafka to leave
// franz-go out of the binary (about 1.2–1.6 MB of the zip).
func addKafka(r sink.Registry) { r["kafka"] = kafka.Open }
