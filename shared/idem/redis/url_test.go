package redis

import (
	"net/url"
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url        string
		wantAddr   string
		wantDB     int
		wantUser   string
		wantPass   string
		wantPrefix string
		wantTLS    bool
		wantPool   int
		wantErr    string
	}{
		{url: "redis://127.0.0.1:6379/0", wantAddr: "127.0.0.1:6379"},
		{url: "redis://localhost", wantAddr: "localhost:6379"},
		{url: "redis://:pw@10.0.0.5:6380/3", wantAddr: "10.0.0.5:6380", wantDB: 3, wantPass: "pw"},
		{url: "redis://app:pw@10.0.0.5:6380/3", wantAddr: "10.0.0.5:6380", wantDB: 3, wantUser: "app", wantPass: "pw"},
		{url: "rediss://default:pw@crs-abc.tencentdb.example:6379/0?prefix=essflow:idem:", wantAddr: "crs-abc.tencentdb.example:6379",
			wantUser: "default", wantPass: "pw", wantPrefix: "essflow:idem:", wantTLS: true},
		{url: "redis://h:1/2?prefix=a%2Fb&pool_size=7", wantAddr: "h:1", wantDB: 2, wantPrefix: "a/b", wantPool: 7},
		{url: "unix:///tmp/redis.sock", wantErr: "scheme"},
		{url: "http://h:1/0", wantErr: "scheme"},
		{url: "redis://h:1/a", wantErr: "database"},
		{url: "redis://h:1/0/1", wantErr: "path"},
		{url: "redis://h:1/0?bogus=1", wantErr: "bogus"},
		{url: "redis://u:pw@h:x/0", wantErr: "port"},
		{url: "redis://u:p w@h/0\x7f", wantErr: "parse redis URL"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			opts, prefix, err := parseURL(tt.url)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v; want one mentioning %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "pw") {
					t.Fatalf("error reveals the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseURL: %v", err)
			}
			if opts.Addr != tt.wantAddr || opts.DB != tt.wantDB || opts.Username != tt.wantUser || opts.Password != tt.wantPass {
				t.Errorf("addr %q db %d user %q pass %q; want %q %d %q %q",
					opts.Addr, opts.DB, opts.Username, opts.Password, tt.wantAddr, tt.wantDB, tt.wantUser, tt.wantPass)
			}
			if prefix != tt.wantPrefix {
				t.Errorf("prefix = %q; want %q", prefix, tt.wantPrefix)
			}
			if (opts.TLSConfig != nil) != tt.wantTLS {
				t.Errorf("TLS = %v; want %v", opts.TLSConfig != nil, tt.wantTLS)
			}
			if tt.wantTLS && opts.TLSConfig.ServerName != strings.Split(tt.wantAddr, ":")[0] {
				t.Errorf("TLS ServerName = %q", opts.TLSConfig.ServerName)
			}
			if tt.wantPool != 0 && opts.PoolSize != tt.wantPool {
				t.Errorf("PoolSize = %d; want %d", opts.PoolSize, tt.wantPool)
			}
		})
	}
}

// FuzzParseURL checks that parseURL never panics, that what it accepts is self-consistent,
// and that a password placed in the URL never shows in an error, whatever follows it.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"127.0.0.1:6379/0", "h:1/2?prefix=x", "h:x/0", "h/0/1", "h/0?bogus=1", "[::1]:6379/15",
		"h:1/0?dial_timeout=zz", "%zz", "h:1/0?prefix=%2A&pool_size=-1", "@h", "h#frag", ":0/",
	} {
		f.Add(s)
	}
	const marker = "Zq9-MARKER-pw"
	f.Fuzz(func(t *testing.T, rest string) {
		for _, scheme := range []string{"redis://", "rediss://"} {
			opts, _, err := parseURL(scheme + rest)
			if err == nil && (opts.TLSConfig != nil) != (scheme == "rediss://") {
				t.Fatalf("%s%s: TLS %v", scheme, rest, opts.TLSConfig != nil)
			}
		}
		if strings.Contains(rest, marker) || strings.ContainsAny(rest, "@/") {
			return // the marker would no longer be (only) the password
		}
		raw := "redis://user:" + marker + "@" + rest
		if u, err := url.Parse(raw); err == nil {
			if pw, _ := u.User.Password(); pw != marker {
				return
			}
		}
		if _, _, err := parseURL(raw); err != nil && strings.Contains(err.Error(), marker) {
			t.Fatalf("error reveals the password: %v", err)
		}
	})
}
