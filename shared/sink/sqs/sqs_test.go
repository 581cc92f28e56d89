package sqs_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/essflow/essflow/shared/result"
	"github.com/essflow/essflow/shared/sink"
	"github.com/essflow/essflow/shared/sink/sqs"
)

func message(i int, key string) *result.Message {
	return &result.Message{
		SpecVersion: result.SpecVersion,
		ID:          result.StableID(fmt.Sprintf("app/%s/%d", key, i)),
		Type:        result.TypeCreated,
		Time:        time.Date(2026, 11, 26, 8, 0, i, 0, time.UTC),
		Source:      result.Source{Trigger: "sqs", RecordID: fmt.Sprintf("rec-%d", i)},
		Correlation: result.Correlation{IdempotencyKey: key},
		Flows: []result.Flow{{
			Index: 0, Status: result.FlowCreated, FlowId: fmt.Sprintf("yDwFfUUckp%022d", i),
			FlowName: "劳动合同 <A&B>", CustomerData: `{"order":"42"}`,
		}},
	}
}

func messages(n int, key string) []*result.Message {
	out := make([]*result.Message, n)
	for i := range out {
		out[i] = message(i, key)
	}
	return out
}

func encoded(tb testing.TB, msgs ...*result.Message) []string {
	tb.Helper()
	out := make([]string, len(msgs))
	for i, m := range msgs {
		b, err := sink.Encode(m)
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = string(b)
	}
	return out
}

func newSink(tb testing.TB, e *emulator, queue string, mod func(*sqs.Options)) *sqs.Sink {
	tb.Helper()
	opts := sqs.Options{QueueURL: e.queueURL(queue), Client: e.client(), RetryBase: time.Millisecond}
	if mod != nil {
		mod(&opts)
	}
	s, err := sqs.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestDeliver(t *testing.T) {
	e := startGoaws(t)
	tests := []struct {
		name string
		msg  *result.Message
	}{
		{"created", message(1, "k1")},
		{"rejected with error", &result.Message{
			SpecVersion: result.SpecVersion, ID: "msg_rejected", Type: result.TypeRejected,
			Error: &result.Error{Code: "essflow.InvalidRequest", Message: "FlowInfos[0].FlowName is empty", MessageZH: "合同名称为空"},
		}},
		{"no type", &result.Message{ID: "msg_bare"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			queue := e.newQueue(t, false)
			s := newSink(t, e, queue, nil)
			if err := s.Deliver(context.Background(), tt.msg); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			got := e.receiveAll(t, queue)
			if len(got) != 1 {
				t.Fatalf("received %d messages, want 1", len(got))
			}
			if want := encoded(t, tt.msg)[0]; got[0].Body != want {
				t.Errorf("body\n got %s\nwant %s", got[0].Body, want)
			}
			wantAttrs := map[string]string{}
			if tt.msg.Type != "" {
				wantAttrs["type"] = tt.msg.Type
			}
			if tt.msg.SpecVersion != "" {
				wantAttrs["specversion"] = tt.msg.SpecVersion
			}
			if fmt.Sprint(got[0].Attrs) != fmt.Sprint(wantAttrs) {
				t.Errorf("attributes %v, want %v", got[0].Attrs, wantAttrs)
			}
		})
	}
}

func TestDeliverBatchChunks(t *testing.T) {
	e := startGoaws(t)
	size := len(encoded(t, message(0, "chunk"))[0]) + len("type") + len("String") + len(result.TypeCreated) +
		len("specversion") + len("String") + len(result.SpecVersion)
	tests := []struct {
		name      string
		n         int
		maxBatch  int
		wantCalls []int
	}{
		{"25 messages in three calls", 25, 0, []int{10, 10, 5}},
		{"exactly ten", 10, 0, []int{10}},
		{"one", 1, 0, []int{1}},
		{"byte limit of three messages", 7, 3*size + 2, []int{3, 3, 1}},
		{"empty", 0, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			queue := e.newQueue(t, false)
			s := newSink(t, e, queue, func(o *sqs.Options) { o.MaxBatchBytes = tt.maxBatch })
			before := len(e.calls())
			msgs := messages(tt.n, "chunk")
			if err := s.DeliverBatch(context.Background(), msgs); err != nil {
				t.Fatalf("DeliverBatch: %v", err)
			}
			if calls := e.calls()[before:]; !slices.Equal(calls, tt.wantCalls) {
				t.Errorf("batch calls %v, want %v", calls, tt.wantCalls)
			}
			var bodies []string
			for _, r := range e.receiveAll(t, queue) {
				bodies = append(bodies, r.Body)
			}
			if want := encoded(t, msgs...); !slices.Equal(bodies, want) && !(len(bodies) == 0 && len(want) == 0) {
				t.Errorf("received %d bodies, want %d identical to sink.Encode in order\n got %q\nwant %q", len(bodies), len(want), bodies, want)
			}
		})
	}
}

