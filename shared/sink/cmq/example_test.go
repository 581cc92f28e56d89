package cmq_test

import (
	"context"
	"fmt"
	"net/url"

	"github.com/essflow/essflow/shared/result"
	"github.com/essflow/essflow/shared/sandbox"
	"github.com/essflow/essflow/shared/sink/cmq"
)

// A production URL and a URL for the local sandbox.
func ExampleParseURL() {
	for _, raw := range []string{
		"cmq://essflow-results?region=ap-guangzhou",
		"cmq://essflow-results?region=ap-guangzhou&endpoint=http://127.0.0.1:8090",
	} {
		u, _ := url.Parse(raw)
		t, err := cmq.ParseURL(u)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(t.Queue, t.Region, t.Scheme, t.Host)
	}
	// Output:
	// essflow-results ap-guangzhou HTTPS tdmq.tencentcloudapi.com
	// essflow-results ap-guangzhou HTTP 127.0.0.1:8090
}

// Open a sink from its URL with the SCF role's credential variables and deliver a result; here
// the ESS sandbox stands in for TDMQ.
func ExampleOpen() {
	sb, err := sandbox.Start(sandbox.Config{Token: "role-session-token"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sb.Close()

	env := map[string]string{
		"TENCENTCLOUD_SECRETID":     sandbox.DefaultSecretID,
		"TENCENTCLOUD_SECRETKEY":    sandbox.DefaultSecretKey,
		"TENCENTCLOUD_SESSIONTOKEN": "role-session-token",
	}
	u, _ := url.Parse("cmq://essflow-results?region=ap-guangzhou&endpoint=" + sb.URL)
	s, err := cmq.Open(context.Background(), u, func(k string) string { return env[k] })
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	msg := &result.Message{SpecVersion: result.SpecVersion, ID: "msg_1", Type: result.TypeCreated}
	if err := s.Deliver(context.Background(), msg); err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range sb.Server.CMQMessages("essflow-results") {
		fmt.Println(m.MsgContent)
	}
	// Output:
	// {"specversion":"essflow.result.v1","id":"msg_1","type":"flows.created","time":"0001-01-01T00:00:00Z","source":{"trigger":""},"correlation":{}}
}
