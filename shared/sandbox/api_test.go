package sandbox_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/essflow/essflow/shared/sandbox"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func TestRoutingAndAuthentication(t *testing.T) {
	_, hs := newSandbox(t, func(c *sandbox.Config) { c.Token = "" })
	ok := create(createBody(laborFlow("劳动合同", "")))
	tests := []struct {
		name   string
		mutate func(*apiRequest)
		want   string
	}{
		{"valid", func(*apiRequest) {}, ""},
		{"signed with x-tc-action too", func(a *apiRequest) { a.signed = []string{"X-TC-Action"} }, ""},
		{"no action", func(a *apiRequest) { a.action = "" }, sandbox.CodeMissingParameter},
		{"unknown action", func(a *apiRequest) { a.action = "CreateFlowsByTemplate" }, sandbox.CodeInvalidAction},
		{"other version", func(a *apiRequest) { a.version = "2020-01-01" }, sandbox.CodeNoSuchVersion},
		{"service of another product", func(a *apiRequest) { a.service = "ess" }, sandbox.CodeInvalidAuthorization},
		{"CMQ action in the essbasic scope", func(a *apiRequest) {
			a.action, a.version, a.region, a.body = sandbox.ActionSendCmqMsg, sandbox.VersionTDMQ, "ap-guangzhou", `{"QueueName":"q","MsgContent":"m","DelaySeconds":0}`
		}, sandbox.CodeInvalidAuthorization},
		{"unknown SecretId", func(a *apiRequest) { a.secretID = "AKIDother"; a.secretKey = sandbox.DefaultSecretKey }, sandbox.CodeSecretIDNotFound},
		{"wrong SecretKey", func(a *apiRequest) { a.secretID = sandbox.DefaultSecretID; a.secretKey = "wrong" }, sandbox.CodeSignatureFailure},
		{"expired", func(a *apiRequest) { a.at = fixedNow.Add(-6 * time.Minute) }, sandbox.CodeSignatureExpire},
		{"from the future", func(a *apiRequest) { a.at = fixedNow.Add(6 * time.Minute) }, sandbox.CodeSignatureExpire},
		{"token with a permanent key", func(a *apiRequest) { a.token = "tok" }, sandbox.CodeTokenFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := ok
			tt.mutate(&a)
			r, _ := a.send(t, hs.URL)
			if code(r) != tt.want {
				t.Fatalf("code %q (%+v), want %q", code(r), r.Error, tt.want)
			}
		})
	}
}

func TestTemporaryCredentials(t *testing.T) {
	_, hs := newSandbox(t, func(c *sandbox.Config) { c.Token = "session-token-1" })
	for _, tt := range []struct{ token, want string }{
		{"session-token-1", ""},
		{"session-token-0", sandbox.CodeTokenFailure},
		{"", sandbox.CodeTokenFailure},
	} {
		a := create(createBody(laborFlow("劳动合同", "")))
		a.token = tt.token
		if r, _ := a.send(t, hs.URL); code(r) != tt.want {
			t.Errorf("token %q: code %q, want %q", tt.token, code(r), tt.want)
		}
	}
}

func TestTamperedBodyIsRefused(t *testing.T) {
	s, hs := newSandbox(t, nil)
	a := create(createBody(laborFlow("劳动合同", "")))
	r := a.build(t, hs.URL)
	// Replace the body after signing, keeping its length.
	tampered := strings.Replace(a.body, "工程师", "经理人", 1)
	r.Body = http.NoBody
	r2, _ := http.NewRequest(http.MethodPost, hs.URL+"/", strings.NewReader(tampered))
	r2.Header = r.Header
	res, err := http.DefaultClient.Do(r2)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var env struct{ Response response }
	if err := json.NewDecoder(res.Body).Decode(&env); err != nil {
		t.Fatal(err)
	}
	if code(env.Response) != sandbox.CodeSignatureFailure || len(s.Flows()) != 0 {
		t.Fatalf("tampered body: code %q, %d flows", code(env.Response), len(s.Flows()))
	}
}