func TestFIFO(t *testing.T) {
	e := startGoaws(t)
	queue := e.newQueue(t, true)
	s := newSink(t, e, queue, nil)
	ctx := context.Background()

	withKey := message(0, "order-42")
	noKey := message(1, "")
	longKey := message(2, strings.Repeat("k", 129))
	if err := s.Deliver(ctx, withKey); err != nil {
		t.Fatal(err)
	}
	if err := s.DeliverBatch(ctx, []*result.Message{noKey, longKey, withKey}); err != nil {
		t.Fatal(err)
	}
	if err := s.Deliver(ctx, noKey); err != nil { // a redelivery, dropped by deduplication
		t.Fatal(err)
	}

	got := stored(queue)
	want := []struct{ group, dedup string }{
		{"order-42", withKey.ID},
		{noKey.ID, noKey.ID},
		{sha256Hex(strings.Repeat("k", 129)), longKey.ID}, // too long for SQS: replaced by its SHA-256
	}
	if len(got) != len(want) {
		t.Fatalf("queue holds %d messages, want %d (duplicates dropped)", len(got), len(want))
	}
	for i, w := range want {
		if got[i].GroupID != w.group || got[i].DeduplicationID != w.dedup {
			t.Errorf("message %d: group %q dedup %q, want %q %q", i, got[i].GroupID, got[i].DeduplicationID, w.group, w.dedup)
		}
	}
	if string(got[0].MessageBody) != encoded(t, withKey)[0] {
		t.Errorf("FIFO body differs from sink.Encode")
	}
}

func TestDeliverBatchFailures(t *testing.T) {
	e := startGoaws(t)
	huge := message(3, "big")
	huge.Flows[0].CustomerData = strings.Repeat("x", sqs.MaxMessageBytes)

	tests := []struct {
		name          string
		refuse        string // RecordID of the message to refuse
		times         int
		senderFault   bool
		attempts      int
		deadline      time.Duration
		retryBase     time.Duration
		msgs          []*result.Message
		wantFailed    []int
		wantStored    int
		wantCalls     int // exact, or the most calls when the deadline decides
		wantPermanent bool
	}{
		{name: "refused once, retried", refuse: "rec-4", times: 1, msgs: messages(12, "t"), wantStored: 12, wantCalls: 3},
		{name: "sender fault is permanent", refuse: "rec-4", times: -1, senderFault: true, msgs: messages(12, "s"),
			wantFailed: []int{4}, wantStored: 11, wantCalls: 2, wantPermanent: true},
		{name: "refused always, bounded attempts", refuse: "rec-1", times: -1, attempts: 3, msgs: messages(2, "a"),
			wantFailed: []int{1}, wantStored: 1, wantCalls: 3},
		{name: "deadline stops retries", refuse: "rec-0", times: -1, attempts: 10, deadline: 300 * time.Millisecond,
			retryBase: 100 * time.Millisecond, msgs: messages(1, "d"), wantFailed: []int{0}, wantCalls: 3},
		{name: "oversize message not sent", msgs: append(messages(3, "o"), huge), wantFailed: []int{3}, wantStored: 3,
			wantCalls: 1, wantPermanent: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			queue := e.newQueue(t, false)
			if tt.refuse != "" {
				e.refuseEntries(`"recordId":"`+tt.refuse+`"`, tt.times, tt.senderFault)
				defer e.refuseEntries(`"recordId":"`+tt.refuse+`"`, 0, false)
			}
			s := newSink(t, e, queue, func(o *sqs.Options) {
				o.MaxAttempts = tt.attempts
				if tt.retryBase > 0 {
					o.RetryBase = tt.retryBase
				}
			})
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			before := len(e.calls())
			err := s.DeliverBatch(ctx, tt.msgs)
			calls := len(e.calls()) - before
			if tt.deadline > 0 {
				// The pauses (50-100 ms, then 100-200 ms) allow at most three calls within
				// 300 ms, and DeliverBatch gives up rather than sleep past the deadline.
				if calls < 1 || calls > tt.wantCalls || ctx.Err() != nil {
					t.Errorf("%d batch calls (want 1..%d), context %v", calls, tt.wantCalls, ctx.Err())
				}
			} else if calls != tt.wantCalls {
				t.Errorf("%d batch calls, want %d", calls, tt.wantCalls)
			}
			if n := len(e.receiveAll(t, queue)); n != tt.wantStored {
				t.Errorf("queue holds %d messages, want %d", n, tt.wantStored)
			}
			if len(tt.wantFailed) == 0 {
				if err != nil {
					t.Fatalf("DeliverBatch: %v", err)
				}
				return
			}
			var be *sink.BatchError
			if !errors.As(err, &be) {
				t.Fatalf("error %v is not a *sink.BatchError", err)
			}
			var idx []int
			for _, f := range be.Failures {
				idx = append(idx, f.Index)
				if f.ID != tt.msgs[f.Index].ID {
					t.Errorf("failure %d names %q, want %q", f.Index, f.ID, tt.msgs[f.Index].ID)
				}
				if got := errors.Is(f.Err, sqs.ErrPermanent); got != tt.wantPermanent {
					t.Errorf("failure %d permanent=%v, want %v: %v", f.Index, got, tt.wantPermanent, f.Err)
				}
			}
			if !slices.Equal(idx, tt.wantFailed) {
				t.Errorf("failed indexes %v, want %v", idx, tt.wantFailed)
			}
		})
	}
}

