package lambda

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/essflow/essflow/shared/flows"
	"github.com/essflow/essflow/shared/objects"
	"github.com/essflow/essflow/shared/result"
	"github.com/essflow/essflow/shared/trigger/summary"
)

// fakeProcessor is a Processor built from a function, recording what it was given.
type fakeProcessor struct {
	ProcessBatchFn func(ctx context.Context, jobs []flows.Job, opts flows.BatchOptions) []flows.Outcome
	calls          int
	jobs           []flows.Job
	opts           flows.BatchOptions
}

func (p *fakeProcessor) ProcessBatch(ctx context.Context, jobs []flows.Job, opts flows.BatchOptions) []flows.Outcome {
	p.calls++
	p.jobs, p.opts = jobs, opts
	return p.ProcessBatchFn(ctx, jobs, opts)
}

// fakeObjects is an ObjectProcessor built from a function.
type fakeObjects struct {
	ProcessObjectFn func(ctx context.Context, ref objects.Ref) (objects.Report, error)
	refs            []objects.Ref
}

func (o *fakeObjects) ProcessObject(ctx context.Context, ref objects.Ref) (objects.Report, error) {
	o.refs = append(o.refs, ref)
	return o.ProcessObjectFn(ctx, ref)
}

// outcomes answers like the real processor would for the cases the tests need: undecodable or
// non-JSON bodies are rejected, the listed record ids are retryable, and with Ordered set when
// orderedStop is true every job after a retryable one is not processed.
func outcomes(orderedStop bool, retry ...string) func(context.Context, []flows.Job, flows.BatchOptions) []flows.Outcome {
	return func(_ context.Context, jobs []flows.Job, opts flows.BatchOptions) []flows.Outcome {
		var outs []flows.Outcome
		stopped := false
		for i, j := range jobs {
			o := flows.Outcome{RecordID: j.RecordID, Status: flows.StatusCreated, HTTPStatus: 200,
				Message: &result.Message{ID: "msg_" + strconv.Itoa(i)}}
			switch {
			case stopped:
				o = flows.Outcome{RecordID: j.RecordID, Status: flows.StatusNotProcessed, Retryable: true, HTTPStatus: 503}
			case j.DecodeErr != nil || !json.Valid(j.Body):
				o = flows.Outcome{RecordID: j.RecordID, Status: flows.StatusRejected, HTTPStatus: 400,
					Message: &result.Message{ID: "msg_" + strconv.Itoa(i), Error: &result.Error{Code: "essflow.InvalidRequest", Message: "not JSON"}}}
			case slices.Contains(retry, j.RecordID):
				o = flows.Outcome{RecordID: j.RecordID, Status: flows.StatusRetryable, Retryable: true, HTTPStatus: 429,
					RetryAfter: 2 * time.Second, Err: errors.New("ess: RequestLimitExceeded")}
				stopped = opts.Ordered && orderedStop
			}
			outs = append(outs, o)
		}
		return outs
	}
}

