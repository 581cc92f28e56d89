package objects_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/essflow/essflow/shared/objects"
	"github.com/essflow/essflow/shared/objects/objectstest"
)

// ExampleRunner_ProcessObject processes an NDJSON object uploaded to a bucket: one line is not
// JSON and one asks to be retried, so the results object is written and the error tells the
// platform to redeliver the event.
func ExampleRunner_ProcessObject() {
	srv, err := objectstest.New("requests-1250000000") // an in-process S3-compatible server
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	input := `{"FlowInfos":[{"FlowName":"lease 1","TemplateId":"tpl"}]}

not json
{"FlowInfos":[{"FlowName":"lease 2","TemplateId":"tpl"}],"note":"retry"}
`
	if err := srv.Put("requests-1250000000", "batches/day1.ndjson", strings.NewReader(input), int64(len(input))); err != nil {
		panic(err)
	}

	runner := &objects.Runner{
		Stores:    map[string]objects.Store{"s3": srv.S3Store()},
		Processor: objectstest.Classify(), // in production: the shared/flows processor
		Logger:    quiet,
	}
	rep, err := runner.ProcessObject(context.Background(), objects.Ref{
		Store: "s3", Bucket: "requests-1250000000", Key: "batches/day1.ndjson",
	})
	fmt.Println("retry the event:", errors.Is(err, objects.ErrRetryable))
	fmt.Printf("requests=%d created=%d rejected=%d retryable=%d\n", rep.Requests, rep.Created, rep.Rejected, rep.Retryable)
	fmt.Println("results:", rep.ResultsKey)
	results, err := srv.Get("requests-1250000000", rep.ResultsKey)
	if err != nil {
		panic(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(results)), "\n") {
		fmt.Println(l[:strings.Index(l, `,"result"`)] + ",…}")
	}
	// Output:
	// retry the event: true
	// requests=3 created=1 rejected=1 retryable=1
	// results: results/batches/day1.ndjson.ndjson
	// {"n":1,"recordId":"s3://requests-1250000000/batches/day1.ndjson#1","status":"created","retryable":false,…}
	// {"n":3,"recordId":"s3://requests-1250000000/batches/day1.ndjson#3","status":"rejected","retryable":false,…}
	// {"n":4,"recordId":"s3://requests-1250000000/batches/day1.ndjson#4","status":"retryable","retryable":true,…}
}
