package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TC3Algorithm is the only signature algorithm the sandbox accepts.
const TC3Algorithm = "TC3-HMAC-SHA256"

// MaxClockSkew is how far X-TC-Timestamp may lie from the sandbox's clock before a call is
// refused with AuthFailure.SignatureExpire.
const MaxClockSkew = 300 * time.Second

const (
	scopeTerminator = "tc3_request"
	scopeDateLayout = "2006-01-02"
	unsignedPayload = "UNSIGNED-PAYLOAD"
)

// Authorization is a parsed TC3-HMAC-SHA256 Authorization header:
// "TC3-HMAC-SHA256 Credential=<SecretId>/<Date>/<Service>/tc3_request,
// SignedHeaders=<h1;h2>, Signature=<hex>".
type Authorization struct {
	SecretID      string
	Date          string
	Service       string
	SignedHeaders []string
	Signature     string
}

// ParseAuthorization parses a TC3-HMAC-SHA256 Authorization header. It checks the shape only:
// the algorithm, the three parts, a credential scope ending in tc3_request with a valid date, a
// SignedHeaders list of sorted, unique, lower-case names including content-type and host, and a
// 64-digit lower-case hexadecimal signature.
func ParseAuthorization(header string) (Authorization, error) {
	var a Authorization
	rest, ok := strings.CutPrefix(header, TC3Algorithm+" ")
	if !ok {
		return a, fmt.Errorf("authorization does not start with %q", TC3Algorithm+" ")
	}
	parts := strings.Split(rest, ",")
	if len(parts) != 3 {
		return a, fmt.Errorf("authorization has %d comma-separated parts, want 3", len(parts))
	}
	seen := map[string]string{}
	for _, p := range parts {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok {
			return a, fmt.Errorf("authorization part %q is not key=value", p)
		}
		if _, dup := seen[k]; dup {
			return a, fmt.Errorf("authorization repeats %s", k)
		}
		seen[k] = v
	}
	cred, ok1 := seen["Credential"]
	signed, ok2 := seen["SignedHeaders"]
	sig, ok3 := seen["Signature"]
	if !ok1 || !ok2 || !ok3 {
		return a, fmt.Errorf("authorization needs Credential, SignedHeaders and Signature")
	}
	scope := strings.Split(cred, "/")
	if len(scope) != 4 || scope[0] == "" || scope[2] == "" || scope[3] != scopeTerminator {
		return a, fmt.Errorf("credential is not <SecretId>/<Date>/<Service>/%s", scopeTerminator)
	}
	if _, err := time.Parse(scopeDateLayout, scope[1]); err != nil {
		return a, fmt.Errorf("credential date %q is not YYYY-MM-DD", scope[1])
	}
	a.SecretID, a.Date, a.Service = scope[0], scope[1], scope[2]
	a.SignedHeaders = strings.Split(signed, ";")
	for i, h := range a.SignedHeaders {
		if h == "" || h != strings.ToLower(h) || strings.TrimSpace(h) != h {
			return a, fmt.Errorf("signed header %q is not a lower-case name", h)
		}
		if i > 0 && a.SignedHeaders[i-1] >= h {
			return a, fmt.Errorf("signed headers are not sorted and unique")
		}
	}
	if !slices.Contains(a.SignedHeaders, "content-type") || !slices.Contains(a.SignedHeaders, "host") {
		return a, fmt.Errorf("signed headers must include content-type and host")
	}
	if len(sig) != 64 || strings.Trim(sig, "0123456789abcdef") != "" {
		return a, fmt.Errorf("signature is not 64 lower-case hexadecimal digits")
	}
	a.Signature = sig
	return a, nil
}

// VerifyTC3 checks the TC3-HMAC-SHA256 signature of r, whose body bytes are body, at time now.
// lookup returns the SecretKey of a SecretId. The error, when not nil, is an *APIError whose Code
// is AuthFailure.InvalidAuthorization (missing or malformed Authorization or X-TC-Timestamp,
// credential date other than the UTC date of the timestamp, a signed header absent from the
// request), AuthFailure.SignatureExpire (|now − timestamp| > 300 s),
// AuthFailure.SecretIdNotFound or AuthFailure.SignatureFailure (wrong key, or headers or body
// other than those signed). The service named in the credential scope is not checked here: the
// Server compares it with the action's service. X-TC-Token is not checked here either.
func VerifyTC3(r *http.Request, body []byte, lookup func(secretID string) (secretKey string, ok bool), now time.Time) error {
	_, err := verifyTC3(r, body, lookup, now)
	if err != nil {
		return err
	}
	return nil
}

