package httpx

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/essflow/essflow/shared/flows"
)

const validBody = `{"Agent":{"AppId":"app"},"FlowInfos":[{"FlowName":"n","TemplateId":"t"}]}`

func TestToJob(t *testing.T) {
	base := func(mod func(*Request)) Request {
		r := Request{
			Trigger: "apigw", Method: "POST", Path: "/flows", RequestID: "req-1", SourceIP: "10.0.0.1",
			Headers: map[string]string{"content-type": "application/json"},
			Body:    []byte(validBody),
		}
		if mod != nil {
			mod(&r)
		}
		return r
	}
	tests := []struct {
		name      string
		req       Request
		maxBody   int
		status    int // 0: accepted
		code      string
		wantJob   flows.Job
		wantAllow bool
	}{
		{name: "accepted", req: base(nil),
			wantJob: flows.Job{Trigger: "apigw", RecordID: "req-1", Body: []byte(validBody)}},
		{name: "lower-case method accepted", req: base(func(r *Request) { r.Method = "post" }),
			wantJob: flows.Job{Trigger: "apigw", RecordID: "req-1", Body: []byte(validBody)}},
		{name: "keys from headers", req: base(func(r *Request) {
			r.Headers["idempotency-key"] = "order-42"
			r.Headers["x-correlation-id"] = "corr 7"
		}), wantJob: flows.Job{Trigger: "apigw", RecordID: "req-1", Body: []byte(validBody), IdempotencyKey: "order-42", CorrelationID: "corr 7"}},
		{name: "no content type", req: base(func(r *Request) { delete(r.Headers, "content-type") }),
			wantJob: flows.Job{Trigger: "apigw", RecordID: "req-1", Body: []byte(validBody)}},
		{name: "json with charset", req: base(func(r *Request) { r.Headers["content-type"] = "Application/JSON; charset=UTF-8" }),
			wantJob: flows.Job{Trigger: "apigw", RecordID: "req-1", Body: []byte(validBody)}},
		{name: "structured json suffix", req: base(func(r *Request) { r.Headers["content-type"] = "application/vnd.essflow+json" }),
			wantJob: flows.Job{Trigger: "apigw", RecordID: "req-1", Body: []byte(validBody)}},
		{name: "body at the limit", req: base(nil), maxBody: len(validBody),
			wantJob: flows.Job{Trigger: "apigw", RecordID: "req-1", Body: []byte(validBody)}},
		{name: "GET", req: base(func(r *Request) { r.Method = "GET" }), status: 405, code: CodeMethodNotAllowed, wantAllow: true},
		{name: "PUT", req: base(func(r *Request) { r.Method = "PUT" }), status: 405, code: CodeMethodNotAllowed, wantAllow: true},
		{name: "one byte over the limit", req: base(nil), maxBody: len(validBody) - 1, status: 413, code: CodePayloadTooLarge},
		{name: "10 MB body, default limit", req: base(func(r *Request) { r.Body = bytes.Repeat([]byte("a"), 10<<20) }),
			status: 413, code: CodePayloadTooLarge},
		{name: "empty body", req: base(func(r *Request) { r.Body = nil }), status: 400, code: CodeInvalidRequest},
		{name: "blank body", req: base(func(r *Request) { r.Body = []byte(" \r\n\t") }), status: 400, code: CodeInvalidRequest},
		{name: "text/plain", req: base(func(r *Request) { r.Headers["content-type"] = "text/plain" }), status: 415, code: CodeUnsupportedMediaType},
		{name: "form", req: base(func(r *Request) { r.Headers["content-type"] = "application/x-www-form-urlencoded" }), status: 415, code: CodeUnsupportedMediaType},
		{name: "malformed content type", req: base(func(r *Request) { r.Headers["content-type"] = "application/json; ;=" }), status: 415, code: CodeUnsupportedMediaType},
		{name: "empty idempotency key", req: base(func(r *Request) { r.Headers["idempotency-key"] = "" }), status: 400, code: CodeInvalidRequest},
		{name: "idempotency key of 255", req: base(func(r *Request) { r.Headers["idempotency-key"] = strings.Repeat("k", 255) }),
			wantJob: flows.Job{Trigger: "apigw", RecordID: "req-1", Body: []byte(validBody), IdempotencyKey: strings.Repeat("k", 255)}},
		{name: "idempotency key of 256", req: base(func(r *Request) { r.Headers["idempotency-key"] = strings.Repeat("k", 256) }), status: 400, code: CodeInvalidRequest},
		{name: "non-ASCII idempotency key", req: base(func(r *Request) { r.Headers["idempotency-key"] = "订单-1" }), status: 400, code: CodeInvalidRequest},
		{name: "control char in idempotency key", req: base(func(r *Request) { r.Headers["idempotency-key"] = "a\tb" }), status: 400, code: CodeInvalidRequest},
		{name: "bad correlation id", req: base(func(r *Request) { r.Headers["x-correlation-id"] = "\x7f" }), status: 400, code: CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job, resp := ToJob(tt.req, tt.maxBody)
			if tt.status == 0 {
				if resp != nil {
					t.Fatalf("refused with %d: %s", resp.Status, resp.Body)
				}
				if job.Trigger != tt.wantJob.Trigger || job.RecordID != tt.wantJob.RecordID ||
					!bytes.Equal(job.Body, tt.wantJob.Body) || job.IdempotencyKey != tt.wantJob.IdempotencyKey ||
					job.CorrelationID != tt.wantJob.CorrelationID || job.DerivedKey != "" || job.DecodeErr != nil {
					t.Fatalf("job = %+v, want %+v", job, tt.wantJob)
				}
				return
			}
			if resp == nil {
				t.Fatalf("accepted, want %d", tt.status)
			}
			if resp.Status != tt.status {
				t.Fatalf("status = %d, want %d", resp.Status, tt.status)
			}
			if got := resp.Headers["Allow"]; (got == http.MethodPost) != tt.wantAllow {
				t.Fatalf("Allow = %q, want it only on 405", got)
			}
			var body struct {
				Error   struct{ Code, Message string }
				Outcome struct{ Status string }
			}
			if err := json.Unmarshal(resp.Body, &body); err != nil {
				t.Fatalf("body is not JSON: %v: %s", err, resp.Body)
			}
			if body.Error.Code != tt.code || body.Error.Message == "" || body.Outcome.Status != string(flows.StatusRejected) {
				t.Fatalf("body = %s, want code %s and status rejected", resp.Body, tt.code)
			}
		})
	}
}

