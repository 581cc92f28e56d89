package amqp_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/essflow/essflow/shared/result"
	"github.com/essflow/essflow/shared/sink/amqp"
)

// Open takes one ESSFLOW_RESULT_SINKS entry; the password may come from ESSFLOW_AMQP_PASSWORD.
// (Not run by go test: it needs a broker.)
func ExampleOpen() {
	u, _ := url.Parse("amqp://essflow@rabbitmq.internal:5672/prod?exchange=essflow.results&routing_key=flows")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := amqp.Open(ctx, u, os.Getenv)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	fmt.Println(s.Name()) // amqp://rabbitmq.internal:5672/prod?exchange=essflow.results&routing_key=flows
	msg := &result.Message{SpecVersion: result.SpecVersion, ID: "msg_1", Type: result.TypeCreated}
	if err := s.Deliver(ctx, msg); err != nil {
		fmt.Println(err) // ErrUnroutable when no queue is bound
	}
}
