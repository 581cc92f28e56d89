package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/essflow/essflow/shared/ess"
	"github.com/essflow/essflow/shared/flows"
	"github.com/essflow/essflow/shared/result"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func sp(s string) *string { return &s }

// secretCause is an internal error that must never reach a caller.
var secretCause = errors.New("dial tcp 10.1.2.3:443: SecretKey=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE refused")

func partialOutcome() flows.Outcome {
	return flows.Outcome{
		RecordID: "req-1", Status: flows.StatusPartiallyFailed, HTTPStatus: 200, Replayed: true,
		Message: &result.Message{
			SpecVersion: result.SpecVersion, ID: "msg_4f1c", Type: result.TypePartiallyFailed,
			Correlation: result.Correlation{IdempotencyKey: "order-42", CorrelationId: "corr-7"},
			Flows: []result.Flow{
				{Index: 0, Status: result.FlowCreated, FlowId: "yDwFlow1", FlowName: "租赁合同", CustomerData: "QmFzZTY0",
					Approvers: []result.Approver{{RecipientId: "yDRole1", SignId: "yDSign1", ApproverRoleName: "甲方"}}},
				{Index: 1, Status: result.FlowFailed, FlowName: "lease & annex <2>", Error: "template not found"},
			},
		},
		Response: &ess.CreateFlowsByTemplatesResponse{
			FlowIds:       []*string{sp("yDwFlow1"), sp("")},
			CustomerData:  []*string{sp("QmFzZTY0"), sp("")},
			ErrorMessages: []*string{sp(""), sp("template not found")},
			FlowApprovers: []*ess.FlowApproverItem{{FlowId: sp("yDwFlow1"),
				Approvers: []*ess.ApproverItem{{SignId: sp("yDSign1"), RecipientId: sp("yDRole1"), ApproverRoleName: sp("甲方")}}}},
			RequestId: sp("7b7b5e3e-ess"),
		},
		Warnings: []ess.Warning{{Path: "FlowInfos[0].CallbackUrl", Message: "deprecated, ignored", MessageZH: "已废弃，忽略"}},
	}
}

func rejectedOutcome() flows.Outcome {
	return flows.Outcome{
		RecordID: "req-2", Status: flows.StatusRejected, HTTPStatus: 400,
		Message: &result.Message{ID: "msg_91ab", Type: result.TypeRejected,
			Error: &result.Error{Code: "essflow.InvalidRequest", Message: "2 validation errors", MessageZH: "2 个校验错误"}},
		Violations: []ess.Violation{
			{Path: "FlowInfos[0].Deadline", Rule: "required", Message: "Deadline is required", MessageZH: "Deadline 为必填项"},
			{Path: "FlowInfos[0].FlowApprovers[0].Mobile", Rule: "mobile", Message: "not a mainland mobile number"},
		},
		Err: secretCause,
	}
}

