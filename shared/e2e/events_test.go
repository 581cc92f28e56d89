package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/essflow/essflow/shared/app"
	"github.com/essflow/essflow/shared/objects/objectstest"
	lambdart "github.com/essflow/essflow/shared/runtime/lambda"
	scfrt "github.com/essflow/essflow/shared/runtime/scf"
)

const eventsDir = "../../scripts/local/events"

// env is a variable map read as getenv; missing names fall back to defaults for a local run.
type env map[string]string

func (e env) get(name string) string { return e[name] }

func readEvent(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(eventsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// buildApp assembles an app for the platform against the embedded sandbox.
func buildApp(t *testing.T, platform string, vars env) *app.App {
	t.Helper()
	base := env{"ESSFLOW_ESS_ENDPOINT": "sandbox", "ESSFLOW_FUNCTION_NAME": "essflow-e2e", "ESSFLOW_LOG_LEVEL": "warn"}
	for k, v := range vars {
		base[k] = v
	}
	var opts app.Options
	switch platform {
	case "scf":
		opts = scfrt.AppOptions()
		opts.Getenv = base.get
	case "lambda":
		var err error
		if opts, err = lambdart.AppOptions(context.Background(), base.get); err != nil {
			t.Fatal(err)
		}
	}
	opts.LogOutput = io.Discard
	a, err := app.Build(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

func invoke(t *testing.T, platform string, a *app.App, event []byte) (any, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if platform == "scf" {
		return scfrt.NewHandler(a).Invoke(ctx, event)
	}
	return lambdart.NewHandler(a).Invoke(ctx, event)
}

// asJSON re-encodes a handler's answer as a generic map.
func asJSON(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("answer %s: %v", b, err)
	}
	return m
}

// TestSampleEvents runs every shipped sample event through the real handler of its platform and
// checks that the contracts exist in the sandbox and the answer has the platform's shape.
func TestSampleEvents(t *testing.T) {
	tests := []struct {
		file, platform string
		flows          int // contracts the event creates
		check          func(t *testing.T, answer map[string]any)
	}{
		{"scf-apigw.json", "scf", 2, httpOK("statusCode", "body")},
		{"scf-apigw-base64.json", "scf", 1, httpOK("statusCode", "body")},
		{"scf-cmq.json", "scf", 2, batchOK},
		{"scf-ckafka.json", "scf", 2, batchOK},
		{"scf-timer.json", "scf", 1, batchOK},
		{"lambda-http-api.json", "lambda", 2, httpOK("statusCode", "body")},
		{"lambda-rest-api.json", "lambda", 1, httpOK("statusCode", "body")},
		{"lambda-function-url.json", "lambda", 1, httpOK("statusCode", "body")},
		{"lambda-sqs.json", "lambda", 2, func(t *testing.T, m map[string]any) {
			if f, _ := m["batchItemFailures"].([]any); len(f) != 0 {
				t.Errorf("batchItemFailures = %v", f)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			a := buildApp(t, tt.platform, nil)
			answer, err := invoke(t, tt.platform, a, readEvent(t, tt.file))
			if err != nil {
				t.Fatalf("invoke: %v", err)
			}
			tt.check(t, asJSON(t, answer))
			if got := len(a.Sandbox.Server.Flows()); got != tt.flows {
				t.Errorf("sandbox created %d flows, want %d", got, tt.flows)
			}
			// The same event again (a platform retry) creates nothing more.
			if _, err := invoke(t, tt.platform, a, readEvent(t, tt.file)); err != nil {
				t.Fatalf("second invoke: %v", err)
			}
			if got := len(a.Sandbox.Server.Flows()); got != tt.flows {
				t.Errorf("after redelivery the sandbox has %d flows, want %d", got, tt.flows)
			}
		})
	}
}

func httpOK(statusKey, bodyKey string) func(*testing.T, map[string]any) {
	return func(t *testing.T, m map[string]any) {
		t.Helper()
		if code, _ := m[statusKey].(float64); code != 200 {
			t.Fatalf("status %v, body %v", m[statusKey], m[bodyKey])
		}
		var body map[string]any
		if err := json.Unmarshal([]byte(m[bodyKey].(string)), &body); err != nil {
			t.Fatalf("body: %v", err)
		}
		ids, _ := body["FlowIds"].([]any)
		if len(ids) == 0 || body["RequestId"] == "" || body["Outcome"] == nil {
			t.Errorf("body lacks FlowIds/RequestId/Outcome: %v", body)
		}
	}
}

func batchOK(t *testing.T, m map[string]any) {
	t.Helper()
	if n, _ := m["retryable"].(float64); n != 0 {
		t.Errorf("retryable records: %v", m)
	}
	recs, _ := m["records"].([]any)
	if len(recs) == 0 {
		t.Errorf("no records in %v", m)
	}
}

// TestStorageEvents runs the COS and S3 sample events against a real S3-compatible server
// holding the sample NDJSON object, and checks the results object written beside it.
func TestStorageEvents(t *testing.T) {
	batch := readEvent(t, "batch.ndjson")
	tests := []struct {
		file, platform, bucket, key string
	}{
		{"scf-cos.json", "scf", "essflow-requests-1250000000", "in/batch-2026-11-27.ndjson"},
		{"lambda-s3.json", "lambda", "essflow-requests", "in/batch+2026-11-27.ndjson"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			srv := objectstest.Start(t, tt.bucket)
			srv.PutObject(t, tt.bucket, tt.key, bytes.NewReader(batch), int64(len(batch)))
			a := buildApp(t, tt.platform, env{"ESSFLOW_COS_ENDPOINT": srv.URL, "ESSFLOW_S3_ENDPOINT": srv.URL,
				"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "ap-east-1",
				"TENCENTCLOUD_SECRETID": "AKIDtest", "TENCENTCLOUD_SECRETKEY": "test"})
			answer, err := invoke(t, tt.platform, a, readEvent(t, tt.file))
			if err != nil {
				t.Fatalf("invoke: %v (answer %v)", err, answer)
			}
			if got := len(a.Sandbox.Server.Flows()); got != 2 {
				t.Errorf("sandbox created %d flows, want 2", got)
			}
			res := srv.Object(t, tt.bucket, "results/"+tt.key+".ndjson")
			lines := strings.Split(strings.TrimSpace(string(res)), "\n")
			if len(lines) != 2 || !strings.Contains(lines[0], `"flows.created"`) {
				t.Errorf("results object:\n%s", res)
			}
		})
	}
}

// TestHTTPErrors checks the synchronous answers for bad input end to end.
func TestHTTPErrors(t *testing.T) {
	a := buildApp(t, "lambda", nil)
	good := readEvent(t, "lambda-http-api.json")
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(good, &ev); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mod    func(*events.APIGatewayV2HTTPRequest)
		status int
		code   string
	}{
		{"malformed JSON", func(e *events.APIGatewayV2HTTPRequest) { e.Body = `{"Agent":` }, 400, "essflow.InvalidRequest"},
		{"21 flows", func(e *events.APIGatewayV2HTTPRequest) {
			var m map[string]any
			json.Unmarshal([]byte(e.Body), &m)
			f := m["FlowInfos"].([]any)
			for len(f) < 21 {
				f = append(f, f[0])
			}
			m["FlowInfos"] = f
			b, _ := json.Marshal(m)
			e.Body = string(b)
		}, 400, "essflow.InvalidRequest"},
		{"foreign application", func(e *events.APIGatewayV2HTTPRequest) {
			e.Body = strings.Replace(e.Body, `"Agent": {`, `"Agent": {"AppId": "yDwAnotherApplication00000000001", `, 1)
		}, 403, "essflow.ForbiddenApp"},
		{"10 MB body", func(e *events.APIGatewayV2HTTPRequest) { e.Body = strings.Repeat(" ", 10<<20) + e.Body }, 413, ""},
		{"bad base64", func(e *events.APIGatewayV2HTTPRequest) { e.Body, e.IsBase64Encoded = "%%%not base64", true }, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ev
			e.Headers = map[string]string{"content-type": "application/json"}
			tt.mod(&e)
			raw, _ := json.Marshal(e)
			answer, err := invoke(t, "lambda", a, raw)
			if err != nil {
				t.Fatal(err)
			}
			m := asJSON(t, answer)
			if code, _ := m["statusCode"].(float64); int(code) != tt.status {
				t.Fatalf("status %v, want %d: %v", m["statusCode"], tt.status, m["body"])
			}
			if tt.code != "" && !strings.Contains(m["body"].(string), tt.code) {
				t.Errorf("body %v lacks %s", m["body"], tt.code)
			}
		})
	}
	if n := len(a.Sandbox.Server.Flows()); n != 0 {
		t.Errorf("bad input created %d flows", n)
	}
}

// TestHTTPTokens checks that with ESSFLOW_HTTP_TOKENS set, only callers with a listed bearer
// token reach the processor.
func TestHTTPTokens(t *testing.T) {
	tok := "tok-" + randomHex(12)
	a := buildApp(t, "scf", env{"ESSFLOW_HTTP_TOKENS": "retired-token-0123456789, " + tok})
	var ev map[string]any
	json.Unmarshal(readEvent(t, "scf-apigw.json"), &ev)
	for _, tt := range []struct {
		auth   string
		status float64
	}{{"", 401}, {"Bearer wrong-token-0123456789", 401}, {"Bearer " + tok, 200}} {
		ev["headers"].(map[string]any)["authorization"] = tt.auth
		raw, _ := json.Marshal(ev)
		answer, err := invoke(t, "scf", a, raw)
		if err != nil {
			t.Fatal(err)
		}
		if m := asJSON(t, answer); m["statusCode"] != tt.status {
			t.Errorf("Authorization %q: status %v, want %v", tt.auth, m["statusCode"], tt.status)
		}
	}
	if n := len(a.Sandbox.Server.Flows()); n != 2 {
		t.Errorf("%d flows created, want 2 (only the authorised call)", n)
	}
}
