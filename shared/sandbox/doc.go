// Package sandbox is an emulator of Tencent e-sign's essbasic API 3.0 (第三方应用集成), served as
// an http.Handler, so that tests and the local runner drive the real, signed client over real
// HTTP instead of a hand-written mock.
//
// The sandbox answers three actions:
//
//   - CreateFlowsByTemplates (service essbasic, version 2021-05-26) over a template catalogue;
//   - DescribeTemplates (essbasic, 2021-05-26) over the same catalogue;
//   - SendCmqMsg (service tdmq, version 2020-02-17), storing messages per queue, so that the
//     project's TDMQ-for-CMQ result sink can be tested.
//
// Every call is authenticated with the sandbox's own TC3-HMAC-SHA256 verifier (VerifyTC3), which
// does not share code with the official SDK. Every API answer is HTTP 200 with the API 3.0
// envelope {"Response":{…,"RequestId":…}}; refusals carry {"Error":{"Code","Message"}}.
//
// Order of processing for an API call: the call is counted (Calls), a queued or random fault may
// take over, Config.Latency is waited, then the action and version are routed (MissingParameter,
// InvalidAction, NoSuchVersion), the signature is verified (AuthFailure.*), the token bucket of
// the caller's SecretId and action is consulted (RequestLimitExceeded), and finally the request
// body is decoded strictly (UnknownParameter for an unknown field, InvalidParameter for a wrong
// JSON type) and checked.
//
// Request-level rules of CreateFlowsByTemplates (the whole call fails, nothing is created):
// Agent missing (MissingParameter); Agent.AppId, Agent.ProxyOrganizationOpenId or
// Agent.ProxyOperator.OpenId empty (InvalidParameter.MissingRequiredParameterValue); an AppId
// other than Config.AppID (InvalidParameter.Application, "应用号不存在"); FlowInfos absent
// (MissingParameter) or with 0 or more than 20 entries (InvalidParameter.FlowInfos); FlowName or
// TemplateId empty (InvalidParameter.MissingRequiredParameterValue); FlowName over 200
// characters, FlowType over 200, FlowDescription over 1000, CustomerData over 1000, more than 50
// approvers or CC, ApproverRoleName over 20, an OpenId over 64 or PreReadTime outside 3..300
// (InvalidParameter.ParamError); a Deadline in the past (InvalidParameter.ParamError) or in
// milliseconds (InvalidParameterValue); a malformed approver or CC Mobile (InvalidParameter.Mobile);
// an unknown TemplateId (ResourceNotFound.Template); an unknown enum value such as ApproverType,
// IdCardType, NotifyType, PreviewType, FlowDisplayType or CcNotifyType (InvalidParameterValue).
//
// Flow-level rules (only that flow fails: its ErrorMessages entry is a Chinese message and its
// FlowIds entry is "", the other flows are still created): approvers that do not match the
// template's recipients in count, order, RecipientId or type (an ENTERPRISE role takes
// ORGANIZATION or ENTERPRISESERVER, an INDIVIDUAL role PERSON or PERSON_AUTO_SIGN) give
// "签署人与模板中配置的签署方不匹配"; a PERSON without Name or Mobile gives "缺少用户信息" or
// "缺少手机信息" unless ApproverOption.FillType is 1; a missing required initiator control gives
// "缺少必填控件:<name>"; an unknown control gives "控件不存在:<name>"; a DATE control not written
// as 2006年01月02日 or a DYNAMIC_TABLE control that is not a JSON object gives
// "控件值格式错误:<name>".
//
// The sandbox never logs or echoes secrets, tokens, mobile numbers, ID numbers or names.
package sandbox