func verifyTC3(r *http.Request, body []byte, lookup func(string) (string, bool), now time.Time) (Authorization, *APIError) {
	header := r.Header.Get("Authorization")
	if header == "" {
		return Authorization{}, apiErr(CodeInvalidAuthorization, "the Authorization header is missing")
	}
	a, err := ParseAuthorization(header)
	if err != nil {
		return a, apiErr(CodeInvalidAuthorization, "the Authorization header is malformed: %v", err)
	}
	tsText := r.Header.Get("X-TC-Timestamp")
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil || ts < 0 {
		return a, apiErr(CodeInvalidAuthorization, "X-TC-Timestamp %q is not Unix seconds", tsText)
	}
	signedAt := time.Unix(ts, 0)
	if want := signedAt.UTC().Format(scopeDateLayout); a.Date != want {
		return a, apiErr(CodeInvalidAuthorization, "credential date %s is not the UTC date %s of X-TC-Timestamp", a.Date, want)
	}
	if skew := now.Sub(signedAt); skew > MaxClockSkew || skew < -MaxClockSkew {
		return a, apiErr(CodeSignatureExpire, "signature expired: X-TC-Timestamp is %d, server time is %d (more than 300 s apart)", ts, now.Unix())
	}
	key, ok := lookup(a.SecretID)
	if !ok {
		return a, apiErr(CodeSecretIDNotFound, "the SecretId is not found")
	}
	headers := make([]string, len(a.SignedHeaders))
	for i, name := range a.SignedHeaders {
		v := r.Header.Get(name)
		if name == "host" {
			v = r.Host
		}
		if v == "" {
			return a, apiErr(CodeInvalidAuthorization, "signed header %s is absent from the request", name)
		}
		headers[i] = v
	}
	payloadHash := sha256Hex(body)
	if r.Header.Get("X-TC-Content-SHA256") == unsignedPayload {
		payloadHash = sha256Hex([]byte(unsignedPayload))
	}
	query := ""
	if r.Method == http.MethodGet {
		query = r.URL.RawQuery
	}
	canonical := canonicalRequest(r.Method, query, a.SignedHeaders, headers, payloadHash)
	want := tc3Signature(key, a.Date, a.Service, strconv.FormatInt(ts, 10), canonical)
	if !hmac.Equal([]byte(want), []byte(a.Signature)) {
		return a, apiErr(CodeSignatureFailure, "the provided credentials could not be validated; check the signature, the key and the body")
	}
	return a, nil
}

// SignTC3 signs r for service at time ts the way API 3.0 clients do: it sets X-TC-Timestamp and
// Authorization over the signed headers (content-type and host when none are named; names are
// lower-cased and sorted), hashing body, which must be the exact bytes that will be sent. It is
// meant for tests and tools that craft raw requests; Host and Content-Type must already be set.
func SignTC3(r *http.Request, body []byte, secretID, secretKey, service string, ts time.Time, signedHeaders ...string) {
	names := []string{"content-type", "host"}
	for _, h := range signedHeaders {
		names = append(names, strings.ToLower(h))
	}
	slices.Sort(names)
	names = slices.Compact(names)
	unix := strconv.FormatInt(ts.Unix(), 10)
	r.Header.Set("X-TC-Timestamp", unix)
	values := make([]string, len(names))
	for i, name := range names {
		values[i] = r.Header.Get(name)
		if name == "host" {
			values[i] = r.Host
		}
	}
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	query := ""
	if method == http.MethodGet {
		query = r.URL.RawQuery
	}
	date := ts.UTC().Format(scopeDateLayout)
	canonical := canonicalRequest(method, query, names, values, sha256Hex(body))
	sig := tc3Signature(secretKey, date, service, unix, canonical)
	r.Header.Set("Authorization", fmt.Sprintf("%s Credential=%s/%s/%s/%s, SignedHeaders=%s, Signature=%s",
		TC3Algorithm, secretID, date, service, scopeTerminator, strings.Join(names, ";"), sig))
}

// canonicalRequest builds the TC3 canonical request; header values are trimmed and lower-cased.
func canonicalRequest(method, query string, names, values []string, payloadHash string) string {
	var b strings.Builder
	b.WriteString(method)
	b.WriteString("\n/\n")
	b.WriteString(query)
	b.WriteByte('\n')
	for i, n := range names {
		b.WriteString(n)
		b.WriteByte(':')
		b.WriteString(strings.ToLower(strings.TrimSpace(values[i])))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(names, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// tc3Signature derives the signing key from secretKey, date and service and signs the
// string-to-sign of canonical.
func tc3Signature(secretKey, date, service, timestamp, canonical string) string {
	stringToSign := TC3Algorithm + "\n" + timestamp + "\n" + date + "/" + service + "/" + scopeTerminator + "\n" + sha256Hex([]byte(canonical))
	k := hmacSHA256([]byte("TC3"+secretKey), date)
	k = hmacSHA256(k, service)
	k = hmacSHA256(k, scopeTerminator)
	return hex.EncodeToString(hmacSHA256(k, stringToSign))
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
