package summary_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/essflow/essflow/shared/flows"
	"github.com/essflow/essflow/shared/trigger/summary"
)

func ExampleSummary() {
	jobs := []flows.Job{{RecordID: "flows:1:36"}, {RecordID: "flows:1:37"}}
	outs := []flows.Outcome{
		{RecordID: "flows:1:36", Status: flows.StatusCreated},
		{RecordID: "flows:1:37", Status: flows.StatusRetryable, Retryable: true},
	}
	s := summary.New("ckafka")
	if err := s.AddOutcomes(context.Background(), nil, jobs, outs); err != nil {
		panic(err)
	}
	raw, _ := json.Marshal(s)
	fmt.Println(string(raw))
	fmt.Println(s.Err())
	// Output:
	// {"trigger":"ckafka","records":[{"recordId":"flows:1:36","status":"created","retryable":false},{"recordId":"flows:1:37","status":"retryable","retryable":true}],"retryable":1}
	// ckafka: 1 of 2 record(s) retryable: records left to retry
}
