package ess_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/essflow/essflow/shared/ess"
	"github.com/essflow/essflow/shared/sandbox"
)

var update = flag.Bool("update", false, "rewrite golden files")

// startSandbox runs a sandbox on 127.0.0.1 for the test.
func startSandbox(t testing.TB, cfg sandbox.Config) *sandbox.Running {
	t.Helper()
	sb, err := sandbox.Start(cfg)
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb
}

func newClient(t testing.TB, endpoint string, mod func(*ess.Config)) *ess.Client {
	t.Helper()
	cfg := ess.Config{
		Endpoint:    endpoint,
		Credentials: ess.StaticCredentials{SecretID: sandbox.DefaultSecretID, SecretKey: sandbox.DefaultSecretKey},
		QPS:         1000,
		BaseBackoff: 5 * time.Millisecond,
		MaxBackoff:  20 * time.Millisecond,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := ess.NewClient(cfg)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	return c
}

// laborFlow is a flow of the sandbox's default labour-contract template.
func laborFlow(name, person, mobile string) *ess.FlowInfo {
	return &ess.FlowInfo{
		FlowName:   ess.String(name),
		TemplateId: ess.String(sandbox.TemplateLaborB2C),
		Deadline:   ess.Int64(time.Now().Add(30 * 24 * time.Hour).Unix()),
		FormFields: []*ess.FormField{
			{ComponentName: ess.String("姓名"), ComponentValue: ess.String(person)},
			{ComponentName: ess.String("岗位"), ComponentValue: ess.String("工程师")},
		},
		FlowApprovers: []*ess.FlowApproverInfo{
			{ApproverType: ess.String(ess.ApproverOrganization), RecipientId: ess.String(sandbox.RecipientLaborEmployer), OpenId: ess.String("hrOperator01")},
			{ApproverType: ess.String(ess.ApproverPerson), RecipientId: ess.String(sandbox.RecipientLaborEmployee), Name: ess.String(person), Mobile: ess.String(mobile)},
		},
		CustomerData: ess.String("cd-" + name),
	}
}

func laborRequest(flows ...*ess.FlowInfo) *ess.CreateFlowsByTemplatesRequest {
	return &ess.CreateFlowsByTemplatesRequest{
		Agent: &ess.Agent{
			AppId:                   ess.String(sandbox.DefaultAppID),
			ProxyOrganizationOpenId: ess.String("orgEssflowDemo"),
			ProxyOperator:           &ess.UserInfo{OpenId: ess.String("hrOperator01")},
		},
		FlowInfos: flows,
	}
}

// TestCreateFlows ensures a valid request creates one 32-character flow per FlowInfo, with
// parallel arrays and SignIds, through real signing and HTTP.
func TestCreateFlows(t *testing.T) {
	sb := startSandbox(t, sandbox.Config{})
	c := newClient(t, sb.URL, nil)
	resp, err := c.CreateFlowsByTemplates(context.Background(), laborRequest(laborFlow("劳动合同_甲", "张三", "13800000001"), laborFlow("劳动合同_乙", "李四", "13800000002")))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	outs := resp.Outcomes(2, false)
	for i, o := range outs {
		if o.Status != ess.FlowStatusCreated || len(o.FlowId) != ess.FlowIdLen {
			t.Errorf("flow %d: %+v, want created with a 32-char FlowId", i, o)
		}
		if len(o.Approvers) != 2 || ess.Deref(o.Approvers[0].SignId) == "" {
			t.Errorf("flow %d approvers: %+v", i, o.Approvers)
		}
	}
	if outs[0].CustomerData != "cd-劳动合同_甲" {
		t.Errorf("CustomerData echo = %q", outs[0].CustomerData)
	}
	if got := len(sb.Server.Flows()); got != 2 {
		t.Errorf("sandbox created %d flows, want 2", got)
	}
	if ess.Deref(resp.RequestId) == "" {
		t.Error("no RequestId")
	}
}

// TestPartialFailure ensures a flow refused by the service is reported failed while the other
// is created: partial success is first class.
func TestPartialFailure(t *testing.T) {
	sb := startSandbox(t, sandbox.Config{})
	c := newClient(t, sb.URL, nil)
	bad := laborFlow("劳动合同_错", "王五", "13800000003")
	bad.FlowApprovers = bad.FlowApprovers[:1] // the template has two signer roles
	resp, err := c.CreateFlowsByTemplates(context.Background(), laborRequest(laborFlow("劳动合同_对", "张三", "13800000001"), bad))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	outs := resp.Outcomes(2, false)
	if outs[0].Status != ess.FlowStatusCreated || outs[1].Status != ess.FlowStatusFailed || outs[1].Error == "" || outs[1].FlowId != "" {
		t.Fatalf("outcomes = %+v / %+v, want created then failed with a message", outs[0], outs[1])
	}
	if got := len(sb.Server.Flows()); got != 1 {
		t.Errorf("sandbox created %d flows, want 1", got)
	}
}

// TestPreview ensures preview mode returns PreviewUrls and creates nothing.
func TestPreview(t *testing.T) {
	sb := startSandbox(t, sandbox.Config{})
	c := newClient(t, sb.URL, nil)
	req := laborRequest(laborFlow("劳动合同_预览", "张三", "13800000001"))
	req.NeedPreview, req.PreviewType = ess.Bool(true), ess.Int64(1)
	resp, err := c.CreateFlowsByTemplates(context.Background(), req)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	o := resp.Outcomes(1, true)[0]
	if o.Status != ess.FlowStatusPreviewed || !strings.HasPrefix(o.PreviewUrl, "https://") {
		t.Errorf("outcome %+v, want previewed with a URL", o)
	}
	if n := len(sb.Server.Flows()); n != 0 {
		t.Errorf("preview created %d flows", n)
	}
}

// TestFaults ensures each injected fault is classified right and that only what is safe is
// retried: an outcome-unknown call is never sent twice.
func TestFaults(t *testing.T) {
	tests := []struct {
		name      string
		fault     sandbox.Fault
		timeout   time.Duration
		wantCalls int
		wantFlows int // -1: either (the service may or may not finish after the client left)
		check     func(error) bool
		want      string
	}{
		{"internal error is retried", sandbox.Fault{Kind: sandbox.FaultInternalError, Count: 1}, 0, 2, 1, func(err error) bool { return err == nil }, "success"},
		{"rate limit is retried", sandbox.Fault{Kind: sandbox.FaultRateLimit, Count: 2}, 0, 3, 1, func(err error) bool { return err == nil }, "success"},
		{"503 before the service is retried", sandbox.Fault{Kind: sandbox.FaultHTTP5xx, Count: 1, Status: 503}, 0, 2, 1, func(err error) bool { return err == nil }, "success"},
		{"502 is unknown and not retried", sandbox.Fault{Kind: sandbox.FaultHTTP5xx, Count: 1, Status: 502}, 0, 1, 0, ess.IsOutcomeUnknown, "outcome unknown"},
		{"connection dropped after create", sandbox.Fault{Kind: sandbox.FaultDropAfterCreate, Count: 1}, 0, 1, 1, ess.IsOutcomeUnknown, "outcome unknown"},
		{"connection dropped before processing", sandbox.Fault{Kind: sandbox.FaultDropBefore, Count: 1}, 0, 1, 0, ess.IsOutcomeUnknown, "outcome unknown"},
		{"timeout after sending", sandbox.Fault{Kind: sandbox.FaultLatency, Count: 1, Latency: 3 * time.Second}, 400 * time.Millisecond, 1, -1, ess.IsOutcomeUnknown, "outcome unknown"},
		{"internal error exhausts retries", sandbox.Fault{Kind: sandbox.FaultInternalError, Count: 10}, 0, 4, 0, func(err error) bool {
			var re *ess.RetryExhaustedError
			var api *ess.APIError
			return errors.As(err, &re) && errors.As(err, &api) && api.Code == "InternalError" && ess.IsRetryable(err)
		}, "retry exhausted InternalError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := startSandbox(t, sandbox.Config{})
			if err := sb.Server.InjectFault(tt.fault); err != nil {
				t.Fatal(err)
			}
			c := newClient(t, sb.URL, func(c *ess.Config) {
				if tt.timeout > 0 {
					c.AttemptTimeout = tt.timeout
				}
			})
			_, err := c.CreateFlowsByTemplates(context.Background(), laborRequest(laborFlow("劳动合同_故障", "张三", "13800000001")))
			if !tt.check(err) {
				t.Fatalf("err = %v, want %s", err, tt.want)
			}
			if got := int(c.Calls()); got != tt.wantCalls {
				t.Errorf("client made %d attempts, want %d", got, tt.wantCalls)
			}
			if got := len(sb.Server.Flows()); tt.wantFlows >= 0 && got != tt.wantFlows {
				t.Errorf("sandbox created %d flows, want %d", got, tt.wantFlows)
			}
		})
	}
}

