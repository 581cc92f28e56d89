package ess

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// APIError is an error envelope answered by essbasic: {"Response":{"Error":{Code,Message},RequestId}}.
// The service processed the request and refused it, so nothing was created by this call.
type APIError struct {
	Code      string
	Message   string
	RequestID string
}

// Error describes the refusal with its code and RequestId.
func (e *APIError) Error() string {
	return fmt.Sprintf("essbasic error %s: %s (RequestId %s)", e.Code, e.Message, e.RequestID)
}

// Retryable reports whether the code is one that a later identical call may pass: rate limits
// (RequestLimitExceeded and its sub-codes), InternalError, InternalError.System and
// ResourceUnavailable.
func (e *APIError) Retryable() bool {
	switch {
	case e.Code == "RequestLimitExceeded", strings.HasPrefix(e.Code, "RequestLimitExceeded."):
		return true
	case e.Code == "InternalError", e.Code == "InternalError.System", e.Code == "ResourceUnavailable":
		return true
	}
	return false
}

// RateLimited reports whether the code is RequestLimitExceeded or one of its sub-codes.
func (e *APIError) RateLimited() bool {
	return e.Code == "RequestLimitExceeded" || strings.HasPrefix(e.Code, "RequestLimitExceeded.")
}

// NotSentError is a failure before the request reached the service (bad endpoint, refused
// connection, DNS failure, context ended before sending, signing failure). Nothing was created;
// a retry is safe.
type NotSentError struct {
	Op  string
	Err error
}

// Error says which action was not sent and why.
func (e *NotSentError) Error() string { return fmt.Sprintf("%s: request not sent: %v", e.Op, e.Err) }

// Unwrap returns the cause.
func (e *NotSentError) Unwrap() error { return e.Err }

// OutcomeUnknownError is a failure after the request was (or may have been) sent: a timeout
// waiting for the answer, a connection lost mid-response, an unreadable answer or a gateway
// 5xx. The service may have created the contracts. CreateFlowsByTemplates has no idempotency
// token, so such a call is never retried automatically.
type OutcomeUnknownError struct {
	Op  string
	Err error
}

// Error says that the call may have been processed, and why its answer was lost.
func (e *OutcomeUnknownError) Error() string {
	return fmt.Sprintf("%s: outcome unknown (the request may have been processed): %v", e.Op, e.Err)
}

// Unwrap returns the cause.
func (e *OutcomeUnknownError) Unwrap() error { return e.Err }

// RetryExhaustedError wraps the last retryable failure when the attempts or the deadline ran out.
// RetryAfter suggests when the caller may try again.
type RetryExhaustedError struct {
	Attempts   int
	RetryAfter time.Duration
	Err        error
}

// Error gives the number of attempts and the last failure.
func (e *RetryExhaustedError) Error() string {
	return fmt.Sprintf("gave up after %d attempt(s): %v", e.Attempts, e.Err)
}

// Unwrap returns the last failure.
func (e *RetryExhaustedError) Unwrap() error { return e.Err }

// IsOutcomeUnknown reports whether err means the call may or may not have taken effect.
func IsOutcomeUnknown(err error) bool {
	var u *OutcomeUnknownError
	return errors.As(err, &u)
}

// IsRetryable reports whether err is a failure after which the same call may be made again
// without risk of a duplicate: an APIError with a retryable code, a NotSentError, or
// a RetryExhaustedError over one of those. An outcome-unknown error is never retryable.
func IsRetryable(err error) bool {
	if err == nil || IsOutcomeUnknown(err) {
		return false
	}
	var api *APIError
	if errors.As(err, &api) {
		return api.Retryable()
	}
	var ns *NotSentError
	return errors.As(err, &ns)
}

// Violation is one broken rule of a request, located by its path in JSON names, for example
// FlowInfos[1].FlowApprovers[0].Mobile.
type Violation struct {
	Path      string `json:"Path"`
	Rule      string `json:"Rule"`
	Param     string `json:"Param,omitempty"`
	Message   string `json:"Message"`
	MessageZH string `json:"MessageZH"`
}

// ValidationError lists every violation of a request, not only the first.
type ValidationError struct {
	Violations []Violation
}

// Error counts the violations and lists the first five messages (English).
func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d validation error(s)", len(e.Violations))
	for i, v := range e.Violations {
		if i == 5 {
			fmt.Fprintf(&b, "; … %d more", len(e.Violations)-5)
			break
		}
		fmt.Fprintf(&b, "; %s", v.Message)
	}
	return b.String()
}

// Warning reports a use of a deprecated or ignored field; the request is still sent.
type Warning struct {
	Path      string `json:"Path"`
	Message   string `json:"Message"`
	MessageZH string `json:"MessageZH"`
}