func TestNonexistentQueue(t *testing.T) {
	e := startGoaws(t)
	s := newSink(t, e, "no-such-queue", nil)
	msgs := messages(3, "gone")
	err := s.Deliver(context.Background(), msgs[0])
	if !errors.Is(err, sqs.ErrPermanent) {
		t.Errorf("Deliver to a missing queue: %v, want a permanent error", err)
	}
	var be *sink.BatchError
	if err := s.DeliverBatch(context.Background(), msgs); !errors.As(err, &be) || len(be.Failures) != 3 || !errors.Is(err, sqs.ErrPermanent) {
		t.Errorf("DeliverBatch to a missing queue: %v, want all 3 failed permanently", err)
	}
}

func TestDeliverOversize(t *testing.T) {
	e := startGoaws(t)
	queue := e.newQueue(t, false)
	s := newSink(t, e, queue, func(o *sqs.Options) { o.MaxMessageBytes = 1000 })
	m := message(0, "big")
	m.Flows[0].CustomerData = strings.Repeat("x", 1000)
	err := s.Deliver(context.Background(), m)
	if !errors.Is(err, sqs.ErrPermanent) || !strings.Contains(err.Error(), "over the queue limit") {
		t.Errorf("Deliver oversize: %v", err)
	}
	if n := len(e.receiveAll(t, queue)); n != 0 {
		t.Errorf("oversize message was sent")
	}
}

func TestOpen(t *testing.T) {
	e := startGoaws(t)
	queue := e.newQueue(t, false)
	host := strings.TrimPrefix(e.URL, "http://")
	raw := "sqs://" + host + "/100010001000/" + queue + "?endpoint=" + url.QueryEscape(e.URL) + "&region=eu-west-1&protocol=query"
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret-never-logged", "AWS_SESSION_TOKEN": "tok"}
	s, err := sqs.Open(context.Background(), u, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if strings.Contains(s.Name(), "secret") || !strings.HasPrefix(s.Name(), "sqs://"+host+"/100010001000/"+queue+"?") {
		t.Errorf("Name() = %q", s.Name())
	}
	msg := message(7, "open")
	if err := s.Deliver(context.Background(), msg); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	if got := e.receiveAll(t, queue); len(got) != 1 || got[0].Body != encoded(t, msg)[0] {
		t.Errorf("received %+v", got)
	}

	// Registered in a sink.Registry, the sink is reachable through the ESSFLOW_RESULT_SINKS list.
	f, err := sink.Registry{"sqs": sqs.Open}.Open(context.Background(), raw, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.DeliverBatch(context.Background(), messages(11, "fanout")); err != nil {
		t.Fatalf("fanout DeliverBatch: %v", err)
	}
	if n := len(e.receiveAll(t, queue)); n != 11 {
		t.Errorf("fanout delivered %d, want 11", n)
	}
}

func TestOpenBadURL(t *testing.T) {
	u, _ := url.Parse("sqs://example.com/q")
	if _, err := sqs.Open(context.Background(), u, nil); err == nil {
		t.Fatal("Open accepted a URL without account")
	}
}

func TestNewValidation(t *testing.T) {
	e := startGoaws(t)
	for _, o := range []sqs.Options{{QueueURL: "x"}, {Client: e.client()}} {
		if _, err := sqs.New(o); err == nil {
			t.Errorf("New(%+v) accepted incomplete options", o)
		}
	}
}

// BenchmarkDeliverBatch25 sends 25 results with DeliverBatch (three SendMessageBatch calls).
// BenchmarkDeliver25 is its baseline: the same 25 results with one SendMessage each.
func BenchmarkDeliverBatch25(b *testing.B) {
	e := startGoaws(b)
	queue := e.newQueue(b, false)
	s := newSink(b, e, queue, nil)
	msgs := messages(25, "bench")
	b.ReportAllocs()
	for b.Loop() {
		if err := s.DeliverBatch(context.Background(), msgs); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	purge(b, e, queue)
}

func BenchmarkDeliver25(b *testing.B) {
	e := startGoaws(b)
	queue := e.newQueue(b, false)
	s := newSink(b, e, queue, nil)
	msgs := messages(25, "bench")
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range msgs {
			if err := s.Deliver(context.Background(), m); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	purge(b, e, queue)
}

func purge(tb testing.TB, e *emulator, queue string) {
	tb.Helper()
	if _, err := e.client().DeleteQueue(context.Background(), &awssqs.DeleteQueueInput{QueueUrl: aws.String(e.queueURL(queue))}); err != nil {
		tb.Logf("delete queue %s: %v", queue, err)
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