// TestNotSent ensures a refused connection is a NotSentError, retried and then reported as
// retryable.
func TestNotSent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := newClient(t, "http://"+addr, nil)
	_, err = c.CreateFlowsByTemplates(context.Background(), laborRequest(laborFlow("劳动合同_未发", "张三", "13800000001")))
	var ns *ess.NotSentError
	if !errors.As(err, &ns) || !ess.IsRetryable(err) || ess.IsOutcomeUnknown(err) {
		t.Fatalf("err = %v (%T), want a retryable NotSentError", err, err)
	}
	if c.Calls() != 4 {
		t.Errorf("attempts = %d, want 4", c.Calls())
	}
}

// TestAuthFailures ensures authentication errors come back as API errors with the service's
// code and are not retried.
func TestAuthFailures(t *testing.T) {
	tests := []struct {
		name  string
		cfg   sandbox.Config
		creds ess.StaticCredentials
		code  string
	}{
		{"wrong key", sandbox.Config{}, ess.StaticCredentials{SecretID: sandbox.DefaultSecretID, SecretKey: "not-the-key"}, "AuthFailure.SignatureFailure"},
		{"unknown id", sandbox.Config{}, ess.StaticCredentials{SecretID: "AKIDunknown", SecretKey: sandbox.DefaultSecretKey}, "AuthFailure.SecretIdNotFound"},
		{"bad token", sandbox.Config{Token: "tok-1"}, ess.StaticCredentials{SecretID: sandbox.DefaultSecretID, SecretKey: sandbox.DefaultSecretKey, Token: "tok-2"}, "AuthFailure.TokenFailure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := startSandbox(t, tt.cfg)
			c := newClient(t, sb.URL, func(c *ess.Config) { c.Credentials = tt.creds })
			_, err := c.CreateFlowsByTemplates(context.Background(), laborRequest(laborFlow("劳动合同_鉴权", "张三", "13800000001")))
			var api *ess.APIError
			if !errors.As(err, &api) || api.Code != tt.code || api.RequestID == "" {
				t.Fatalf("err = %v, want APIError %s with a RequestId", err, tt.code)
			}
			if c.Calls() != 1 {
				t.Errorf("attempts = %d, want 1 (not retried)", c.Calls())
			}
		})
	}
	t.Run("good token", func(t *testing.T) {
		sb := startSandbox(t, sandbox.Config{Token: "tok-1"})
		c := newClient(t, sb.URL, func(c *ess.Config) {
			c.Credentials = ess.StaticCredentials{SecretID: sandbox.DefaultSecretID, SecretKey: sandbox.DefaultSecretKey, Token: "tok-1"}
		})
		if _, err := c.CreateFlowsByTemplates(context.Background(), laborRequest(laborFlow("劳动合同_令牌", "张三", "13800000001"))); err != nil {
			t.Fatal(err)
		}
	})
}

