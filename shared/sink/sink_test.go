package sink_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/essflow/essflow/shared/result"
	"github.com/essflow/essflow/shared/sink"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata")

func sampleMessage() *result.Message {
	return &result.Message{
		SpecVersion: result.SpecVersion,
		ID:          result.StableID("app1/org1/key-1"),
		Type:        result.TypePartiallyFailed,
		Time:        time.Date(2026, 11, 26, 8, 30, 0, 0, time.UTC),
		Source:      result.Source{Trigger: "cmq", RecordID: "msg-123", Function: "essflow"},
		Correlation: result.Correlation{IdempotencyKey: "key-1", CorrelationId: "c<&>1"},
		AppId:       "app1",
		Flows: []result.Flow{
			{Index: 0, Status: result.FlowCreated, FlowId: "yDwF1", FlowName: "合同 <A&B>", CustomerData: `{"x":"<y>"}`,
				Approvers: []result.Approver{{RecipientId: "r1", SignId: "s1", ApproverRoleName: "甲方"}}},
			{Index: 1, Status: result.FlowFailed, Error: "InvalidParameter.Template"},
		},
	}
}

func TestEncodeGolden(t *testing.T) {
	got, err := sink.Encode(sampleMessage())
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "message.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Encode mismatch\n got: %s\nwant: %s", got, want)
	}
	if bytes.Contains(got, []byte(`\u003c`)) || bytes.HasSuffix(got, []byte("\n")) {
		t.Errorf("Encode must not HTML-escape nor end with a newline: %s", got)
	}
}

func TestEncodeNil(t *testing.T) {
	if _, err := sink.Encode(nil); err == nil {
		t.Fatal("Encode(nil) succeeded")
	}
}