func TestInvokeHTTP(t *testing.T) {
	lc := &lambdacontext.LambdaContext{AwsRequestID: "aws-req-9"}
	tests := []struct {
		name     string
		raw      func(testing.TB) []byte
		proc     *fakeProcessor
		wantType string
		status   int
		bodyHas  string
		recordID string
		idemKey  string
	}{
		{name: "REST sample", raw: aws("apigw-request.json"), proc: &fakeProcessor{ProcessBatchFn: outcomes(false)},
			wantType: "events.APIGatewayProxyResponse", status: 200, bodyHas: `"status":"created"`, recordID: "deef4878-7910-11e6-8f14-25afc3e9ae33"},
		{name: "HTTP API base64", raw: file("http-api-base64.json"), proc: &fakeProcessor{ProcessBatchFn: outcomes(false)},
			wantType: "events.APIGatewayV2HTTPResponse", status: 200, bodyHas: `"resultId":"msg_0"`, recordID: "JKJaXmPLvHcESHA=", idemKey: "order-42"},
		{name: "HTTP API GET sample", raw: aws("apigw-v2-request-no-authorizer.json"), proc: &fakeProcessor{ProcessBatchFn: outcomes(false)},
			wantType: "events.APIGatewayV2HTTPResponse", status: 405, bodyHas: "only POST"},
		{name: "function URL sample, not JSON", raw: aws("lambda-urls-request.json"), proc: &fakeProcessor{ProcessBatchFn: outcomes(false)},
			wantType: "events.LambdaFunctionURLResponse", status: 400, bodyHas: `"Code":"essflow.InvalidRequest"`, recordID: "id"},
		{name: "function URL bad base64", raw: file("function-url-bad-base64.json"), proc: &fakeProcessor{ProcessBatchFn: outcomes(false)},
			wantType: "events.LambdaFunctionURLResponse", status: 400, bodyHas: "could not be decoded"},
		{name: "rate limited answers 429 with Retry-After", raw: file("http-api-base64.json"),
			proc:     &fakeProcessor{ProcessBatchFn: outcomes(false, "JKJaXmPLvHcESHA=")},
			wantType: "events.APIGatewayV2HTTPResponse", status: 429, bodyHas: `"Code":"essflow.RateLimited"`, recordID: "JKJaXmPLvHcESHA=", idemKey: "order-42"},
		{name: "no processor", raw: file("rest-multivalue.json"), wantType: "events.APIGatewayProxyResponse", status: 500, bodyHas: "essflow.InternalError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := &Handler{Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
			if tt.proc != nil {
				h.Processor = tt.proc
			}
			got, err := h.Invoke(lambdacontext.NewContext(context.Background(), lc), tt.raw(t))
			if err != nil {
				t.Fatalf("HTTP events never return an error, got %v", err)
			}
			var status int
			var headers map[string]string
			var body string
			switch r := got.(type) {
			case events.APIGatewayProxyResponse:
				status, headers, body = r.StatusCode, r.Headers, r.Body
			case events.APIGatewayV2HTTPResponse:
				status, headers, body = r.StatusCode, r.Headers, r.Body
			case events.LambdaFunctionURLResponse:
				status, headers, body = r.StatusCode, r.Headers, r.Body
			}
			if typ := typeName(got); typ != tt.wantType {
				t.Fatalf("response type %s, want %s", typ, tt.wantType)
			}
			if status != tt.status || !strings.Contains(body, tt.bodyHas) || !json.Valid([]byte(body)) {
				t.Fatalf("status %d body %s; want %d containing %s", status, body, tt.status, tt.bodyHas)
			}
			if headers["Content-Type"] != "application/json; charset=utf-8" {
				t.Fatalf("headers %v", headers)
			}
			if status == 429 && headers["Retry-After"] != "2" {
				t.Fatalf("Retry-After = %q, want 2", headers["Retry-After"])
			}
			if tt.proc != nil && tt.recordID != "" {
				j := tt.proc.jobs[0]
				if tt.proc.calls != 1 || j.RecordID != tt.recordID || j.IdempotencyKey != tt.idemKey || j.DerivedKey != "" {
					t.Fatalf("calls %d job %+v", tt.proc.calls, j)
				}
			}
			if strings.Contains(logs.String(), "FlowInfos") {
				t.Fatalf("a body reached the logs: %s", logs.String())
			}
		})
	}
}

func typeName(v any) string {
	switch v.(type) {
	case events.APIGatewayProxyResponse:
		return "events.APIGatewayProxyResponse"
	case events.APIGatewayV2HTTPResponse:
		return "events.APIGatewayV2HTTPResponse"
	case events.LambdaFunctionURLResponse:
		return "events.LambdaFunctionURLResponse"
	}
	return "other"
}

func TestInvokeSQS(t *testing.T) {
	tests := []struct {
		name    string
		raw     func(testing.TB) []byte
		proc    *fakeProcessor
		ordered bool
		want    []string
	}{
		{name: "aws sample, all final", raw: aws("sqs-event.json"), proc: &fakeProcessor{ProcessBatchFn: outcomes(false)}, want: []string{}},
		{name: "standard queue, one retryable", raw: file("sqs-mixed.json"), proc: &fakeProcessor{ProcessBatchFn: outcomes(false, "m-1")}, want: []string{"m-1"}},
		{name: "bad messages are not redelivered", raw: file("sqs-mixed.json"), proc: &fakeProcessor{ProcessBatchFn: outcomes(false)}, want: []string{}},
		{name: "FIFO stops at the first retryable", raw: file("sqs-fifo.json"), ordered: true,
			proc: &fakeProcessor{ProcessBatchFn: outcomes(true, "m-2")}, want: []string{"m-2", "m-3"}},
		{name: "FIFO order kept even if the processor did not stop", raw: file("sqs-fifo.json"), ordered: true,
			proc: &fakeProcessor{ProcessBatchFn: outcomes(false, "m-2")}, want: []string{"m-2", "m-3"}},
		{name: "FIFO all final", raw: file("sqs-fifo.json"), ordered: true, proc: &fakeProcessor{ProcessBatchFn: outcomes(true)}, want: []string{}},
		{name: "processor breaking its contract", raw: file("sqs-mixed.json"),
			proc: &fakeProcessor{ProcessBatchFn: func(context.Context, []flows.Job, flows.BatchOptions) []flows.Outcome { return nil }},
			want: []string{"m-1", "m-2"}},
		{name: "no processor", raw: file("sqs-fifo.json"), ordered: true, want: []string{"m-1", "m-2", "m-3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &Handler{}
			if tt.proc != nil {
				h.Processor = tt.proc
			}
			got, err := h.Invoke(context.Background(), tt.raw(t))
			if err != nil {
				t.Fatalf("SQS events never return an error, got %v", err)
			}
			resp := got.(events.SQSEventResponse)
			ids := []string{}
			for _, f := range resp.BatchItemFailures {
				ids = append(ids, f.ItemIdentifier)
			}
			if !slices.Equal(ids, tt.want) {
				t.Fatalf("batchItemFailures = %q, want %q", ids, tt.want)
			}
			if tt.proc != nil && tt.proc.opts.Ordered != tt.ordered {
				t.Fatalf("Ordered = %v, want %v", tt.proc.opts.Ordered, tt.ordered)
			}
			raw, _ := json.Marshal(resp)
			if !strings.HasPrefix(string(raw), `{"batchItemFailures":[`) {
				t.Fatalf("response JSON = %s", raw)
			}
		})
	}
}