func TestRenderGolden(t *testing.T) {
	tests := []struct {
		name string
		o    flows.Outcome
		lang string
	}{
		{"200-partial", partialOutcome(), "en-US,en;q=0.9"},
		{"200-partial-zh", partialOutcome(), "zh-CN,zh;q=0.9,en;q=0.8"},
		{"400-en", rejectedOutcome(), "en"},
		{"400-zh", rejectedOutcome(), "zh-CN"},
		{"403", flows.Outcome{Status: flows.StatusRejected, HTTPStatus: 403,
			Message: &result.Message{ID: "msg_03", Correlation: result.Correlation{IdempotencyKey: "k1"},
				Error: &result.Error{Code: "essflow.ForbiddenApp", Message: "the AppId is not allowed", MessageZH: "不允许该 AppId"}}}, ""},
		{"413", RejectOutcome("req-3", 413, CodePayloadTooLarge, "the body is longer than 6291456 bytes", "请求体超过 6291456 字节"), "en"},
		{"429", flows.Outcome{Status: flows.StatusRetryable, Retryable: true, HTTPStatus: 429, RetryAfter: 1500 * time.Millisecond, Err: secretCause}, "en"},
		{"503-ess-limit", flows.Outcome{Status: flows.StatusRetryable, Retryable: true, HTTPStatus: 503, RetryAfter: 2 * time.Second,
			Message: &result.Message{Error: &result.Error{Code: "RequestLimitExceeded", Message: "ESS rate limit", MessageZH: "ESS 限频"}}}, "zh"},
		{"500", flows.Outcome{Status: flows.StatusRetryable, HTTPStatus: 500, RetryAfter: time.Second, Err: secretCause,
			Message: &result.Message{ID: "msg_500", Error: &result.Error{Code: "essflow.Internal", Message: secretCause.Error()}}}, "en"},
		{"200-previewed", flows.Outcome{Status: flows.StatusPreviewed, HTTPStatus: 200,
			Message:  &result.Message{ID: "msg_pv", Flows: []result.Flow{{Index: 0, Status: result.FlowPreviewed, PreviewUrl: "https://example.test/p?a=1&b=2"}}},
			Response: &ess.CreateFlowsByTemplatesResponse{PreviewUrls: []*string{sp("https://example.test/p?a=1&b=2")}, RequestId: sp("r-pv")}}, ""},
		{"status-unset-failed", flows.Outcome{Status: flows.StatusFailed,
			Message: &result.Message{ID: "msg_f", Error: &result.Error{Code: "ResourceNotFound.Template", Message: "template not found"}}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := dump(Render(tt.o, tt.lang))
			if strings.Contains(got, "SecretKey") || strings.Contains(got, "10.1.2.3") {
				t.Fatalf("the internal cause leaked:\n%s", got)
			}
			path := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file (run with -update to create it): %v", err)
			}
			if got != string(want) {
				t.Fatalf("Render differs from %s (rerun with -update if intended):\n%s", path, diff(string(want), got))
			}
		})
	}
}

// dump writes a response as status line, sorted headers, a blank line and the exact body.
func dump(r Response) string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d\n", r.Status)
	keys := make([]string, 0, len(r.Headers))
	for k := range r.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", k, r.Headers[k])
	}
	b.WriteString("\n")
	b.Write(r.Body)
	b.WriteString("\n")
	return b.String()
}

// diff shows the first differing line of two texts, with its neighbours.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\nwant: %s\ngot:  %s", i+1, wl, gl)
		}
	}
	return "(equal)"
}

func TestRenderShape(t *testing.T) {
	r := Render(partialOutcome(), "")
	var top map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &top); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"FlowIds", "CustomerData", "ErrorMessages", "FlowApprovers", "RequestId", "Outcome", "Warnings"} {
		if _, ok := top[k]; !ok {
			t.Errorf("2xx body lacks %s: %s", k, r.Body)
		}
	}
	for _, k := range []string{"Error", "PreviewUrls", "TaskInfos", "Response"} {
		if _, ok := top[k]; ok {
			t.Errorf("2xx body has %s: %s", k, r.Body)
		}
	}
	var out struct {
		Status, ResultID, IdempotencyKey string
		Replayed                         bool
		Flows                            []result.Flow
	}
	if err := json.Unmarshal(top["Outcome"], &out); err != nil {
		t.Fatal(err)
	}
	if out.Status != "partially_failed" || out.ResultID != "msg_4f1c" || out.IdempotencyKey != "order-42" || !out.Replayed || len(out.Flows) != 2 {
		t.Fatalf("Outcome = %+v", out)
	}
	if r.Headers["Idempotency-Replayed"] != "true" || r.Headers["Content-Type"] != ContentType {
		t.Fatalf("headers = %v", r.Headers)
	}
}

func TestRenderRetryAfter(t *testing.T) {
	tests := []struct {
		status int
		after  time.Duration
		want   string
	}{
		{429, time.Second, "1"},
		{429, time.Second + time.Nanosecond, "2"},
		{429, time.Millisecond, "1"},
		{503, 90 * time.Second, "90"},
		{503, 0, ""},
		{502, 5 * time.Second, ""},
		{400, 5 * time.Second, ""},
	}
	for _, tt := range tests {
		r := Render(flows.Outcome{Status: flows.StatusRetryable, HTTPStatus: tt.status, RetryAfter: tt.after}, "")
		if got := r.Headers["Retry-After"]; got != tt.want {
			t.Errorf("status %d, RetryAfter %v: Retry-After = %q, want %q", tt.status, tt.after, got, tt.want)
		}
	}
}

