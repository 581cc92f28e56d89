package scf

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/rpc"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tencentyun/scf-go-lib/cloudfunction"
	"github.com/tencentyun/scf-go-lib/cloudfunction/messages"
	"github.com/tencentyun/scf-go-lib/functioncontext"

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

// created answers every job with a final outcome, except those whose body is "{not json" or
// "not json at all", which are rejected, and the record ids listed in retry, which are
// retryable.
func created(retry ...string) func(context.Context, []flows.Job, flows.BatchOptions) []flows.Outcome {
	return func(_ context.Context, jobs []flows.Job, _ flows.BatchOptions) []flows.Outcome {
		var outs []flows.Outcome
		for i, j := range jobs {
			o := flows.Outcome{RecordID: j.RecordID, Status: flows.StatusCreated, HTTPStatus: 200,
				Message: &result.Message{ID: "msg_" + strconv.Itoa(i), Correlation: result.Correlation{IdempotencyKey: j.IdempotencyKey}}}
			switch {
			case j.DecodeErr != nil || !json.Valid(j.Body):
				o = flows.Outcome{RecordID: j.RecordID, Status: flows.StatusRejected, HTTPStatus: 400,
					Message: &result.Message{ID: "msg_" + strconv.Itoa(i), Error: &result.Error{Code: "essflow.InvalidRequest", Message: "not JSON", MessageZH: "不是 JSON"}}}
			case contains(retry, j.RecordID):
				o = flows.Outcome{RecordID: j.RecordID, Status: flows.StatusRetryable, Retryable: true, HTTPStatus: 503,
					RetryAfter: time.Second, Err: errors.New("ess: connection refused")}
			}
			outs = append(outs, o)
		}
		return outs
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func logger(buf *bytes.Buffer) *slog.Logger { return slog.New(slog.NewJSONHandler(buf, nil)) }

func TestInvokeHTTP(t *testing.T) {
	fc := &functioncontext.FunctionContext{RequestID: "scf-req-9"}
	tests := []struct {
		name     string
		file     string
		proc     *fakeProcessor
		status   int
		calls    int
		bodyHas  string
		recordID string
		idemKey  string
	}{
		{name: "API gateway POST", file: "apigw-post.json", proc: &fakeProcessor{ProcessBatchFn: created()},
			status: 200, calls: 1, bodyHas: `"idempotencyKey":"order-42"`, recordID: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", idemKey: "order-42"},
		{name: "API gateway base64 body", file: "apigw-base64.json", proc: &fakeProcessor{ProcessBatchFn: created()},
			status: 200, calls: 1, bodyHas: `"status":"created"`, recordID: "req-b64"},
		{name: "function URL takes the SCF request id", file: "function-url.json", proc: &fakeProcessor{ProcessBatchFn: created()},
			status: 200, calls: 1, bodyHas: `"resultId":"msg_0"`, recordID: "scf-req-9"},
		{name: "GET is refused", file: "scf-go-lib/apigw.json", proc: &fakeProcessor{ProcessBatchFn: created()},
			status: 405, bodyHas: "仅接受 POST 请求"},
		{name: "bad base64 answers 400 in Chinese", file: "apigw-bad-base64.json", proc: &fakeProcessor{ProcessBatchFn: created()},
			status: 400, bodyHas: "无法解析请求"},
		{name: "retryable answers 503", file: "apigw-post.json", proc: &fakeProcessor{ProcessBatchFn: created("c6af9ac6-7b61-11e6-9a41-93e8deadbeef")},
			status: 503, calls: 1, bodyHas: `"Code":"essflow.Unavailable"`, recordID: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", idemKey: "order-42"},
		{name: "processor breaking its contract answers 500", file: "apigw-post.json",
			proc:   &fakeProcessor{ProcessBatchFn: func(context.Context, []flows.Job, flows.BatchOptions) []flows.Outcome { return nil }},
			status: 500, calls: 1, bodyHas: `"Code":"essflow.InternalError"`, recordID: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", idemKey: "order-42"},
		{name: "no processor answers 500", file: "apigw-post.json", status: 500, bodyHas: `"Code":"essflow.InternalError"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := &Handler{Logger: logger(&logs)}
			if tt.proc != nil {
				h.Processor = tt.proc
			}
			got, err := h.Invoke(functioncontext.NewContext(context.Background(), fc), readFile(t, tt.file))
			if err != nil {
				t.Fatalf("HTTP events never return an error, got %v", err)
			}
			resp, ok := got.(HTTPResponse)
			if !ok {
				t.Fatalf("got %T, want HTTPResponse", got)
			}
			if resp.StatusCode != tt.status || !strings.Contains(resp.Body, tt.bodyHas) {
				t.Fatalf("status %d body %s; want %d and %s", resp.StatusCode, resp.Body, tt.status, tt.bodyHas)
			}
			if resp.Headers["Content-Type"] != "application/json; charset=utf-8" || !json.Valid([]byte(resp.Body)) {
				t.Fatalf("not a JSON response: %+v", resp)
			}
			// The integration response has exactly the four keys the gateway requires.
			raw, _ := json.Marshal(got)
			var keys map[string]json.RawMessage
			if err := json.Unmarshal(raw, &keys); err != nil || len(keys) != 4 || keys["isBase64Encoded"] == nil ||
				keys["statusCode"] == nil || keys["headers"] == nil || keys["body"] == nil {
				t.Fatalf("integration response JSON = %s", raw)
			}
			if tt.proc == nil {
				return
			}
			if tt.proc.calls != tt.calls {
				t.Fatalf("processor called %d times, want %d", tt.proc.calls, tt.calls)
			}
			if tt.calls == 1 {
				j := tt.proc.jobs[0]
				if j.RecordID != tt.recordID || j.IdempotencyKey != tt.idemKey || j.DerivedKey != "" || tt.proc.opts.Ordered {
					t.Fatalf("job %+v opts %+v", j, tt.proc.opts)
				}
			}
			if strings.Contains(logs.String(), "FlowInfos") {
				t.Fatalf("a body reached the logs: %s", logs.String())
			}
		})
	}
}

func TestInvokeBatch(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		retry     []string
		ordered   bool
		statuses  []string
		retryable int
	}{
		{name: "CMQ all final", file: "cmq-tags.json",
			statuses: []string{"created", "rejected", "created", "rejected", "rejected", "rejected"}},
		{name: "CMQ one retryable", file: "cmq-tags.json", retry: []string{"123345348"}, retryable: 1,
			statuses: []string{"created", "rejected", "retryable", "rejected", "rejected", "rejected"}},
		{name: "CKafka ordered", file: "ckafka-batch.json", ordered: true,
			statuses: []string{"created", "rejected", "rejected", "created"}},
		{name: "CKafka retryable", file: "ckafka-batch.json", ordered: true, retry: []string{"flows:1:39"}, retryable: 1,
			statuses: []string{"created", "rejected", "rejected", "retryable"}},
		{name: "timer tick", file: "timer-message.json", statuses: []string{"created"}},
		{name: "real CMQ sample", file: "scf-go-lib/cmq.json", statuses: []string{"rejected"}}, // "aaaaaaaaaa" is not JSON
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			p := &fakeProcessor{ProcessBatchFn: created(tt.retry...)}
			h := &Handler{Processor: p, Logger: logger(&logs)}
			got, err := h.Invoke(context.Background(), readFile(t, tt.file))
			if (err != nil) != (tt.retryable > 0) || (err != nil && !errors.Is(err, summary.ErrRetryable)) {
				t.Fatalf("err = %v, want an ErrRetryable error only with %d retryable", err, tt.retryable)
			}
			s := got.(*summary.Summary)
			var statuses []string
			for _, r := range s.Records {
				statuses = append(statuses, r.Status)
			}
			if strings.Join(statuses, ",") != strings.Join(tt.statuses, ",") || s.Retryable != tt.retryable {
				t.Fatalf("statuses %v retryable %d, want %v %d", statuses, s.Retryable, tt.statuses, tt.retryable)
			}
			if p.opts.Ordered != tt.ordered {
				t.Fatalf("Ordered = %v, want %v", p.opts.Ordered, tt.ordered)
			}
			if lines := strings.Count(logs.String(), `"msg":"record"`); lines != len(tt.statuses) {
				t.Fatalf("%d record log lines, want %d:\n%s", lines, len(tt.statuses), logs.String())
			}
			if strings.Contains(logs.String(), "FlowInfos") || strings.Contains(logs.String(), "yDwhxUUckp3gl8j5UuFX33LSNozpRsbi") {
				t.Fatalf("a body reached the logs: %s", logs.String())
			}
			if _, err := json.Marshal(s); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestInvokeTimerWithoutMessage(t *testing.T) {
	p := &fakeProcessor{ProcessBatchFn: created()}
	got, err := (&Handler{Processor: p}).Invoke(context.Background(), readFile(t, "scf-go-lib/timer.json"))
	if err != nil || p.calls != 0 {
		t.Fatalf("err %v, %d processor calls; want nothing done", err, p.calls)
	}
	raw, _ := json.Marshal(got)
	if want := `{"trigger":"timer","records":[],"retryable":0,"note":"timer oneminute@2019-08-17T05:26:00Z: empty Message, nothing to do"}`; string(raw) != want {
		t.Fatalf("summary = %s\nwant      %s", raw, want)
	}
}

func TestInvokeCOS(t *testing.T) {
	objs := &fakeObjects{ProcessObjectFn: func(_ context.Context, ref objects.Ref) (objects.Report, error) {
		return objects.Report{Object: ref, ResultsKey: ref.Key + ".results.jsonl", Requests: 3, Created: 2, Rejected: 1}, nil
	}}
	got, err := (&Handler{Objects: objs}).Invoke(context.Background(), readFile(t, "cos-prefix.json"))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(got)
	want := `{"trigger":"cos","records":[` +
		`{"recordId":"record[2]","status":"rejected","retryable":false},` +
		`{"recordId":"record[3]","status":"rejected","retryable":false},` +
		`{"recordId":"cos://in-1250000000/in/old.jsonl","status":"skipped","retryable":false,"skipReason":"event cos:ObjectRemove:Delete is not an object creation"},` +
		`{"recordId":"cos://in-1250000000/in/batch-1.jsonl","status":"processed","retryable":false,"resultsKey":"in/batch-1.jsonl.results.jsonl","requests":3,"created":2,"rejected":1}` +
		`],"retryable":0}`
	if string(raw) != want {
		t.Fatalf("summary = %s\nwant      %s", raw, want)
	}

	for _, tt := range []struct {
		name string
		rep  objects.Report
		err  error
	}{
		{"object error", objects.Report{}, errors.New("get object: connection reset")},
		{"retryable requests in the object", objects.Report{Requests: 2, Created: 1, Retryable: 1}, nil},
	} {
		objs := &fakeObjects{ProcessObjectFn: func(context.Context, objects.Ref) (objects.Report, error) { return tt.rep, tt.err }}
		got, err := (&Handler{Objects: objs}).Invoke(context.Background(), readFile(t, "scf-go-lib/cos.json"))
		if !errors.Is(err, summary.ErrRetryable) {
			t.Fatalf("%s: err = %v, want ErrRetryable", tt.name, err)
		}
		if s := got.(*summary.Summary); s.Retryable != 1 || len(objs.refs) != 1 || objs.refs[0].Key != "foobar.zip" {
			t.Fatalf("%s: summary %+v refs %+v", tt.name, s, objs.refs)
		}
	}

	if _, err := (&Handler{}).Invoke(context.Background(), readFile(t, "scf-go-lib/cos.json")); err == nil {
		t.Fatal("a COS event without an object processor must fail")
	}
}

func TestInvokeBadEvents(t *testing.T) {
	p := &fakeProcessor{ProcessBatchFn: created()}
	h := &Handler{Processor: p}
	for _, raw := range []string{`{"hello":"world"}`, `{"Records":[]}`, `not json`, `{"Records":[{"eventSource":"aws:sqs"}]}`} {
		got, err := h.Invoke(context.Background(), json.RawMessage(raw))
		var de *DecodeError
		if !errors.As(err, &de) || got != nil {
			t.Errorf("%s: got %v, %v; want a *DecodeError", raw, got, err)
		}
	}
	if p.calls != 0 {
		t.Fatalf("processor called %d times", p.calls)
	}
	if _, err := (&Handler{}).Invoke(context.Background(), readFile(t, "cmq-tags.json")); err == nil {
		t.Fatal("a CMQ event without a processor must fail")
	}
}

// TestSCFRuntime runs Handler.Invoke behind scf-go-lib's real runtime protocol (net/rpc on
// _LAMBDA_SERVER_PORT), as the SCF Go1 runtime calls it. The runtime cannot be stopped, so
// this is the only test in the package that starts it.
func TestSCFRuntime(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	t.Setenv("_LAMBDA_SERVER_PORT", port)
	p := &fakeProcessor{ProcessBatchFn: created("123345348")}
	h := &Handler{Processor: p}
	go cloudfunction.Start(h.Invoke)

	var client *rpc.Client
	for deadline := time.Now().Add(5 * time.Second); ; {
		client, err = rpc.Dial("tcp", "127.0.0.1:"+port)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the runtime did not listen: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	defer client.Close()
	invoke := func(payload []byte) messages.InvokeResponse {
		t.Helper()
		var resp messages.InvokeResponse
		req := &messages.InvokeRequest{Payload: payload, RequestId: "rpc-req-1", FunctionName: "essflow",
			Deadline: messages.InvokeRequest_Timestamp{Seconds: time.Now().Add(time.Minute).Unix()}}
		if err := client.Call("Function.Invoke", req, &resp); err != nil {
			t.Fatal(err)
		}
		return resp
	}

	resp := invoke(readFile(t, "function-url.json"))
	if resp.Error != nil {
		t.Fatalf("HTTP invoke failed: %+v", resp.Error)
	}
	var ir HTTPResponse
	if err := json.Unmarshal(resp.Payload, &ir); err != nil || ir.StatusCode != 200 || p.jobs[0].RecordID != "rpc-req-1" {
		t.Fatalf("payload %s (%v), job %+v", resp.Payload, err, p.jobs)
	}

	resp = invoke(readFile(t, "cmq-tags.json"))
	if resp.Error == nil || !strings.Contains(resp.Error.Message, "1 of 6 record(s) retryable") {
		t.Fatalf("want the retryable error to reach SCF, got %+v payload %s", resp.Error, resp.Payload)
	}
}
