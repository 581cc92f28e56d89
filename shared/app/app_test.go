package app

import (
	"context"
	"io"
	"strings"
	"testing"
)

// TestBuildStoreChoice ensures a deployed function refuses to start without a deliberate
// idempotency store, and that every configuration problem comes back in one error.
func TestBuildStoreChoice(t *testing.T) {
	base := map[string]string{"ESSFLOW_ESS_ENDPOINT": "test", "ESSFLOW_APP_ID": "yDwApp", "TENCENTCLOUD_SECRETID": "AKID", "TENCENTCLOUD_SECRETKEY": "k"}
	build := func(vars map[string]string) (*App, error) {
		return Build(context.Background(), Options{
			Getenv: func(k string) string { return vars[k] }, NeedCredentials: true, RequireStoreChoice: true, LogOutput: io.Discard,
		})
	}
	if _, err := build(base); err == nil || !strings.Contains(err.Error(), "ESSFLOW_IDEMPOTENCY_STORE") {
		t.Fatalf("unset store: err = %v", err)
	}
	base["ESSFLOW_IDEMPOTENCY_STORE"] = "memory"
	a, err := build(base)
	if err != nil {
		t.Fatalf("memory chosen: %v", err)
	}
	a.Close()
	if a.Client.Endpoint() != "https://essbasic.test.ess.tencent.cn" {
		t.Errorf("endpoint %s", a.Client.Endpoint())
	}
	delete(base, "TENCENTCLOUD_SECRETKEY")
	base["ESSFLOW_QPS"] = "x"
	_, err = build(base)
	if err == nil || !strings.Contains(err.Error(), "TENCENTCLOUD_SECRETKEY") || !strings.Contains(err.Error(), "ESSFLOW_QPS") {
		t.Errorf("want both problems in one error, got %v", err)
	}
}