func TestCreateRequestRules(t *testing.T) {
	_, hs := newSandbox(t, nil)
	tests := []struct {
		name   string
		mutate func(body map[string]any)
		want   string
	}{
		{"no Agent", func(b map[string]any) { delete(b, "Agent") }, sandbox.CodeMissingParameter},
		{"no AppId", func(b map[string]any) { delete(b["Agent"].(map[string]any), "AppId") }, sandbox.CodeMissingRequiredValue},
		{"no ProxyOrganizationOpenId", func(b map[string]any) { b["Agent"].(map[string]any)["ProxyOrganizationOpenId"] = "" }, sandbox.CodeMissingRequiredValue},
		{"no ProxyOperator.OpenId", func(b map[string]any) { b["Agent"].(map[string]any)["ProxyOperator"] = map[string]any{} }, sandbox.CodeMissingRequiredValue},
		{"other application", func(b map[string]any) { b["Agent"].(map[string]any)["AppId"] = "yDwotherApplication0000000000001" }, sandbox.CodeInvalidApplication},
		{"no FlowInfos", func(b map[string]any) { delete(b, "FlowInfos") }, sandbox.CodeMissingParameter},
		{"0 flows", func(b map[string]any) { b["FlowInfos"] = []any{} }, sandbox.CodeInvalidFlowInfos},
		{"21 flows", func(b map[string]any) {
			var fs []any
			for range 21 {
				fs = append(fs, laborFlow("劳动合同", ""))
			}
			b["FlowInfos"] = fs
		}, sandbox.CodeInvalidFlowInfos},
		{"unknown field", func(b map[string]any) { b["FlowInfo"] = []any{} }, sandbox.CodeUnknownParameter},
		{"wrong JSON type", func(b map[string]any) { b["NeedPreview"] = "yes" }, sandbox.CodeInvalidParameter},
		{"bad PreviewType", func(b map[string]any) { b["PreviewType"] = 2 }, sandbox.CodeInvalidParameterValue},
		{"no FlowName", func(b map[string]any) { flow(b)["FlowName"] = "" }, sandbox.CodeMissingRequiredValue},
		{"FlowName of 201 characters", func(b map[string]any) { flow(b)["FlowName"] = strings.Repeat("合", 201) }, sandbox.CodeParamError},
		{"FlowDescription of 1001 characters", func(b map[string]any) { flow(b)["FlowDescription"] = strings.Repeat("a", 1001) }, sandbox.CodeParamError},
		{"CustomerData of 1001 characters", func(b map[string]any) { flow(b)["CustomerData"] = strings.Repeat("a", 1001) }, sandbox.CodeParamError},
		{"Deadline in milliseconds", func(b map[string]any) { flow(b)["Deadline"] = deadline * 1000 }, sandbox.CodeInvalidParameterValue},
		{"Deadline in the past", func(b map[string]any) { flow(b)["Deadline"] = fixedNow.Add(-time.Hour).Unix() }, sandbox.CodeParamError},
		{"no TemplateId", func(b map[string]any) { delete(flow(b), "TemplateId") }, sandbox.CodeMissingRequiredValue},
		{"unknown TemplateId", func(b map[string]any) { flow(b)["TemplateId"] = "yDwessflowTplDoesNotExist0000009" }, sandbox.CodeTemplateNotFound},
		{"mobile of 10 digits", func(b map[string]any) { approverAt(flow(b), 1)["Mobile"] = "1380000000" }, sandbox.CodeInvalidMobile},
		{"mobile with +86", func(b map[string]any) { approverAt(flow(b), 1)["Mobile"] = "+8613800000000" }, sandbox.CodeInvalidMobile},
		{"CC mobile", func(b map[string]any) { flow(b)["CcInfos"] = []any{map[string]any{"Mobile": "12345"}} }, sandbox.CodeInvalidMobile},
		{"bad ApproverType", func(b map[string]any) { approverAt(flow(b), 1)["ApproverType"] = "HUMAN" }, sandbox.CodeInvalidParameterValue},
		{"bad IdCardType", func(b map[string]any) { approverAt(flow(b), 1)["IdCardType"] = "PASSPORT" }, sandbox.CodeInvalidParameterValue},
		{"bad IdCardNumber", func(b map[string]any) { approverAt(flow(b), 1)["IdCardNumber"] = "12345" }, sandbox.CodeParamError},
		{"bad NotifyType", func(b map[string]any) { approverAt(flow(b), 1)["NotifyType"] = "NODE" }, sandbox.CodeInvalidParameterValue},
		{"ApproverRoleName of 21 characters", func(b map[string]any) { approverAt(flow(b), 1)["ApproverRoleName"] = strings.Repeat("角", 21) }, sandbox.CodeParamError},
		{"PreReadTime 2", func(b map[string]any) { approverAt(flow(b), 1)["PreReadTime"] = 2 }, sandbox.CodeParamError},
		{"FlowDisplayType 4", func(b map[string]any) { flow(b)["FlowDisplayType"] = 4 }, sandbox.CodeInvalidParameterValue},
		{"51 approvers", func(b map[string]any) {
			var as []any
			for range 51 {
				as = append(as, map[string]any{"ApproverType": "PERSON"})
			}
			flow(b)["FlowApprovers"] = as
		}, sandbox.CodeParamError},
		{"FormField without value", func(b map[string]any) { flow(b)["FormFields"] = []any{map[string]any{"ComponentName": "姓名"}} }, sandbox.CodeMissingRequiredValue},
		{"PERSON_AUTO_SIGN without AutoSignScene", func(b map[string]any) { approverAt(flow(b), 1)["ApproverType"] = "PERSON_AUTO_SIGN" }, sandbox.CodeMissingRequiredValue},
		{"valid", func(map[string]any) {}, ""},
		{"valid with an ID card", func(b map[string]any) {
			approverAt(flow(b), 1)["IdCardType"] = "ID_CARD"
			approverAt(flow(b), 1)["IdCardNumber"] = "11010119900101001X"
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := createBody(laborFlow("劳动合同", ""))
			tt.mutate(body)
			r, raw := create(body).send(t, hs.URL)
			if code(r) != tt.want {
				t.Fatalf("code %q, want %q: %s", code(r), tt.want, raw)
			}
			if tt.want != "" && (len(r.FlowIds) != 0 || strings.Contains(string(raw), "13800000000")) {
				t.Fatalf("refusal carries flows or echoes a mobile: %s", raw)
			}
		})
	}
}

