// Package ess holds the essbasic (腾讯电子签 第三方应用集成) request and response types for
// CreateFlowsByTemplates and DescribeTemplates, their validation rules, strict decoding, and a
// signed client built on the official tencentcloud-sdk-go common module.
//
// Every optional scalar is a pointer and every list a slice, so that "absent" and an explicit
// zero, false or empty string stay distinct on the wire, exactly as the official SDK keeps them.
// Every field is tagged omitzero: a nil pointer or nil slice is omitted, a non-nil empty slice is
// sent as [] (the SDK's omitnil behaviour).
package ess

// Service, Version and action names of the essbasic API this package speaks.
const (
	Service                      = "essbasic"
	Version                      = "2021-05-26"
	ActionCreateFlowsByTemplates = "CreateFlowsByTemplates"
	ActionDescribeTemplates      = "DescribeTemplates"
)

// Endpoints of the real service.
const (
	ProductionHost = "essbasic.tencentcloudapi.com"
	TestHost       = "essbasic.test.ess.tencent.cn"
)

// Limits of CreateFlowsByTemplates from the API reference.
const (
	MaxFlowsPerCall      = 20
	MaxApproversPerFlow  = 50
	MaxCcPerFlow         = 50
	MaxFlowNameLen       = 200
	MaxFlowTypeLen       = 200
	MaxFlowDescLen       = 1000
	MaxCustomerDataLen   = 1000
	MaxOpenIdLen         = 64
	MaxApproverRoleLen   = 20
	MinPreReadTime       = 3
	MaxPreReadTime       = 300
	DefaultQPS           = 20
	FlowIdLen            = 32
	ApproverPerson       = "PERSON"
	ApproverPersonAuto   = "PERSON_AUTO_SIGN"
	ApproverOrganization = "ORGANIZATION"
	ApproverEntServer    = "ENTERPRISESERVER"
)

// CreateFlowsByTemplatesRequest is the body of a CreateFlowsByTemplates call
// (CreateFlowsByTemplatesRequestParams in the SDK).
type CreateFlowsByTemplatesRequest struct {
	Agent       *Agent      `json:"Agent,omitzero"`
	FlowInfos   []*FlowInfo `json:"FlowInfos,omitzero"`
	NeedPreview *bool       `json:"NeedPreview,omitzero"`
	PreviewType *int64      `json:"PreviewType,omitzero"`
	// Deprecated: Operator is ignored by the service ("不用传").
	Operator *UserInfo `json:"Operator,omitzero"`
}

// Agent identifies the calling application, the initiating sub-enterprise and its operator.
type Agent struct {
	AppId                   *string   `json:"AppId,omitzero"`
	ProxyOrganizationOpenId *string   `json:"ProxyOrganizationOpenId,omitzero"`
	ProxyOperator           *UserInfo `json:"ProxyOperator,omitzero"`
	ProxyAppId              *string   `json:"ProxyAppId,omitzero"`
	// Deprecated: internal parameter.
	ProxyOrganizationId *string `json:"ProxyOrganizationId,omitzero"`
}

// UserInfo identifies an employee of a sub-enterprise by its platform OpenId.
type UserInfo struct {
	OpenId *string `json:"OpenId,omitzero"`
	// Deprecated: ignored by the service.
	Channel *string `json:"Channel,omitzero"`
	// Deprecated: ignored by the service.
	CustomUserId *string `json:"CustomUserId,omitzero"`
	// Deprecated: ignored by the service.
	ClientIp *string `json:"ClientIp,omitzero"`
	// Deprecated: ignored by the service.
	ProxyIp *string `json:"ProxyIp,omitzero"`
}

