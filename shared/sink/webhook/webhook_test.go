package webhook_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/essflow/essflow/shared/result"
	"github.com/essflow/essflow/shared/sink"
	"github.com/essflow/essflow/shared/sink/webhook"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata")

// Test secrets: whsec_ followed by the base64 of 32 fixed bytes.
var (
	oldSecret = "whsec_" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x01}, 32))
	newSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("essflow-test-secret-32-bytes-new"))
)

func secrets(t testing.TB, s string) []webhook.Secret {
	t.Helper()
	sec, err := webhook.ParseSecrets(s)
	if err != nil {
		t.Fatal(err)
	}
	return sec
}

func testMessage() *result.Message {
	return &result.Message{
		SpecVersion: result.SpecVersion,
		ID:          result.StableID("app1/key-1"),
		Type:        result.TypeCreated,
		Time:        time.Date(2026, 11, 26, 8, 30, 0, 0, time.UTC),
		Source:      result.Source{Trigger: "apigw", RecordID: "req-1"},
		Correlation: result.Correlation{IdempotencyKey: "key-1"},
		Flows:       []result.Flow{{Index: 0, Status: result.FlowCreated, FlowId: "yDwF1", FlowName: "合同 <A&B>"}},
	}
}

// receiver is a real HTTP server that verifies each request with the Standard Webhooks
// reference library and answers with the next scripted status.
type receiver struct {
	t        *testing.T
	verifier *standardwebhooks.Webhook
	script   []func(w http.ResponseWriter) // one per attempt; the last repeats
	hits     atomic.Int32
	verified atomic.Int32
	last     atomic.Pointer[http.Request]
	body     atomic.Pointer[[]byte]
	srv      *httptest.Server
}

