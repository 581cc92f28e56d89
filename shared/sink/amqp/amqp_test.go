package amqp_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/essflow/essflow/shared/result"
	"github.com/essflow/essflow/shared/sink"
	"github.com/essflow/essflow/shared/sink/amqp"
	"github.com/essflow/essflow/shared/testenv"
)

func randomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func message(i int) *result.Message {
	return &result.Message{
		SpecVersion: result.SpecVersion,
		ID:          result.StableID(fmt.Sprintf("app/key-%d", i)),
		Type:        result.TypeCreated,
		Time:        time.Date(2026, 11, 26, 8, 30, 0, 0, time.UTC),
		Source:      result.Source{Trigger: "cmq"},
		Correlation: result.Correlation{IdempotencyKey: fmt.Sprintf("key-%d", i)},
		Flows:       []result.Flow{{Index: 0, Status: result.FlowCreated, FlowId: "yDwF1", FlowName: "合同 <A&B>"}},
	}
}

// broker opens a plain amqp091 connection for test set-up and for reading messages back.
func broker(t testing.TB) *amqp091.Channel {
	t.Helper()
	testenv.NeedTCP(t, "RabbitMQ", testenv.AMQPAddr())
	conn, err := amqp091.Dial(testenv.AMQPURL())
	if err != nil {
		t.Fatalf("dial RabbitMQ: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// sinkURL builds a sink URL from the test broker URL with the given query.
func sinkURL(t testing.TB, base string, query string) *url.URL {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.RawQuery = query
	return u
}

func openSink(t testing.TB, u *url.URL, getenv func(string) string) *amqp.Sink {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := amqp.Open(ctx, u, getenv)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s.(*amqp.Sink)
}

func deleteQueue(t testing.TB, ch *amqp091.Channel, q string) {
	t.Cleanup(func() { _, _ = ch.QueueDelete(q, false, false, false) })
}

func TestDeliverAndConsume(t *testing.T) {
	ch := broker(t)
	tests := []struct {
		name  string
		query func(q string) string
	}{
		{"default exchange", func(q string) string { return "routing_key=" + q + "&declare=true" }},
		{"amq.direct with binding", func(q string) string {
			return "exchange=amq.direct&routing_key=rk." + q + "&queue=" + q + "&declare=true"
		}},
		{"own topic exchange", func(q string) string {
			return "exchange=" + q + "-x&exchange_type=topic&routing_key=results.created&queue=" + q + "&declare=true"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := randomName("essflow-test-")
			deleteQueue(t, ch, q)
			t.Cleanup(func() { _ = ch.ExchangeDelete(q+"-x", false, false) })
			s := openSink(t, sinkURL(t, testenv.AMQPURL(), tt.query(q)), nil)
			if strings.Contains(s.Name(), "guest:") {
				t.Errorf("Name() leaks the password: %s", s.Name())
			}
			msgs := []*result.Message{message(1), message(2), message(3)}
			if err := s.Deliver(context.Background(), msgs[0]); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			if err := s.DeliverBatch(context.Background(), msgs[1:]); err != nil {
				t.Fatalf("DeliverBatch: %v", err)
			}
			for _, want := range msgs {
				d, ok, err := ch.Get(q, true)
				if err != nil || !ok {
					t.Fatalf("Get from %s: ok=%v err=%v", q, ok, err)
				}
				wantBody, _ := sink.Encode(want)
				if !bytes.Equal(d.Body, wantBody) {
					t.Errorf("body = %s, want %s", d.Body, wantBody)
				}
				if d.MessageId != want.ID || d.Type != want.Type || d.ContentType != "application/json" ||
					d.DeliveryMode != amqp091.Persistent || !d.Timestamp.Equal(want.Time) ||
					d.Headers[amqp.HeaderSpecVersion] != result.SpecVersion {
					t.Errorf("properties = id %q type %q ct %q mode %d ts %v headers %v",
						d.MessageId, d.Type, d.ContentType, d.DeliveryMode, d.Timestamp, d.Headers)
				}
			}
		})
	}
}

func TestUnroutableAndMissingExchange(t *testing.T) {
	broker(t)
	tests := []struct {
		name  string
		query string
		is    error
		want  string
	}{
		{"no queue bound", "exchange=amq.direct&routing_key=" + randomName("nowhere-"), amqp.ErrUnroutable, "NO_ROUTE"},
		{"missing exchange", "exchange=" + randomName("missing-") + "&routing_key=k", nil, "NOT_FOUND"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openSink(t, sinkURL(t, testenv.AMQPURL(), tt.query), nil)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			for i := range 2 { // the second call shows the sink recovers from the closed channel
				err := s.Deliver(ctx, message(i))
				if err == nil || (tt.is != nil && !errors.Is(err, tt.is)) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("Deliver %d = %v, want %v mentioning %s", i, err, tt.is, tt.want)
				}
			}
		})
	}
}

// proxy forwards TCP connections to RabbitMQ and can cut them all, as a broker restart or a
// network failure would.
type proxy struct {
	ln       net.Listener
	target   string
	mu       sync.Mutex
	conns    []net.Conn
	accepted atomic.Int32
}

func newProxy(t testing.TB, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.kill() })
	go p.serve()
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.accepted.Add(1)
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(up, c); up.Close() }()
		go func() { _, _ = io.Copy(c, up); c.Close() }()
	}
}

