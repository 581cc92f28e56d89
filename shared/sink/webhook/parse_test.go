package webhook_test

import (
	"encoding/base64"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/essflow/essflow/shared/sink/webhook"
)

func TestParseSecrets(t *testing.T) {
	key32 := base64.StdEncoding.EncodeToString(make([]byte, 32))
	tests := []struct {
		in      string
		n       int
		wantErr string
	}{
		{"whsec_" + key32, 1, ""},
		{"whsec_" + strings.TrimRight(base64.StdEncoding.EncodeToString(make([]byte, 25)), "="), 1, ""}, // unpadded
		{" whsec_" + key32 + "\twhsec_" + key32 + " ", 2, ""},
		{"", 0, "no webhook secret"},
		{key32, 0, "secret 1: does not start with whsec_"},
		{"whsec_!!!", 0, "not valid base64"},
		{"whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 23)), 0, "decodes to 23 bytes"},
		{"whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 65)), 0, "decodes to 65 bytes"},
	}
	for _, tt := range tests {
		got, err := webhook.ParseSecrets(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseSecrets(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || len(got) != tt.n {
			t.Errorf("ParseSecrets(%q) = %d secrets, %v; want %d", tt.in, len(got), err, tt.n)
		}
	}
}

func FuzzParseSecrets(f *testing.F) {
	f.Add("whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 32)))
	f.Add("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw whsec_x")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		secs, err := webhook.ParseSecrets(s)
		if err != nil {
			if len(secs) != 0 {
				t.Fatal("secrets returned with an error")
			}
			return
		}
		if len(secs) != len(strings.Fields(s)) {
			t.Fatalf("%d secrets from %d fields", len(secs), len(strings.Fields(s)))
		}
		// Every accepted secret signs exactly as the reference library does.
		for i, field := range strings.Fields(s) {
			ref, err := standardwebhooks.NewWebhook(field)
			if err != nil {
				return // the reference accepts less (it requires padding); nothing to compare
			}
			want, _ := ref.Sign("msg_1", time.Unix(1, 0), []byte("{}"))
			if got := webhook.Signature(secs[i:i+1], "msg_1", time.Unix(1, 0), []byte("{}")); got != want {
				t.Fatalf("signature %q, reference %q", got, want)
			}
		}
	})
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{" 120 ", 120 * time.Second, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"99999999999999999999999", 24 * time.Hour, true},
		{"Thu, 26 Nov 2026 08:00:30 GMT", 30 * time.Second, true},
		{"Thursday, 26-Nov-26 08:01:00 GMT", time.Minute, true},
		{"Thu Nov 26 08:00:05 2026", 5 * time.Second, true},
		{"Wed, 25 Nov 2026 08:00:00 GMT", 0, true},
		{"Fri, 27 Nov 2026 09:00:00 GMT", 24 * time.Hour, true},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		got, ok := webhook.ParseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "120", "Thu, 26 Nov 2026 08:00:30 GMT", "-5", "1e9"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := webhook.ParseRetryAfter(s, now)
		if d < 0 || d > 24*time.Hour || (!ok && d != 0) {
			t.Fatalf("ParseRetryAfter(%q) = %v, %v", s, d, ok)
		}
	})
}

func TestCheckAllowed(t *testing.T) {
	allow := webhook.ParseAllowlist(" hooks.example.com, *.partner.cn ,,")
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://hooks.example.com/x", true},
		{"https://HOOKS.example.com.:8443/x", true},
		{"http://hooks.example.com/x", true},
		{"https://a.partner.cn/cb", true},
		{"https://a.b.partner.cn/cb", true},
		{"https://partner.cn/cb", false},
		{"https://evilpartner.cn/cb", false},
		{"https://hooks.example.com.evil.io/x", false},
		{"https://sub.hooks.example.com/x", false},
		{"ftp://hooks.example.com/x", false},
		{"https:///nohost", false},
		{"/relative", false},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		if err := webhook.CheckAllowed(u, allow); (err == nil) != tt.ok {
			t.Errorf("CheckAllowed(%s) = %v, want ok=%v", tt.url, err, tt.ok)
		}
	}
	u, _ := url.Parse("https://hooks.example.com/")
	if err := webhook.CheckAllowed(u, nil); err == nil {
		t.Error("an empty allow list must allow nothing")
	}
}

func TestPublicAddr(t *testing.T) {
	tests := []struct {
		ip     string
		public bool
	}{
		{"8.8.8.8", true}, {"2400:3200::1", true}, {"100.128.0.1", true}, {"172.32.0.1", true},
		{"127.0.0.1", false}, {"10.1.2.3", false}, {"172.16.0.1", false}, {"192.168.1.1", false},
		{"169.254.169.254", false}, {"100.64.0.1", false}, {"100.127.255.255", false}, {"0.0.0.0", false},
		{"0.1.2.3", false}, {"255.255.255.255", false}, {"224.0.0.1", false},
		{"::1", false}, {"::", false}, {"fc00::1", false}, {"fd12::1", false}, {"fe80::1", false},
		{"::ffff:10.0.0.1", false}, {"64:ff9b::a9fe:a9fe", false}, {"64:ff9b::808:808", true},
	}
	for _, tt := range tests {
		if got := webhook.PublicAddr(netip.MustParseAddr(tt.ip)); got != tt.public {
			t.Errorf("PublicAddr(%s) = %v, want %v", tt.ip, got, tt.public)
		}
	}
}