func TestSplitList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{" , ", nil},
		{"https://a.example.com/hook", []string{"https://a.example.com/hook"}},
		{"kafka://b1:9092,b2:9092/results?tls=true", []string{"kafka://b1:9092,b2:9092/results?tls=true"}},
		{"kafka://b1:9092,b2:9092/t, amqp://u:p@h/v?exchange=x,https://h/p?a=1,2",
			[]string{"kafka://b1:9092,b2:9092/t", "amqp://u:p@h/v?exchange=x", "https://h/p?a=1,2"}},
		{"sqs://q,cmq+http://x,", []string{"sqs://q", "cmq+http://x"}},
		{"https://h/p?a=b,1c://x", []string{"https://h/p?a=b,1c://x"}}, // scheme cannot start with a digit
	}
	for _, tt := range tests {
		if got := sink.SplitList(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SplitList(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzSplitList(f *testing.F) {
	for _, s := range []string{"", "kafka://a:1,b:2/t,https://x/y", "a://,b://", ",,,", "x://a, y://b ,z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		parts := sink.SplitList(s)
		for _, p := range parts {
			if p == "" || p != strings.Trim(p, " \t\r\n,") {
				t.Fatalf("entry %q is empty or untrimmed", p)
			}
			if !strings.Contains(s, p) {
				t.Fatalf("entry %q is not part of the input %q", p, s)
			}
		}
		// Splitting is idempotent on each entry unless the entry itself has a comma before a scheme,
		// which cannot happen: the entry would have been split.
		for _, p := range parts {
			if again := sink.SplitList(p); len(again) != 1 || again[0] != p {
				t.Fatalf("entry %q splits again into %q", p, again)
			}
		}
	})
}

// funcSink is a Sink whose behaviour is given by function fields.
type funcSink struct {
	name    string
	deliver func(*result.Message) error
	mu      sync.Mutex
	got     []string
	closed  bool
}

func (s *funcSink) Deliver(_ context.Context, m *result.Message) error {
	s.mu.Lock()
	s.got = append(s.got, m.ID)
	s.mu.Unlock()
	if s.deliver != nil {
		return s.deliver(m)
	}
	return nil
}
func (s *funcSink) Name() string { return s.name }
func (s *funcSink) Close() error { s.closed = true; return nil }

type batchSink struct {
	funcSink
	batch func([]*result.Message) error
}

func (s *batchSink) DeliverBatch(_ context.Context, msgs []*result.Message) error {
	return s.batch(msgs)
}

func TestRegistryOpen(t *testing.T) {
	var opened []*funcSink
	okOpener := func(_ context.Context, u *url.URL, getenv func(string) string) (sink.Sink, error) {
		s := &funcSink{name: sink.Redact(u) + "#" + getenv("X")}
		opened = append(opened, s)
		return s, nil
	}
	badOpener := func(context.Context, *url.URL, func(string) string) (sink.Sink, error) {
		return nil, errors.New("broker refused")
	}
	reg := sink.Registry{"mem": okOpener, "bad": badOpener}
	getenv := func(k string) string { return map[string]string{"X": "v"}[k] }

	tests := []struct {
		name      string
		list      string
		wantNames []string
		wantErrs  []string
		notInErr  []string
	}{
		{name: "empty", list: "", wantNames: []string{}},
		{name: "two", list: "mem://a/x, MEM://b:1,c:2/y", wantNames: []string{"mem://a/x#v", "mem://b:1,c:2/y#v"}},
		{name: "all bad reported", list: "mem://ok,nope://u:secret@h/p?token=t1,bad://u:pw@h2,mem://%zz",
			wantErrs: []string{"sink 2 (nope://u@h/p)", `scheme "nope"`, "known: bad, mem", "sink 3 (bad://u@h2): broker refused", "sink 4: not a valid URL"},
			notInErr: []string{"secret", "t1", "pw", "%zz"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opened = nil
			f, err := reg.Open(context.Background(), tt.list, getenv)
			if tt.wantErrs != nil {
				if err == nil {
					t.Fatal("Open succeeded")
				}
				for _, w := range tt.wantErrs {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				for _, w := range tt.notInErr {
					if strings.Contains(err.Error(), w) {
						t.Errorf("error %q leaks %q", err, w)
					}
				}
				for _, s := range opened {
					if !s.closed {
						t.Errorf("sink %s opened before the failure was not closed", s.name)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Names(); !reflect.DeepEqual(got, tt.wantNames) || f.Len() != len(tt.wantNames) {
				t.Errorf("Names() = %q, want %q", got, tt.wantNames)
			}
			if err := f.Deliver(context.Background(), sampleMessage()); err != nil {
				t.Errorf("Deliver: %v", err)
			}
		})
	}
}

func TestFanoutDeliver(t *testing.T) {
	ok := &funcSink{name: "ok"}
	bad := &funcSink{name: "bad", deliver: func(*result.Message) error { return context.DeadlineExceeded }}
	f := sink.NewFanout(ok, bad)
	err := f.Deliver(context.Background(), sampleMessage())
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "sink bad:") || strings.Contains(err.Error(), "sink ok") {
		t.Fatalf("Deliver error = %v", err)
	}
	if len(ok.got) != 1 || len(bad.got) != 1 {
		t.Fatalf("each sink must get the message once: ok=%v bad=%v", ok.got, bad.got)
	}
	if err := f.Close(); err != nil || !ok.closed || !bad.closed {
		t.Fatalf("Close: %v", err)
	}
	if err := (&sink.Fanout{}).Deliver(context.Background(), sampleMessage()); err != nil {
		t.Fatalf("empty fanout: %v", err)
	}
}

func TestFanoutDeliverBatch(t *testing.T) {
	msgs := make([]*result.Message, 4)
	for i := range msgs {
		msgs[i] = sampleMessage()
		msgs[i].ID = "m" + string(rune('0'+i))
	}
	errOdd := errors.New("odd refused")
	seq := &funcSink{name: "seq", deliver: func(m *result.Message) error {
		if m.ID == "m3" {
			return errOdd
		}
		return nil
	}}
	batch := &batchSink{funcSink: funcSink{name: "batch"}, batch: func(ms []*result.Message) error {
		return &sink.BatchError{Failures: []sink.BatchFailure{{Index: 1, ID: ms[1].ID, Err: errOdd}}}
	}}
	whole := &batchSink{funcSink: funcSink{name: "whole"}, batch: func([]*result.Message) error { return nil }}
	err := sink.NewFanout(seq, batch, whole).DeliverBatch(context.Background(), msgs)
	var be *sink.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("DeliverBatch error = %v, want *BatchError", err)
	}
	if len(be.Failures) != 2 || be.Failures[0].Index != 1 || be.Failures[1].Index != 3 || be.Failures[1].ID != "m3" {
		t.Fatalf("failures = %+v", be.Failures)
	}
	if !be.Failed(1) || be.Failed(0) || !errors.Is(err, errOdd) || !strings.Contains(err.Error(), "sink batch:") {
		t.Fatalf("BatchError = %v", err)
	}
	if want := []string{"m0", "m1", "m2", "m3"}; !reflect.DeepEqual(seq.got, want) {
		t.Fatalf("non-batch sink got %v, want in order %v", seq.got, want)
	}
	// A sink failing the whole batch fails every message.
	all := &batchSink{funcSink: funcSink{name: "all"}, batch: func([]*result.Message) error { return errOdd }}
	if err := sink.NewFanout(all).DeliverBatch(context.Background(), msgs); !errors.As(err, &be) || len(be.Failures) != 4 {
		t.Fatalf("whole-batch failure = %v", err)
	}
}

func TestRedact(t *testing.T) {
	u, _ := url.Parse("amqps://user:pa55@host:5671/vh?exchange=x&token=t#frag")
	if got, want := sink.Redact(u), "amqps://user@host:5671/vh"; got != want {
		t.Errorf("Redact = %q, want %q", got, want)
	}
}
