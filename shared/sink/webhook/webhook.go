// Package webhook delivers result messages to callback URLs as Standard Webhooks v1: an HTTP
// POST of the encoded message signed with HMAC-SHA256 (webhook-id, webhook-timestamp and
// webhook-signature headers), retried with exponential backoff and full jitter, without
// following redirects, and refusing to connect to non-public addresses unless allowed.
package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/essflow/essflow/shared/result"
	"github.com/essflow/essflow/shared/sink"
)

// Environment variables read by OptionsFromEnv and Open.
const (
	EnvSecret       = "ESSFLOW_WEBHOOK_SECRET"        // whsec_<base64>[ whsec_<base64>…]
	EnvTimeout      = "ESSFLOW_WEBHOOK_TIMEOUT"       // per-attempt timeout: Go duration or seconds
	EnvMaxAttempts  = "ESSFLOW_WEBHOOK_MAX_ATTEMPTS"  // attempts per message, at least 1
	EnvAllowPrivate = "ESSFLOW_WEBHOOK_ALLOW_PRIVATE" // true to allow loopback/private targets
	EnvAllowedHosts = "ESSFLOW_WEBHOOK_ALLOWED_HOSTS" // allow list for per-request callback URLs
)

// Defaults applied to zero Options fields.
const (
	DefaultTimeout     = 15 * time.Second
	DefaultMaxAttempts = 5
	DefaultBaseDelay   = 500 * time.Millisecond
	DefaultMaxDelay    = 30 * time.Second
)

// UserAgent is sent with every request.
const UserAgent = "essflow/1"

// Options configures a Client. Only Secrets is required.
type Options struct {
	// Secrets sign every request; with several (during a rotation) every request carries one
	// signature per secret.
	Secrets []Secret
	// Timeout bounds one attempt (connect, send, response headers and a drained body).
	Timeout time.Duration
	// MaxAttempts is the number of attempts per message, the first included.
	MaxAttempts int
	// BaseDelay is the backoff ceiling after the first failed attempt; it doubles after each
	// further failure up to MaxDelay, and the actual wait is uniformly random below the ceiling
	// ("full jitter").
	BaseDelay time.Duration
	// MaxDelay caps the backoff ceiling. A Retry-After longer than MaxDelay ends the retries: the
	// returned *StatusError carries the wait the receiver asked for.
	MaxDelay time.Duration
	// AllowPrivate allows loopback, private, link-local and CGNAT targets (local runs, tests).
	AllowPrivate bool
	// Now gives the signing time; nil means time.Now.
	Now func() time.Time
	// Logger receives one record per failed attempt (sink name, attempt, status, no secrets);
	// nil means no logging.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = DefaultBaseDelay
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = DefaultMaxDelay
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// OptionsFromEnv reads the ESSFLOW_WEBHOOK_* variables (secret, timeout, max attempts, allow
// private) through getenv and reports every problem at once. The secret is required.
func OptionsFromEnv(getenv func(string) string) (Options, error) {
	var (
		o    Options
		errs []error
		err  error
	)
	if o.Secrets, err = ParseSecrets(getenv(EnvSecret)); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", EnvSecret, err))
	}
	if v := strings.TrimSpace(getenv(EnvTimeout)); v != "" {
		if o.Timeout, err = parseDuration(v); err != nil || o.Timeout <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a positive duration such as 15s", EnvTimeout, v))
		}
	}
	if v := strings.TrimSpace(getenv(EnvMaxAttempts)); v != "" {
		if o.MaxAttempts, err = strconv.Atoi(v); err != nil || o.MaxAttempts < 1 {
			errs = append(errs, fmt.Errorf("%s=%q: want an integer of at least 1", EnvMaxAttempts, v))
		}
	}
	if v := strings.TrimSpace(getenv(EnvAllowPrivate)); v != "" {
		if o.AllowPrivate, err = strconv.ParseBool(v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: want true or false", EnvAllowPrivate, v))
		}
	}
	return o, errors.Join(errs...)
}

func parseDuration(v string) (time.Duration, error) {
	if n, err := strconv.Atoi(v); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(v)
}

// Client posts signed messages to any callback URL. It is safe for concurrent use and keeps
// connections alive between messages; one Client serves the configured sink and per-request
// callback URLs alike.
type Client struct {
	opts      Options
	transport *http.Transport
	http      *http.Client
}