func newReceiver(t *testing.T, secret string, script ...func(w http.ResponseWriter)) *receiver {
	t.Helper()
	v, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{t: t, verifier: v, script: script}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	n := int(r.hits.Add(1))
	body, _ := io.ReadAll(req.Body)
	r.last.Store(req)
	r.body.Store(&body)
	if err := r.verifier.Verify(body, req.Header); err != nil {
		r.t.Errorf("attempt %d: reference verifier rejected the request: %v", n, err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	r.verified.Add(1)
	if len(r.script) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	r.script[min(n, len(r.script))-1](w)
}

func (r *receiver) url(t testing.TB) *url.URL {
	u, err := url.Parse(r.srv.URL + "/hooks/essflow?token=tok-SECRET")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func status(code int, header ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
	}
}

func fastOptions(t testing.TB, secret string) webhook.Options {
	return webhook.Options{
		Secrets:      secrets(t, secret),
		AllowPrivate: true, // httptest listens on 127.0.0.1
		BaseDelay:    time.Millisecond,
		MaxDelay:     20 * time.Millisecond,
		Timeout:      2 * time.Second,
	}
}

func TestDeliverSignedAndVerified(t *testing.T) {
	tests := []struct {
		name       string
		sign       string // secrets the sender signs with
		verifyWith string // the only secret the receiver knows
	}{
		{"single secret", newSecret, newSecret},
		{"rotation, receiver knows only the new secret", oldSecret + " " + newSecret, newSecret},
		{"rotation, receiver still on the old secret", oldSecret + "  " + newSecret, oldSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := newReceiver(t, tt.verifyWith)
			s, err := webhook.New(rcv.url(t), fastOptions(t, tt.sign))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			msg := testMessage()
			if err := s.Deliver(context.Background(), msg); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			if rcv.verified.Load() != 1 {
				t.Fatalf("verified %d requests, want 1", rcv.verified.Load())
			}
			req := rcv.last.Load()
			want, _ := sink.Encode(msg)
			if got := *rcv.body.Load(); !bytes.Equal(got, want) {
				t.Errorf("body = %s, want sink.Encode bytes %s", got, want)
			}
			if req.Header.Get("webhook-id") != msg.ID || req.Header.Get("Content-Type") != "application/json" || req.Header.Get("User-Agent") != "essflow/1" {
				t.Errorf("headers = %v", req.Header)
			}
			if n := len(strings.Fields(req.Header.Get("webhook-signature"))); n != len(strings.Fields(tt.sign)) {
				t.Errorf("%d signatures, want one per secret", n)
			}
		})
	}
}

func TestDeliverStatusHandling(t *testing.T) {
	tests := []struct {
		name      string
		script    []func(http.ResponseWriter)
		attempts  int
		wantHits  int32
		wantErr   bool
		permanent bool
		is        error
		minTime   time.Duration
	}{
		{name: "500 then success retried", script: []func(http.ResponseWriter){status(500), status(200)}, attempts: 5, wantHits: 2},
		{name: "502, 504, 408 then 201", script: []func(http.ResponseWriter){status(502), status(504), status(408), status(201)}, attempts: 5, wantHits: 4},
		{name: "always 500 gives up", script: []func(http.ResponseWriter){status(500)}, attempts: 3, wantHits: 3, wantErr: true},
		{name: "410 stops at once", script: []func(http.ResponseWriter){status(410)}, attempts: 5, wantHits: 1, wantErr: true, permanent: true, is: webhook.ErrGone},
		{name: "400 is permanent", script: []func(http.ResponseWriter){status(400)}, attempts: 5, wantHits: 1, wantErr: true, permanent: true},
		{name: "Retry-After seconds honoured on 503", script: []func(http.ResponseWriter){status(503, "Retry-After", "1"), status(200)},
			attempts: 5, wantHits: 2, minTime: time.Second},
		{name: "Retry-After date honoured on 429", script: []func(http.ResponseWriter){
			func(w http.ResponseWriter) {
				w.Header().Set("Retry-After", time.Now().Add(2*time.Second).UTC().Format(http.TimeFormat))
				w.WriteHeader(429)
			}, status(200)}, attempts: 5, wantHits: 2, minTime: 900 * time.Millisecond},
		{name: "Retry-After beyond MaxDelay stops", script: []func(http.ResponseWriter){status(429, "Retry-After", "3600")}, attempts: 5, wantHits: 1, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := newReceiver(t, newSecret, tt.script...)
			opts := fastOptions(t, newSecret)
			opts.MaxAttempts = tt.attempts
			opts.MaxDelay = 5 * time.Second
			s, err := webhook.New(rcv.url(t), opts)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			err = s.Deliver(context.Background(), testMessage())
			elapsed := time.Since(start)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Deliver error = %v, wantErr %v", err, tt.wantErr)
			}
			if got := rcv.hits.Load(); got != tt.wantHits {
				t.Errorf("receiver saw %d attempts, want %d", got, tt.wantHits)
			}
			if err != nil {
				if webhook.IsPermanent(err) != tt.permanent {
					t.Errorf("IsPermanent(%v) = %v, want %v", err, !tt.permanent, tt.permanent)
				}
				if tt.is != nil && !errors.Is(err, tt.is) {
					t.Errorf("error %v is not %v", err, tt.is)
				}
				if strings.Contains(err.Error(), "tok-SECRET") {
					t.Errorf("error leaks the URL query: %v", err)
				}
				var se *webhook.StatusError
				if !errors.As(err, &se) {
					t.Errorf("error %v carries no *StatusError", err)
				}
			}
			if elapsed < tt.minTime {
				t.Errorf("delivered after %v, Retry-After asked for at least %v", elapsed, tt.minTime)
			}
		})
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	var followed atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { followed.Add(1) }))
	defer other.Close()
	rcv := newReceiver(t, newSecret, status(http.StatusTemporaryRedirect, "Location", other.URL))
	s, err := webhook.New(rcv.url(t), fastOptions(t, newSecret))
	if err != nil {
		t.Fatal(err)
	}
	err = s.Deliver(context.Background(), testMessage())
	var se *webhook.StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusTemporaryRedirect || !webhook.IsPermanent(err) {
		t.Fatalf("Deliver error = %v, want a permanent 307 StatusError", err)
	}
	if followed.Load() != 0 || rcv.hits.Load() != 1 {
		t.Fatalf("redirect followed %d times, receiver hit %d times", followed.Load(), rcv.hits.Load())
	}
}

