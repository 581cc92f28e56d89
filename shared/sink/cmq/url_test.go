package cmq_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/essflow/essflow/shared/sink/cmq"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		raw     string
		want    cmq.Target
		name    string // Target.String
		wantErr string // substring of the error
	}{
		{
			raw:  "cmq://essflow-results?region=ap-guangzhou",
			want: cmq.Target{Queue: "essflow-results", Region: "ap-guangzhou", Host: "tdmq.tencentcloudapi.com", Scheme: "HTTPS"},
			name: "cmq://essflow-results?region=ap-guangzhou",
		},
		{
			raw:  "cmq://Results_1?region=ap-shanghai-fsi&endpoint=https://tdmq.internal.tencentcloudapi.com/",
			want: cmq.Target{Queue: "Results_1", Region: "ap-shanghai-fsi", Host: "tdmq.internal.tencentcloudapi.com", Scheme: "HTTPS"},
			name: "cmq://Results_1?endpoint=https%3A%2F%2Ftdmq.internal.tencentcloudapi.com&region=ap-shanghai-fsi",
		},
		{
			raw:  "cmq://q?region=ap-guangzhou&endpoint=http://127.0.0.1:8090",
			want: cmq.Target{Queue: "q", Region: "ap-guangzhou", Host: "127.0.0.1:8090", Scheme: "HTTP"},
			name: "cmq://q?endpoint=http%3A%2F%2F127.0.0.1%3A8090&region=ap-guangzhou",
		},
		{raw: "sqs://q?region=ap-guangzhou", wantErr: `scheme is "sqs"`},
		{raw: "cmq://id:key@q?region=ap-guangzhou", wantErr: "credentials do not belong"},
		{raw: "cmq://q", wantErr: "region is required"},
		{raw: "cmq://q?region=Guangzhou", wantErr: "not a Tencent Cloud region"},
		{raw: "cmq://1q?region=ap-guangzhou", wantErr: "queue name"},
		{raw: "cmq://q.x?region=ap-guangzhou", wantErr: "queue name"},
		{raw: "cmq://q" + strings.Repeat("x", 64) + "?region=ap-guangzhou", wantErr: "queue name"},
		{raw: "cmq:///q?region=ap-guangzhou", wantErr: "must have the form"},
		{raw: "cmq://q/extra?region=ap-guangzhou", wantErr: "must have the form"},
		{raw: "cmq://q?region=ap-guangzhou&delay=3", wantErr: "unknown query parameter"},
		{raw: "cmq://q?region=ap-guangzhou&region=ap-beijing", wantErr: "given 2 times"},
		{raw: "cmq://q?region=ap-guangzhou&endpoint=ftp://h", wantErr: "endpoint scheme"},
		{raw: "cmq://q?region=ap-guangzhou&endpoint=http://u:pw@h", wantErr: "scheme://host[:port] only"},
		{raw: "cmq://q?region=ap-guangzhou&endpoint=http://h/p", wantErr: "scheme://host[:port] only"},
		{raw: "cmq://q?region=ap-guangzhou&endpoint=http://", wantErr: "no host"},
		{raw: "cmq://q?region=ap-guangzhou#f", wantErr: "fragment"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			u, err := url.Parse(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			got, err := cmq.ParseURL(u)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseURL error %v, want one containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "pw") || strings.Contains(err.Error(), "key@") {
					t.Errorf("error repeats credentials: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseURL: %v", err)
			}
			if got != tt.want {
				t.Errorf("ParseURL = %+v, want %+v", got, tt.want)
			}
			if got.String() != tt.name {
				t.Errorf("String() = %q, want %q", got.String(), tt.name)
			}
		})
	}
}

// FuzzParseURL checks that ParseURL never panics and that an accepted URL's canonical form
// parses to the same target.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"cmq://essflow-results?region=ap-guangzhou",
		"cmq://q?region=ap-guangzhou&endpoint=http://127.0.0.1:8090",
		"cmq://q?region=ap-guangzhou&endpoint=%zz",
		"cmq://u:p@q?region=x#y",
		"cmq:q",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		tg, err := cmq.ParseURL(u)
		if err != nil {
			return
		}
		if tg.Queue == "" || tg.Region == "" || tg.Host == "" || (tg.Scheme != "HTTP" && tg.Scheme != "HTTPS") {
			t.Fatalf("accepted %q with an incomplete target %+v", raw, tg)
		}
		u2, err := url.Parse(tg.String())
		if err != nil {
			t.Fatalf("canonical form %q does not parse: %v", tg.String(), err)
		}
		tg2, err := cmq.ParseURL(u2)
		if err != nil || tg2 != tg {
			t.Fatalf("round trip of %q: %+v -> %+v (%v)", raw, tg, tg2, err)
		}
	})
}