// TestEnvCredentialsReadPerCall ensures SCF role credentials are read at every call, so a
// rotation between invocations is honoured.
func TestEnvCredentialsReadPerCall(t *testing.T) {
	sb := startSandbox(t, sandbox.Config{Token: "tok-a"})
	env := map[string]string{ess.EnvSecretID: sandbox.DefaultSecretID, ess.EnvSecretKey: "stale", ess.EnvSessionToken: "tok-a"}
	var mu sync.Mutex
	getenv := func(k string) string { mu.Lock(); defer mu.Unlock(); return env[k] }
	c := newClient(t, sb.URL, func(c *ess.Config) { c.Credentials = ess.EnvCredentials{Getenv: getenv} })
	req := laborRequest(laborFlow("劳动合同_轮换", "张三", "13800000001"))
	if _, err := c.CreateFlowsByTemplates(context.Background(), req); err == nil {
		t.Fatal("stale key accepted")
	}
	mu.Lock()
	env[ess.EnvSecretKey] = " " + sandbox.DefaultSecretKey + " " // stray spaces are trimmed
	mu.Unlock()
	if _, err := c.CreateFlowsByTemplates(context.Background(), req); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
}

// TestClientRateLimit ensures the client's token bucket keeps a burst of concurrent calls under
// the service's limit: the sandbox, limiting at the same QPS, refuses none.
func TestClientRateLimit(t *testing.T) {
	sb := startSandbox(t, sandbox.Config{QPS: 20})
	c := newClient(t, sb.URL, func(c *ess.Config) { c.QPS = 20; c.MaxAttempts = 1 })
	var wg sync.WaitGroup
	errs := make(chan error, 30)
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.CreateFlowsByTemplates(context.Background(), laborRequest(laborFlow("劳动合同_限流", "张三", "13800000001")))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("call refused: %v", err)
		}
	}
	if c.Calls() != 30 {
		t.Errorf("attempts = %d, want 30 (no rate-limit retry needed)", c.Calls())
	}
}