func TestBlockedAddresses(t *testing.T) {
	var hits atomic.Int32
	local := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer local.Close()
	port := local.URL[strings.LastIndex(local.URL, ":")+1:]
	targets := []string{
		local.URL + "/hook",
		"http://localhost:" + port + "/hook", // resolved by DNS, refused at dial time
		"http://10.0.0.1/hook",
		"http://169.254.169.254/latest/meta-data/",
		"http://[::1]:" + port + "/hook",
		"http://100.64.1.2/hook",
		"http://[::ffff:127.0.0.1]:" + port + "/hook",
		"http://0.0.0.0:" + port + "/hook",
	}
	opts := fastOptions(t, newSecret)
	opts.AllowPrivate = false
	c, err := webhook.NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, target := range targets {
		t.Run(target, func(t *testing.T) {
			u, _ := url.Parse(target)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := c.Post(ctx, u, testMessage())
			if !errors.Is(err, webhook.ErrBlockedAddress) || !webhook.IsPermanent(err) {
				t.Fatalf("Post(%s) = %v, want a permanent ErrBlockedAddress", target, err)
			}
		})
	}
	if hits.Load() != 0 {
		t.Fatalf("blocked targets were reached %d times", hits.Load())
	}
}

func TestDeadlineRespected(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-block:
		}
	}))
	defer srv.Close()
	defer close(block) // runs before srv.Close, which waits for the handlers
	flaky := newReceiver(t, newSecret, status(500))
	tests := []struct {
		name   string
		target string
		opts   func(*webhook.Options)
	}{
		{"slow receiver, per-attempt timeout longer than the deadline", srv.URL, func(o *webhook.Options) { o.Timeout = time.Minute }},
		{"failing receiver, backoff longer than the deadline", flaky.srv.URL, func(o *webhook.Options) {
			o.BaseDelay, o.MaxDelay, o.MaxAttempts = 10*time.Second, 10*time.Second, 100
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := fastOptions(t, newSecret)
			tt.opts(&opts)
			u, _ := url.Parse(tt.target)
			s, err := webhook.New(u, opts)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			err = s.Deliver(ctx, testMessage())
			if err == nil {
				t.Fatal("Deliver succeeded")
			}
			if d := time.Since(start); d > time.Second {
				t.Fatalf("Deliver took %v with a 300ms deadline (%v)", d, err)
			}
		})
	}
}

func TestDeliverBatch(t *testing.T) {
	var n atomic.Int32
	rcv := newReceiver(t, newSecret, func(w http.ResponseWriter) { w.WriteHeader(200) })
	rcv.script = nil
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.Header.Get("webhook-id") == "msg_bad" {
			w.WriteHeader(http.StatusUnprocessableEntity)
		}
		rcv.serve(httptest.NewRecorder(), r)
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	s, err := webhook.New(u, fastOptions(t, newSecret))
	if err != nil {
		t.Fatal(err)
	}
	msgs := make([]*result.Message, 20)
	for i := range msgs {
		msgs[i] = testMessage()
		msgs[i].ID = fmt.Sprintf("msg_%d", i)
	}
	msgs[7].ID = "msg_bad"
	err = s.DeliverBatch(context.Background(), msgs)
	var be *sink.BatchError
	if !errors.As(err, &be) || len(be.Failures) != 1 || be.Failures[0].Index != 7 || be.Failures[0].ID != "msg_bad" {
		t.Fatalf("DeliverBatch = %v", err)
	}
	if n.Load() != 20 || rcv.verified.Load() != 20 {
		t.Fatalf("receiver got %d requests, verified %d; want 20", n.Load(), rcv.verified.Load())
	}
}

