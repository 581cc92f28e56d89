package cmq_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"

	"github.com/essflow/essflow/shared/result"
	"github.com/essflow/essflow/shared/sandbox"
	"github.com/essflow/essflow/shared/sink"
	"github.com/essflow/essflow/shared/sink/cmq"
)

const testToken = "sandbox-session-token-never-logged"

func startSandbox(tb testing.TB, cfg sandbox.Config) *sandbox.Running {
	tb.Helper()
	if cfg.QPS == 0 {
		cfg.QPS = -1 // unlimited: rate limits are injected as faults where tested
	}
	r, err := sandbox.Start(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.Close() })
	return r
}

// env is a variable set the sink reads its credentials from; tests change it between calls.
type env map[string]string

func (e env) get(k string) string { return e[k] }

func roleEnv() env {
	return env{
		cmq.EnvSecretID:     sandbox.DefaultSecretID,
		cmq.EnvSecretKey:    sandbox.DefaultSecretKey,
		cmq.EnvSessionToken: testToken,
	}
}

func open(tb testing.TB, sb *sandbox.Running, queue string, e env) sink.Sink {
	tb.Helper()
	u, err := url.Parse("cmq://" + queue + "?region=ap-guangzhou&endpoint=" + sb.URL)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := cmq.Open(context.Background(), u, e.get)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func message(i int) *result.Message {
	return &result.Message{
		SpecVersion: result.SpecVersion,
		ID:          result.StableID(fmt.Sprintf("app/key-%d", i)),
		Type:        result.TypeCreated,
		Time:        time.Date(2026, 11, 26, 8, 0, i, 0, time.UTC),
		Source:      result.Source{Trigger: "cmq", RecordID: fmt.Sprintf("rec-%d", i)},
		Correlation: result.Correlation{IdempotencyKey: fmt.Sprintf("key-%d", i)},
		Flows: []result.Flow{{
			Index: 0, Status: result.FlowCreated, FlowId: fmt.Sprintf("yDwFfUUckp%022d", i),
			FlowName: "劳动合同 <A&B> \u2028", CustomerData: `{"order":"42"}`,
		}},
	}
}

func encode(tb testing.TB, m *result.Message) string {
	tb.Helper()
	b, err := sink.Encode(m)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func TestDeliver(t *testing.T) {
	sb := startSandbox(t, sandbox.Config{Token: testToken})
	tests := []struct {
		name string
		msg  *result.Message
	}{
		{"created", message(1)},
		{"rejected", &result.Message{SpecVersion: result.SpecVersion, ID: "msg_rej", Type: result.TypeRejected,
			Error: &result.Error{Code: "essflow.InvalidRequest", Message: "bad", MessageZH: "请求无效"}}},
		{"near the limit", func() *result.Message {
			m := message(2)
			m.Flows[0].CustomerData = strings.Repeat("x", cmq.MaxMsgBytes-len(encode(t, m))+len(m.Flows[0].CustomerData))
			return m
		}()},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			queue := fmt.Sprintf("results-%d", i)
			s := open(t, sb, queue, roleEnv())
			if err := s.Deliver(context.Background(), tt.msg); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			got := sb.Server.CMQMessages(queue)
			if len(got) != 1 {
				t.Fatalf("sandbox holds %d messages, want 1", len(got))
			}
			if want := encode(t, tt.msg); got[0].MsgContent != want {
				t.Errorf("MsgContent differs from sink.Encode (%d vs %d bytes)", len(got[0].MsgContent), len(want))
			}
			if got[0].Region != "ap-guangzhou" || got[0].DelaySeconds != 0 {
				t.Errorf("region %q delay %d", got[0].Region, got[0].DelaySeconds)
			}
		})
	}
}