func (p *proxy) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func TestReconnectAfterConnectionKilled(t *testing.T) {
	ch := broker(t)
	px := newProxy(t, testenv.AMQPAddr())
	q := randomName("essflow-test-")
	deleteQueue(t, ch, q)
	base := strings.Replace(testenv.AMQPURL(), testenv.AMQPAddr(), px.ln.Addr().String(), 1)
	s := openSink(t, sinkURL(t, base, "routing_key="+q+"&declare=true"), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Deliver(ctx, message(1)); err != nil {
		t.Fatalf("first Deliver: %v", err)
	}
	px.kill()
	time.Sleep(50 * time.Millisecond) // let the client notice the closed socket
	if err := s.Deliver(ctx, message(2)); err != nil {
		t.Fatalf("Deliver after the connection was killed: %v", err)
	}
	if n := px.accepted.Load(); n != 2 {
		t.Fatalf("proxy accepted %d connections, want 2 (one reconnect)", n)
	}
	got, err := ch.QueueDeclarePassive(q, true, false, false, false, nil)
	if err != nil || got.Messages != 2 {
		t.Fatalf("queue holds %d messages (%v), want 2", got.Messages, err)
	}
}

func TestConcurrentDeliver(t *testing.T) {
	ch := broker(t)
	q := randomName("essflow-test-")
	deleteQueue(t, ch, q)
	s := openSink(t, sinkURL(t, testenv.AMQPURL(), "routing_key="+q+"&declare=true"), nil)
	if err := deliverConcurrently(s, 200, 20); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for range 200 {
		d, ok, err := ch.Get(q, true)
		if err != nil || !ok {
			t.Fatalf("Get: ok=%v err=%v", ok, err)
		}
		seen[d.MessageId] = true
	}
	if len(seen) != 200 {
		t.Fatalf("%d distinct messages, want 200", len(seen))
	}
}

func deliverConcurrently(s sink.Sink, n, workers int) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	jobs := make(chan int)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := s.Deliver(ctx, message(i)); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	return <-errs
}

func TestOptionsFromURL(t *testing.T) {
	env := func(k string) string { return map[string]string{amqp.EnvPassword: "p@ss:w/rd"}[k] }
	tests := []struct {
		in      string
		getenv  func(string) string
		wantURL string
		want    amqp.Options
		wantErr string
	}{
		{in: "amqp://guest:guest@h:5672/vh?exchange=x&routing_key=k&heartbeat=5",
			wantURL: "amqp://guest:guest@h:5672/vh?heartbeat=5", want: amqp.Options{Exchange: "x", RoutingKey: "k"}},
		{in: "amqps://svc@h/%2Fprod?routing_key=q&declare=1&queue=q2&exchange_type=topic", getenv: env,
			wantURL: "amqps://svc:p%40ss%3Aw%2Frd@h/%2Fprod", want: amqp.Options{RoutingKey: "q", Declare: true, Queue: "q2", ExchangeType: "topic"}},
		{in: "amqp://u:urlpw@h/?exchange=x", getenv: env, wantURL: "amqp://u:urlpw@h/", want: amqp.Options{Exchange: "x"}},
		{in: "amqp://h/?exchange=x", getenv: env, wantErr: "names no user"},
		{in: "amqp://h/", wantErr: "exchange and/or routing_key"},
		{in: "amqp://h/?routing_key=k&declare=maybe", wantErr: "declare"},
		{in: "http://h/?routing_key=k", wantErr: "amqp://"},
	}
	for _, tt := range tests {
		u, _ := url.Parse(tt.in)
		got, err := amqp.OptionsFromURL(u, tt.getenv)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("OptionsFromURL(%s) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("OptionsFromURL(%s): %v", tt.in, err)
			continue
		}
		if got.URL != tt.wantURL {
			t.Errorf("URL = %q, want %q", got.URL, tt.wantURL)
		}
		got.URL = ""
		if got != tt.want {
			t.Errorf("OptionsFromURL(%s) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestOpenFailsFast(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens here any more
	u, _ := url.Parse("amqp://guest:s3cret-pw@" + addr + "/?routing_key=q")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err = amqp.Open(ctx, u, nil)
	if err == nil || strings.Contains(err.Error(), "s3cret-pw") {
		t.Fatalf("Open = %v, want a connection error without the password", err)
	}
	if testenv.ServicesRequired() || canDial(testenv.AMQPAddr()) {
		u, _ := url.Parse(strings.Replace(testenv.AMQPURL(), "guest:guest", "guest:wrong-pw", 1) + "?routing_key=q")
		// amqp091 returns the broker's refusal only when the handshake deadline passes: keep it short.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err = amqp.Open(ctx, u, nil)
		if err == nil || strings.Contains(err.Error(), "wrong-pw") {
			t.Fatalf("Open with a wrong password = %v, want an error without the password", err)
		}
	}
}

func canDial(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		c.Close()
	}
	return err == nil
}
