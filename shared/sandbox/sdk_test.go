package sandbox_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	sdkerrors "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"github.com/essflow/essflow/shared/sandbox"
)

// sdkClient is the official SDK's common client aimed at a sandbox.
func sdkClient(host string, cred common.CredentialIface, region string) *common.Client {
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Endpoint = host
	cpf.HttpProfile.Scheme = "HTTP"
	cpf.HttpProfile.ReqTimeout = 10
	return common.NewCommonClient(cred, region, cpf)
}

// sdkCall sends params with the official SDK and returns the Response object.
func sdkCall(t *testing.T, c *common.Client, service, version, action string, params any) (response, error) {
	t.Helper()
	req := tchttp.NewCommonRequest(service, version, action)
	if err := req.SetActionParameters(params); err != nil {
		t.Fatal(err)
	}
	resp := tchttp.NewCommonResponse()
	if err := c.Send(req, resp); err != nil {
		return response{}, err
	}
	var env struct{ Response response }
	if err := json.Unmarshal(resp.GetBody(), &env); err != nil {
		t.Fatalf("decode %s: %v", resp.GetBody(), err)
	}
	return env.Response, nil
}

func sdkCode(err error) string {
	var e *sdkerrors.TencentCloudSDKError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// startReal serves a sandbox on the real clock (the SDK signs with time.Now).
func startReal(t *testing.T, cfg sandbox.Config) *sandbox.Running {
	t.Helper()
	cfg.Seed = 7
	run, err := sandbox.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := run.Close(); err != nil {
			t.Error(err)
		}
	})
	return run
}

func realDeadline() int64 { return time.Now().Add(24 * time.Hour).Unix() }

func realBody() map[string]any {
	f := laborFlow("劳动合同", "c2Rr")
	f["Deadline"] = realDeadline()
	return createBody(f)
}

func TestOfficialSDKIsAccepted(t *testing.T) {
	run := startReal(t, sandbox.Config{})
	c := sdkClient(run.Host, common.NewCredential(sandbox.DefaultSecretID, sandbox.DefaultSecretKey), "")
	r, err := sdkCall(t, c, "essbasic", "2021-05-26", "CreateFlowsByTemplates", realBody())
	if err != nil {
		t.Fatalf("SDK call refused: %v", err)
	}
	if len(r.FlowIds) != 1 || len(r.FlowIds[0]) != 32 || r.CustomerData[0] != "c2Rr" {
		t.Fatalf("answer %+v", r)
	}
	if flows := run.Server.Flows(); len(flows) != 1 || flows[0].FlowID != r.FlowIds[0] {
		t.Fatalf("recorded %+v", flows)
	}
	r, err = sdkCall(t, c, "essbasic", "2021-05-26", "DescribeTemplates", map[string]any{"Agent": agentJSON(), "TemplateId": sandbox.TemplatePurchaseB2B})
	if err != nil || len(r.Templates) != 1 || r.Templates[0].Recipients[1].RecipientId != sandbox.RecipientPurchaseSupplier {
		t.Fatalf("DescribeTemplates: %v %+v", err, r)
	}

	// An API refusal reaches the SDK as a TencentCloudSDKError with the code and RequestId.
	_, err = sdkCall(t, c, "essbasic", "2021-05-26", "CreateFlowsByTemplates", createBody())
	var sdkErr *sdkerrors.TencentCloudSDKError
	if !errors.As(err, &sdkErr) || sdkErr.Code != sandbox.CodeInvalidFlowInfos || sdkErr.RequestId == "" {
		t.Fatalf("refusal seen by the SDK as %v", err)
	}

	// TDMQ CMQ with a region.
	tdmq := sdkClient(run.Host, common.NewCredential(sandbox.DefaultSecretID, sandbox.DefaultSecretKey), "ap-guangzhou")
	r, err = sdkCall(t, tdmq, "tdmq", "2020-02-17", "SendCmqMsg", map[string]any{"QueueName": "results", "MsgContent": "hello", "DelaySeconds": 0})
	if err != nil || !r.Result || r.MsgId == "" || len(run.Server.CMQMessages("results")) != 1 {
		t.Fatalf("SendCmqMsg: %v %+v", err, r)
	}
	_, err = sdkCall(t, c, "tdmq", "2020-02-17", "SendCmqMsg", map[string]any{"QueueName": "results", "MsgContent": "hello", "DelaySeconds": 0})
	if sdkCode(err) != sandbox.CodeMissingParameter {
		t.Fatalf("SendCmqMsg without region: %v", err)
	}
}

func TestOfficialSDKCredentials(t *testing.T) {
	run := startReal(t, sandbox.Config{Token: "sts-token"})
	tests := []struct {
		name string
		cred common.CredentialIface
		want string
	}{
		{"temporary credentials", common.NewTokenCredential(sandbox.DefaultSecretID, sandbox.DefaultSecretKey, "sts-token"), ""},
		{"stale token", common.NewTokenCredential(sandbox.DefaultSecretID, sandbox.DefaultSecretKey, "old-token"), sandbox.CodeTokenFailure},
		{"no token", common.NewCredential(sandbox.DefaultSecretID, sandbox.DefaultSecretKey), sandbox.CodeTokenFailure},
		{"wrong key", common.NewTokenCredential(sandbox.DefaultSecretID, "not-the-key", "sts-token"), sandbox.CodeSignatureFailure},
		{"unknown id", common.NewTokenCredential("AKIDsomeoneElse", sandbox.DefaultSecretKey, "sts-token"), sandbox.CodeSecretIDNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sdkCall(t, sdkClient(run.Host, tt.cred, ""), "essbasic", "2021-05-26", "CreateFlowsByTemplates", realBody())
			if sdkCode(err) != tt.want || (tt.want == "" && err != nil) {
				t.Fatalf("err %v, want code %q", err, tt.want)
			}
		})
	}
}

// tamper rewrites the request body after the SDK has signed it.
type tamper struct{ base http.RoundTripper }

func (tp tamper) RoundTrip(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	r.Body.Close()
	body = bytes.Replace(body, []byte("工程师"), []byte("总经理"), 1)
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	return tp.base.RoundTrip(r2)
}

func TestOfficialSDKTamperedBody(t *testing.T) {
	run := startReal(t, sandbox.Config{})
	c := sdkClient(run.Host, common.NewCredential(sandbox.DefaultSecretID, sandbox.DefaultSecretKey), "")
	c.WithHttpTransport(tamper{base: http.DefaultTransport})
	_, err := sdkCall(t, c, "essbasic", "2021-05-26", "CreateFlowsByTemplates", realBody())
	if sdkCode(err) != sandbox.CodeSignatureFailure || len(run.Server.Flows()) != 0 {
		t.Fatalf("tampered body: %v, %d flows", err, len(run.Server.Flows()))
	}
}
