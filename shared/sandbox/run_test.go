package sandbox_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/essflow/essflow/shared/sandbox"
)

func TestRunCommand(t *testing.T) {
	dir := t.TempDir()
	tplFile := filepath.Join(dir, "templates.json")
	if err := os.WriteFile(tplFile, []byte(`{"Templates":[{"TemplateId":"yDwOnlyTemplate00000000000000001","TemplateName":"单一模板","Recipients":[{"RecipientId":"yDwOnlyRecipient0000000000000001","RecipientType":"INDIVIDUAL","RoleName":"本人","RoutingOrder":1}],"Components":[]}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- sandbox.RunCommand(ctx, []string{"--addr", "127.0.0.1:0", "--secret-key", "cmdSecretKey", "--token", "cmdToken",
			"--templates", tplFile, "--qps", "5", "--seed", "3"}, pw)
		pw.Close()
	}()
	var printed strings.Builder
	lines := bufio.NewScanner(pr)
	var base string
	for base == "" && lines.Scan() {
		printed.WriteString(lines.Text() + "\n")
		if m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(lines.Text()); m != nil {
			base = m[1]
		}
	}
	lines.Scan() // the credentials line
	printed.WriteString(lines.Text())
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if base == "" || !strings.Contains(printed.String(), sandbox.DefaultSecretID) {
		t.Fatalf("printed %q", printed.String())
	}
	if strings.Contains(printed.String(), "cmdSecretKey") || strings.Contains(printed.String(), "cmdToken") {
		t.Fatalf("the key or token was printed: %q", printed.String())
	}
	res, err := http.Get(base + "/_sandbox/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	a := apiRequest{action: sandbox.ActionDescribeTemplates, secretID: sandbox.DefaultSecretID, secretKey: "cmdSecretKey", token: "cmdToken", at: time.Now(),
		body: `{"Agent":{"AppId":"` + sandbox.DefaultAppID + `","ProxyOrganizationOpenId":"o","ProxyOperator":{"OpenId":"p"}}}`}
	r, raw := a.send(t, base)
	if code(r) != "" || len(r.Templates) != 1 || r.Templates[0].TemplateId != "yDwOnlyTemplate00000000000000001" {
		t.Fatalf("DescribeTemplates through the command: %s", raw)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("RunCommand: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RunCommand did not return after cancel")
	}
}

func TestRunCommandArguments(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tt := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--qps", "fast"}, "invalid value"},
		{[]string{"--fault-rate", "2", "--addr", "127.0.0.1:0"}, "FaultRate"},
		{[]string{"--templates", "/nonexistent/templates.json"}, "open template catalogue"},
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"--addr", "256.0.0.1:1"}, "listen on"},
		{[]string{"-h"}, ""},
	} {
		err := sandbox.RunCommand(ctx, tt.args, io.Discard)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("%v: %v", tt.args, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%v: error %v, want %q", tt.args, err, tt.wantErr)
		}
	}
}
