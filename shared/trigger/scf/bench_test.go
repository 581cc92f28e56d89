package scf

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/tencentyun/scf-go-lib/events"
)

// ckafkaBatch is a CKafka event of n messages carrying a realistic request body.
func ckafkaBatch(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"Records":[`)
	msg, _ := json.Marshal(body)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"Ckafka":{"topic":"flows","partition":3,"offset":%d,"msgKey":"None","msgBody":%s}}`, 1000+i, msg)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// BenchmarkDecodeCkafka100 decodes a 100-message CKafka batch into jobs.
func BenchmarkDecodeCkafka100(b *testing.B) {
	raw := ckafkaBatch(100)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeCkafka100Baseline decodes the same batch with scf-go-lib's own event type,
// the floor a decoder of this event can reach with encoding/json.
func BenchmarkDecodeCkafka100Baseline(b *testing.B) {
	raw := ckafkaBatch(100)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		var ev events.CkafkaEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			b.Fatal(err)
		}
	}
}
