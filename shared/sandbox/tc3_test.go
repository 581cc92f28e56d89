package sandbox

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The official worked example of the TC3-HMAC-SHA256 documentation (签名方法 v3).
const (
	docSecretID  = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
	docSecretKey = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
	docHost      = "cvm.tencentcloudapi.com"
	docCT        = "application/json; charset=utf-8"
	docTimestamp = 1551113065
	docPayload   = `{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`
	docSignature = "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
	docAuth      = "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=" + docSignature
)

func docLookup(id string) (string, bool) {
	if id == docSecretID {
		return docSecretKey, true
	}
	return "", false
}

func docRequest(auth string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "http://"+docHost+"/", strings.NewReader(docPayload))
	r.Header.Set("Content-Type", docCT)
	r.Header.Set("X-TC-Action", "DescribeInstances")
	r.Header.Set("X-TC-Timestamp", "1551113065")
	r.Header.Set("X-TC-Version", "2017-03-12")
	r.Header.Set("X-TC-Region", "ap-guangzhou")
	r.Header.Set("Authorization", auth)
	return r
}

func TestTC3OfficialVector(t *testing.T) {
	if got := sha256Hex([]byte(docPayload)); got != "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064" {
		t.Fatalf("payload hash = %s", got)
	}
	tests := []struct {
		name       string
		signed     []string
		values     []string
		wantHash   string
		wantSigned string
	}{
		{"content-type;host", []string{"content-type", "host"}, []string{docCT, docHost},
			"5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031", docSignature},
		// The newer document variant also signs x-tc-action, whose value is lower-cased.
		{"content-type;host;x-tc-action", []string{"content-type", "host", "x-tc-action"}, []string{docCT, docHost, "DescribeInstances"},
			"7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84", "644be983de9a8a3f00db8eadaba61467c3b429e2215758ba897b738ca469fd26"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			canonical := canonicalRequest(http.MethodPost, "", tt.signed, tt.values, sha256Hex([]byte(docPayload)))
			if got := sha256Hex([]byte(canonical)); got != tt.wantHash {
				t.Fatalf("hashed canonical request = %s, want %s\ncanonical:\n%s", got, tt.wantHash, canonical)
			}
			if got := tc3Signature(docSecretKey, "2019-02-25", "cvm", "1551113065", canonical); got != tt.wantSigned {
				t.Fatalf("signature = %s, want %s", got, tt.wantSigned)
			}
			auth := "TC3-HMAC-SHA256 Credential=" + docSecretID + "/2019-02-25/cvm/tc3_request, SignedHeaders=" +
				strings.Join(tt.signed, ";") + ", Signature=" + tt.wantSigned
			if err := VerifyTC3(docRequest(auth), []byte(docPayload), docLookup, time.Unix(docTimestamp, 0)); err != nil {
				t.Fatalf("VerifyTC3 refused the official example: %v", err)
			}
		})
	}
}

func TestSignTC3ReproducesOfficialAuthorization(t *testing.T) {
	r := docRequest("")
	r.Header.Del("Authorization")
	SignTC3(r, []byte(docPayload), docSecretID, docSecretKey, "cvm", time.Unix(docTimestamp, 0))
	if got := r.Header.Get("Authorization"); got != docAuth {
		t.Fatalf("Authorization =\n%s\nwant\n%s", got, docAuth)
	}
	if got := r.Header.Get("X-TC-Timestamp"); got != "1551113065" {
		t.Fatalf("X-TC-Timestamp = %s", got)
	}
}

