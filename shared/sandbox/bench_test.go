package sandbox_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/essflow/essflow/shared/sandbox"
)

// BenchmarkServeHTTP measures one signed call through the handler, beside a baseline handler
// that only reads the body and answers a fixed envelope.
func BenchmarkServeHTTP(b *testing.B) {
	s, err := sandbox.New(sandbox.Config{Now: func() time.Time { return fixedNow }, Seed: 5, QPS: -1})
	if err != nil {
		b.Fatal(err)
	}
	baseline := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"Response":{"RequestId":"00000000-0000-4000-8000-000000000000"}}`))
	})
	twenty := make([]map[string]any, 20)
	for i := range twenty {
		twenty[i] = laborFlow("劳动合同", "")
	}
	cases := []struct {
		name    string
		handler http.Handler
		action  string
		body    any
	}{
		{"baseline_read_and_answer", baseline, sandbox.ActionCreateFlowsByTemplates, createBody(twenty...)},
		{"DescribeTemplates", s, sandbox.ActionDescribeTemplates, map[string]any{"Agent": agentJSON()}},
		{"CreateFlowsByTemplates_1", s, sandbox.ActionCreateFlowsByTemplates, createBody(laborFlow("劳动合同", ""))},
		{"CreateFlowsByTemplates_20", s, sandbox.ActionCreateFlowsByTemplates, createBody(twenty...)},
	}
	for _, c := range cases {
		body, err := json.Marshal(c.body)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				r := httptest.NewRequest(http.MethodPost, "http://sandbox.test/", bytes.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set("X-TC-Action", c.action)
				r.Header.Set("X-TC-Version", sandbox.VersionESS)
				sandbox.SignTC3(r, body, sandbox.DefaultSecretID, sandbox.DefaultSecretKey, sandbox.ServiceESS, fixedNow)
				w := httptest.NewRecorder()
				c.handler.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("HTTP %d", w.Code)
				}
			}
			b.StopTimer()
			s.Reset() // keep the recorded flows from growing across runs
		})
	}
}

// BenchmarkVerifyTC3 measures signature verification beside its floor, hashing the body once.
func BenchmarkVerifyTC3(b *testing.B) {
	body, err := json.Marshal(createBody(laborFlow("劳动合同", "")))
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "http://sandbox.test/", nil)
	r.Header.Set("Content-Type", "application/json")
	sandbox.SignTC3(r, body, sandbox.DefaultSecretID, sandbox.DefaultSecretKey, sandbox.ServiceESS, fixedNow)
	lookup := func(string) (string, bool) { return sandbox.DefaultSecretKey, true }
	b.Run("baseline_sha256_body", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			_ = sha256.Sum256(body)
		}
	})
	b.Run("VerifyTC3", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if err := sandbox.VerifyTC3(r, body, lookup, fixedNow); err != nil {
				b.Fatal(err)
			}
		}
	})
}
