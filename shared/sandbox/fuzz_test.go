package sandbox_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/essflow/essflow/shared/sandbox"
)

// FuzzHandler signs arbitrary bodies correctly, so they pass authentication and reach the
// decoders and rules of every action: the handler must never panic, always answer HTTP 200
// with an envelope carrying a RequestId, and never echo a mobile number.
func FuzzHandler(f *testing.F) {
	seeds := []struct {
		action string
		body   any
	}{
		{sandbox.ActionCreateFlowsByTemplates, createBody(laborFlow("劳动合同", "YQ=="), quoteFlow("报价单"))},
		{sandbox.ActionCreateFlowsByTemplates, map[string]any{"Agent": agentJSON(), "FlowInfos": []any{nil}}},
		{sandbox.ActionCreateFlowsByTemplates, map[string]any{"Agent": agentJSON(), "FlowInfos": []any{map[string]any{"FlowName": "x", "TemplateId": sandbox.TemplatePersonConsent, "FlowApprovers": []any{nil}}}}},
		{sandbox.ActionDescribeTemplates, map[string]any{"Agent": agentJSON(), "Limit": 1, "Offset": 3, "ContentType": 0}},
		{sandbox.ActionSendCmqMsg, map[string]any{"QueueName": "q", "MsgContent": "m", "DelaySeconds": 1}},
	}
	for _, s := range seeds {
		b, _ := json.Marshal(s.body)
		f.Add(s.action, b)
	}
	f.Add(sandbox.ActionCreateFlowsByTemplates, []byte(`{"Agent":{"AppId":1}}`))
	f.Add(sandbox.ActionCreateFlowsByTemplates, []byte(`{} {}`))
	f.Add("Unknown", []byte(`null`))
	s, err := sandbox.New(sandbox.Config{Now: func() time.Time { return fixedNow }, Seed: 1, QPS: -1})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, action string, body []byte) {
		service, version := sandbox.ServiceESS, sandbox.VersionESS
		if action == sandbox.ActionSendCmqMsg {
			service, version = sandbox.ServiceTDMQ, sandbox.VersionTDMQ
		}
		r := httptest.NewRequest(http.MethodPost, "http://sandbox.test/", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-TC-Action", action)
		r.Header.Set("X-TC-Version", version)
		r.Header.Set("X-TC-Region", "ap-guangzhou")
		sandbox.SignTC3(r, body, sandbox.DefaultSecretID, sandbox.DefaultSecretKey, service, fixedNow)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("HTTP %d for %q", w.Code, body)
		}
		var env struct {
			Response struct {
				RequestId string
				Error     *struct{ Code string }
			}
		}
		if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil || env.Response.RequestId == "" {
			t.Fatalf("answer %s is not an envelope: %v", w.Body.Bytes(), err)
		}
		if env.Response.Error != nil && strings.Contains(w.Body.String(), "13800000000") {
			t.Fatalf("refusal echoes a mobile number: %s", w.Body.Bytes())
		}
		if len(s.Flows()) > 1000 {
			s.Reset()
		}
	})
}

func FuzzParseTemplates(f *testing.F) {
	def, err := json.Marshal(map[string]any{"Templates": sandbox.DefaultTemplates()})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(def)
	f.Add([]byte(`{"Templates":[{"TemplateId":"t","TemplateName":"n","Recipients":[{"RecipientId":"r","RecipientType":"INDIVIDUAL","RoleName":"x","RoutingOrder":1}],"Components":[]}]}`))
	f.Add([]byte(`{"Templates":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, err := sandbox.ParseTemplates(bytes.NewReader(b))
		if err != nil {
			return
		}
		// Whatever parses must serve.
		if _, err := sandbox.New(sandbox.Config{Templates: ts}); err != nil {
			t.Fatalf("parsed catalogue refused by New: %v", err)
		}
	})
}