func flow(body map[string]any) map[string]any { return body["FlowInfos"].([]any)[0].(map[string]any) }

func TestCreatePartialFailure(t *testing.T) {
	broken := func(msg string, mutate func(f map[string]any)) struct {
		msg string
		f   map[string]any
	} {
		f := laborFlow("劳动合同", "broken")
		mutate(f)
		return struct {
			msg string
			f   map[string]any
		}{msg, f}
	}
	cases := []struct {
		msg string
		f   map[string]any
	}{
		broken("签署人与模板中配置的签署方不匹配", func(f map[string]any) { f["FlowApprovers"] = f["FlowApprovers"].([]any)[:1] }),
		broken("签署人与模板中配置的签署方不匹配", func(f map[string]any) {
			as := f["FlowApprovers"].([]any)
			f["FlowApprovers"] = []any{as[1], as[0]}
		}),
		broken("签署人与模板中配置的签署方不匹配", func(f map[string]any) { approverAt(f, 0)["RecipientId"] = sandbox.RecipientPurchaseBuyer }),
		broken("签署人与模板中配置的签署方不匹配", func(f map[string]any) { approverAt(f, 0)["ApproverType"] = "PERSON" }),
		broken("签署人与模板中配置的签署方不匹配", func(f map[string]any) { approverAt(f, 1)["ApproverType"] = "ORGANIZATION" }),
		broken("缺少用户信息", func(f map[string]any) { delete(approverAt(f, 1), "Name") }),
		broken("缺少手机信息", func(f map[string]any) { delete(approverAt(f, 1), "Mobile") }),
		broken("缺少必填控件:岗位", func(f map[string]any) { f["FormFields"] = f["FormFields"].([]any)[:1] }),
		broken("控件不存在:薪资", func(f map[string]any) {
			f["FormFields"] = append(f["FormFields"].([]any), map[string]any{"ComponentName": "薪资", "ComponentValue": "1"})
		}),
		broken("控件值格式错误:入职日期", func(f map[string]any) {
			f["FormFields"].([]any)[2].(map[string]any)["ComponentValue"] = "2026-04-01"
		}),
	}
	s, hs := newSandbox(t, nil)
	for _, c := range cases {
		t.Run(c.msg, func(t *testing.T) {
			s.Reset()
			good1, good2 := laborFlow("劳动合同一", "Zmlyc3Q="), laborFlow("劳动合同二", "c2Vjb25k")
			r, raw := create(createBody(good1, c.f, good2)).send(t, hs.URL)
			if code(r) != "" {
				t.Fatalf("refused: %s", raw)
			}
			if len(r.FlowIds) != 3 || len(r.ErrorMessages) != 3 || len(r.CustomerData) != 3 || len(r.PreviewUrls) != 3 || len(r.TaskInfos) != 3 {
				t.Fatalf("parallel arrays do not have 3 entries: %s", raw)
			}
			if r.ErrorMessages[1] != c.msg || r.FlowIds[1] != "" {
				t.Fatalf("failed flow: message %q id %q, want %q and no id", r.ErrorMessages[1], r.FlowIds[1], c.msg)
			}
			for _, i := range []int{0, 2} {
				if r.ErrorMessages[i] != "" || len(r.FlowIds[i]) != 32 || !strings.HasPrefix(r.FlowIds[i], "yDw") {
					t.Fatalf("flow %d not created: %s", i, raw)
				}
			}
			if r.CustomerData[0] != "Zmlyc3Q=" || r.CustomerData[1] != "broken" || r.CustomerData[2] != "c2Vjb25k" {
				t.Fatalf("CustomerData not echoed in order: %v", r.CustomerData)
			}
			if got := s.Flows(); len(got) != 2 || got[0].FlowID != r.FlowIds[0] || got[1].FlowID != r.FlowIds[2] {
				t.Fatalf("recorded flows %+v", got)
			}
			if len(r.FlowApprovers) != 2 || r.FlowApprovers[0].FlowId != r.FlowIds[0] {
				t.Fatalf("FlowApprovers %+v", r.FlowApprovers)
			}
		})
	}
}

