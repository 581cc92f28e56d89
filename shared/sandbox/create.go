package sandbox

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of CreateFlowsByTemplates enforced by the sandbox.
const (
	maxFlows          = 20
	maxApprovers      = 50
	maxCc             = 50
	maxFlowNameLen    = 200
	maxFlowTypeLen    = 200
	maxFlowDescLen    = 1000
	maxCustomerData   = 1000
	maxOpenIDLen      = 64
	maxRoleNameLen    = 20
	millisecondsAfter = 100_000_000_000 // a Deadline above this is in milliseconds
)

// Per-flow failure messages, worded like the real service.
const (
	msgApproverMismatch = "签署人与模板中配置的签署方不匹配"
	msgMissingUser      = "缺少用户信息"
	msgMissingMobile    = "缺少手机信息"
	msgMissingControl   = "缺少必填控件:"
	msgUnknownControl   = "控件不存在:"
	msgBadControlValue  = "控件值格式错误:"
)

// Request types: every field of the API is listed so that strict decoding refuses only
// unknown names; fields the sandbox does not inspect are kept raw.

type agent struct {
	AppID                   *string         `json:"AppId"`
	ProxyOrganizationOpenID *string         `json:"ProxyOrganizationOpenId"`
	ProxyOperator           *userInfo       `json:"ProxyOperator"`
	ProxyAppID              *string         `json:"ProxyAppId"`
	ProxyOrganizationID     json.RawMessage `json:"ProxyOrganizationId"`
}

type userInfo struct {
	OpenID       *string         `json:"OpenId"`
	Channel      json.RawMessage `json:"Channel"`
	CustomUserID json.RawMessage `json:"CustomUserId"`
	ClientIP     json.RawMessage `json:"ClientIp"`
	ProxyIP      json.RawMessage `json:"ProxyIp"`
}

type createRequest struct {
	Agent       *agent      `json:"Agent"`
	FlowInfos   []*flowInfo `json:"FlowInfos"`
	NeedPreview *bool       `json:"NeedPreview"`
	PreviewType *int64      `json:"PreviewType"`
	Operator    *userInfo   `json:"Operator"`
}

type flowInfo struct {
	FlowName         *string         `json:"FlowName"`
	Deadline         *int64          `json:"Deadline"`
	TemplateID       *string         `json:"TemplateId"`
	FlowApprovers    []*approver     `json:"FlowApprovers"`
	FormFields       []*formField    `json:"FormFields"`
	CallbackURL      *string         `json:"CallbackUrl"`
	FlowType         *string         `json:"FlowType"`
	FlowDescription  *string         `json:"FlowDescription"`
	CustomerData     *string         `json:"CustomerData"`
	CustomShowMap    *string         `json:"CustomShowMap"`
	CcInfos          []*ccInfo       `json:"CcInfos"`
	NeedSignReview   *bool           `json:"NeedSignReview"`
	CcNotifyType     *int64          `json:"CcNotifyType"`
	AutoSignScene    *string         `json:"AutoSignScene"`
	FlowDisplayType  *int64          `json:"FlowDisplayType"`
	FlowOperateLimit json.RawMessage `json:"FlowOperateLimit"`
}

type approver struct {
	Name                    *string         `json:"Name"`
	IDCardType              *string         `json:"IdCardType"`
	IDCardNumber            *string         `json:"IdCardNumber"`
	Mobile                  *string         `json:"Mobile"`
	OrganizationName        *string         `json:"OrganizationName"`
	NotChannelOrganization  *bool           `json:"NotChannelOrganization"`
	OpenID                  *string         `json:"OpenId"`
	OrganizationOpenID      *string         `json:"OrganizationOpenId"`
	ApproverType            *string         `json:"ApproverType"`
	RecipientID             *string         `json:"RecipientId"`
	Deadline                *int64          `json:"Deadline"`
	CallbackURL             *string         `json:"CallbackUrl"`
	SignComponents          json.RawMessage `json:"SignComponents"`
	ComponentLimitType      []*string       `json:"ComponentLimitType"`
	PreReadTime             *int64          `json:"PreReadTime"`
	JumpURL                 *string         `json:"JumpUrl"`
	ApproverOption          *approverOption `json:"ApproverOption"`
	ApproverNeedSignReview  *bool           `json:"ApproverNeedSignReview"`
	ApproverVerifyTypes     []*int64        `json:"ApproverVerifyTypes"`
	ApproverSignTypes       []*int64        `json:"ApproverSignTypes"`
	SignID                  *string         `json:"SignId"`
	NotifyType              *string         `json:"NotifyType"`
	AddSignComponentsLimits json.RawMessage `json:"AddSignComponentsLimits"`
	ApproverRoleName        *string         `json:"ApproverRoleName"`
	SignTypeSelector        *uint64         `json:"SignTypeSelector"`
	Components              json.RawMessage `json:"Components"`
	Intention               json.RawMessage `json:"Intention"`
	SignEndpoints           []*string       `json:"SignEndpoints"`
	ApproverEmail           *string         `json:"ApproverEmail"`
}

