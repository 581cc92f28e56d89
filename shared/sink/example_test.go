package sink_test

import (
	"context"
	"fmt"
	"net/url"

	"github.com/essflow/essflow/shared/result"
	"github.com/essflow/essflow/shared/sink"
)

// printSink writes each message to standard output.
type printSink struct{ name string }

func (p printSink) Deliver(_ context.Context, m *result.Message) error {
	b, err := sink.Encode(m)
	if err != nil {
		return err
	}
	fmt.Printf("%s <- %s\n", p.name, b)
	return nil
}
func (p printSink) Name() string { return p.name }
func (p printSink) Close() error { return nil }

// A binary registers the sink packages it links (webhook.Open, amqp.Open, kafka.Open …) and
// opens the ESSFLOW_RESULT_SINKS list once at start-up.
func ExampleRegistry_Open() {
	reg := sink.Registry{
		"print": func(_ context.Context, u *url.URL, _ func(string) string) (sink.Sink, error) {
			return printSink{name: u.Host}, nil
		},
	}
	fanout, err := reg.Open(context.Background(), "print://audit", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer fanout.Close()
	msg := &result.Message{SpecVersion: result.SpecVersion, ID: "msg_1", Type: result.TypeRejected}
	if err := fanout.Deliver(context.Background(), msg); err != nil {
		fmt.Println(err)
	}
	// Output:
	// audit <- {"specversion":"essflow.result.v1","id":"msg_1","type":"flows.rejected","time":"0001-01-01T00:00:00Z","source":{"trigger":""},"correlation":{}}
}

func ExampleSplitList() {
	fmt.Printf("%q\n", sink.SplitList("kafka://b1:9092,b2:9092/results,https://hooks.example.com/essflow"))
	// Output: ["kafka://b1:9092,b2:9092/results" "https://hooks.example.com/essflow"]
}
