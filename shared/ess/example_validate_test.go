package ess_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/essflow/essflow/shared/ess"
)

// A Validator is built once, with an injectable clock, and reports every violation of a
// request at once, in English and Chinese, located by JSON path.
func ExampleValidator_ValidateCreate() {
	v := ess.NewValidator(ess.ValidatorOptions{
		Now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) },
	})
	body := []byte(`{
	  "Agent": {"AppId": "yDwhxUUckp3gl8j5UuFX33LSNozpRsbi", "ProxyOrganizationOpenId": "org_a",
	            "ProxyOperator": {"OpenId": "staff001"}},
	  "FlowInfos": [{
	    "FlowName": "租赁合同",
	    "Deadline": 1893456000000,
	    "TemplateId": "yDwFmUUckpstqfvzUE1h3jo1f3cqjkGm",
	    "CallbackUrl": "https://example.com/cb",
	    "FlowApprovers": [{"ApproverType": "PERSON", "RecipientId": "r1", "Name": "张三", "Mobile": "+8613800000000"}]
	  }]
	}`)
	req, err := ess.DecodeCreateFlowsRequest(body)
	if err != nil {
		fmt.Println(err)
		return
	}
	warnings, err := v.ValidateCreate(req)
	for _, w := range warnings {
		fmt.Println("warning:", w.Path)
	}
	var ve *ess.ValidationError
	if errors.As(err, &ve) {
		for _, x := range ve.Violations {
			fmt.Printf("%s [%s]\n  %s\n  %s\n", x.Path, x.Rule, ess.ViolationMessage(x, "en"), ess.ViolationMessage(x, "zh-CN"))
		}
	}
	// Output:
	// warning: FlowInfos[0].CallbackUrl
	// FlowInfos[0].Deadline [unix_seconds]
	//   FlowInfos[0].Deadline looks like a Unix timestamp in milliseconds; send seconds (divide by 1000)
	//   FlowInfos[0].Deadline看起来是毫秒级时间戳，请改用秒（除以1000）
	// FlowInfos[0].FlowApprovers[0].Mobile [mobile]
	//   FlowInfos[0].FlowApprovers[0].Mobile must be an 11-digit mainland China mobile number without +86
	//   FlowInfos[0].FlowApprovers[0].Mobile必须是11位中国大陆手机号码，不带+86
}

// DecodeCreateFlowsRequest rejects what encoding/json would silently accept: misspelt or
// differently cased field names and values of the wrong JSON type, all reported at once.
func ExampleDecodeCreateFlowsRequest() {
	_, err := ess.DecodeCreateFlowsRequest([]byte(`{"FlowInfos":[{"flowname":"合同","FlowAprovers":[],"Deadline":"1893456000"}]}`))
	var ve *ess.ValidationError
	if errors.As(err, &ve) {
		for _, x := range ve.Violations {
			fmt.Println(x.Rule, "|", x.Message, "|", x.MessageZH)
		}
	}
	// Output:
	// unknown_field | FlowInfos[0].flowname: unknown field (did you mean FlowName?) | FlowInfos[0].flowname：未知字段（是否应为 FlowName？）
	// unknown_field | FlowInfos[0].FlowAprovers: unknown field (did you mean FlowApprovers?) | FlowInfos[0].FlowAprovers：未知字段（是否应为 FlowApprovers？）
	// type | FlowInfos[0].Deadline: wrong type: expected an integer, got a string | FlowInfos[0].Deadline：类型错误：应为整数，实际为字符串
}

// DecodeStrict works for any target, such as a DescribeTemplates request.
func ExampleDecodeStrict() {
	var req ess.DescribeTemplatesRequest
	err := ess.DecodeStrict([]byte(`{"Agent":{"AppId":"app"},"Limit":20} {"Limit":5}`), &req)
	fmt.Println(err)
	// Output:
	// 1 validation error(s); request body: invalid JSON at byte offset 36: trailing data after the top-level value
}

// ViolationMessage picks the language of a violation's text from a language tag.
func ExampleViolationMessage() {
	v := ess.Violation{Path: "FlowInfos", Rule: "min",
		Message: "FlowInfos must contain at least 1 item", MessageZH: "FlowInfos必须至少包含1项"}
	fmt.Println(ess.ViolationMessage(v, "zh-CN"))
	fmt.Println(ess.ViolationMessage(v, "en-US"))
	// Output:
	// FlowInfos必须至少包含1项
	// FlowInfos must contain at least 1 item
}
