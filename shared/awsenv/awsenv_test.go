package awsenv

import (
	"context"
	"strings"
	"testing"
)

func TestConfig(t *testing.T) {
	env := map[string]string{"AWS_DEFAULT_REGION": "ap-east-1", "AWS_ACCESS_KEY_ID": "AKIA1", "AWS_SECRET_ACCESS_KEY": "s1", "AWS_SESSION_TOKEN": "t1"}
	cfg := Config(func(k string) string { return env[k] }, "")
	if cfg.Region != "ap-east-1" {
		t.Errorf("region %q", cfg.Region)
	}
	c, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || c.AccessKeyID != "AKIA1" || c.SessionToken != "t1" {
		t.Fatalf("credentials %+v, %v", c, err)
	}
	if got := Config(func(k string) string { return env[k] }, "us-west-2").Region; got != "us-west-2" {
		t.Errorf("explicit region ignored: %s", got)
	}
	delete(env, "AWS_SECRET_ACCESS_KEY")
	_, err = Credentials(func(k string) string { return env[k] }).Retrieve(context.Background())
	if err == nil || !strings.Contains(err.Error(), "AWS_SECRET_ACCESS_KEY") || strings.Contains(err.Error(), "AKIA1") {
		t.Errorf("missing key: %v", err)
	}
}