type approverOption struct {
	NoRefuse           *bool   `json:"NoRefuse"`
	NoTransfer         *bool   `json:"NoTransfer"`
	HideOneKeySign     *bool   `json:"HideOneKeySign"`
	FillType           *int64  `json:"FillType"`
	FlowReadLimit      *string `json:"FlowReadLimit"`
	ForbidAddSignDate  *bool   `json:"ForbidAddSignDate"`
	ApproverMobileMode *string `json:"ApproverMobileMode"`
}

type formField struct {
	ComponentValue     *string `json:"ComponentValue"`
	ComponentID        *string `json:"ComponentId"`
	ComponentName      *string `json:"ComponentName"`
	LockComponentValue *bool   `json:"LockComponentValue"`
}

type ccInfo struct {
	Mobile       *string `json:"Mobile"`
	Name         *string `json:"Name"`
	CcType       *int64  `json:"CcType"`
	CcPermission *int64  `json:"CcPermission"`
}

// Response types.

type taskInfo struct {
	TaskID     string `json:"TaskId"`
	TaskStatus string `json:"TaskStatus"`
}

type approverItem struct {
	SignID           string `json:"SignId"`
	RecipientID      string `json:"RecipientId"`
	ApproverRoleName string `json:"ApproverRoleName"`
}

type flowApproverItem struct {
	FlowID    string         `json:"FlowId"`
	Approvers []approverItem `json:"Approvers"`
}

