// Package result defines the versioned message essflow delivers for every processed request:
// to callback URLs (Standard Webhooks), to message queues and into storage results objects.
//
// A message carries no personal data: no names, mobile numbers or ID numbers of signers, only
// role ids (RecipientId), SignIds, role names and the caller's own CustomerData.
package result

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// SpecVersion is the version of the message format; it changes only on an incompatible change.
const SpecVersion = "essflow.result.v1"

// Message types.
const (
	TypeCreated         = "flows.created"          // every flow of the request was created
	TypePartiallyFailed = "flows.partially_failed" // some flows created, some refused (see Flows)
	TypeRejected        = "flows.rejected"         // refused before calling ESS (invalid, forbidden, conflict)
	TypeFailed          = "flows.failed"           // ESS refused the whole call; nothing was created
	TypeOutcomeUnknown  = "flows.outcome_unknown"  // the call may have created the flows: check before re-sending
	TypePreviewed       = "flows.previewed"        // preview mode: PreviewUrls, no flows created
)

// Flow statuses inside a message.
const (
	FlowCreated   = "created"
	FlowFailed    = "failed"
	FlowPreviewed = "previewed"
	FlowUnknown   = "unknown"
	FlowNotSent   = "not_sent"
)

// Message is one result. ID is stable across retries and redeliveries of the same request, so
// consumers can deduplicate on it (it is also the webhook-id).
type Message struct {
	SpecVersion string      `json:"specversion"`
	ID          string      `json:"id"`
	Type        string      `json:"type"`
	Time        time.Time   `json:"time"`
	Source      Source      `json:"source"`
	Correlation Correlation `json:"correlation"`
	// AppId and ProxyOrganizationOpenId identify the application and initiating sub-enterprise.
	AppId                   string `json:"appId,omitempty"`
	ProxyOrganizationOpenId string `json:"proxyOrganizationOpenId,omitempty"`
	// EssRequestId is the RequestId of the CreateFlowsByTemplates call, when one was made.
	EssRequestId string `json:"essRequestId,omitempty"`
	Flows        []Flow `json:"flows,omitempty"`
	Error        *Error `json:"error,omitempty"`
}

// Source says where the request came from.
type Source struct {
	// Trigger is the trigger kind: apigw, function_url, cmq, ckafka, cos, timer, sqs, s3, http_api,
	// rest_api, invoke.
	Trigger string `json:"trigger"`
	// RecordID identifies the record inside its source (message id, topic/partition/offset,
	// bucket/key#line, request id).
	RecordID string `json:"recordId,omitempty"`
	// Function is the name of the function that processed it.
	Function string `json:"function,omitempty"`
}

// Correlation carries the keys a consumer uses to match a result to what it sent.
type Correlation struct {
	IdempotencyKey string `json:"idempotencyKey,omitempty"`
	CorrelationId  string `json:"correlationId,omitempty"`
}

// Flow is the outcome of one FlowInfos entry, in request order.
type Flow struct {
	Index        int        `json:"index"`
	Status       string     `json:"status"`
	FlowId       string     `json:"flowId,omitempty"`
	FlowName     string     `json:"flowName,omitempty"`
	TemplateId   string     `json:"templateId,omitempty"`
	CustomerData string     `json:"customerData,omitempty"`
	Error        string     `json:"error,omitempty"`
	PreviewUrl   string     `json:"previewUrl,omitempty"`
	TaskId       string     `json:"taskId,omitempty"`
	TaskStatus   string     `json:"taskStatus,omitempty"`
	Approvers    []Approver `json:"approvers,omitempty"`
}

// Approver is one signer role of a created flow.
type Approver struct {
	RecipientId      string `json:"recipientId,omitempty"`
	SignId           string `json:"signId,omitempty"`
	ApproverRoleName string `json:"approverRoleName,omitempty"`
}

// Error explains a rejected, failed or unknown outcome. Code is an ESS error code (for example
// ResourceNotFound.Template) or one of essflow's own: essflow.InvalidRequest,
// essflow.ForbiddenApp, essflow.ForbiddenOrganization, essflow.IdempotencyConflict,
// essflow.OutcomeUnknown.
type Error struct {
	Code       string      `json:"code"`
	Message    string      `json:"message"`
	MessageZH  string      `json:"messageZh,omitempty"`
	Violations []Violation `json:"violations,omitempty"`
}

// Violation is one validation failure, by JSON path.
type Violation struct {
	Path      string `json:"path"`
	Rule      string `json:"rule"`
	Message   string `json:"message"`
	MessageZH string `json:"messageZh,omitempty"`
}

// StableID derives a message id from the idempotency scope and key: the same request always
// gets the same id, whatever the attempt. The id contains no '.', as Standard Webhooks requires.
func StableID(scopedKey string) string {
	sum := sha256.Sum256([]byte(scopedKey))
	return "msg_" + hex.EncodeToString(sum[:16])
}

// PartitionKey is the key under which queue sinks publish the message, so that all results of
// one request stay in order on one partition.
func (m *Message) PartitionKey() string {
	if m.Correlation.IdempotencyKey != "" {
		return m.Correlation.IdempotencyKey
	}
	return m.ID
}