func TestInvokeS3(t *testing.T) {
	objs := &fakeObjects{ProcessObjectFn: func(_ context.Context, ref objects.Ref) (objects.Report, error) {
		return objects.Report{Object: ref, ResultsKey: "results/" + ref.Key, Requests: 1, Created: 1}, nil
	}}
	got, err := (&Handler{Objects: objs}).Invoke(context.Background(), readFile(t, "s3-encoded-key.json"))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(got)
	want := `{"trigger":"s3","records":[` +
		`{"recordId":"record[2]","status":"rejected","retryable":false},` +
		`{"recordId":"record[3]","status":"rejected","retryable":false},` +
		`{"recordId":"s3://essflow-in/in/old.json","status":"skipped","retryable":false,"skipReason":"event ObjectRemoved:Delete is not an object creation"},` +
		`{"recordId":"s3://essflow-in/in/my file(1).json","status":"processed","retryable":false,"resultsKey":"results/in/my file(1).json","requests":1,"created":1}` +
		`],"retryable":0}`
	if string(raw) != want {
		t.Fatalf("summary = %s\nwant      %s", raw, want)
	}

	objs = &fakeObjects{ProcessObjectFn: func(context.Context, objects.Ref) (objects.Report, error) {
		return objects.Report{}, errors.New("get object: timeout")
	}}
	got, err = (&Handler{Objects: objs}).Invoke(context.Background(), awsSample(t, "s3-event.json"))
	if !errors.Is(err, summary.ErrRetryable) || got.(*summary.Summary).Retryable != 1 || objs.refs[0].Key != "Happy Face.jpg" {
		t.Fatalf("got %+v, %v; want one retryable object", got, err)
	}

	got, err = (&Handler{}).Invoke(context.Background(), []byte(`{"Service":"Amazon S3","Event":"s3:TestEvent"}`))
	if err != nil || got.(*summary.Summary).Note == "" {
		t.Fatalf("test event: %+v, %v", got, err)
	}
	if _, err := (&Handler{}).Invoke(context.Background(), awsSample(t, "s3-event.json")); err == nil {
		t.Fatal("an S3 event without an object processor must fail")
	}
}

func TestInvokeUnknown(t *testing.T) {
	p := &fakeProcessor{ProcessBatchFn: outcomes(false)}
	for _, name := range []string{"kinesis-event.json", "apigw-websocket-request.json", "cognito-event.json"} {
		got, err := (&Handler{Processor: p}).Invoke(context.Background(), awsSample(t, name))
		if !errors.Is(err, ErrUnknownShape) || got != nil {
			t.Errorf("%s: got %v, %v; want ErrUnknownShape", name, got, err)
		}
	}
	if p.calls != 0 {
		t.Fatalf("processor called %d times", p.calls)
	}
}

// TestLambdaRuntimeHandler runs Invoke through aws-lambda-go's own handler adapter, which
// decodes the payload and encodes the answer exactly as the Lambda runtime loop does.
func TestLambdaRuntimeHandler(t *testing.T) {
	h := &Handler{Processor: &fakeProcessor{ProcessBatchFn: outcomes(true, "m-2")}}
	rt := awslambda.NewHandler(h.Invoke)

	out, err := rt.Invoke(context.Background(), readFile(t, "sqs-fifo.json"))
	if err != nil || string(out) != `{"batchItemFailures":[{"itemIdentifier":"m-2"},{"itemIdentifier":"m-3"}]}` {
		t.Fatalf("SQS answer %s, %v", out, err)
	}
	out, err = rt.Invoke(context.Background(), awsSample(t, "lambda-urls-request.json"))
	var resp events.LambdaFunctionURLResponse
	if err != nil || json.Unmarshal(out, &resp) != nil || resp.StatusCode != 400 {
		t.Fatalf("function URL answer %s, %v", out, err)
	}
	if _, err := rt.Invoke(context.Background(), []byte(`{"unknown":true}`)); err == nil {
		t.Fatal("an unknown event must fail the invocation")
	}
}
