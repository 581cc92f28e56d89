package httpx

import (
	"strings"
	"testing"
)

func TestAuthorize(t *testing.T) {
	tokens := []string{"old-token-0123456789abcdef", "new-token-0123456789abcdef"}
	tests := []struct {
		name   string
		header string
		tokens []string
		ok     bool
	}{
		{"no tokens configured", "", nil, true},
		{"current token", "Bearer new-token-0123456789abcdef", tokens, true},
		{"rotated-out token still listed", "bearer old-token-0123456789abcdef", tokens, true},
		{"missing header", "", tokens, false},
		{"wrong token", "Bearer new-token-0123456789abcdeX", tokens, false},
		{"basic scheme", "Basic bmV3LXRva2Vu", tokens, false},
		{"prefix of a token", "Bearer new-token", tokens, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Request{RequestID: "r1", Headers: map[string]string{}}
			if tt.header != "" {
				r.Headers["authorization"] = tt.header
			}
			resp := Authorize(r, tt.tokens, "zh-CN")
			if (resp == nil) != tt.ok {
				t.Fatalf("Authorize = %+v, want ok=%v", resp, tt.ok)
			}
			if resp != nil {
				if resp.Status != 401 || resp.Headers["WWW-Authenticate"] == "" || !strings.Contains(string(resp.Body), CodeUnauthorized) {
					t.Errorf("answer %d %v %s", resp.Status, resp.Headers, resp.Body)
				}
				if strings.Contains(string(resp.Body), "token-0123") {
					t.Errorf("answer echoes a token: %s", resp.Body)
				}
			}
		})
	}
}