func TestRenderStatusFallback(t *testing.T) {
	tests := []struct {
		s    flows.Status
		code int
	}{
		{flows.StatusCreated, 200}, {flows.StatusPreviewed, 200}, {flows.StatusPartiallyFailed, 200},
		{flows.StatusRejected, 400}, {flows.StatusFailed, 502}, {flows.StatusUnknown, 502},
		{flows.StatusRetryable, 503}, {flows.StatusNotProcessed, 503}, {"", 500}, {"bogus", 500},
	}
	for _, tt := range tests {
		for _, set := range []int{0, 42, 600} {
			if got := Render(flows.Outcome{Status: tt.s, HTTPStatus: set}, "").Status; got != tt.code {
				t.Errorf("status %q with HTTPStatus %d: got %d, want %d", tt.s, set, got, tt.code)
			}
		}
	}
}

func FuzzRender(f *testing.F) {
	f.Add(200, "created", "essflow.InvalidRequest", "msg", "消息", "Path[0]", "zh-CN", int64(0), true, "secret-cause")
	f.Add(429, "retryable", "", "", "", "", "en", int64(1500), false, "")
	f.Add(500, "retryable", "essflow.Internal", "boom \x00 <&>", "", "", "zh;q=0.1,en", int64(-5), false, "db password=hunter2")
	f.Add(0, "", "", "", "", "", "", int64(0), false, "")
	f.Fuzz(func(t *testing.T, status int, st, code, msg, msgZH, path, lang string, retryMs int64, replayed bool, cause string) {
		o := flows.Outcome{Status: flows.Status(st), HTTPStatus: status, RetryAfter: time.Duration(retryMs) * time.Millisecond,
			Replayed: replayed, Err: errors.New("INTERNAL-" + cause)}
		if code != "" || msg != "" {
			o.Message = &result.Message{ID: "id", Error: &result.Error{Code: code, Message: msg, MessageZH: msgZH,
				Violations: []result.Violation{{Path: path, Rule: "r", Message: msg}}}}
		}
		r := Render(o, lang)
		if r.Status < 100 || r.Status > 599 {
			t.Fatalf("status %d out of range", r.Status)
		}
		if !json.Valid(r.Body) {
			t.Fatalf("body is not JSON: %q", r.Body)
		}
		if bytes.Contains(r.Body, []byte("INTERNAL-")) {
			t.Fatalf("o.Err leaked: %s", r.Body)
		}
		var body struct {
			Error *struct{ Code, Message string }
		}
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatal(err)
		}
		if (body.Error != nil) != (r.Status >= 400) {
			t.Fatalf("status %d with Error %v", r.Status, body.Error)
		}
		if r.Status == 500 && (body.Error.Code != CodeInternalError || (body.Error.Message != msgInternal && body.Error.Message != msgInternalZH)) {
			t.Fatalf("a 500 rendered something other than the generic error: %s", r.Body)
		}
		if r.Headers["Content-Type"] != ContentType {
			t.Fatalf("Content-Type = %q", r.Headers["Content-Type"])
		}
		if _, ok := r.Headers["Retry-After"]; ok != ((r.Status == 429 || r.Status == 503) && o.RetryAfter > 0) {
			t.Fatalf("Retry-After %v on status %d with RetryAfter %v", ok, r.Status, o.RetryAfter)
		}
		if (r.Headers["Idempotency-Replayed"] == "true") != replayed {
			t.Fatalf("Idempotency-Replayed header disagrees with Replayed=%v", replayed)
		}
	})
}

// TestRenderInProgress ensures a duplicate refused while its original runs tells the caller when
// to retry, and a final conflict (another payload under the key) does not.
func TestRenderInProgress(t *testing.T) {
	inProgress := flows.Outcome{Status: flows.StatusRetryable, Retryable: true, HTTPStatus: http.StatusConflict, RetryAfter: 1500 * time.Millisecond}
	if got := Render(inProgress, "").Headers["Retry-After"]; got != "2" {
		t.Errorf("in progress: Retry-After %q, want 2", got)
	}
	conflict := flows.Outcome{Status: flows.StatusRejected, HTTPStatus: http.StatusConflict, RetryAfter: time.Second}
	if got, ok := Render(conflict, "").Headers["Retry-After"]; ok {
		t.Errorf("conflict: Retry-After %q, want none", got)
	}
}