// The sandbox's inspection endpoint shows the same bytes.
func TestDeliverVisibleOverHTTP(t *testing.T) {
	sb := startSandbox(t, sandbox.Config{Token: testToken})
	s := open(t, sb, "inspect", roleEnv())
	msg := message(3)
	if err := s.Deliver(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(sb.URL + "/_sandbox/cmq/inspect")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw bytes.Buffer
	raw.ReadFrom(resp.Body)
	var got []sandbox.CMQMessage
	if err := json.Unmarshal(raw.Bytes(), &got); err != nil {
		t.Fatalf("decode %s: %v", raw.Bytes(), err)
	}
	if len(got) != 1 || got[0].MsgContent != encode(t, msg) {
		t.Errorf("GET /_sandbox/cmq/inspect = %s", raw.Bytes())
	}
}

func TestAuthFailures(t *testing.T) {
	tests := []struct {
		name     string
		env      env
		wantCode string
	}{
		{"wrong secret key", env{cmq.EnvSecretID: sandbox.DefaultSecretID, cmq.EnvSecretKey: "wrong-secret-key-never-logged", cmq.EnvSessionToken: testToken},
			sandbox.CodeSignatureFailure},
		{"unknown secret id", env{cmq.EnvSecretID: "AKIDunknown", cmq.EnvSecretKey: sandbox.DefaultSecretKey, cmq.EnvSessionToken: testToken},
			sandbox.CodeSecretIDNotFound},
		{"token missing", env{cmq.EnvSecretID: sandbox.DefaultSecretID, cmq.EnvSecretKey: sandbox.DefaultSecretKey},
			sandbox.CodeTokenFailure},
		{"wrong token", env{cmq.EnvSecretID: sandbox.DefaultSecretID, cmq.EnvSecretKey: sandbox.DefaultSecretKey, cmq.EnvSessionToken: "other"},
			sandbox.CodeTokenFailure},
	}
	sb := startSandbox(t, sandbox.Config{Token: testToken})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb.Server.Reset()
			s := open(t, sb, "auth", tt.env)
			err := s.Deliver(context.Background(), message(1))
			var te *tcerr.TencentCloudSDKError
			if !errors.As(err, &te) || te.Code != tt.wantCode {
				t.Fatalf("Deliver error %v, want code %s", err, tt.wantCode)
			}
			if !errors.Is(err, cmq.ErrPermanent) {
				t.Errorf("%s is not permanent: %v", tt.wantCode, err)
			}
			if te.RequestId == "" || !strings.Contains(err.Error(), te.RequestId) {
				t.Errorf("error does not carry the RequestId: %v", err)
			}
			for _, secret := range []string{"wrong-secret-key", sandbox.DefaultSecretKey, testToken} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error reveals a secret: %v", err)
				}
			}
			if n := sb.Server.Calls(cmq.Action); n != 1 {
				t.Errorf("%d calls, want 1 (no retry of a permanent refusal)", n)
			}
			if len(sb.Server.CMQMessages("auth")) != 0 {
				t.Error("refused message stored")
			}
		})
	}
}