// FlowInfo describes one contract (签署流程) to create from a template.
type FlowInfo struct {
	FlowName      *string             `json:"FlowName,omitzero"`
	Deadline      *int64              `json:"Deadline,omitzero"`
	TemplateId    *string             `json:"TemplateId,omitzero"`
	FlowApprovers []*FlowApproverInfo `json:"FlowApprovers,omitzero"`
	FormFields    []*FormField        `json:"FormFields,omitzero"`
	// Deprecated: use the application-level callback configured in the console.
	CallbackUrl      *string           `json:"CallbackUrl,omitzero"`
	FlowType         *string           `json:"FlowType,omitzero"`
	FlowDescription  *string           `json:"FlowDescription,omitzero"`
	CustomerData     *string           `json:"CustomerData,omitzero"`
	CustomShowMap    *string           `json:"CustomShowMap,omitzero"`
	CcInfos          []*CcInfo         `json:"CcInfos,omitzero"`
	NeedSignReview   *bool             `json:"NeedSignReview,omitzero"`
	CcNotifyType     *int64            `json:"CcNotifyType,omitzero"`
	AutoSignScene    *string           `json:"AutoSignScene,omitzero"`
	FlowDisplayType  *int64            `json:"FlowDisplayType,omitzero"`
	FlowOperateLimit *FlowOperateLimit `json:"FlowOperateLimit,omitzero"`
}

// FlowApproverInfo describes one signer (签署方) of a flow.
type FlowApproverInfo struct {
	Name                   *string `json:"Name,omitzero"`
	IdCardType             *string `json:"IdCardType,omitzero"`
	IdCardNumber           *string `json:"IdCardNumber,omitzero"`
	Mobile                 *string `json:"Mobile,omitzero"`
	OrganizationName       *string `json:"OrganizationName,omitzero"`
	NotChannelOrganization *bool   `json:"NotChannelOrganization,omitzero"`
	OpenId                 *string `json:"OpenId,omitzero"`
	OrganizationOpenId     *string `json:"OrganizationOpenId,omitzero"`
	ApproverType           *string `json:"ApproverType,omitzero"`
	RecipientId            *string `json:"RecipientId,omitzero"`
	Deadline               *int64  `json:"Deadline,omitzero"`
	// Deprecated: use the application-level callback configured in the console.
	CallbackUrl             *string           `json:"CallbackUrl,omitzero"`
	SignComponents          []*Component      `json:"SignComponents,omitzero"`
	ComponentLimitType      []*string         `json:"ComponentLimitType,omitzero"`
	PreReadTime             *int64            `json:"PreReadTime,omitzero"`
	JumpUrl                 *string           `json:"JumpUrl,omitzero"`
	ApproverOption          *ApproverOption   `json:"ApproverOption,omitzero"`
	ApproverNeedSignReview  *bool             `json:"ApproverNeedSignReview,omitzero"`
	ApproverVerifyTypes     []*int64          `json:"ApproverVerifyTypes,omitzero"`
	ApproverSignTypes       []*int64          `json:"ApproverSignTypes,omitzero"`
	SignId                  *string           `json:"SignId,omitzero"`
	NotifyType              *string           `json:"NotifyType,omitzero"`
	AddSignComponentsLimits []*ComponentLimit `json:"AddSignComponentsLimits,omitzero"`
	ApproverRoleName        *string           `json:"ApproverRoleName,omitzero"`
	SignTypeSelector        *uint64           `json:"SignTypeSelector,omitzero"`
	Components              []*Component      `json:"Components,omitzero"`
	Intention               *Intention        `json:"Intention,omitzero"`
	SignEndpoints           []*string         `json:"SignEndpoints,omitzero"`
	ApproverEmail           *string           `json:"ApproverEmail,omitzero"`
}

// ApproverOption holds per-signer options (refusal, transfer, dynamic signer …).
type ApproverOption struct {
	NoRefuse           *bool   `json:"NoRefuse,omitzero"`
	NoTransfer         *bool   `json:"NoTransfer,omitzero"`
	HideOneKeySign     *bool   `json:"HideOneKeySign,omitzero"`
	FillType           *int64  `json:"FillType,omitzero"`
	FlowReadLimit      *string `json:"FlowReadLimit,omitzero"`
	ForbidAddSignDate  *bool   `json:"ForbidAddSignDate,omitzero"`
	ApproverMobileMode *string `json:"ApproverMobileMode,omitzero"`
}

// FormField fills one initiator control of the template. CreateFlowsByTemplates identifies the
// control by ComponentName; it does not use ComponentId.
type FormField struct {
	ComponentValue     *string `json:"ComponentValue,omitzero"`
	ComponentId        *string `json:"ComponentId,omitzero"`
	ComponentName      *string `json:"ComponentName,omitzero"`
	LockComponentValue *bool   `json:"LockComponentValue,omitzero"`
}