func TestCreateSuccessShape(t *testing.T) {
	s, hs := newSandbox(t, nil)
	consent := map[string]any{
		"FlowName": "个人信息授权书", "TemplateId": sandbox.TemplatePersonConsent, "Deadline": deadline,
		"FlowApprovers": []any{map[string]any{"ApproverType": "PERSON", "RecipientId": sandbox.RecipientConsentGrantor, "Name": "授权人甲", "Mobile": "13700000000", "ApproverRoleName": "本人"}},
	}
	purchase := map[string]any{
		"FlowName": "采购合同", "TemplateId": sandbox.TemplatePurchaseB2B, "Deadline": deadline,
		"FlowApprovers": []any{
			map[string]any{"ApproverType": "ORGANIZATION", "RecipientId": sandbox.RecipientPurchaseBuyer, "OpenId": "op_buyer"},
			map[string]any{"ApproverType": "ORGANIZATION", "RecipientId": sandbox.RecipientPurchaseSupplier, "ApproverOption": map[string]any{"FillType": 1}, "OrganizationName": "供应商（测试）", "OrganizationOpenId": "org_supplier"},
		},
		"FormFields": []any{map[string]any{"ComponentName": "合同金额", "ComponentValue": "1000.00"}},
	}
	r, raw := create(createBody(laborFlow("劳动合同", "ZGF0YQ=="), consent, purchase)).send(t, hs.URL)
	if code(r) != "" {
		t.Fatalf("refused: %s", raw)
	}
	seen := map[string]bool{}
	for i, id := range r.FlowIds {
		if len(id) != 32 || seen[id] || r.ErrorMessages[i] != "" || r.PreviewUrls[i] != "" || r.TaskInfos[i].TaskId != "" || r.TaskInfos[i].TaskStatus != "" {
			t.Fatalf("flow %d: %s", i, raw)
		}
		seen[id] = true
	}
	wantRoles := [][]string{{"甲方", "乙方"}, {"本人"}, {"采购方", "供应方"}}
	for i, fa := range r.FlowApprovers {
		if fa.FlowId != r.FlowIds[i] || len(fa.Approvers) != len(wantRoles[i]) {
			t.Fatalf("FlowApprovers[%d] = %+v", i, fa)
		}
		for j, a := range fa.Approvers {
			if a.ApproverRoleName != wantRoles[i][j] || len(a.SignId) != 32 || a.RecipientId == "" {
				t.Fatalf("FlowApprovers[%d].Approvers[%d] = %+v", i, j, a)
			}
		}
	}
	flows := s.Flows()
	if len(flows) != 3 || flows[0].RequestID != r.RequestId || !flows[0].CreatedAt.Equal(fixedNow) || flows[0].TemplateID != sandbox.TemplateLaborB2C ||
		flows[0].Approvers[1].ApproverType != "PERSON" || flows[0].Approvers[1].SignID != r.FlowApprovers[0].Approvers[1].SignId {
		t.Fatalf("recorded %+v", flows)
	}
	if s.Calls(sandbox.ActionCreateFlowsByTemplates) != 1 {
		t.Fatalf("Calls = %d", s.Calls(sandbox.ActionCreateFlowsByTemplates))
	}
}

