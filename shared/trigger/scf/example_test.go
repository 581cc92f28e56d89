package scf_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/essflow/essflow/shared/flows"
	"github.com/essflow/essflow/shared/trigger/scf"
)

func ExampleDecode() {
	raw := []byte(`{"Records":[
		{"Ckafka":{"topic":"flows","partition":1,"offset":36,"msgKey":"k","msgBody":"{\"FlowInfos\":[]}"}},
		{"Ckafka":{"topic":"flows","partition":1,"offset":37,"msgKey":"k","msgBody":""}}]}`)
	ev, err := scf.Decode(raw)
	if err != nil {
		panic(err)
	}
	fmt.Println(ev.Kind, ev.Ordered)
	for _, j := range ev.Jobs {
		fmt.Println(j.RecordID, j.DerivedKey, j.DecodeErr)
	}
	// Output:
	// ckafka true
	// flows:1:36 ckafka:flows:1:36 <nil>
	// flows:1:37  Ckafka message flows:1:37 has an empty msgBody
}

// processor stands in for flows.Processor: it creates every job.
type processor struct{}

func (processor) ProcessBatch(_ context.Context, jobs []flows.Job, _ flows.BatchOptions) []flows.Outcome {
	outs := make([]flows.Outcome, len(jobs))
	for i, j := range jobs {
		outs[i] = flows.Outcome{RecordID: j.RecordID, Status: flows.StatusCreated, HTTPStatus: 200}
	}
	return outs
}

// The SCF binary registers Invoke with scf-go-lib: cloudfunction.Start(h.Invoke).
func ExampleHandler_Invoke() {
	h := &scf.Handler{Processor: processor{}}
	event := json.RawMessage(`{"Records":[{"CMQ":{"topicName":"flows","msgId":"m1","msgBody":"{}","msgTag":null}}]}`)
	got, err := h.Invoke(context.Background(), event)
	out, _ := json.Marshal(got)
	fmt.Println(string(out), err)

	event = json.RawMessage(`{"httpMethod":"GET","path":"/","headers":{"Accept-Language":"en"}}`)
	got, _ = h.Invoke(context.Background(), event)
	fmt.Println(got.(scf.HTTPResponse).StatusCode)
	// Output:
	// {"trigger":"cmq","records":[{"recordId":"m1","status":"created","retryable":false}],"retryable":0} <nil>
	// 405
}