func TestVerifyTC3Refusals(t *testing.T) {
	now := time.Unix(docTimestamp, 0)
	tests := []struct {
		name   string
		mutate func(r *http.Request) []byte // returns the body to verify
		now    time.Time
		want   string
	}{
		{"no Authorization", func(r *http.Request) []byte { r.Header.Del("Authorization"); return []byte(docPayload) }, now, CodeInvalidAuthorization},
		{"other algorithm", func(r *http.Request) []byte {
			r.Header.Set("Authorization", strings.Replace(docAuth, "TC3-HMAC-SHA256", "HMAC-SHA1", 1))
			return []byte(docPayload)
		}, now, CodeInvalidAuthorization},
		{"missing SignedHeaders", func(r *http.Request) []byte {
			r.Header.Set("Authorization", strings.Replace(docAuth, "SignedHeaders=content-type;host, ", "", 1))
			return []byte(docPayload)
		}, now, CodeInvalidAuthorization},
		{"host not signed", func(r *http.Request) []byte {
			r.Header.Set("Authorization", strings.Replace(docAuth, "content-type;host", "content-type", 1))
			return []byte(docPayload)
		}, now, CodeInvalidAuthorization},
		{"scope date is the local (UTC+8) date", func(r *http.Request) []byte {
			r.Header.Set("Authorization", strings.Replace(docAuth, "2019-02-25", "2019-02-26", 1))
			return []byte(docPayload)
		}, now, CodeInvalidAuthorization},
		{"timestamp not a number", func(r *http.Request) []byte { r.Header.Set("X-TC-Timestamp", "soon"); return []byte(docPayload) }, now, CodeInvalidAuthorization},
		{"signed header absent", func(r *http.Request) []byte { r.Header.Del("Content-Type"); return []byte(docPayload) }, now, CodeInvalidAuthorization},
		{"301 s late", nil, now.Add(301 * time.Second), CodeSignatureExpire},
		{"301 s early", nil, now.Add(-301 * time.Second), CodeSignatureExpire},
		{"unknown SecretId", func(r *http.Request) []byte {
			r.Header.Set("Authorization", strings.Replace(docAuth, docSecretID, "AKIDunknown", 1))
			return []byte(docPayload)
		}, now, CodeSecretIDNotFound},
		{"body differs from the signed one", func(*http.Request) []byte {
			return bytes.Replace([]byte(docPayload), []byte(`"Limit": 1`), []byte(`"Limit": 2`), 1)
		}, now, CodeSignatureFailure},
		{"wrong signature", func(r *http.Request) []byte {
			r.Header.Set("Authorization", strings.Replace(docAuth, "72e494ea", "72e494eb", 1))
			return []byte(docPayload)
		}, now, CodeSignatureFailure},
		{"host differs", func(r *http.Request) []byte { r.Host = "cvm.example.com"; return []byte(docPayload) }, now, CodeSignatureFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := docRequest(docAuth)
			body := []byte(docPayload)
			if tt.mutate != nil {
				body = tt.mutate(r)
			}
			err := VerifyTC3(r, body, docLookup, tt.now)
			var apiError *APIError
			if !errors.As(err, &apiError) || apiError.Code != tt.want {
				t.Fatalf("VerifyTC3 = %v, want code %s", err, tt.want)
			}
		})
	}
	t.Run("300 s apart is accepted", func(t *testing.T) {
		if err := VerifyTC3(docRequest(docAuth), []byte(docPayload), docLookup, now.Add(300*time.Second)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestVerifyTC3UnsignedPayload(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "http://"+docHost+"/", nil)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-TC-Content-SHA256", unsignedPayload)
	SignTC3(r, []byte(unsignedPayload), docSecretID, docSecretKey, "cvm", time.Unix(docTimestamp, 0))
	if err := VerifyTC3(r, []byte(`{"any":"body"}`), docLookup, time.Unix(docTimestamp, 0)); err != nil {
		t.Fatalf("UNSIGNED-PAYLOAD request refused: %v", err)
	}
}

func TestParseAuthorization(t *testing.T) {
	a, err := ParseAuthorization(docAuth)
	if err != nil {
		t.Fatal(err)
	}
	if a.SecretID != docSecretID || a.Date != "2019-02-25" || a.Service != "cvm" || strings.Join(a.SignedHeaders, ";") != "content-type;host" || a.Signature != docSignature {
		t.Fatalf("parsed %+v", a)
	}
	bad := []string{
		"",
		"TC3-HMAC-SHA256",
		"TC3-HMAC-SHA256 Credential=a/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host",
		"TC3-HMAC-SHA256 Credential=a/2019-02-25/cvm/tc3_request, SignedHeaders=host;content-type, Signature=" + docSignature,
		"TC3-HMAC-SHA256 Credential=a/2019-02-25/cvm/tc3_request, SignedHeaders=Content-Type;host, Signature=" + docSignature,
		"TC3-HMAC-SHA256 Credential=a/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host;host, Signature=" + docSignature,
		"TC3-HMAC-SHA256 Credential=a/2019-02-25/cvm/tc2_request, SignedHeaders=content-type;host, Signature=" + docSignature,
		"TC3-HMAC-SHA256 Credential=a/25-02-2019/cvm/tc3_request, SignedHeaders=content-type;host, Signature=" + docSignature,
		"TC3-HMAC-SHA256 Credential=a/2019-02-25/tc3_request, SignedHeaders=content-type;host, Signature=" + docSignature,
		"TC3-HMAC-SHA256 Credential=a/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=" + strings.ToUpper(docSignature),
		"TC3-HMAC-SHA256 Credential=a/2019-02-25/cvm/tc3_request, Credential=b, Signature=" + docSignature,
	}
	for _, h := range bad {
		if _, err := ParseAuthorization(h); err == nil {
			t.Errorf("ParseAuthorization(%q) accepted a malformed header", h)
		}
	}
}

func FuzzParseAuthorization(f *testing.F) {
	f.Add(docAuth)
	f.Add(strings.Replace(docAuth, "content-type;host", "content-type;host;x-tc-action", 1))
	f.Add("TC3-HMAC-SHA256 Credential=//, SignedHeaders=;, Signature=")
	f.Fuzz(func(t *testing.T, h string) {
		a, err := ParseAuthorization(h)
		if err != nil {
			return
		}
		if a.SecretID == "" || len(a.Signature) != 64 || len(a.SignedHeaders) < 2 {
			t.Fatalf("accepted an incomplete header %q as %+v", h, a)
		}
		r := docRequest(h)
		// Verification of whatever parses must never panic.
		_ = VerifyTC3(r, []byte(docPayload), docLookup, time.Unix(docTimestamp, 0))
	})
}