func TestCreatePreview(t *testing.T) {
	s, hs := newSandbox(t, nil)
	body := createBody(laborFlow("劳动合同", "cA=="), quoteFlow("报价单"))
	body["NeedPreview"] = true
	body["PreviewType"] = 1
	r, raw := create(body).send(t, hs.URL)
	if code(r) != "" {
		t.Fatalf("refused: %s", raw)
	}
	for i := range 2 {
		if r.FlowIds[i] != "" || !strings.HasPrefix(r.PreviewUrls[i], "https://test.ess.tencent.cn/document-url-preview?") {
			t.Fatalf("preview flow %d: %s", i, raw)
		}
	}
	if r.TaskInfos[1].TaskStatus != "NOTREADY" || len(r.TaskInfos[1].TaskId) != 32 || r.TaskInfos[0].TaskId != "" {
		t.Fatalf("TaskInfos %+v", r.TaskInfos)
	}
	if len(s.Flows()) != 0 || len(r.FlowApprovers) != 0 {
		t.Fatalf("preview created flows: %+v", s.Flows())
	}
}

func TestCreateDynamicTable(t *testing.T) {
	_, hs := newSandbox(t, nil)
	bad := quoteFlow("报价单")
	bad["FormFields"].([]any)[0].(map[string]any)["ComponentValue"] = "not a table"
	r, raw := create(createBody(quoteFlow("报价单"), laborFlow("劳动合同", ""), bad)).send(t, hs.URL)
	if code(r) != "" {
		t.Fatalf("refused: %s", raw)
	}
	if r.TaskInfos[0].TaskStatus != "NOTREADY" || len(r.TaskInfos[0].TaskId) != 32 || r.FlowIds[0] == "" {
		t.Fatalf("dynamic-table flow: %s", raw)
	}
	if r.TaskInfos[1] != (struct{ TaskId, TaskStatus string }{}) {
		t.Fatalf("plain flow has a task: %+v", r.TaskInfos[1])
	}
	if r.ErrorMessages[2] != "控件值格式错误:报价明细" {
		t.Fatalf("bad table: %q", r.ErrorMessages[2])
	}
}