// TestDeadline ensures the context deadline bounds all attempts and backoffs.
func TestDeadline(t *testing.T) {
	sb := startSandbox(t, sandbox.Config{})
	if err := sb.Server.InjectFault(sandbox.Fault{Kind: sandbox.FaultRateLimit, Count: 100}); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, sb.URL, func(c *ess.Config) {
		c.MaxAttempts = 100
		c.BaseBackoff = 100 * time.Millisecond
		c.MaxBackoff = time.Second
	})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := c.CreateFlowsByTemplates(ctx, laborRequest(laborFlow("劳动合同_期限", "张三", "13800000001")))
	var api *ess.APIError
	if !errors.As(err, &api) || !api.RateLimited() || !ess.IsRetryable(err) {
		t.Fatalf("err = %v, want the last RequestLimitExceeded, retryable", err)
	}
	if ctx.Err() != nil && c.Calls() > 20 {
		t.Errorf("too many attempts (%d) for the deadline", c.Calls())
	}
}

// TestDescribeTemplates ensures the read-only action works and returns the catalogue.
func TestDescribeTemplates(t *testing.T) {
	sb := startSandbox(t, sandbox.Config{})
	c := newClient(t, sb.URL, nil)
	resp, err := c.DescribeTemplates(context.Background(), &ess.DescribeTemplatesRequest{
		Agent:      laborRequest().Agent,
		TemplateId: ess.String(sandbox.TemplateLaborB2C),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Templates) != 1 || len(resp.Templates[0].Recipients) != 2 {
		t.Fatalf("templates = %+v", resp.Templates)
	}
	if got := ess.Deref(resp.Templates[0].Recipients[1].RecipientId); got != sandbox.RecipientLaborEmployee {
		t.Errorf("second recipient = %s", got)
	}
}

// recorder keeps the bodies the client puts on the wire.
type recorder struct {
	mu     sync.Mutex
	bodies [][]byte
	base   http.RoundTripper
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	b, _ := io.ReadAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(b))
	r.mu.Lock()
	r.bodies = append(r.bodies, b)
	r.mu.Unlock()
	return r.base.RoundTrip(req)
}

