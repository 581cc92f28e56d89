package sqs_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/essflow/essflow/shared/sink/sqs"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		raw     string
		want    sqs.Target // ignored when wantErr is set
		name    string     // Target.String
		wantErr string     // substring of the error
	}{
		{
			raw: "sqs://sqs.eu-west-1.amazonaws.com/123456789012/results",
			want: sqs.Target{QueueURL: "https://sqs.eu-west-1.amazonaws.com/123456789012/results", Region: "eu-west-1",
				Protocol: "json", Account: "123456789012", Queue: "results"},
			name: "sqs://sqs.eu-west-1.amazonaws.com/123456789012/results",
		},
		{
			raw: "sqs://sqs.cn-north-1.amazonaws.com.cn/123456789012/results.fifo?region=cn-north-1",
			want: sqs.Target{QueueURL: "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/results.fifo", Region: "cn-north-1",
				Protocol: "json", Account: "123456789012", Queue: "results.fifo", FIFO: true},
			name: "sqs://sqs.cn-north-1.amazonaws.com.cn/123456789012/results.fifo",
		},
		{
			raw: "sqs://localhost:4100/100010001000/local-queue?endpoint=http://localhost:4100/&region=us-east-1&protocol=query",
			want: sqs.Target{QueueURL: "http://localhost:4100/100010001000/local-queue", Region: "us-east-1",
				Endpoint: "http://localhost:4100", Protocol: "query", Account: "100010001000", Queue: "local-queue"},
			name: "sqs://localhost:4100/100010001000/local-queue?endpoint=http%3A%2F%2Flocalhost%3A4100&protocol=query&region=us-east-1",
		},
		{
			raw: "sqs://localstack:4566/000000000000/q_1?endpoint=https://localstack:4566&region=ap-southeast-1",
			want: sqs.Target{QueueURL: "https://localstack:4566/000000000000/q_1", Region: "ap-southeast-1",
				Endpoint: "https://localstack:4566", Protocol: "json", Account: "000000000000", Queue: "q_1"},
			name: "sqs://localstack:4566/000000000000/q_1?endpoint=https%3A%2F%2Flocalstack%3A4566&region=ap-southeast-1",
		},
		{raw: "amqp://sqs.eu-west-1.amazonaws.com/1/q", wantErr: `scheme is "amqp"`},
		{raw: "sqs://key:secret@sqs.eu-west-1.amazonaws.com/1/q", wantErr: "credentials do not belong"},
		{raw: "sqs://sqs.eu-west-1.amazonaws.com/q", wantErr: "must be /<account>/<queue>"},
		{raw: "sqs://sqs.eu-west-1.amazonaws.com/1/q/x", wantErr: "must be /<account>/<queue>"},
		{raw: "sqs://sqs.eu-west-1.amazonaws.com/1/bad.name", wantErr: "queue name"},
		{raw: "sqs://sqs.eu-west-1.amazonaws.com/1/" + strings.Repeat("q", 81), wantErr: "queue name"},
		{raw: "sqs://sqs.eu-west-1.amazonaws.com/1/" + strings.Repeat("q", 76) + ".fifo", wantErr: "queue name"},
		{raw: "sqs://sqs.eu-west-1.amazonaws.com/1/q?region=us-east-1", wantErr: "contradicts host"},
		{raw: "sqs://example.com/1/q", wantErr: "is not sqs.<region>.amazonaws.com"},
		{raw: "sqs://h:1/1/q?endpoint=http://h:1", wantErr: "region is required"},
		{raw: "sqs://h:1/1/q?endpoint=ftp://h:1&region=us-east-1", wantErr: "endpoint scheme"},
		{raw: "sqs://h:1/1/q?endpoint=http://u:pw@h:1&region=us-east-1", wantErr: "scheme://host[:port] only"},
		{raw: "sqs://h:1/1/q?endpoint=http://h:1/path&region=us-east-1", wantErr: "scheme://host[:port] only"},
		{raw: "sqs://h:1/1/q?endpoint=http://h:1&region=Mars", wantErr: "not an AWS region"},
		{raw: "sqs://sqs.eu-west-1.amazonaws.com/1/q?protocol=xml", wantErr: "protocol"},
		{raw: "sqs://sqs.eu-west-1.amazonaws.com/1/q?queue=x", wantErr: "unknown query parameter"},
		{raw: "sqs://sqs.eu-west-1.amazonaws.com/1/q?region=eu-west-1&region=eu-west-1", wantErr: "given 2 times"},
		{raw: "sqs://sqs.eu-west-1.amazonaws.com/1/q#frag", wantErr: "fragment"},
		{raw: "sqs:opaque", wantErr: "host is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			u, err := url.Parse(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			got, err := sqs.ParseURL(u)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseURL error %v, want one containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "pw@") {
					t.Errorf("error repeats credentials: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseURL: %v", err)
			}
			name := got.String()
			if name != tt.name {
				t.Errorf("String() = %q, want %q", name, tt.name)
			}
			got2 := sqs.Target{QueueURL: got.QueueURL, Region: got.Region, Endpoint: got.Endpoint, Protocol: got.Protocol,
				Account: got.Account, Queue: got.Queue, FIFO: got.FIFO}
			if got2 != tt.want {
				t.Errorf("ParseURL =\n %+v\nwant\n %+v", got2, tt.want)
			}
		})
	}
}

func TestParseURLReportsEveryProblem(t *testing.T) {
	u, _ := url.Parse("sqs://user@example.com/a/b/c?protocol=x&foo=1")
	_, err := sqs.ParseURL(u)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"credentials", "path", "protocol", "unknown query parameter", "not sqs.<region>"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

// FuzzParseURL checks that ParseURL never panics and that an accepted URL's canonical form
// parses to the same target.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"sqs://sqs.eu-west-1.amazonaws.com/123456789012/results",
		"sqs://sqs.cn-north-1.amazonaws.com.cn/123456789012/results.fifo",
		"sqs://localhost:4100/100010001000/q?endpoint=http://localhost:4100&region=us-east-1&protocol=query",
		"sqs://h/1/q?endpoint=%zz",
		"sqs://u:p@h/1/q#x",
		"sqs:///",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		tg, err := sqs.ParseURL(u)
		if err != nil {
			return
		}
		if tg.QueueURL == "" || tg.Region == "" {
			t.Fatalf("accepted %q without queue URL or region: %+v", raw, tg)
		}
		u2, err := url.Parse(tg.String())
		if err != nil {
			t.Fatalf("canonical form %q does not parse: %v", tg.String(), err)
		}
		tg2, err := sqs.ParseURL(u2)
		if err != nil {
			t.Fatalf("canonical form %q refused: %v", tg.String(), err)
		}
		if tg2 != tg {
			t.Fatalf("round trip of %q changed the target:\n %+v\n %+v", raw, tg, tg2)
		}
	})
}