func TestRateLimit(t *testing.T) {
	clk := &clock{now: fixedNow}
	_, hs := newSandbox(t, func(c *sandbox.Config) { c.QPS = 2; c.Now = clk.Now })
	describe := apiRequest{action: sandbox.ActionDescribeTemplates, body: mustJSON(t, map[string]any{"Agent": agentJSON()})}
	want := []string{"", "", sandbox.CodeRequestLimitExceeded}
	for i, w := range want {
		if r, _ := create(createBody(laborFlow("劳动合同", ""))).send(t, hs.URL); code(r) != w {
			t.Fatalf("call %d: code %q, want %q", i, code(r), w)
		}
	}
	// Another action has its own bucket.
	if r, _ := describe.send(t, hs.URL); code(r) != "" {
		t.Fatalf("DescribeTemplates limited by CreateFlowsByTemplates' bucket: %+v", r.Error)
	}
	clk.Add(500 * time.Millisecond)
	a := create(createBody(laborFlow("劳动合同", "")))
	a.at = clk.Now()
	if r, _ := a.send(t, hs.URL); code(r) != "" {
		t.Fatalf("after refill: %+v", r.Error)
	}
	if r, _ := a.send(t, hs.URL); code(r) != sandbox.CodeRequestLimitExceeded {
		t.Fatalf("bucket not emptied again: %+v", r.Error)
	}
}

func TestDescribeTemplates(t *testing.T) {
	_, hs := newSandbox(t, nil)
	tests := []struct {
		name   string
		params map[string]any
		want   string
		ids    []string
		total  int
	}{
		{"all", nil, "", []string{sandbox.TemplateLaborB2C, sandbox.TemplatePurchaseB2B, sandbox.TemplateQuoteTable, sandbox.TemplatePersonConsent}, 4},
		{"by TemplateId", map[string]any{"TemplateId": sandbox.TemplateQuoteTable}, "", []string{sandbox.TemplateQuoteTable}, 1},
		{"by TemplateIds", map[string]any{"TemplateIds": []string{sandbox.TemplatePersonConsent, sandbox.TemplateLaborB2C}}, "", []string{sandbox.TemplateLaborB2C, sandbox.TemplatePersonConsent}, 2},
		{"unknown id", map[string]any{"TemplateId": "yDwnothing"}, "", nil, 0},
		{"by name", map[string]any{"TemplateName": "合同"}, "", []string{sandbox.TemplateLaborB2C, sandbox.TemplatePurchaseB2B}, 2},
		{"paged", map[string]any{"Limit": 2, "Offset": 1}, "", []string{sandbox.TemplatePurchaseB2B, sandbox.TemplateQuoteTable}, 4},
		{"offset past the end", map[string]any{"Offset": 10}, "", nil, 4},
		{"Limit 101", map[string]any{"Limit": 101}, sandbox.CodeInvalidParameterValue, nil, 0},
		{"Offset 20001", map[string]any{"Offset": 20001}, sandbox.CodeInvalidParameterValue, nil, 0},
		{"negative Limit", map[string]any{"Limit": -1}, sandbox.CodeInvalidParameter, nil, 0},
		{"other application", map[string]any{"Agent": map[string]any{"AppId": "x", "ProxyOrganizationOpenId": "o", "ProxyOperator": map[string]any{"OpenId": "p"}}}, sandbox.CodeInvalidApplication, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := map[string]any{"Agent": agentJSON()}
			for k, v := range tt.params {
				body[k] = v
			}
			r, raw := apiRequest{action: sandbox.ActionDescribeTemplates, body: mustJSON(t, body)}.send(t, hs.URL)
			if code(r) != tt.want {
				t.Fatalf("code %q, want %q: %s", code(r), tt.want, raw)
			}
			if tt.want != "" {
				return
			}
			var ids []string
			for _, tpl := range r.Templates {
				ids = append(ids, tpl.TemplateId)
			}
			if strings.Join(ids, ",") != strings.Join(tt.ids, ",") || r.TotalCount != tt.total {
				t.Fatalf("templates %v total %d, want %v total %d", ids, r.TotalCount, tt.ids, tt.total)
			}
		})
	}
	t.Run("recipients and components", func(t *testing.T) {
		r, _ := apiRequest{action: sandbox.ActionDescribeTemplates, body: mustJSON(t, map[string]any{"Agent": agentJSON(), "TemplateId": sandbox.TemplateLaborB2C, "QueryAllComponents": true})}.send(t, hs.URL)
		tpl := r.Templates[0]
		if len(tpl.Recipients) != 2 || tpl.Recipients[0].RecipientId != sandbox.RecipientLaborEmployer || tpl.Recipients[0].RecipientType != "ENTERPRISE" ||
			tpl.Recipients[0].RoleName != "甲方" || tpl.Recipients[1].RecipientType != "INDIVIDUAL" || tpl.Recipients[1].RoleName != "乙方" {
			t.Fatalf("recipients %+v", tpl.Recipients)
		}
		if len(tpl.Components) != 3 || tpl.Components[0].ComponentName != "姓名" || tpl.Components[2].ComponentType != "DATE" || len(tpl.SignComponents) != 2 {
			t.Fatalf("components %+v %+v", tpl.Components, tpl.SignComponents)
		}
		r, _ = apiRequest{action: sandbox.ActionDescribeTemplates, body: mustJSON(t, map[string]any{"Agent": agentJSON(), "ContentType": 1})}.send(t, hs.URL)
		if len(r.Templates) != 4 || r.Templates[0].Recipients != nil || r.Templates[0].Components != nil {
			t.Fatalf("ContentType 1 is not a bare list: %+v", r.Templates[0])
		}
	})
}