// Credentials are read at every call: fixing the variables fixes the next Deliver without
// reopening the sink.
func TestCredentialsReadAtEachCall(t *testing.T) {
	sb := startSandbox(t, sandbox.Config{Token: testToken})
	e := env{}
	s := open(t, sb, "fresh", e)
	err := s.Deliver(context.Background(), message(1))
	if err == nil || !strings.Contains(err.Error(), cmq.EnvSecretID) || errors.Is(err, cmq.ErrPermanent) {
		t.Errorf("Deliver without credentials: %v", err)
	}
	if n := sb.Server.Calls(cmq.Action); n != 0 {
		t.Errorf("%d calls made without credentials", n)
	}
	for k, v := range roleEnv() {
		e[k] = v
	}
	if err := s.Deliver(context.Background(), message(2)); err != nil {
		t.Fatalf("Deliver after the credentials appeared: %v", err)
	}
	e[cmq.EnvSessionToken] = "rotated-away"
	if err := s.Deliver(context.Background(), message(3)); err == nil {
		t.Error("Deliver used a cached token")
	}
	if n := len(sb.Server.CMQMessages("fresh")); n != 1 {
		t.Errorf("sandbox holds %d messages, want 1", n)
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name          string
		fault         sandbox.Fault
		attempts      int
		deadline      time.Duration
		retryBase     time.Duration
		wantErrCode   string // "" means delivered
		wantCalls     int    // exact, or the most calls when the deadline decides
		wantPermanent bool
	}{
		{name: "rate limit twice", fault: sandbox.Fault{Kind: sandbox.FaultRateLimit, Count: 2}, wantCalls: 3},
		{name: "internal error once", fault: sandbox.Fault{Kind: sandbox.FaultInternalError, Count: 1}, wantCalls: 2},
		{name: "HTTP 503 once", fault: sandbox.Fault{Kind: sandbox.FaultHTTP5xx, Count: 1}, wantCalls: 2},
		{name: "connection dropped once", fault: sandbox.Fault{Kind: sandbox.FaultDropBefore, Count: 1}, wantCalls: 2},
		{name: "rate limit beyond attempts", fault: sandbox.Fault{Kind: sandbox.FaultRateLimit, Count: 10}, attempts: 3,
			wantErrCode: sandbox.CodeRequestLimitExceeded, wantCalls: 3},
		{name: "deadline stops retries", fault: sandbox.Fault{Kind: sandbox.FaultInternalError, Count: 50}, attempts: 50,
			deadline: 300 * time.Millisecond, retryBase: 100 * time.Millisecond, wantErrCode: sandbox.CodeInternalError, wantCalls: 3},
	}
	sb := startSandbox(t, sandbox.Config{Token: testToken})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb.Server.Reset()
			tt.fault.Action = cmq.Action
			if err := sb.Server.InjectFault(tt.fault); err != nil {
				t.Fatal(err)
			}
			e := roleEnv()
			s, err := cmq.New(cmq.Options{
				Queue: "retry", Region: "ap-guangzhou", Host: sb.Host, Scheme: "http",
				Credential: credential(e), MaxAttempts: tt.attempts, RetryBase: max(tt.retryBase, time.Millisecond),
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			err = s.Deliver(ctx, message(1))
			calls := sb.Server.Calls(cmq.Action)
			if tt.deadline > 0 {
				// Pauses of 50-100 ms then 100-200 ms allow at most three calls in 300 ms,
				// and Deliver gives up rather than sleep past the deadline.
				if calls < 1 || calls > tt.wantCalls || ctx.Err() != nil {
					t.Errorf("%d calls (want 1..%d), context %v", calls, tt.wantCalls, ctx.Err())
				}
			} else if calls != tt.wantCalls {
				t.Errorf("%d calls, want %d", calls, tt.wantCalls)
			}
			if tt.wantErrCode == "" {
				if err != nil {
					t.Fatalf("Deliver: %v", err)
				}
				if n := len(sb.Server.CMQMessages("retry")); n != 1 {
					t.Errorf("sandbox holds %d messages, want 1", n)
				}
				return
			}
			var te *tcerr.TencentCloudSDKError
			if !errors.As(err, &te) || te.Code != tt.wantErrCode {
				t.Fatalf("Deliver error %v, want code %s", err, tt.wantErrCode)
			}
			if errors.Is(err, cmq.ErrPermanent) {
				t.Errorf("%s reported permanent", tt.wantErrCode)
			}
		})
	}
}

func TestOversize(t *testing.T) {
	sb := startSandbox(t, sandbox.Config{Token: testToken})
	s := open(t, sb, "big", roleEnv())
	m := message(1)
	m.Flows[0].CustomerData = strings.Repeat("x", cmq.MaxMsgBytes)
	err := s.Deliver(context.Background(), m)
	if !errors.Is(err, cmq.ErrPermanent) || !strings.Contains(err.Error(), "over the CMQ limit of 65536") {
		t.Errorf("Deliver oversize: %v", err)
	}
	if n := sb.Server.Calls(cmq.Action); n != 0 {
		t.Errorf("oversize message sent (%d calls)", n)
	}
}