func TestSignedRequestGolden(t *testing.T) {
	var dump bytes.Buffer
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(&dump, "%s %s %s\n", r.Method, r.URL.RequestURI(), r.Proto)
		keys := make([]string, 0, len(r.Header))
		for k := range r.Header {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(&dump, "%s: %s\n", k, strings.Join(r.Header[k], ", "))
		}
		fmt.Fprintf(&dump, "\n%s\n", body)
	}))
	defer srv.Close()
	opts := fastOptions(t, oldSecret+" "+newSecret)
	opts.Now = func() time.Time { return time.Unix(1795000000, 0) }
	u, _ := url.Parse(srv.URL + "/hooks/essflow?tenant=a")
	s, err := webhook.New(u, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Deliver(context.Background(), testMessage()); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "signed_request.golden")
	if *update {
		if err := os.WriteFile(golden, dump.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if !bytes.Equal(dump.Bytes(), want) {
		t.Errorf("signed request differs from %s\n got:\n%s\nwant:\n%s", golden, dump.Bytes(), want)
	}
}

func TestOpenAndOptionsFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	u, _ := url.Parse("https://hooks.example.com/essflow?token=abc")
	tests := []struct {
		name     string
		env      map[string]string
		wantErrs []string
	}{
		{name: "ok", env: map[string]string{webhook.EnvSecret: newSecret, webhook.EnvTimeout: "5", webhook.EnvMaxAttempts: "2", webhook.EnvAllowPrivate: "false"}},
		{name: "missing secret", env: map[string]string{}, wantErrs: []string{"ESSFLOW_WEBHOOK_SECRET"}},
		{name: "everything wrong at once", env: map[string]string{
			webhook.EnvSecret: "whsec_c2hvcnQ= nope_" + newSecret[6:], webhook.EnvTimeout: "-1s", webhook.EnvMaxAttempts: "0", webhook.EnvAllowPrivate: "maybe"},
			wantErrs: []string{"secret 1: decodes to 5 bytes", "secret 2: does not start with whsec_", "ESSFLOW_WEBHOOK_TIMEOUT", "ESSFLOW_WEBHOOK_MAX_ATTEMPTS", "ESSFLOW_WEBHOOK_ALLOW_PRIVATE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := webhook.Open(context.Background(), u, env(tt.env))
			if tt.wantErrs == nil {
				if err != nil {
					t.Fatal(err)
				}
				if s.Name() != "https://hooks.example.com/essflow" {
					t.Errorf("Name() = %q", s.Name())
				}
				s.Close()
				return
			}
			if err == nil {
				t.Fatal("Open succeeded")
			}
			for _, w := range tt.wantErrs {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), newSecret[6:]) {
				t.Errorf("error leaks the secret: %v", err)
			}
		})
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	sec := secrets(t, newSecret)
	for _, s := range []string{fmt.Sprint(sec), fmt.Sprintf("%v %+v %#v %s", sec[0], sec[0], sec[0], sec)} {
		if strings.Contains(s, "essflow") || strings.Contains(s, newSecret[6:]) {
			t.Fatalf("secret printed: %s", s)
		}
	}
}

// TestPermanentMatchesSinkErr ensures permanent webhook failures match the sink package's
// shared marker, as the other sinks' do.
func TestPermanentMatchesSinkErr(t *testing.T) {
	for _, tt := range []struct {
		code      int
		permanent bool
	}{{410, true}, {400, true}, {302, true}, {429, false}, {503, false}, {408, false}} {
		err := fmt.Errorf("deliver: %w", &webhook.StatusError{StatusCode: tt.code})
		if errors.Is(err, sink.ErrPermanent) != tt.permanent || webhook.IsPermanent(err) != tt.permanent {
			t.Errorf("HTTP %d: permanent = %v, want %v", tt.code, errors.Is(err, sink.ErrPermanent), tt.permanent)
		}
	}
}

// TestCallbacksFromEnv checks that per-request callbacks are off without an allow list and
// check hosts against it when on.
func TestCallbacksFromEnv(t *testing.T) {
	env := map[string]string{webhook.EnvSecret: "whsec_" + base64.StdEncoding.EncodeToString([]byte("per-request-secret-0123456789"))}
	getenv := func(k string) string { return env[k] }
	if cb, err := webhook.CallbacksFromEnv(getenv); cb != nil || err != nil {
		t.Fatalf("no allow list: %v %v, want nil, nil", cb, err)
	}
	env[webhook.EnvAllowedHosts] = "hooks.example.com, *.tenant.example"
	cb, err := webhook.CallbacksFromEnv(getenv)
	if err != nil || cb == nil {
		t.Fatalf("with allow list: %v", err)
	}
	defer cb.Close()
	for raw, ok := range map[string]bool{
		"https://hooks.example.com/essflow?sig=secret": true,
		"https://a.tenant.example/x":                   true,
		"https://tenant.example/x":                     false,
		"https://evil.example/x":                       false,
		"ftp://hooks.example.com/x":                    false,
		"::not a url":                                  false,
	} {
		err := cb.Check(raw)
		if (err == nil) != ok {
			t.Errorf("Check(%q) = %v, want ok=%v", raw, err, ok)
		}
		if err != nil && strings.Contains(err.Error(), "sig=secret") {
			t.Errorf("error leaks the query: %v", err)
		}
	}
	delete(env, webhook.EnvSecret)
	if _, err := webhook.CallbacksFromEnv(getenv); err == nil {
		t.Error("allow list without a signing secret accepted")
	}
}