func TestToJobLanguage(t *testing.T) {
	req := Request{Method: "GET", Headers: map[string]string{"accept-language": "zh-CN,zh;q=0.9"}}
	_, resp := ToJob(req, 0)
	if resp == nil || !strings.Contains(string(resp.Body), "仅接受 POST 请求") {
		t.Fatalf("want a Chinese message, got %+v", resp)
	}
	req.Headers["accept-language"] = "en"
	_, resp = ToJob(req, 0)
	if resp == nil || !strings.Contains(string(resp.Body), "only POST is accepted") {
		t.Fatalf("want an English message, got %+v", resp)
	}
}

func TestLowerKeys(t *testing.T) {
	got := LowerKeys(map[string]string{"Content-Type": "a", "X-Correlation-Id": "b", "x-correlation-id": "c", "ACCEPT": "d"})
	want := map[string]string{"content-type": "a", "x-correlation-id": "b", "accept": "d"}
	if len(got) != len(want) {
		t.Fatalf("LowerKeys = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("LowerKeys[%q] = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if m := LowerKeys(nil); m == nil || len(m) != 0 {
		t.Fatalf("LowerKeys(nil) = %#v, want an empty map", m)
	}
}

func TestDecodeBody(t *testing.T) {
	tests := []struct {
		body    string
		b64     bool
		want    string
		wantErr bool
	}{
		{body: `{"a":1}`, want: `{"a":1}`},
		{body: "not base64 at all!", want: "not base64 at all!"},
		{body: base64.StdEncoding.EncodeToString([]byte(`{"a":1}`)), b64: true, want: `{"a":1}`},
		{body: base64.RawStdEncoding.EncodeToString([]byte(`{"a":1}`)), b64: true, want: `{"a":1}`},
		{body: "", b64: true, want: ""},
		{body: "%%%", b64: true, wantErr: true},
		{body: "eyJh", b64: true, want: `{"a`},
		{body: "eyJhIjox", b64: true, want: `{"a":1`},
	}
	for _, tt := range tests {
		got, err := DecodeBody(tt.body, tt.b64)
		if (err != nil) != tt.wantErr || string(got) != tt.want {
			t.Errorf("DecodeBody(%q, %v) = %q, %v; want %q, error %v", tt.body, tt.b64, got, err, tt.want, tt.wantErr)
		}
	}
}

func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{"", "eyJhIjoxfQ==", "eyJhIjoxfQ", "%%%", "a===="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := DecodeBody(s, true)
		if err != nil {
			return
		}
		// Whatever decoded survives a round trip through the canonical encoding.
		again, err := DecodeBody(base64.StdEncoding.EncodeToString(b), true)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("DecodeBody(%q) = %q, but its canonical encoding decodes to %q, %v", s, b, again, err)
		}
		if plain, _ := DecodeBody(s, false); string(plain) != s {
			t.Fatalf("DecodeBody(%q, false) = %q", s, plain)
		}
	})
}
