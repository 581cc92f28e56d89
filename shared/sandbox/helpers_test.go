package sandbox_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/essflow/essflow/shared/sandbox"
)

// fixedNow is the clock of deterministic tests.
var fixedNow = time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)

// clock is a settable clock for Config.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newSandbox serves a Server with a fixed clock and seed on a real HTTP listener.
func newSandbox(t testing.TB, mutate func(*sandbox.Config)) (*sandbox.Server, *httptest.Server) {
	t.Helper()
	// The clock stands still, so the token bucket would never refill: unlimited unless a test sets QPS.
	cfg := sandbox.Config{Now: func() time.Time { return fixedNow }, Seed: 42, QPS: -1}
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := sandbox.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return s, hs
}

// apiRequest is one raw API 3.0 call, signed with SignTC3.
type apiRequest struct {
	action, version, service string
	body                     string
	secretID, secretKey      string
	token, region            string
	at                       time.Time
	signed                   []string
}

func (a apiRequest) build(t testing.TB, base string) *http.Request {
	t.Helper()
	if a.version == "" {
		a.version = sandbox.VersionESS
	}
	if a.service == "" {
		a.service = sandbox.ServiceESS
	}
	if a.secretID == "" {
		a.secretID, a.secretKey = sandbox.DefaultSecretID, sandbox.DefaultSecretKey
	}
	if a.at.IsZero() {
		a.at = fixedNow
	}
	r, err := http.NewRequest(http.MethodPost, base+"/", bytes.NewReader([]byte(a.body)))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	if a.action != "" {
		r.Header.Set("X-TC-Action", a.action)
	}
	r.Header.Set("X-TC-Version", a.version)
	if a.token != "" {
		r.Header.Set("X-TC-Token", a.token)
	}
	if a.region != "" {
		r.Header.Set("X-TC-Region", a.region)
	}
	sandbox.SignTC3(r, []byte(a.body), a.secretID, a.secretKey, a.service, a.at, a.signed...)
	return r
}

// response is the union of the Response objects the sandbox answers.
type response struct {
	Error *struct {
		Code    string
		Message string
	}
	RequestId     string
	FlowIds       []string
	CustomerData  []string
	ErrorMessages []string
	PreviewUrls   []string
	TaskInfos     []struct{ TaskId, TaskStatus string }
	FlowApprovers []struct {
		FlowId    string
		Approvers []struct{ SignId, RecipientId, ApproverRoleName string }
	}
	Templates []struct {
		TemplateId     string
		TemplateName   string
		Recipients     []struct{ RecipientId, RecipientType, RoleName string }
		Components     []struct{ ComponentName, ComponentType string }
		SignComponents []struct{ ComponentName string }
	}
	TotalCount, Limit, Offset int
	Result                    bool
	MsgId                     string
}

// send performs a and decodes the envelope, failing unless the answer is HTTP 200 JSON.
func (a apiRequest) send(t testing.TB, base string) (response, []byte) {
	t.Helper()
	res, err := http.DefaultClient.Do(a.build(t, base))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("HTTP %d %s: %s", res.StatusCode, res.Header.Get("Content-Type"), raw)
	}
	var env struct{ Response response }
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	if env.Response.RequestId == "" {
		t.Fatalf("no RequestId in %s", raw)
	}
	return env.Response, raw
}

func code(r response) string {
	if r.Error == nil {
		return ""
	}
	return r.Error.Code
}

// Request bodies, as generic JSON so that tests can break any part of them.

var deadline = fixedNow.Add(30 * 24 * time.Hour).Unix()

func agentJSON() map[string]any {
	return map[string]any{
		"AppId":                   sandbox.DefaultAppID,
		"ProxyOrganizationOpenId": "org_essflow_demo",
		"ProxyOperator":           map[string]any{"OpenId": "op_hr_001"},
	}
}

func laborFlow(name, customerData string) map[string]any {
	return map[string]any{
		"FlowName":     name,
		"TemplateId":   sandbox.TemplateLaborB2C,
		"Deadline":     deadline,
		"CustomerData": customerData,
		"FlowApprovers": []any{
			map[string]any{"ApproverType": "ORGANIZATION", "RecipientId": sandbox.RecipientLaborEmployer, "OpenId": "op_hr_001"},
			map[string]any{"ApproverType": "PERSON", "RecipientId": sandbox.RecipientLaborEmployee, "Name": "测试员工", "Mobile": "13800000000"},
		},
		"FormFields": []any{
			map[string]any{"ComponentName": "姓名", "ComponentValue": "测试员工"},
			map[string]any{"ComponentName": "岗位", "ComponentValue": "工程师"},
			map[string]any{"ComponentName": "入职日期", "ComponentValue": "2026年04月01日"},
		},
	}
}

func quoteFlow(name string) map[string]any {
	return map[string]any{
		"FlowName":   name,
		"TemplateId": sandbox.TemplateQuoteTable,
		"Deadline":   deadline,
		"FlowApprovers": []any{
			map[string]any{"ApproverType": "ORGANIZATION", "RecipientId": sandbox.RecipientQuoteCompany, "OpenId": "op_sales_001"},
			map[string]any{"ApproverType": "PERSON", "RecipientId": sandbox.RecipientQuoteCustomer, "Name": "测试客户", "Mobile": "13900000000"},
		},
		"FormFields": []any{
			map[string]any{"ComponentName": "报价明细", "ComponentValue": `{"headers":[{"content":"品名"}],"rowCount":1,"body":{"cells":[{"rowStart":1,"rowEnd":1,"columnStart":1,"columnEnd":1,"content":"纸"}]}}`},
		},
	}
}

func createBody(flows ...map[string]any) map[string]any {
	fs := make([]any, len(flows))
	for i, f := range flows {
		fs[i] = f
	}
	return map[string]any{"Agent": agentJSON(), "FlowInfos": fs}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func create(body any) apiRequest {
	b, err := json.Marshal(body)
	if err != nil {
		panic(err)
	}
	return apiRequest{action: sandbox.ActionCreateFlowsByTemplates, body: string(b)}
}

// approverAt returns the j-th approver of a flow body.
func approverAt(f map[string]any, j int) map[string]any {
	return f["FlowApprovers"].([]any)[j].(map[string]any)
}