func TestSendCmqMsg(t *testing.T) {
	s, hs := newSandbox(t, nil)
	send := func(body, region string) apiRequest {
		return apiRequest{action: sandbox.ActionSendCmqMsg, version: sandbox.VersionTDMQ, service: sandbox.ServiceTDMQ, body: body, region: region}
	}
	tests := []struct {
		name, body, region, want string
	}{
		{"valid", `{"QueueName":"essflow-results","MsgContent":"{\"ok\":true}","DelaySeconds":0}`, "ap-guangzhou", ""},
		{"second message", `{"QueueName":"essflow-results","MsgContent":"two","DelaySeconds":5}`, "ap-guangzhou", ""},
		{"no region", `{"QueueName":"essflow-results","MsgContent":"m","DelaySeconds":0}`, "", sandbox.CodeMissingParameter},
		{"no DelaySeconds", `{"QueueName":"essflow-results","MsgContent":"m"}`, "ap-guangzhou", sandbox.CodeMissingParameter},
		{"no QueueName", `{"MsgContent":"m","DelaySeconds":0}`, "ap-guangzhou", sandbox.CodeMissingParameter},
		{"no MsgContent", `{"QueueName":"q","DelaySeconds":0}`, "ap-guangzhou", sandbox.CodeMissingParameter},
		{"bad queue name", `{"QueueName":"1queue","MsgContent":"m","DelaySeconds":0}`, "ap-guangzhou", sandbox.CodeInvalidParameterValue},
		{"negative delay", `{"QueueName":"q","MsgContent":"m","DelaySeconds":-1}`, "ap-guangzhou", sandbox.CodeInvalidParameterValue},
		{"unknown field", `{"QueueName":"q","MsgContent":"m","DelaySeconds":0,"MsgTag":"x"}`, "ap-guangzhou", sandbox.CodeUnknownParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, raw := send(tt.body, tt.region).send(t, hs.URL)
			if code(r) != tt.want {
				t.Fatalf("code %q, want %q: %s", code(r), tt.want, raw)
			}
			if tt.want == "" && (!r.Result || r.MsgId == "") {
				t.Fatalf("answer %s", raw)
			}
		})
	}
	msgs := s.CMQMessages("essflow-results")
	if len(msgs) != 2 || msgs[0].MsgContent != `{"ok":true}` || msgs[1].DelaySeconds != 5 || msgs[0].Region != "ap-guangzhou" || msgs[0].MsgID == msgs[1].MsgID {
		t.Fatalf("stored %+v", msgs)
	}
	var viaHTTP []sandbox.CMQMessage
	getJSON(t, hs.URL+"/_sandbox/cmq/essflow-results", &viaHTTP)
	if len(viaHTTP) != 2 || viaHTTP[1].MsgContent != "two" {
		t.Fatalf("GET /_sandbox/cmq: %+v", viaHTTP)
	}
	getJSON(t, hs.URL+"/_sandbox/cmq/never-used", &viaHTTP)
	if len(viaHTTP) != 0 {
		t.Fatalf("unused queue: %+v", viaHTTP)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d", url, res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

func TestAdminEndpoints(t *testing.T) {
	s, hs := newSandbox(t, nil)
	var health map[string]bool
	getJSON(t, hs.URL+"/_sandbox/healthz", &health)
	if !health["ok"] {
		t.Fatalf("healthz %v", health)
	}
	var flows []map[string]any
	getJSON(t, hs.URL+"/_sandbox/flows", &flows)
	if flows == nil || len(flows) != 0 {
		t.Fatalf("flows before any call: %v", flows)
	}
	r, _ := create(createBody(laborFlow("劳动合同", "Y2Q="))).send(t, hs.URL)
	res, err := http.Get(hs.URL + "/_sandbox/flows")
	if err != nil {
		t.Fatal(err)
	}
	var raw json.RawMessage
	if err := json.NewDecoder(res.Body).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for _, secret := range []string{"13800000000", "测试员工", sandbox.DefaultSecretKey} {
		if strings.Contains(string(raw), secret) {
			t.Fatalf("/_sandbox/flows leaks personal data or secrets: %s", raw)
		}
	}
	if err := json.Unmarshal(raw, &flows); err != nil {
		t.Fatal(err)
	}
	if len(flows) != 1 || flows[0]["FlowId"] != r.FlowIds[0] || flows[0]["CustomerData"] != "Y2Q=" || flows[0]["RequestId"] != r.RequestId {
		t.Fatalf("flows %v", flows)
	}
	var calls map[string]int
	getJSON(t, hs.URL+"/_sandbox/calls", &calls)
	if calls[sandbox.ActionCreateFlowsByTemplates] != 1 {
		t.Fatalf("calls %v", calls)
	}
	post, err := http.Post(hs.URL+"/_sandbox/reset", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	post.Body.Close()
	if len(s.Flows()) != 0 || s.Calls(sandbox.ActionCreateFlowsByTemplates) != 0 {
		t.Fatal("reset kept state")
	}
}

// TestGolden pins the exact bytes of answers of a seeded server: a DescribeTemplates listing and
// a partially failed CreateFlowsByTemplates.
func TestGolden(t *testing.T) {
	failing := laborFlow("劳动合同二", "")
	failing["FormFields"] = []any{map[string]any{"ComponentName": "姓名", "ComponentValue": "测试员工"}}
	tests := []struct {
		file string
		req  apiRequest
	}{
		{"describe_templates.golden.json", apiRequest{action: sandbox.ActionDescribeTemplates, body: mustJSON(t, map[string]any{"Agent": agentJSON(), "QueryAllComponents": true})}},
		{"create_partial.golden.json", create(createBody(laborFlow("劳动合同一", "b25l"), failing, quoteFlow("报价单")))},
		{"create_refused.golden.json", create(createBody())},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, hs := newSandbox(t, nil)
			_, raw := tt.req.send(t, hs.URL)
			// Indenting keeps the bytes' key order; only whitespace is added.
			var buf bytes.Buffer
			if err := json.Indent(&buf, raw, "", "  "); err != nil {
				t.Fatal(err)
			}
			got := append(buf.Bytes(), '\n')
			path := filepath.Join("testdata", tt.file)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update)", err)
			}
			if string(got) != string(want) {
				t.Fatalf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", tt.file, got, want)
			}
		})
	}
}