// NewClient returns a Client; it fails when no secret is given.
func NewClient(opts Options) (*Client, error) {
	if len(opts.Secrets) == 0 {
		return nil, errors.New("new webhook client: at least one signing secret is required")
	}
	opts = opts.withDefaults()
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !opts.AllowPrivate {
		dialer.Control = dialControl
	}
	tr := &http.Transport{
		Proxy:                 nil, // a proxy would hide the real target from the address check
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &Client{
		opts:      opts,
		transport: tr,
		http: &http.Client{
			Transport: tr,
			// Redirects are not followed: a 3xx is returned as a failed delivery.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

// Close releases idle connections.
func (c *Client) Close() error {
	c.transport.CloseIdleConnections()
	return nil
}

// StatusError is a delivery refused with a non-2xx HTTP status.
type StatusError struct {
	StatusCode int
	// RetryAfter is the wait the receiver asked for with Retry-After on 429 or 503 (0 if none).
	RetryAfter time.Duration
}

// Error names the status.
func (e *StatusError) Error() string {
	s := "webhook receiver answered " + strconv.Itoa(e.StatusCode) + " " + http.StatusText(e.StatusCode)
	if e.RetryAfter > 0 {
		s += " (retry after " + e.RetryAfter.String() + ")"
	}
	return s
}

// Is makes errors.Is(err, ErrGone) true for a 410 answer, and errors.Is(err,
// sink.ErrPermanent) true for any status a retry cannot fix.
func (e *StatusError) Is(target error) bool {
	switch target {
	case ErrGone:
		return e.StatusCode == http.StatusGone
	case sink.ErrPermanent:
		return !e.Temporary()
	}
	return false
}

// Temporary reports whether a later attempt may succeed: 408, 429 and 5xx.
func (e *StatusError) Temporary() bool {
	return e.StatusCode == http.StatusRequestTimeout || e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// ErrGone matches (errors.Is) a delivery refused with 410 Gone: the receiver asks for the
// endpoint to be disabled. It is permanent; no further attempt is made.
var ErrGone = errors.New("webhook endpoint is gone (410): disable it")

// IsPermanent reports whether err (from Deliver or Post) is one that retrying the same message
// to the same URL cannot fix: a 3xx or a 4xx other than 408/429 (including 410), a blocked
// target address, a bad URL or message.
func IsPermanent(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return !se.Temporary()
	}
	var pe *permanentError
	return errors.As(err, &pe) || errors.Is(err, ErrBlockedAddress)
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Is makes every permanent webhook failure match sink.ErrPermanent.
func (e *permanentError) Is(target error) bool { return target == sink.ErrPermanent }

// Post delivers msg to target: it encodes the message once, then makes up to MaxAttempts
// signed attempts, each with a fresh webhook-timestamp and signature and bounded by Timeout.
// A 2xx answer is success. 408, 429, 5xx and network errors are retried after a backoff with
// full jitter (or the Retry-After of a 429/503); any other status, a redirect or a blocked
// address ends at once. No wait extends past ctx's deadline: when the next wait would, Post
// returns the last error. Errors name the target without its query, never the secrets.
func (c *Client) Post(ctx context.Context, target *url.URL, msg *result.Message) error {
	name := sink.Redact(target)
	if target == nil || (target.Scheme != "https" && target.Scheme != "http") || target.Host == "" {
		return &permanentError{fmt.Errorf("webhook target %s: want an absolute http or https URL", name)}
	}
	if msg == nil || msg.ID == "" || strings.ContainsAny(msg.ID, ". ") {
		return &permanentError{fmt.Errorf("webhook to %s: message id must be non-empty without '.' or spaces", name)}
	}
	body, err := sink.Encode(msg)
	if err != nil {
		return &permanentError{fmt.Errorf("webhook to %s: %w", name, err)}
	}
	urlStr := target.String()
	for attempt := 1; ; attempt++ {
		err := c.attempt(ctx, urlStr, msg.ID, body)
		if err == nil {
			return nil
		}
		fail := func(why string) error {
			return fmt.Errorf("deliver %s to %s: %s after %d attempt(s): %w", msg.ID, name, why, attempt, err)
		}
		if ctx.Err() != nil {
			return fail("context ended")
		}
		if IsPermanent(err) {
			return fail("permanent failure")
		}
		if attempt >= c.opts.MaxAttempts {
			return fail("giving up")
		}
		wait := c.backoff(attempt)
		var se *StatusError
		if errors.As(err, &se) && se.RetryAfter > 0 {
			if se.RetryAfter > c.opts.MaxDelay {
				return fail("Retry-After exceeds the maximum delay")
			}
			wait = se.RetryAfter
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return fail("no time left before the deadline for another attempt")
		}
		if c.opts.Logger != nil {
			c.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "webhook attempt failed",
				slog.String("sink", name), slog.String("id", msg.ID), slog.Int("attempt", attempt),
				slog.Duration("retryIn", wait), slog.String("error", err.Error()))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fail("context ended while waiting to retry")
		case <-t.C:
		}
	}
}

// backoff returns a uniformly random wait in [0, min(MaxDelay, BaseDelay·2^(attempt-1))].
func (c *Client) backoff(attempt int) time.Duration {
	ceiling := c.opts.MaxDelay
	if shift := attempt - 1; shift < 30 {
		if d := c.opts.BaseDelay << shift; d > 0 && d < ceiling {
			ceiling = d
		}
	}
	return rand.N(ceiling + 1)
}

func (c *Client) attempt(ctx context.Context, urlStr, id string, body []byte) error {
	actx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, urlStr, bytes.NewReader(body))
	if err != nil {
		return &permanentError{errors.New("build request: invalid URL")}
	}
	ts := c.opts.Now()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("webhook-signature", Signature(c.opts.Secrets, id, ts, body))
	resp, err := c.http.Do(req)
	if err != nil {
		// *url.Error repeats the full URL, whose query may hold a token: keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("post: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	se := &StatusError{StatusCode: resp.StatusCode}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		se.RetryAfter, _ = ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return se
}

// Sink delivers every message to one callback URL; it implements sink.Sink and
// sink.BatchSink.
type Sink struct {
	client     *Client
	target     *url.URL
	name       string
	ownsClient bool
}

// Sink returns a sink posting to target through c; closing the sink leaves c open.
func (c *Client) Sink(target *url.URL) (*Sink, error) {
	if target == nil || (target.Scheme != "https" && target.Scheme != "http") || target.Host == "" {
		return nil, fmt.Errorf("webhook sink %s: want an absolute http or https URL", sink.Redact(target))
	}
	t := *target
	t.Fragment, t.RawFragment = "", ""
	return &Sink{client: c, target: &t, name: sink.Redact(&t)}, nil
}

// New returns a sink posting to target with its own Client.
func New(target *url.URL, opts Options) (*Sink, error) {
	c, err := NewClient(opts)
	if err != nil {
		return nil, err
	}
	s, err := c.Sink(target)
	if err != nil {
		return nil, err
	}
	s.ownsClient = true
	return s, nil
}

// Open is the sink.Opener for http and https URLs: it reads the ESSFLOW_WEBHOOK_* variables
// through getenv (the secret is required) and returns a sink posting to u.
func Open(_ context.Context, u *url.URL, getenv func(string) string) (sink.Sink, error) {
	opts, err := OptionsFromEnv(getenv)
	if err != nil {
		return nil, fmt.Errorf("open webhook sink: %w", err)
	}
	s, err := New(u, opts)
	if err != nil {
		return nil, fmt.Errorf("open webhook sink: %w", err)
	}
	return s, nil
}

// Deliver posts msg (see Client.Post).
func (s *Sink) Deliver(ctx context.Context, msg *result.Message) error {
	return s.client.Post(ctx, s.target, msg)
}

// batchConcurrency bounds the requests DeliverBatch has in flight to one receiver.
const batchConcurrency = 8

// DeliverBatch posts the messages concurrently (at most 8 at a time; webhooks promise no
// order) and returns a *sink.BatchError naming those that failed.
func (s *Sink) DeliverBatch(ctx context.Context, msgs []*result.Message) error {
	var (
		mu  sync.Mutex
		be  sink.BatchError
		wg  sync.WaitGroup
		sem = make(chan struct{}, batchConcurrency)
	)
	for i, m := range msgs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := s.Deliver(ctx, m); err != nil {
				id := ""
				if m != nil {
					id = m.ID
				}
				mu.Lock()
				be.Failures = append(be.Failures, sink.BatchFailure{Index: i, ID: id, Err: err})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(be.Failures) == 0 {
		return nil
	}
	slices.SortFunc(be.Failures, func(a, b sink.BatchFailure) int { return a.Index - b.Index })
	return &be
}

// Name is the target URL without its query, fragment or password.
func (s *Sink) Name() string { return s.name }

// Close releases the sink's idle connections when it owns its Client.
func (s *Sink) Close() error {
	if s.ownsClient {
		return s.client.Close()
	}
	return nil
}
