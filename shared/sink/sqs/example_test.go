package sqs_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"

	"github.com/Admiral-Piett/goaws/app/router"
	"github.com/aws/aws-sdk-go-v2/aws"

	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/essflow/essflow/shared/result"
	"github.com/essflow/essflow/shared/sink"
	"github.com/essflow/essflow/shared/sink/sqs"
)

// The two URL forms: a queue of AWS, and a queue of a local emulator.
func ExampleParseURL() {
	for _, raw := range []string{
		"sqs://sqs.eu-west-1.amazonaws.com/123456789012/essflow-results.fifo",
		"sqs://localhost:4100/100010001000/results?endpoint=http://localhost:4100&region=us-east-1&protocol=query",
	} {
		u, _ := url.Parse(raw)
		t, err := sqs.ParseURL(u)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(t.QueueURL, t.Region, t.Protocol, t.FIFO)
	}
	// Output:
	// https://sqs.eu-west-1.amazonaws.com/123456789012/essflow-results.fifo eu-west-1 json true
	// http://localhost:4100/100010001000/results us-east-1 query false
}

// Open a sink from its URL (here against the goaws emulator) and deliver a batch of results;
// a binary registers sqs.Open in its sink.Registry instead.
func ExampleOpen() {
	srv := httptest.NewServer(router.New())
	defer srv.Close()
	e := &emulator{URL: srv.URL}
	if _, err := e.client().CreateQueue(context.Background(), &awssqs.CreateQueueInput{QueueName: aws.String("example-results")}); err != nil {
		fmt.Println(err)
		return
	}

	u, _ := url.Parse("sqs://" + srv.Listener.Addr().String() + "/100010001000/example-results?endpoint=" + srv.URL + "&region=us-east-1&protocol=query")
	env := map[string]string{"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "example-secret"}
	s, err := sqs.Open(context.Background(), u, func(k string) string { return env[k] })
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	batch := []*result.Message{
		{SpecVersion: result.SpecVersion, ID: "msg_1", Type: result.TypeCreated},
		{SpecVersion: result.SpecVersion, ID: "msg_2", Type: result.TypeFailed},
	}
	if err := s.(sink.BatchSink).DeliverBatch(context.Background(), batch); err != nil {
		fmt.Println(err)
		return
	}
	got, err := e.receive("example-results")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(got), "messages in the queue")
	// Output:
	// 2 messages in the queue
}
