package lambda

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// sqsBatch is an SQS event of n messages carrying a realistic request body.
func sqsBatch(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"Records":[`)
	msg, _ := json.Marshal(body)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"messageId":"059f36b4-87a3-44ab-83d2-%012d","receiptHandle":"AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a","body":%s,`+
			`"attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"1545082649183"},"messageAttributes":{},`+
			`"md5OfBody":"e4e68fb7bd0e697a0ae8f1bb342846b3","eventSource":"aws:sqs",`+
			`"eventSourceARN":"arn:aws:sqs:ap-east-1:123456789012:flows","awsRegion":"ap-east-1"}`, i, msg)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// BenchmarkDecodeSQS10 decodes a 10-message SQS batch (the default batch size) into jobs.
func BenchmarkDecodeSQS10(b *testing.B) {
	raw := sqsBatch(10)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeSQS10Baseline decodes the same batch into aws-lambda-go's events.SQSEvent,
// the floor for this event with encoding/json.
func BenchmarkDecodeSQS10Baseline(b *testing.B) {
	raw := sqsBatch(10)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		var ev events.SQSEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			b.Fatal(err)
		}
	}
}