type createResponse struct {
	FlowIds       []string           `json:"FlowIds"`
	CustomerData  []string           `json:"CustomerData"`
	ErrorMessages []string           `json:"ErrorMessages"`
	PreviewUrls   []string           `json:"PreviewUrls"`
	TaskInfos     []taskInfo         `json:"TaskInfos"`
	FlowApprovers []flowApproverItem `json:"FlowApprovers"`
	RequestID     string             `json:"RequestId"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// createFlows handles CreateFlowsByTemplates.
func (s *Server) createFlows(c *call) (any, *APIError) {
	var req createRequest
	if e := decodeStrict(c.body, &req); e != nil {
		return nil, e
	}
	if e := s.checkAgent(req.Agent); e != nil {
		return nil, e
	}
	if req.FlowInfos == nil {
		return nil, apiErr(CodeMissingParameter, "the request is missing a required parameter `FlowInfos`")
	}
	if n := len(req.FlowInfos); n == 0 || n > maxFlows {
		return nil, apiErr(CodeInvalidFlowInfos, "FlowInfos非法: %d flows given, 1 to %d allowed", n, maxFlows)
	}
	preview := req.NeedPreview != nil && *req.NeedPreview
	if req.PreviewType != nil && *req.PreviewType != 0 && *req.PreviewType != 1 {
		return nil, apiErr(CodeInvalidParameterValue, "the value of `PreviewType` must be 0 or 1")
	}
	tpls := make([]*Template, len(req.FlowInfos))
	for i, f := range req.FlowInfos {
		t, e := s.checkFlow(fmt.Sprintf("FlowInfos[%d]", i), f, c.now)
		if e != nil {
			return nil, e
		}
		tpls[i] = t
	}

	n := len(req.FlowInfos)
	resp := &createResponse{
		FlowIds:       make([]string, n),
		CustomerData:  make([]string, n),
		ErrorMessages: make([]string, n),
		PreviewUrls:   make([]string, n),
		TaskInfos:     make([]taskInfo, n),
		FlowApprovers: []flowApproverItem{},
		RequestID:     c.requestID,
	}
	for i, f := range req.FlowInfos {
		t := tpls[i]
		resp.CustomerData[i] = str(f.CustomerData)
		if msg := matchTemplate(t, f); msg != "" {
			resp.ErrorMessages[i] = msg
			continue
		}
		if t.hasDynamicTable() {
			resp.TaskInfos[i] = taskInfo{TaskID: s.newID(), TaskStatus: "NOTREADY"}
		}
		if preview {
			code := s.newID()
			resp.PreviewUrls[i] = "https://test.ess.tencent.cn/document-url-preview?channel=PROXYCHANNEL&scene=SINGLEPAGE&code=" +
				code + "&codeType=QUICK&businessType=RESOURCE&businessId=" + code
			continue
		}
		flowID := s.newID()
		resp.FlowIds[i] = flowID
		item := flowApproverItem{FlowID: flowID}
		created := CreatedFlow{
			FlowID: flowID, TemplateID: t.TemplateID, FlowName: str(f.FlowName),
			CustomerData: str(f.CustomerData), CreatedAt: c.now, RequestID: c.requestID,
		}
		for j, a := range f.FlowApprovers {
			role := t.Recipients[j].RoleName
			if a.ApproverRoleName != nil && *a.ApproverRoleName != "" {
				role = *a.ApproverRoleName
			}
			signID := s.newID()
			item.Approvers = append(item.Approvers, approverItem{SignID: signID, RecipientID: t.Recipients[j].RecipientID, ApproverRoleName: role})
			created.Approvers = append(created.Approvers, CreatedApprover{
				RecipientID: t.Recipients[j].RecipientID, SignID: signID, ApproverType: str(a.ApproverType), ApproverRoleName: role,
			})
		}
		resp.FlowApprovers = append(resp.FlowApprovers, item)
		c.created = append(c.created, created)
	}
	return resp, nil
}

// checkAgent applies the Agent rules shared by the essbasic actions.
func (s *Server) checkAgent(a *agent) *APIError {
	if a == nil {
		return apiErr(CodeMissingParameter, "the request is missing a required parameter `Agent`")
	}
	switch {
	case str(a.AppID) == "":
		return apiErr(CodeMissingRequiredValue, "缺少必填参数的值: Agent.AppId")
	case str(a.ProxyOrganizationOpenID) == "":
		return apiErr(CodeMissingRequiredValue, "缺少必填参数的值: Agent.ProxyOrganizationOpenId")
	case a.ProxyOperator == nil || str(a.ProxyOperator.OpenID) == "":
		return apiErr(CodeMissingRequiredValue, "缺少必填参数的值: Agent.ProxyOperator.OpenId")
	case *a.AppID != s.cfg.AppID:
		return apiErr(CodeInvalidApplication, "应用号不存在: Agent.AppId is not an application of this sandbox")
	case utf8.RuneCountInString(*a.ProxyOrganizationOpenID) > maxOpenIDLen:
		return apiErr(CodeParamError, "Agent.ProxyOrganizationOpenId is longer than %d characters", maxOpenIDLen)
	case utf8.RuneCountInString(*a.ProxyOperator.OpenID) > maxOpenIDLen:
		return apiErr(CodeParamError, "Agent.ProxyOperator.OpenId is longer than %d characters", maxOpenIDLen)
	}
	return nil
}

// checkFlow applies the request-level rules to one FlowInfo and returns its template.
func (s *Server) checkFlow(at string, f *flowInfo, now time.Time) (*Template, *APIError) {
	if f == nil {
		return nil, apiErr(CodeInvalidFlowInfos, "FlowInfos非法: %s is null", at)
	}
	longer := func(p *string, n int) bool { return p != nil && utf8.RuneCountInString(*p) > n }
	switch {
	case str(f.FlowName) == "":
		return nil, apiErr(CodeMissingRequiredValue, "缺少必填参数的值: %s.FlowName", at)
	case longer(f.FlowName, maxFlowNameLen):
		return nil, apiErr(CodeParamError, "%s.FlowName is longer than %d characters", at, maxFlowNameLen)
	case longer(f.FlowType, maxFlowTypeLen):
		return nil, apiErr(CodeParamError, "%s.FlowType is longer than %d characters", at, maxFlowTypeLen)
	case longer(f.FlowDescription, maxFlowDescLen):
		return nil, apiErr(CodeParamError, "%s.FlowDescription is longer than %d characters", at, maxFlowDescLen)
	case longer(f.CustomerData, maxCustomerData):
		return nil, apiErr(CodeParamError, "%s.CustomerData is longer than %d characters", at, maxCustomerData)
	case len(f.FlowApprovers) > maxApprovers:
		return nil, apiErr(CodeParamError, "%s.FlowApprovers has more than %d approvers", at, maxApprovers)
	case len(f.CcInfos) > maxCc:
		return nil, apiErr(CodeParamError, "%s.CcInfos has more than %d recipients", at, maxCc)
	case f.FlowDisplayType != nil && (*f.FlowDisplayType < 0 || *f.FlowDisplayType > 3):
		return nil, apiErr(CodeInvalidParameterValue, "the value of `%s.FlowDisplayType` must be 0, 1, 2 or 3", at)
	case f.CcNotifyType != nil && *f.CcNotifyType != 0 && *f.CcNotifyType != 1:
		return nil, apiErr(CodeInvalidParameterValue, "the value of `%s.CcNotifyType` must be 0 or 1", at)
	case f.AutoSignScene != nil && *f.AutoSignScene != "" && *f.AutoSignScene != "E_PRESCRIPTION_AUTO_SIGN" && *f.AutoSignScene != "OTHER":
		return nil, apiErr(CodeInvalidParameterValue, "the value of `%s.AutoSignScene` must be E_PRESCRIPTION_AUTO_SIGN or OTHER", at)
	}
	if f.Deadline != nil {
		switch d := *f.Deadline; {
		case d > millisecondsAfter:
			return nil, apiErr(CodeInvalidParameterValue, "the value of `%s.Deadline` must be Unix seconds, not milliseconds", at)
		case d <= now.Unix():
			return nil, apiErr(CodeParamError, "%s.Deadline %d is not in the future", at, d)
		}
	}
	for j, a := range f.FlowApprovers {
		if e := checkApprover(fmt.Sprintf("%s.FlowApprovers[%d]", at, j), a, f, now); e != nil {
			return nil, e
		}
	}
	for j, cc := range f.CcInfos {
		w := fmt.Sprintf("%s.CcInfos[%d]", at, j)
		switch {
		case cc == nil:
			return nil, apiErr(CodeInvalidParameter, "%s is null", w)
		case cc.Mobile != nil && !validMobile(*cc.Mobile):
			return nil, apiErr(CodeInvalidMobile, "手机号码不正确: %s.Mobile", w)
		case cc.CcType != nil && *cc.CcType != 0 && *cc.CcType != 1:
			return nil, apiErr(CodeInvalidParameterValue, "the value of `%s.CcType` must be 0 or 1", w)
		case cc.CcPermission != nil && *cc.CcPermission != 0 && *cc.CcPermission != 1:
			return nil, apiErr(CodeInvalidParameterValue, "the value of `%s.CcPermission` must be 0 or 1", w)
		}
	}
	for j, ff := range f.FormFields {
		w := fmt.Sprintf("%s.FormFields[%d]", at, j)
		switch {
		case ff == nil:
			return nil, apiErr(CodeInvalidParameter, "%s is null", w)
		case ff.ComponentValue == nil:
			return nil, apiErr(CodeMissingRequiredValue, "缺少必填参数的值: %s.ComponentValue", w)
		case str(ff.ComponentName) == "" && str(ff.ComponentID) == "":
			return nil, apiErr(CodeMissingRequiredValue, "缺少必填参数的值: %s.ComponentName", w)
		}
	}
	if str(f.TemplateID) == "" {
		return nil, apiErr(CodeMissingRequiredValue, "缺少必填参数的值: %s.TemplateId", at)
	}
	t, ok := s.templates[*f.TemplateID]
	if !ok {
		return nil, apiErr(CodeTemplateNotFound, "模板不存在: %s.TemplateId %s", at, truncate(*f.TemplateID, 64))
	}
	return t, nil
}

var (
	approverTypes = []string{"PERSON", "PERSON_AUTO_SIGN", "ORGANIZATION", "ENTERPRISESERVER"}
	idCardTypes   = []string{"ID_CARD", "HONGKONG_AND_MACAO", "HONGKONG_MACAO_AND_TAIWAN"}
	notifyTypes   = []string{"SMS", "EMAIL", "ALL", "NONE"}
	signLimits    = []string{"HANDWRITE", "HANDWRITTEN_ESIGN", "OCR_ESIGN", "ESIGN", "IMG_ESIGN", "SYSTEM_ESIGN"}
)

// checkApprover applies the request-level rules to one approver; no value is echoed.
func checkApprover(at string, a *approver, f *flowInfo, now time.Time) *APIError {
	if a == nil {
		return apiErr(CodeInvalidParameter, "%s is null", at)
	}
	enum := func(p *string, allowed []string) bool { return p == nil || slices.Contains(allowed, *p) }
	switch {
	case !enum(a.ApproverType, approverTypes):
		return apiErr(CodeInvalidParameterValue, "the value of `%s.ApproverType` must be one of %s", at, strings.Join(approverTypes, ", "))
	case !enum(a.IDCardType, idCardTypes):
		return apiErr(CodeInvalidParameterValue, "the value of `%s.IdCardType` must be one of %s", at, strings.Join(idCardTypes, ", "))
	case !enum(a.NotifyType, notifyTypes):
		return apiErr(CodeInvalidParameterValue, "the value of `%s.NotifyType` must be one of %s", at, strings.Join(notifyTypes, ", "))
	case a.Mobile != nil && !validMobile(*a.Mobile):
		return apiErr(CodeInvalidMobile, "手机号码不正确: %s.Mobile", at)
	case a.IDCardNumber != nil && !validIDNumber(str(a.IDCardType), *a.IDCardNumber):
		return apiErr(CodeParamError, "%s.IdCardNumber does not match its IdCardType", at)
	case a.OpenID != nil && utf8.RuneCountInString(*a.OpenID) > maxOpenIDLen:
		return apiErr(CodeParamError, "%s.OpenId is longer than %d characters", at, maxOpenIDLen)
	case a.OrganizationOpenID != nil && utf8.RuneCountInString(*a.OrganizationOpenID) > maxOpenIDLen:
		return apiErr(CodeParamError, "%s.OrganizationOpenId is longer than %d characters", at, maxOpenIDLen)
	case a.ApproverRoleName != nil && utf8.RuneCountInString(*a.ApproverRoleName) > maxRoleNameLen:
		return apiErr(CodeParamError, "%s.ApproverRoleName is longer than %d characters", at, maxRoleNameLen)
	case a.PreReadTime != nil && (*a.PreReadTime < 3 || *a.PreReadTime > 300):
		return apiErr(CodeParamError, "%s.PreReadTime must be between 3 and 300 seconds", at)
	case a.Deadline != nil && *a.Deadline > millisecondsAfter:
		return apiErr(CodeInvalidParameterValue, "the value of `%s.Deadline` must be Unix seconds, not milliseconds", at)
	case a.Deadline != nil && *a.Deadline <= now.Unix():
		return apiErr(CodeParamError, "%s.Deadline is not in the future", at)
	case str(a.ApproverType) == "PERSON_AUTO_SIGN" && str(f.AutoSignScene) == "":
		return apiErr(CodeMissingRequiredValue, "缺少必填参数的值: AutoSignScene is required with PERSON_AUTO_SIGN (%s)", at)
	}
	for _, v := range a.ApproverVerifyTypes {
		if v == nil || (*v != 1 && *v != 2) {
			return apiErr(CodeInvalidParameterValue, "the values of `%s.ApproverVerifyTypes` must be 1 or 2", at)
		}
	}
	for _, v := range a.ApproverSignTypes {
		if v == nil || !slices.Contains([]int64{1, 2, 3, 5, 6}, *v) {
			return apiErr(CodeInvalidParameterValue, "the values of `%s.ApproverSignTypes` must be 1, 2, 3, 5 or 6", at)
		}
	}
	for _, v := range a.ComponentLimitType {
		if v == nil || !slices.Contains(signLimits, *v) {
			return apiErr(CodeInvalidParameterValue, "the values of `%s.ComponentLimitType` must be one of %s", at, strings.Join(signLimits, ", "))
		}
	}
	if o := a.ApproverOption; o != nil && o.FillType != nil && *o.FillType != 1 {
		return apiErr(CodeInvalidParameterValue, "the value of `%s.ApproverOption.FillType` must be 1", at)
	}
	return nil
}

// validMobile reports whether m is an 11-digit mainland mobile number (1[3-9]…).
func validMobile(m string) bool {
	if len(m) != 11 || m[0] != '1' || m[1] < '3' || m[1] > '9' {
		return false
	}
	for i := 0; i < len(m); i++ {
		if m[i] < '0' || m[i] > '9' {
			return false
		}
	}
	return true
}

// validIDNumber checks the documented shape of an ID number for its card type.
func validIDNumber(cardType, n string) bool {
	digits := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
		return true
	}
	switch cardType {
	case "HONGKONG_AND_MACAO":
		return len(n) == 11 && (n[0] == 'H' || n[0] == 'M') && digits(n[1:])
	default: // ID_CARD and HONGKONG_MACAO_AND_TAIWAN
		return len(n) == 18 && digits(n[:17]) && (digits(n[17:]) || n[17] == 'X')
	}
}

// matchTemplate applies the flow-level rules and returns the failure message, or "".
func matchTemplate(t *Template, f *flowInfo) string {
	if len(f.FlowApprovers) != len(t.Recipients) {
		return msgApproverMismatch
	}
	for j, a := range f.FlowApprovers {
		rc := t.Recipients[j]
		if str(a.RecipientID) != rc.RecipientID {
			return msgApproverMismatch
		}
		typ := str(a.ApproverType)
		switch rc.RecipientType {
		case RecipientEnterprise:
			if typ != "ORGANIZATION" && typ != "ENTERPRISESERVER" {
				return msgApproverMismatch
			}
		case RecipientIndividual:
			if typ != "PERSON" && typ != "PERSON_AUTO_SIGN" {
				return msgApproverMismatch
			}
		}
		dynamic := a.ApproverOption != nil && a.ApproverOption.FillType != nil && *a.ApproverOption.FillType == 1
		if typ == "PERSON" && !dynamic {
			if str(a.Name) == "" {
				return msgMissingUser
			}
			if str(a.Mobile) == "" {
				return msgMissingMobile
			}
		}
	}
	filled := map[string]string{}
	for _, ff := range f.FormFields {
		name := str(ff.ComponentName)
		comp, ok := t.component(name)
		if name == "" {
			comp, ok = t.componentByID(str(ff.ComponentID))
			name = str(ff.ComponentID)
		}
		if !ok {
			return msgUnknownControl + truncate(name, 20)
		}
		v := str(ff.ComponentValue)
		if v != "" && !validControlValue(comp.ComponentType, v) {
			return msgBadControlValue + comp.ComponentName
		}
		filled[comp.ComponentName] = v
	}
	for _, comp := range t.Components {
		if comp.ComponentRequired && filled[comp.ComponentName] == "" {
			return msgMissingControl + comp.ComponentName
		}
	}
	return ""
}

// validControlValue checks the documented value formats of DATE and DYNAMIC_TABLE controls.
func validControlValue(componentType, v string) bool {
	switch componentType {
	case "DATE":
		_, err := time.Parse("2006年01月02日", v)
		return err == nil
	case "DYNAMIC_TABLE":
		var table map[string]json.RawMessage
		return json.Unmarshal([]byte(v), &table) == nil && table != nil
	case "CHECK_BOX":
		return v == "true" || v == "false"
	}
	return true
}
