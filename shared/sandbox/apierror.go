package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Error codes answered by the sandbox, as documented for API 3.0 and essbasic.
const (
	CodeInvalidAuthorization  = "AuthFailure.InvalidAuthorization"
	CodeSecretIDNotFound      = "AuthFailure.SecretIdNotFound"
	CodeSignatureFailure      = "AuthFailure.SignatureFailure"
	CodeSignatureExpire       = "AuthFailure.SignatureExpire"
	CodeTokenFailure          = "AuthFailure.TokenFailure"
	CodeInvalidAction         = "InvalidAction"
	CodeNoSuchVersion         = "NoSuchVersion"
	CodeMissingParameter      = "MissingParameter"
	CodeUnknownParameter      = "UnknownParameter"
	CodeInvalidParameter      = "InvalidParameter"
	CodeInvalidParameterValue = "InvalidParameterValue"
	CodeMissingRequiredValue  = "InvalidParameter.MissingRequiredParameterValue"
	CodeInvalidApplication    = "InvalidParameter.Application"
	CodeInvalidFlowInfos      = "InvalidParameter.FlowInfos"
	CodeParamError            = "InvalidParameter.ParamError"
	CodeInvalidMobile         = "InvalidParameter.Mobile"
	CodeTemplateNotFound      = "ResourceNotFound.Template"
	CodeRequestLimitExceeded  = "RequestLimitExceeded"
	CodeInternalError         = "InternalError"
	CodeRequestSizeExceeded   = "RequestSizeLimitExceeded"
	CodeUnsupportedOperation  = "UnsupportedOperation"
)

// APIError is a refusal answered in the API 3.0 error envelope. VerifyTC3 returns one, so its
// Code tells which AuthFailure applies.
type APIError struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

// Error returns the code and the message.
func (e *APIError) Error() string { return e.Code + ": " + e.Message }

func apiErr(code, format string, args ...any) *APIError {
	return &APIError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// errorEnvelope is {"Response":{"Error":{…},"RequestId":…}}.
type errorEnvelope struct {
	Response struct {
		Error     *APIError `json:"Error"`
		RequestID string    `json:"RequestId"`
	} `json:"Response"`
}

// writeJSON answers HTTP 200 with v marshalled as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Every value marshalled here is built by the sandbox from plain types.
		http.Error(w, "marshal response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeAPIError(w http.ResponseWriter, e *APIError, requestID string) {
	var env errorEnvelope
	env.Response.Error = e
	env.Response.RequestID = requestID
	writeJSON(w, http.StatusOK, env)
}