// CcInfo is a carbon-copy recipient (抄送人) of a flow.
type CcInfo struct {
	Mobile       *string `json:"Mobile,omitzero"`
	Name         *string `json:"Name,omitzero"`
	CcType       *int64  `json:"CcType,omitzero"`
	CcPermission *int64  `json:"CcPermission,omitzero"`
}

// FlowOperateLimit restricts operations on a flow after creation.
type FlowOperateLimit struct {
	NoRelease *bool `json:"NoRelease,omitzero"`
}

// Component is a control (fill-in or signing) of a document.
type Component struct {
	ComponentId           *string  `json:"ComponentId,omitzero"`
	ComponentType         *string  `json:"ComponentType,omitzero"`
	ComponentName         *string  `json:"ComponentName,omitzero"`
	ComponentRequired     *bool    `json:"ComponentRequired,omitzero"`
	ComponentRecipientId  *string  `json:"ComponentRecipientId,omitzero"`
	FileIndex             *int64   `json:"FileIndex,omitzero"`
	GenerateMode          *string  `json:"GenerateMode,omitzero"`
	ComponentWidth        *float64 `json:"ComponentWidth,omitzero"`
	ComponentHeight       *float64 `json:"ComponentHeight,omitzero"`
	ComponentPage         *int64   `json:"ComponentPage,omitzero"`
	ComponentPosX         *float64 `json:"ComponentPosX,omitzero"`
	ComponentPosY         *float64 `json:"ComponentPosY,omitzero"`
	ComponentExtra        *string  `json:"ComponentExtra,omitzero"`
	ComponentValue        *string  `json:"ComponentValue,omitzero"`
	ComponentDateFontSize *int64   `json:"ComponentDateFontSize,omitzero"`
	DocumentId            *string  `json:"DocumentId,omitzero"`
	ComponentDescription  *string  `json:"ComponentDescription,omitzero"`
	OffsetX               *float64 `json:"OffsetX,omitzero"`
	OffsetY               *float64 `json:"OffsetY,omitzero"`
	ChannelComponentId    *string  `json:"ChannelComponentId,omitzero"`
	KeywordOrder          *string  `json:"KeywordOrder,omitzero"`
	KeywordPage           *int64   `json:"KeywordPage,omitzero"`
	RelativeLocation      *string  `json:"RelativeLocation,omitzero"`
	KeywordIndexes        []*int64 `json:"KeywordIndexes,omitzero"`
	Placeholder           *string  `json:"Placeholder,omitzero"`
	LockComponentValue    *bool    `json:"LockComponentValue,omitzero"`
	ForbidMoveAndDelete   *bool    `json:"ForbidMoveAndDelete,omitzero"`
}

// ComponentLimit restricts the controls a signer may add (file flows only).
type ComponentLimit struct {
	ComponentType  *string   `json:"ComponentType,omitzero"`
	ComponentValue []*string `json:"ComponentValue,omitzero"`
}

// Intention configures video intent verification (whitelist feature).
type Intention struct {
	IntentionType      *int64               `json:"IntentionType,omitzero"`
	IntentionQuestions []*IntentionQuestion `json:"IntentionQuestions,omitzero"`
	IntentionActions   []*IntentionAction   `json:"IntentionActions,omitzero"`
	RuleIdConfig       *RuleIdConfig        `json:"RuleIdConfig,omitzero"`
}

// IntentionQuestion is one question-and-answer round of video intent verification.
type IntentionQuestion struct {
	Question *string   `json:"Question,omitzero"`
	Answers  []*string `json:"Answers,omitzero"`
}

// IntentionAction is one nod round of video intent verification.
type IntentionAction struct {
	Text *string `json:"Text,omitzero"`
}

// RuleIdConfig sets the speech speed of video intent verification.
type RuleIdConfig struct {
	Speed *uint64 `json:"Speed,omitzero"`
}

// CreateFlowsByTemplatesResponse is the Response object of a CreateFlowsByTemplates answer
// (CreateFlowsByTemplatesResponseParams in the SDK). The arrays FlowIds, CustomerData,
// ErrorMessages, PreviewUrls and TaskInfos run parallel to the request's FlowInfos.
type CreateFlowsByTemplatesResponse struct {
	FlowIds       []*string           `json:"FlowIds,omitzero"`
	CustomerData  []*string           `json:"CustomerData,omitzero"`
	ErrorMessages []*string           `json:"ErrorMessages,omitzero"`
	PreviewUrls   []*string           `json:"PreviewUrls,omitzero"`
	TaskInfos     []*TaskInfo         `json:"TaskInfos,omitzero"`
	FlowApprovers []*FlowApproverItem `json:"FlowApprovers,omitzero"`
	RequestId     *string             `json:"RequestId,omitzero"`
}

