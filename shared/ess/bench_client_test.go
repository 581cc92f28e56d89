package ess_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"github.com/essflow/essflow/shared/ess"
	"github.com/essflow/essflow/shared/sandbox"
)

// body20 is a valid 20-flow request for the sandbox's labour-contract template.
func body20(b *testing.B) []byte {
	b.Helper()
	flows := make([]*ess.FlowInfo, 20)
	for i := range flows {
		flows[i] = laborFlow(fmt.Sprintf("劳动合同_%02d", i), "张三", fmt.Sprintf("138%08d", i))
	}
	body, err := ess.EncodeRequest(laborRequest(flows...))
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// BenchmarkCreateFlows20 is essflow's full client path for one 20-flow call: strict decode,
// validation, encoding, signing (through the SDK) and the HTTP round trip to an in-process
// sandbox. Compare with BenchmarkBareSDK20 from the same run.
func BenchmarkCreateFlows20(b *testing.B) {
	sb := startSandbox(b, sandbox.Config{QPS: -1})
	c := newClient(b, sb.URL, func(c *ess.Config) { c.QPS = 1e6; c.Burst = 1000 })
	v := ess.NewValidator(ess.ValidatorOptions{})
	body := body20(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req, err := ess.DecodeCreateFlowsRequest(body)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := v.ValidateCreate(req); err != nil {
			b.Fatal(err)
		}
		resp, err := c.CreateFlowsByTemplates(ctx, req)
		if err != nil || len(resp.FlowIds) != 20 {
			b.Fatalf("create: %v", err)
		}
	}
	b.StopTimer()
	sb.Server.Reset()
}

// BenchmarkBareSDK20 is the baseline: the same body sent with the bare SDK common client
// (CommonRequest), no decoding into types and no validation.
func BenchmarkBareSDK20(b *testing.B) {
	sb := startSandbox(b, sandbox.Config{QPS: -1})
	prof := profile.NewClientProfile()
	prof.HttpProfile.Endpoint = sb.Host
	prof.HttpProfile.Scheme = "HTTP"
	client := common.NewCommonClient(common.NewCredential(sandbox.DefaultSecretID, sandbox.DefaultSecretKey), "", prof)
	body := body20(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := tchttp.NewCommonRequest(ess.Service, ess.Version, ess.ActionCreateFlowsByTemplates)
		if err := req.SetActionParameters(body); err != nil {
			b.Fatal(err)
		}
		resp := tchttp.NewCommonResponse()
		if err := client.Send(req, resp); err != nil {
			b.Fatalf("send: %v", err)
		}
	}
	b.StopTimer()
	sb.Server.Reset()
}
