package config

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func getenv(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// TestLoad checks defaults, every setting, and that every problem is reported at once.
func TestLoad(t *testing.T) {
	ok := map[string]string{EnvAppID: "yDwApp", EnvSecretID: "AKID", EnvSecretKey: "key"}
	c, err := Load(getenv(ok), true)
	if err != nil {
		t.Fatal(err)
	}
	if c.QPS != 20 || c.ESSTimeout != 15*time.Second || c.IdempotencyStore != "memory" || c.IdempotencyTTL != 24*time.Hour ||
		c.MaxBodyBytes != DefaultMaxBody || c.ResultsPrefix != "results/" || c.FunctionName != "essflow" || c.LogLevel != slog.LevelInfo {
		t.Errorf("defaults: %+v", c)
	}
	full := map[string]string{
		EnvEndpoint: "https://essbasic.example.com", EnvAppID: "yDwApp", EnvQPS: "5.5", EnvESSTimeout: "3s", EnvESSMaxAttempts: "2",
		EnvAllowedOrgs: "orgA, orgB", EnvMaxBody: "4096", EnvConcurrency: "4", EnvIdemStore: "rediss://u:p@redis.example.com:6380/2",
		EnvIdemTTL: "48h", EnvInProgressWait: "0s", EnvFunctionName: "fn", EnvResultsPrefix: "out/", EnvLogLevel: "debug",
		EnvCOSEndpoint: "http://127.0.0.1:9000", "SCF_FUNCTIONNAME": "ignored",
	}
	c, err = Load(getenv(full), false)
	if err != nil {
		t.Fatal(err)
	}
	if c.QPS != 5.5 || c.ESSTimeout != 3*time.Second || c.ESSMaxAttempts != 2 || len(c.AllowedOrgs) != 2 || c.AllowedOrgs[1] != "orgB" ||
		c.MaxBodyBytes != 4096 || c.Concurrency != 4 || c.IdempotencyTTL != 48*time.Hour || c.FunctionName != "fn" || c.ResultsPrefix != "out/" || c.LogLevel != slog.LevelDebug {
		t.Errorf("settings: %+v", c)
	}
	if c, err := Load(getenv(map[string]string{EnvEndpoint: "sandbox"}), true); err != nil || !c.Sandbox() {
		t.Errorf("sandbox needs nothing else: %v", err)
	}

	bad := map[string]string{
		EnvEndpoint: "ftp://x", EnvQPS: "0", EnvESSTimeout: "forever", EnvIdemStore: "redis://:secretpw@", EnvLogLevel: "loud",
		EnvMaxBody: "10", EnvCOSEndpoint: "not a url",
	}
	_, err = Load(getenv(bad), true)
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *Error", err)
	}
	for _, name := range []string{EnvEndpoint, EnvQPS, EnvESSTimeout, EnvIdemStore, EnvLogLevel, EnvMaxBody, EnvCOSEndpoint, EnvAppID, EnvSecretID, EnvSecretKey} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
	if strings.Contains(err.Error(), "secretpw") {
		t.Errorf("error leaks a password: %v", err)
	}
}

// FuzzLoad feeds arbitrary values to every setting: Load never panics, and it either returns a
// configuration or an *Error naming each problem.
func FuzzLoad(f *testing.F) {
	f.Add("sandbox", "", "20", "15s", "memory", "info")
	f.Add("https://x", "app", "abc", "-1s", "redis://:pw@h:1/0", "loud")
	f.Add("ftp://", "a b", "1e9", "1h", "rediss://", "")
	f.Fuzz(func(t *testing.T, endpoint, app, qps, timeout, store, level string) {
		env := map[string]string{EnvEndpoint: endpoint, EnvAppID: app, EnvQPS: qps, EnvESSTimeout: timeout, EnvIdemStore: store, EnvLogLevel: level}
		c, err := Load(getenv(env), false)
		if err == nil && c == nil {
			t.Fatal("nil config without error")
		}
		var ce *Error
		if err != nil && (!errors.As(err, &ce) || len(ce.Problems) == 0) {
			t.Fatalf("error %v is not a non-empty *Error", err)
		}
	})
}

// ExampleLoad shows the one error that lists every configuration problem.
func ExampleLoad() {
	_, err := Load(func(name string) string {
		return map[string]string{EnvQPS: "fast", EnvIdemStore: "mysql://db"}[name]
	}, true)
	fmt.Println(err)
	// Output:
	// invalid configuration (4 problem(s)):
	//   - ESSFLOW_QPS: "fast": want a number from 0.1 to 1000
	//   - ESSFLOW_APP_ID: required: the essbasic application id (Agent.AppId) this function acts for
	//   - TENCENTCLOUD_SECRETID, TENCENTCLOUD_SECRETKEY: required: bind an execution role to the function (SCF injects its temporary credentials) or set them
	//   - ESSFLOW_IDEMPOTENCY_STORE: "mysql://db": want memory or redis://[user:pass@]host:port/db (rediss:// for TLS)
}
