// Package httpx maps a platform-neutral HTTP request to a flows.Job and a flows.Outcome back
// to an HTTP response. The platform adapters (trigger/scf, trigger/lambda) translate their
// gateway events into a Request and the Response into their integration response; this
// package imports no platform library.
package httpx

import (
	"encoding/base64"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/essflow/essflow/shared/flows"
	"github.com/essflow/essflow/shared/result"
)

// DefaultMaxBody is the body limit ToJob applies when given a limit of zero or less: 6 MB, the
// synchronous request limit of Tencent SCF (AWS Lambda's is the same).
const DefaultMaxBody = 6 << 20

// MaxKeyLen is the longest Idempotency-Key or X-Correlation-Id value ToJob accepts.
const MaxKeyLen = 255

// Error codes of the requests ToJob refuses before they reach the processor. The processor's
// own codes (essflow.InvalidRequest, essflow.ForbiddenApp …) arrive in the outcome's message.
const (
	CodeInvalidRequest       = "essflow.InvalidRequest"
	CodeMethodNotAllowed     = "essflow.MethodNotAllowed"
	CodePayloadTooLarge      = "essflow.PayloadTooLarge"
	CodeUnsupportedMediaType = "essflow.UnsupportedMediaType"
	CodeRateLimited          = "essflow.RateLimited"
	CodeUnavailable          = "essflow.Unavailable"
	CodeInternalError        = "essflow.InternalError"
)

// Request is one HTTP call as a gateway delivered it.
type Request struct {
	// Trigger is the trigger kind put on the job (apigw, function_url, rest_api, http_api).
	Trigger string
	Method  string
	Path    string
	// Headers holds one value per header; keys are lower-case (see LowerKeys).
	Headers map[string]string
	// Body is the decoded body (base64 already undone, see DecodeBody).
	Body []byte
	// RequestID is the gateway's request id; it becomes the job's RecordID.
	RequestID string
	SourceIP  string
}

// Header returns the value of the named header, looked up by its lower-case name.
func (r Request) Header(name string) string { return r.Headers[strings.ToLower(name)] }

// Response is the HTTP answer to give the caller.
type Response struct {
	Status  int
	Headers map[string]string
	Body    []byte
}

// LowerKeys returns a copy of h with every key lower-cased. When two keys differ only in case,
// the value of the lexically smallest original key wins, so the result does not depend on map
// iteration order. A nil map gives an empty, non-nil map.
func LowerKeys(h map[string]string) map[string]string {
	out := make(map[string]string, len(h))
	from := make(map[string]string, len(h))
	for k, v := range h {
		lk := strings.ToLower(k)
		if prev, ok := from[lk]; ok && prev < k {
			continue
		}
		out[lk] = v
		from[lk] = k
	}
	return out
}

// DecodeBody returns the body bytes of a gateway event: the string itself, or its base64
// decoding when isBase64 is true. Both padded and unpadded standard base64 are accepted.
func DecodeBody(body string, isBase64 bool) ([]byte, error) {
	if !isBase64 {
		return []byte(body), nil
	}
	b, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(body, "="))
	}
	if err != nil {
		return nil, fmt.Errorf("decode base64 body: %w", err)
	}
	return b, nil
}

// ToJob checks r and turns it into a job for the processor. When r is refused it returns a
// non-nil Response to send as is, in the caller's language (Accept-Language):
//
//   - a method other than POST: 405 with Allow: POST;
//   - a body longer than maxBody bytes (DefaultMaxBody when maxBody <= 0): 413;
//   - an empty or all-blank body: 400;
//   - a Content-Type that is not JSON (application/json or application/*+json): 415;
//     a missing Content-Type is accepted;
//   - an Idempotency-Key or X-Correlation-Id header that is empty, longer than MaxKeyLen or not
//     printable ASCII: 400.
//
// The job's IdempotencyKey is the Idempotency-Key header, its CorrelationID the
// X-Correlation-Id header and its RecordID the request id. DerivedKey stays empty: the
// processor derives the key from the body.
func ToJob(r Request, maxBody int) (flows.Job, *Response) {
	lang := r.Header("Accept-Language")
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	if !strings.EqualFold(r.Method, http.MethodPost) {
		resp := Render(RejectOutcome(r.RequestID, http.StatusMethodNotAllowed, CodeMethodNotAllowed,
			"only POST is accepted", "仅接受 POST 请求"), lang)
		resp.Headers["Allow"] = http.MethodPost
		return flows.Job{}, &resp
	}
	if len(r.Body) > maxBody {
		resp := Render(RejectOutcome(r.RequestID, http.StatusRequestEntityTooLarge, CodePayloadTooLarge,
			"the body is longer than "+strconv.Itoa(maxBody)+" bytes",
			"请求体超过 "+strconv.Itoa(maxBody)+" 字节"), lang)
		return flows.Job{}, &resp
	}
	if len(strings.TrimSpace(string(r.Body))) == 0 {
		resp := Render(RejectOutcome(r.RequestID, http.StatusBadRequest, CodeInvalidRequest,
			"the body is empty", "请求体为空"), lang)
		return flows.Job{}, &resp
	}
	if ct := r.Header("Content-Type"); ct != "" && !isJSONMediaType(ct) {
		resp := Render(RejectOutcome(r.RequestID, http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
			"Content-Type must be application/json", "Content-Type 必须为 application/json"), lang)
		return flows.Job{}, &resp
	}
	job := flows.Job{Trigger: r.Trigger, RecordID: r.RequestID, Body: r.Body}
	for _, h := range []struct {
		name string
		dst  *string
	}{{"Idempotency-Key", &job.IdempotencyKey}, {"X-Correlation-Id", &job.CorrelationID}} {
		v, ok := r.Headers[strings.ToLower(h.name)]
		if !ok {
			continue
		}
		if !validKey(v) {
			resp := Render(RejectOutcome(r.RequestID, http.StatusBadRequest, CodeInvalidRequest,
				h.name+" must be 1 to "+strconv.Itoa(MaxKeyLen)+" printable ASCII characters",
				h.name+" 必须为 1 至 "+strconv.Itoa(MaxKeyLen)+" 个可打印 ASCII 字符"), lang)
			return flows.Job{}, &resp
		}
		*h.dst = v
	}
	return job, nil
}

// RejectOutcome builds the outcome of a request refused before processing, for Render: status
// rejected, the given HTTP status, and an error message with code and English and Chinese
// texts. The adapters use it for events they cannot decode.
func RejectOutcome(recordID string, status int, code, message, messageZH string) flows.Outcome {
	return flows.Outcome{
		RecordID:   recordID,
		Status:     flows.StatusRejected,
		HTTPStatus: status,
		Message: &result.Message{
			Type:  result.TypeRejected,
			Error: &result.Error{Code: code, Message: message, MessageZH: messageZH},
		},
	}
}

func isJSONMediaType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	if mt == "application/json" {
		return true
	}
	return strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")
}

func validKey(v string) bool {
	if v == "" || len(v) > MaxKeyLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return false
		}
	}
	return true
}

// Undecodable is the 400 answer to an HTTP event whose request cannot be read at all (for
// example a body marked base64 that is not).
func Undecodable(requestID, acceptLanguage string) Response {
	return Render(RejectOutcome(requestID, http.StatusBadRequest, CodeInvalidRequest,
		"the request could not be decoded; check the body and its encoding",
		"无法解析请求，请检查请求体及其编码"), acceptLanguage)
}