func TestInvalidQueueRefused(t *testing.T) {
	sb := startSandbox(t, sandbox.Config{Token: testToken})
	s, err := cmq.New(cmq.Options{Queue: "9-starts-with-digit", Region: "ap-guangzhou", Host: sb.Host, Scheme: "HTTP", Credential: credential(roleEnv())})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Deliver(context.Background(), message(1))
	var te *tcerr.TencentCloudSDKError
	if !errors.As(err, &te) || te.Code != sandbox.CodeInvalidParameterValue || !errors.Is(err, cmq.ErrPermanent) {
		t.Errorf("Deliver to an invalid queue: %v", err)
	}
}

func TestRegistryOpen(t *testing.T) {
	sb := startSandbox(t, sandbox.Config{Token: testToken})
	list := "cmq://registry?region=ap-guangzhou&endpoint=" + sb.URL
	f, err := sink.Registry{"cmq": cmq.Open}.Open(context.Background(), list, roleEnv().get)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if names := f.Names(); len(names) != 1 || names[0] != "cmq://registry?endpoint="+url.QueryEscape(sb.URL)+"&region=ap-guangzhou" {
		t.Errorf("Names() = %q", names)
	}
	msgs := []*result.Message{message(1), message(2)}
	if err := f.DeliverBatch(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	got := sb.Server.CMQMessages("registry")
	if len(got) != 2 || got[0].MsgContent != encode(t, msgs[0]) || got[1].MsgContent != encode(t, msgs[1]) {
		t.Errorf("sandbox holds %+v", got)
	}
}

func TestNewValidation(t *testing.T) {
	_, err := cmq.New(cmq.Options{Scheme: "ftp"})
	for _, want := range []string{"no queue", "no region", "no credential", "scheme"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New error %v lacks %q", err, want)
		}
	}
	u, _ := url.Parse("cmq://q?region=ap-guangzhou")
	if _, err := cmq.Open(context.Background(), u, nil); err == nil {
		t.Error("Open accepted a nil getenv")
	}
}

// credential adapts an env to common.CredentialIface the way Open does, for New.
type credential env

func (c credential) GetSecretId() string  { return c[cmq.EnvSecretID] }
func (c credential) GetSecretKey() string { return c[cmq.EnvSecretKey] }
func (c credential) GetToken() string     { return c[cmq.EnvSessionToken] }
func (c credential) GetCredential() (string, string, string) {
	return c.GetSecretId(), c.GetSecretKey(), c.GetToken()
}

// BenchmarkDeliver sends one result through the SDK's common client to the sandbox.
// BenchmarkRawSignedPost is its baseline: the same signed SendCmqMsg request built by hand
// with sandbox.SignTC3 and posted with net/http, so the difference is the SDK's cost.
func BenchmarkDeliver(b *testing.B) {
	sb := startSandbox(b, sandbox.Config{Token: testToken})
	s := open(b, sb, "bench", roleEnv())
	msg := message(1)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Deliver(context.Background(), msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRawSignedPost(b *testing.B) {
	sb := startSandbox(b, sandbox.Config{Token: testToken})
	msg := message(1)
	client := &http.Client{}
	b.ReportAllocs()
	for b.Loop() {
		content, err := sink.Encode(msg)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := json.Marshal(map[string]any{"QueueName": "bench", "MsgContent": string(content), "DelaySeconds": 0})
		req, _ := http.NewRequest(http.MethodPost, sb.URL+"/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-TC-Action", cmq.Action)
		req.Header.Set("X-TC-Version", cmq.Version)
		req.Header.Set("X-TC-Region", "ap-guangzhou")
		req.Header.Set("X-TC-Token", testToken)
		req.Host = sb.Host
		sandbox.SignTC3(req, body, sandbox.DefaultSecretID, sandbox.DefaultSecretKey, cmq.Service, time.Now())
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var out struct{ Response struct{ Result bool } }
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if err != nil || !out.Response.Result {
			b.Fatalf("answer %+v %v", out, err)
		}
	}
}