// TestWireGolden pins the exact bytes the client sends, including explicit false/0/"" values
// and empty arrays, which must survive (the API distinguishes them from absent fields).
func TestWireGolden(t *testing.T) {
	sb := startSandbox(t, sandbox.Config{})
	rec := &recorder{base: http.DefaultTransport}
	c := newClient(t, sb.URL, func(c *ess.Config) { c.Transport = rec })
	f := laborFlow("劳动合同_金样", "张三", "13800000001")
	f.Deadline = ess.Int64(4102444800)
	f.FlowDescription = ess.String("")
	f.NeedSignReview = ess.Bool(false)
	f.CcInfos = []*ess.CcInfo{}
	f.FlowDisplayType = ess.Int64(0)
	f.FlowApprovers[1].ApproverOption = &ess.ApproverOption{NoRefuse: ess.Bool(false), NoTransfer: ess.Bool(true)}
	f.FlowApprovers[1].ApproverVerifyTypes = []*int64{ess.Int64(1)}
	f.FlowApprovers[1].JumpUrl = ess.String("https://example.com/done?a=1&b=<2>")
	req := laborRequest(f)
	req.NeedPreview = ess.Bool(false)
	if _, err := c.CreateFlowsByTemplates(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if len(rec.bodies) != 1 {
		t.Fatalf("%d bodies sent", len(rec.bodies))
	}
	golden := filepath.Join("testdata", "wire_create_flows.golden")
	if *update {
		if err := os.WriteFile(golden, rec.bodies[0], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run with -update to create): %v", err)
	}
	if !bytes.Equal(rec.bodies[0], want) {
		t.Errorf("wire body differs from %s:\n got %s\nwant %s", golden, rec.bodies[0], want)
	}
	for _, s := range []string{`"NeedSignReview":false`, `"CcInfos":[]`, `"FlowDescription":""`, `"FlowDisplayType":0`, `"NoRefuse":false`, `"NeedPreview":false`} {
		if !bytes.Contains(rec.bodies[0], []byte(s)) {
			t.Errorf("wire body lacks %s", s)
		}
	}
	for _, s := range []string{`"Operator"`, `"PreviewType"`, `"CallbackUrl"`} {
		if bytes.Contains(rec.bodies[0], []byte(s)) {
			t.Errorf("wire body has absent field %s", s)
		}
	}
}

// TestParseEndpoint covers every form of the endpoint setting.
func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		in, scheme, host, path string
		bad                    bool
	}{
		{"", "https", ess.ProductionHost, "", false},
		{"production", "https", ess.ProductionHost, "", false},
		{"test", "https", ess.TestHost, "", false},
		{"essbasic.example.internal", "https", "essbasic.example.internal", "", false},
		{"http://127.0.0.1:8090", "http", "127.0.0.1:8090", "", false},
		{"https://gw.example.com/ess/", "https", "gw.example.com", "/ess", false},
		{"ftp://x", "", "", "", true},
		{"http://", "", "", "", true},
		{"host/with/path", "", "", "", true},
		{"http://u:p@host", "", "", "", true},
	}
	for _, tt := range tests {
		s, h, p, err := ess.ParseEndpoint(tt.in)
		if (err != nil) != tt.bad || s != tt.scheme || h != tt.host || p != tt.path {
			t.Errorf("ParseEndpoint(%q) = %q %q %q %v", tt.in, s, h, p, err)
		}
	}
}