// TaskInfo is an asynchronous document-synthesis task (for example a dynamic table).
// TaskStatus is READY or NOTREADY.
type TaskInfo struct {
	TaskId     *string `json:"TaskId,omitzero"`
	TaskStatus *string `json:"TaskStatus,omitzero"`
}

// FlowApproverItem lists the signer roles of one created flow.
type FlowApproverItem struct {
	FlowId    *string         `json:"FlowId,omitzero"`
	Approvers []*ApproverItem `json:"Approvers,omitzero"`
}

// ApproverItem is one signer role of a created flow with its system-assigned SignId.
type ApproverItem struct {
	SignId           *string `json:"SignId,omitzero"`
	RecipientId      *string `json:"RecipientId,omitzero"`
	ApproverRoleName *string `json:"ApproverRoleName,omitzero"`
}

// DescribeTemplatesRequest is the body of a DescribeTemplates call.
type DescribeTemplatesRequest struct {
	Agent              *Agent    `json:"Agent,omitzero"`
	TemplateId         *string   `json:"TemplateId,omitzero"`
	TemplateIds        []*string `json:"TemplateIds,omitzero"`
	ContentType        *int64    `json:"ContentType,omitzero"`
	Limit              *uint64   `json:"Limit,omitzero"`
	Offset             *uint64   `json:"Offset,omitzero"`
	TemplateName       *string   `json:"TemplateName,omitzero"`
	ChannelTemplateId  *string   `json:"ChannelTemplateId,omitzero"`
	QueryAllComponents *bool     `json:"QueryAllComponents,omitzero"`
	WithPreviewUrl     *bool     `json:"WithPreviewUrl,omitzero"`
	WithPdfUrl         *bool     `json:"WithPdfUrl,omitzero"`
	UserFlowTypeId     *string   `json:"UserFlowTypeId,omitzero"`
}

// DescribeTemplatesResponse is the Response object of a DescribeTemplates answer.
type DescribeTemplatesResponse struct {
	Templates  []*TemplateInfo `json:"Templates,omitzero"`
	TotalCount *int64          `json:"TotalCount,omitzero"`
	Limit      *int64          `json:"Limit,omitzero"`
	Offset     *int64          `json:"Offset,omitzero"`
	RequestId  *string         `json:"RequestId,omitzero"`
}

// TemplateInfo describes one template: its signer roles (Recipients) and its controls.
type TemplateInfo struct {
	TemplateId     *string      `json:"TemplateId,omitzero"`
	TemplateName   *string      `json:"TemplateName,omitzero"`
	Description    *string      `json:"Description,omitzero"`
	Components     []*Component `json:"Components,omitzero"`
	Recipients     []*Recipient `json:"Recipients,omitzero"`
	SignComponents []*Component `json:"SignComponents,omitzero"`
	TemplateType   *int64       `json:"TemplateType,omitzero"`
	Available      *int64       `json:"Available,omitzero"`
}

// Recipient is a signer role of a template. RecipientType is ENTERPRISE, INDIVIDUAL or PROMOTER.
type Recipient struct {
	RecipientId   *string `json:"RecipientId,omitzero"`
	RecipientType *string `json:"RecipientType,omitzero"`
	RoleName      *string `json:"RoleName,omitzero"`
	RoutingOrder  *int64  `json:"RoutingOrder,omitzero"`
	IsPromoter    *bool   `json:"IsPromoter,omitzero"`
	RequireSign   *bool   `json:"RequireSign,omitzero"`
}

// String returns a pointer to s, for building requests in code.
func String(s string) *string { return &s }

// Int64 returns a pointer to v.
func Int64(v int64) *int64 { return &v }

// Bool returns a pointer to v.
func Bool(v bool) *bool { return &v }

// Uint64 returns a pointer to v.
func Uint64(v uint64) *uint64 { return &v }

// Deref returns *p, or the zero value when p is nil.
func Deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
