package kafka_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/essflow/essflow/shared/result"
	"github.com/essflow/essflow/shared/sink/kafka"
)

// Open takes one ESSFLOW_RESULT_SINKS entry; credentials come from the environment.
func ExampleOpen() {
	cluster, err := kfake.NewCluster(kfake.SeedTopics(1, "essflow-results"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cluster.Close()

	u, _ := url.Parse("kafka://" + strings.Join(cluster.ListenAddrs(), ",") + "/essflow-results")
	s, err := kafka.Open(context.Background(), u, func(string) string { return "" })
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msg := &result.Message{SpecVersion: result.SpecVersion, ID: "msg_1", Type: result.TypeCreated,
		Correlation: result.Correlation{IdempotencyKey: "order-42"}}
	fmt.Println("delivered:", s.Deliver(ctx, msg) == nil)
	// Output: delivered: true
}
