package lambda_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/essflow/essflow/shared/flows"
	"github.com/essflow/essflow/shared/trigger/lambda"
)

func ExampleDecode() {
	raw := []byte(`{"Records":[{"messageId":"m-1","body":"{}","eventSource":"aws:sqs",
		"eventSourceARN":"arn:aws:sqs:ap-east-1:123456789012:flows.fifo"}]}`)
	ev, err := lambda.Decode(raw)
	if err != nil {
		panic(err)
	}
	fmt.Println(ev.Kind, ev.Ordered, ev.Jobs[0].RecordID, ev.Jobs[0].DerivedKey)
	// Output: sqs true m-1 sqs:m-1
}

// processor stands in for flows.Processor: the message "m-2" meets a transient failure.
type processor struct{}

func (processor) ProcessBatch(_ context.Context, jobs []flows.Job, _ flows.BatchOptions) []flows.Outcome {
	outs := make([]flows.Outcome, len(jobs))
	for i, j := range jobs {
		outs[i] = flows.Outcome{RecordID: j.RecordID, Status: flows.StatusCreated, HTTPStatus: 200}
		if j.RecordID == "m-2" {
			outs[i] = flows.Outcome{RecordID: j.RecordID, Status: flows.StatusRetryable, Retryable: true, HTTPStatus: 503}
		}
	}
	return outs
}

// The Lambda binary starts Invoke with aws-lambda-go: lambda.Start(h.Invoke), built with
// -tags lambda.norpc. An SQS batch answers the messages to deliver again.
func ExampleHandler_Invoke() {
	h := &lambda.Handler{Processor: processor{}}
	event := json.RawMessage(`{"Records":[
		{"messageId":"m-1","body":"{}","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:ap-east-1:123456789012:flows"},
		{"messageId":"m-2","body":"{}","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:ap-east-1:123456789012:flows"}]}`)
	got, err := h.Invoke(context.Background(), event)
	out, _ := json.Marshal(got)
	fmt.Println(string(out), err)
	// Output: {"batchItemFailures":[{"itemIdentifier":"m-2"}]} <nil>
}
