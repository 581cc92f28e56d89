package sandbox_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"github.com/essflow/essflow/shared/sandbox"
)

// exampleRequest is a CreateFlowsByTemplates body for the default labour-contract template.
func exampleRequest() map[string]any {
	return map[string]any{
		"Agent": map[string]any{
			"AppId":                   sandbox.DefaultAppID,
			"ProxyOrganizationOpenId": "org_demo",
			"ProxyOperator":           map[string]any{"OpenId": "op_demo"},
		},
		"FlowInfos": []any{map[string]any{
			"FlowName":   "劳动合同",
			"TemplateId": sandbox.TemplateLaborB2C,
			"Deadline":   time.Now().Add(24 * time.Hour).Unix(),
			"FlowApprovers": []any{
				map[string]any{"ApproverType": "ORGANIZATION", "RecipientId": sandbox.RecipientLaborEmployer, "OpenId": "op_demo"},
				map[string]any{"ApproverType": "PERSON", "RecipientId": sandbox.RecipientLaborEmployee, "Name": "示例员工", "Mobile": "13800000000"},
			},
			"FormFields": []any{
				map[string]any{"ComponentName": "姓名", "ComponentValue": "示例员工"},
				map[string]any{"ComponentName": "岗位", "ComponentValue": "工程师"},
			},
		}},
	}
}

// exampleClient is the official SDK client pointed at a running sandbox.
func exampleClient(run *sandbox.Running) *common.Client {
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Endpoint = run.Host
	cpf.HttpProfile.Scheme = "HTTP"
	return common.NewCommonClient(common.NewCredential(sandbox.DefaultSecretID, sandbox.DefaultSecretKey), "", cpf)
}

// Start serves a sandbox on a free loopback port; the official SDK then talks to it as to
// essbasic, and the test inspects what was created.
func ExampleStart() {
	run, err := sandbox.Start(sandbox.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer run.Close()

	req := tchttp.NewCommonRequest("essbasic", "2021-05-26", "CreateFlowsByTemplates")
	if err := req.SetActionParameters(exampleRequest()); err != nil {
		fmt.Println(err)
		return
	}
	resp := tchttp.NewCommonResponse()
	if err := exampleClient(run).Send(req, resp); err != nil {
		fmt.Println(err)
		return
	}
	var out struct {
		Response struct{ FlowIds, ErrorMessages []string }
	}
	if err := json.Unmarshal(resp.GetBody(), &out); err != nil {
		fmt.Println(err)
		return
	}
	flows := run.Server.Flows()
	fmt.Println(len(out.Response.FlowIds[0]), out.Response.ErrorMessages[0] == "", flows[0].FlowID == out.Response.FlowIds[0])
	fmt.Println(flows[0].Approvers[0].ApproverRoleName, flows[0].Approvers[1].ApproverRoleName)
	// Output:
	// 32 true true
	// 甲方 乙方
}

// InjectFault makes the next matching call misbehave. drop_after_create is the outcome-unknown
// case: the flow is created but the caller only sees a broken connection.
func ExampleServer_InjectFault() {
	run, err := sandbox.Start(sandbox.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer run.Close()
	if err := run.Server.InjectFault(sandbox.Fault{Kind: sandbox.FaultDropAfterCreate, Action: sandbox.ActionCreateFlowsByTemplates}); err != nil {
		fmt.Println(err)
		return
	}
	req := tchttp.NewCommonRequest("essbasic", "2021-05-26", "CreateFlowsByTemplates")
	_ = req.SetActionParameters(exampleRequest())
	err = exampleClient(run).Send(req, tchttp.NewCommonResponse())
	fmt.Println("client error:", err != nil)
	fmt.Println("flows created:", len(run.Server.Flows()))
	// Output:
	// client error: true
	// flows created: 1
}
