package kafka_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/essflow/essflow/shared/result"
	"github.com/essflow/essflow/shared/sink"
	"github.com/essflow/essflow/shared/sink/kafka"
)

const topic = "essflow-results"

func message(i int, key string) *result.Message {
	return &result.Message{
		SpecVersion: result.SpecVersion,
		ID:          result.StableID(fmt.Sprintf("app/%s/%d", key, i)),
		Type:        result.TypeCreated,
		Time:        time.Date(2026, 11, 26, 8, 30, 0, 0, time.UTC),
		Source:      result.Source{Trigger: "ckafka"},
		Correlation: result.Correlation{IdempotencyKey: key},
		Flows:       []result.Flow{{Index: i, Status: result.FlowCreated, FlowId: fmt.Sprintf("flow-%d", i)}},
	}
}

// cluster starts an in-process Kafka with the topic seeded on 3 partitions.
func cluster(t testing.TB, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(2), kfake.SeedTopics(3, topic)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// consume reads n records back from the topic with an independent kgo consumer.
func consume(t *testing.T, n int, opts ...kgo.Opt) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var recs []*kgo.Record
	for len(recs) < n {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("poll after %d records: %v", len(recs), err)
		}
		recs = append(recs, fs.Records()...)
	}
	return recs
}

func TestDeliverAndConsume(t *testing.T) {
	c := cluster(t)
	u, _ := url.Parse("kafka://" + strings.Join(c.ListenAddrs(), ",") + "/" + topic + "?client_id=essflow-test")
	s, err := kafka.Open(context.Background(), u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	var sent []*result.Message
	for i := range 3 {
		m := message(i, "req-a")
		if err := s.Deliver(ctx, m); err != nil {
			t.Fatalf("Deliver: %v", err)
		}
		sent = append(sent, m)
	}
	batch := []*result.Message{message(0, "req-b"), message(1, "req-b"), message(0, "req-c")}
	if err := s.(sink.BatchSink).DeliverBatch(ctx, batch); err != nil {
		t.Fatalf("DeliverBatch: %v", err)
	}
	sent = append(sent, batch...)

	recs := consume(t, len(sent), kgo.SeedBrokers(c.ListenAddrs()...))
	byID := map[string]*kgo.Record{}
	partitionOf := map[string]int32{}
	orderOf := map[string][]int{}
	for _, r := range recs {
		h := map[string]string{}
		for _, kv := range r.Headers {
			h[kv.Key] = string(kv.Value)
		}
		byID[h[kafka.HeaderID]] = r
		key := string(r.Key)
		if p, ok := partitionOf[key]; ok && p != r.Partition {
			t.Errorf("key %s spread over partitions %d and %d", key, p, r.Partition)
		}
		partitionOf[key] = r.Partition
		orderOf[key] = append(orderOf[key], int(r.Offset))
		if h[kafka.HeaderContentType] != "application/json" || h[kafka.HeaderSpecVersion] != result.SpecVersion || h[kafka.HeaderType] != result.TypeCreated {
			t.Errorf("headers = %v", h)
		}
	}
	for _, m := range sent {
		r := byID[m.ID]
		if r == nil {
			t.Fatalf("message %s not consumed", m.ID)
		}
		want, _ := sink.Encode(m)
		if !bytes.Equal(r.Value, want) || string(r.Key) != m.PartitionKey() {
			t.Errorf("record key %q value %s, want key %q value %s", r.Key, r.Value, m.PartitionKey(), want)
		}
	}
	// One request's results keep their order: offsets of req-a increase in delivery order.
	var offs []int64
	for i := range 3 {
		offs = append(offs, byID[message(i, "req-a").ID].Offset)
	}
	if !(offs[0] < offs[1] && offs[1] < offs[2]) {
		t.Errorf("req-a offsets %v are not in delivery order", offs)
	}
}

func TestSASL(t *testing.T) {
	tests := []struct {
		mech, kfakeMech string
	}{
		{kafka.SASLPlain, "PLAIN"},
		{kafka.SASLScramSHA256, "SCRAM-SHA-256"},
		{kafka.SASLScramSHA512, "SCRAM-SHA-512"},
	}
	for _, tt := range tests {
		t.Run(tt.mech, func(t *testing.T) {
			c := cluster(t, kfake.EnableSASL(), kfake.Superuser(tt.kfakeMech, "essflow", "right-pw"))
			for _, pw := range []string{"right-pw", "wrong-pw"} {
				u, _ := url.Parse("kafka://essflow@" + strings.Join(c.ListenAddrs(), ",") + "/" + topic + "?sasl=" + tt.mech)
				env := map[string]string{kafka.EnvPassword: pw}
				s, err := kafka.Open(context.Background(), u, func(k string) string { return env[k] })
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(s.Name(), pw) || strings.Contains(s.Name(), "essflow@") {
					t.Errorf("Name() leaks credentials: %s", s.Name())
				}
				timeout := 5 * time.Second
				if pw != "right-pw" {
					timeout = 500 * time.Millisecond // authentication keeps failing until the deadline
				}
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				err = s.Deliver(ctx, message(1, "k"))
				cancel()
				s.Close()
				if (err == nil) != (pw == "right-pw") {
					t.Fatalf("password %s: Deliver = %v", pw, err)
				}
				if err != nil && strings.Contains(err.Error(), pw) {
					t.Fatalf("error leaks the password: %v", err)
				}
			}
		})
	}
}

func TestTLS(t *testing.T) {
	// httptest's certificate is valid for 127.0.0.1; the broker presents it, the sink trusts it.
	srv := httptest.NewTLSServer(nil)
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	c := cluster(t, kfake.TLS(&tls.Config{Certificates: srv.TLS.Certificates}))
	s, err := kafka.New(kafka.Options{Brokers: c.ListenAddrs(), Topic: topic, TLS: &tls.Config{RootCAs: roots}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Deliver(ctx, message(1, "k")); err != nil {
		t.Fatalf("Deliver over TLS: %v", err)
	}
	recs := consume(t, 1, kgo.SeedBrokers(c.ListenAddrs()...), kgo.DialTLSConfig(&tls.Config{RootCAs: roots}))
	if string(recs[0].Key) != "k" {
		t.Fatalf("consumed key %q", recs[0].Key)
	}
	if !strings.Contains(s.Name(), "tls=true") {
		t.Errorf("Name() = %s, want tls=true", s.Name())
	}
}

func TestUnreachableBrokerFailsWithinDeadline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s, err := kafka.New(kafka.Options{Brokers: []string{addr}, Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	msgs := []*result.Message{message(1, "k"), message(2, "k")}
	tests := []struct {
		name    string
		deliver func(context.Context) error
	}{
		{"Deliver", func(ctx context.Context) error { return s.Deliver(ctx, msgs[0]) }},
		{"DeliverBatch", func(ctx context.Context) error {
			err := s.DeliverBatch(ctx, msgs)
			var be *sink.BatchError
			if err != nil && (!errors.As(err, &be) || len(be.Failures) != 2) {
				t.Errorf("DeliverBatch error = %v, want both messages failed", err)
			}
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			start := time.Now()
			err := tt.deliver(ctx)
			if err == nil {
				t.Fatal("delivery to an unreachable broker succeeded")
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("failed after %v with a 500ms deadline: %v", d, err)
			}
		})
	}
}

func TestOptionsFromURL(t *testing.T) {
	env := map[string]string{kafka.EnvUsername: "env-user", kafka.EnvPassword: "env-pw"}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		in      string
		want    kafka.Options
		tls     bool
		wantErr []string
	}{
		{in: "kafka://b1:9092,b2:9093/results", want: kafka.Options{Brokers: []string{"b1:9092", "b2:9093"}, Topic: "results", Username: "env-user", Password: "env-pw"}},
		{in: "kafka://ckafka-abc:9096/t?sasl=SCRAM-SHA-512&tls=true&client_id=fn&linger=5ms", tls: true,
			want: kafka.Options{Brokers: []string{"ckafka-abc:9096"}, Topic: "t", SASL: "scram-sha-512", ClientID: "fn", Linger: 5 * time.Millisecond, Username: "env-user", Password: "env-pw"}},
		{in: "kafka://u:p@b1,b2:9094/t?sasl=plain", want: kafka.Options{Brokers: []string{"b1:9092", "b2:9094"}, Topic: "t", SASL: "plain", Username: "u", Password: "p"}},
		{in: "kafka:///?sasl=gssapi&tls=yes&linger=x&acks=1",
			wantErr: []string{"no broker", "path must be /topic", `unknown query parameter "acks"`, `tls="yes"`, `linger="x"`, `sasl="gssapi"`}},
		{in: "amqp://b1/t", wantErr: []string{"kafka://"}},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := kafka.OptionsFromURL(u, getenv)
		if tt.wantErr != nil {
			if err == nil {
				t.Errorf("OptionsFromURL(%s) succeeded", tt.in)
				continue
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("OptionsFromURL(%s) error %q lacks %q", tt.in, err, w)
				}
			}
			continue
		}
		if err != nil {
			t.Errorf("OptionsFromURL(%s): %v", tt.in, err)
			continue
		}
		if (got.TLS != nil) != tt.tls {
			t.Errorf("TLS = %v, want %v", got.TLS != nil, tt.tls)
		}
		got.TLS = nil
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("OptionsFromURL(%s) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
	u, _ := url.Parse("kafka://b1/t?sasl=plain")
	if _, err := kafka.OptionsFromURL(u, nil); err == nil || !strings.Contains(err.Error(), kafka.EnvPassword) {
		t.Errorf("SASL without credentials: %v", err)
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
				if err := s.Deliver(ctx, message(i, fmt.Sprintf("req-%d", i%50))); err != nil {
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
