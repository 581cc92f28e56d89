package httpx

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/essflow/essflow/shared/ess"
	"github.com/essflow/essflow/shared/flows"
	"github.com/essflow/essflow/shared/result"
)

// ContentType is the Content-Type of every response Render builds.
const ContentType = "application/json; charset=utf-8"

// successBody is a 1xx–3xx answer: the ESS response fields at top level, exactly as ESS names
// them, then the essflow outcome and the localized warnings.
type successBody struct {
	*ess.CreateFlowsByTemplatesResponse
	Outcome  outcomeBody   `json:"Outcome"`
	Warnings []warningBody `json:"Warnings,omitempty"`
}

// errorBody is a 4xx/5xx answer.
type errorBody struct {
	Error    errorDetail   `json:"Error"`
	Outcome  outcomeBody   `json:"Outcome"`
	Warnings []warningBody `json:"Warnings,omitempty"`
}

type errorDetail struct {
	Code       string          `json:"Code"`
	Message    string          `json:"Message"`
	Violations []violationBody `json:"Violations,omitempty"`
}

type violationBody struct {
	Path    string `json:"Path"`
	Rule    string `json:"Rule"`
	Message string `json:"Message"`
}

type warningBody struct {
	Path    string `json:"Path"`
	Message string `json:"Message"`
}

type outcomeBody struct {
	Status         string        `json:"status"`
	ResultID       string        `json:"resultId,omitempty"`
	IdempotencyKey string        `json:"idempotencyKey,omitempty"`
	CorrelationID  string        `json:"correlationId,omitempty"`
	Replayed       bool          `json:"replayed"`
	Flows          []result.Flow `json:"flows,omitempty"`
}

// Render turns an outcome into the HTTP answer, in Chinese when acceptLanguage prefers it
// (see PreferChinese) and in English otherwise.
//
// The status is o.HTTPStatus; when the processor left it unset or out of range, it is derived
// from o.Status (created, previewed, partially_failed: 200; rejected: 400; failed and
// outcome_unknown: 502; retryable and not_processed: 503; anything else: 500).
//
// A status below 400 gets the ESS response fields (FlowIds, CustomerData, ErrorMessages,
// PreviewUrls, TaskInfos, FlowApprovers, RequestId, from o.Response) at top level, plus
// "Outcome" {status, resultId, idempotencyKey, correlationId, replayed, flows} and the
// localized "Warnings". Any other status gets {"Error":{Code, Message, Violations}, "Outcome",
// "Warnings"}, the code and message taken from o.Message.Error (violations from o.Violations,
// else from the message). A 500 always answers the generic essflow.InternalError: internal
// details, o.Err above all, are never rendered.
//
// Headers: Content-Type (ContentType); Retry-After in whole seconds, rounded up, on 429, 503 and
// a retryable 409 (same key in progress) when o.RetryAfter > 0; Idempotency-Replayed: true when
// o.Replayed.
func Render(o flows.Outcome, acceptLanguage string) Response {
	zh := PreferChinese(acceptLanguage)
	status := o.HTTPStatus
	if status < 100 || status > 599 {
		status = statusFor(o.Status)
	}
	headers := map[string]string{"Content-Type": ContentType}
	if o.Replayed {
		headers["Idempotency-Replayed"] = "true"
	}
	if (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable ||
		(status == http.StatusConflict && o.Retryable)) && o.RetryAfter > 0 {
		headers["Retry-After"] = strconv.FormatInt(int64((o.RetryAfter+time.Second-1)/time.Second), 10)
	}
	ob := outcomeOf(o)
	warnings := warningsOf(o.Warnings, zh)
	var body any
	if status < 400 {
		body = successBody{CreateFlowsByTemplatesResponse: o.Response, Outcome: ob, Warnings: warnings}
	} else {
		body = errorBody{Error: errorOf(o, status, zh), Outcome: ob, Warnings: warnings}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		// Every field is a string, number, bool or slice of those: encoding cannot fail. Answer a
		// valid 500 should that ever change.
		return Response{
			Status:  http.StatusInternalServerError,
			Headers: map[string]string{"Content-Type": ContentType},
			Body:    []byte(`{"Error":{"Code":"` + CodeInternalError + `","Message":"internal error"}}`),
		}
	}
	return Response{Status: status, Headers: headers, Body: bytes.TrimSuffix(buf.Bytes(), []byte("\n"))}
}

func statusFor(s flows.Status) int {
	switch s {
	case flows.StatusCreated, flows.StatusPreviewed, flows.StatusPartiallyFailed:
		return http.StatusOK
	case flows.StatusRejected:
		return http.StatusBadRequest
	case flows.StatusFailed, flows.StatusUnknown:
		return http.StatusBadGateway
	case flows.StatusRetryable, flows.StatusNotProcessed:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func outcomeOf(o flows.Outcome) outcomeBody {
	ob := outcomeBody{Status: string(o.Status), Replayed: o.Replayed}
	if m := o.Message; m != nil {
		ob.ResultID = m.ID
		ob.IdempotencyKey = m.Correlation.IdempotencyKey
		ob.CorrelationID = m.Correlation.CorrelationId
		ob.Flows = m.Flows
	}
	return ob
}

func errorOf(o flows.Outcome, status int, zh bool) errorDetail {
	if status == http.StatusInternalServerError {
		return errorDetail{Code: CodeInternalError, Message: pick(zh, msgInternal, msgInternalZH)}
	}
	var d errorDetail
	if o.Message != nil && o.Message.Error != nil && o.Message.Error.Code != "" {
		e := o.Message.Error
		d = errorDetail{Code: e.Code, Message: pick(zh, e.Message, e.MessageZH)}
		for _, v := range e.Violations {
			d.Violations = append(d.Violations, violationBody{Path: v.Path, Rule: v.Rule, Message: pick(zh, v.Message, v.MessageZH)})
		}
	} else {
		d = genericError(status, zh)
	}
	if len(o.Violations) > 0 {
		d.Violations = d.Violations[:0]
		for _, v := range o.Violations {
			d.Violations = append(d.Violations, violationBody{Path: v.Path, Rule: v.Rule, Message: pick(zh, v.Message, v.MessageZH)})
		}
	}
	return d
}

const (
	msgInternal   = "internal error; the request may be retried"
	msgInternalZH = "内部错误，可稍后重试"
)

func genericError(status int, zh bool) errorDetail {
	switch {
	case status == http.StatusTooManyRequests:
		return errorDetail{Code: CodeRateLimited, Message: pick(zh, "too many requests; retry later", "请求过于频繁，请稍后重试")}
	case status >= 500:
		return errorDetail{Code: CodeUnavailable, Message: pick(zh, "temporarily unavailable; retry later", "服务暂时不可用，请稍后重试")}
	}
	return errorDetail{Code: CodeInvalidRequest, Message: pick(zh, "the request was refused", "请求被拒绝")}
}

func warningsOf(ws []ess.Warning, zh bool) []warningBody {
	if len(ws) == 0 {
		return nil
	}
	out := make([]warningBody, len(ws))
	for i, w := range ws {
		out[i] = warningBody{Path: w.Path, Message: pick(zh, w.Message, w.MessageZH)}
	}
	return out
}

// pick returns the Chinese text when zh is set and it exists, the English one otherwise; a
// missing text falls back to the other language.
func pick(zh bool, en, cn string) string {
	if (zh && cn != "") || en == "" {
		return cn
	}
	return en
}
