package httpx

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// CodeUnauthorized is the error code of a request without a valid bearer token.
const CodeUnauthorized = "essflow.Unauthorized"

// Authorize checks the request's "Authorization: Bearer <token>" against tokens (ESSFLOW_HTTP_TOKENS)
// in constant time. It returns nil when tokens is empty (authentication is then the gateway's
// job) or when one matches, and a 401 answer otherwise. The token never appears in the answer.
func Authorize(r Request, tokens []string, acceptLanguage string) *Response {
	if len(tokens) == 0 {
		return nil
	}
	auth := r.Header("Authorization")
	scheme, given, ok := strings.Cut(strings.TrimSpace(auth), " ")
	if ok && strings.EqualFold(scheme, "Bearer") {
		g := sha256.Sum256([]byte(strings.TrimSpace(given)))
		match := 0
		for _, t := range tokens {
			w := sha256.Sum256([]byte(t))
			match |= subtle.ConstantTimeCompare(g[:], w[:])
		}
		if match == 1 {
			return nil
		}
	}
	resp := Render(RejectOutcome(r.RequestID, http.StatusUnauthorized, CodeUnauthorized,
		"a valid bearer token is required (Authorization: Bearer <token>)",
		"需要有效的访问令牌（Authorization: Bearer <token>）"), acceptLanguage)
	resp.Headers["WWW-Authenticate"] = `Bearer realm="essflow"`
	return &resp
}
