package ess

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	"golang.org/x/time/rate"
)

// Config configures a Client. The zero value of every field but Credentials has a working default.
type Config struct {
	// Endpoint is where calls go: "" or "production" for essbasic.tencentcloudapi.com, "test" for
	// the 联调 environment essbasic.test.ess.tencent.cn, a bare host, or a full URL such as
	// http://127.0.0.1:8090 (the sandbox). The signature's service is always essbasic.
	Endpoint string
	// Credentials sign every call; they are read at each call, so rotating role credentials work.
	Credentials common.CredentialIface
	// QPS is the per-process call rate (token bucket), default DefaultQPS (20 calls/s). Burst is the
	// bucket size, default 1, so that no window of 1/QPS holds more than one call.
	QPS   float64
	Burst int
	// Limiter overrides QPS/Burst, for sharing one bucket between clients.
	Limiter *rate.Limiter
	// AttemptTimeout bounds one HTTP attempt (default 15 s); the context deadline bounds all of them.
	AttemptTimeout time.Duration
	// MaxAttempts bounds attempts of a retryable failure (default 4).
	MaxAttempts int
	// BaseBackoff and MaxBackoff shape the exponential backoff with full jitter (defaults 250 ms and 4 s).
	// RequestLimitExceeded waits at least one token interval.
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// Transport is the HTTP transport (default: a clone of http.DefaultTransport).
	Transport http.RoundTripper
	// Language of service messages: zh-CN (default) or en-US.
	Language string
	// Logger receives one debug line per attempt (action, attempt, code, RequestId; never bodies).
	Logger *slog.Logger
}

// Client calls essbasic actions. It signs with TC3-HMAC-SHA256 through the official SDK common
// client, limits its own call rate, retries what is safe to retry and classifies every failure
// as *APIError, *NotSentError or *OutcomeUnknownError. A Client is safe for concurrent use.
type Client struct {
	sdk         *common.Client
	limiter     *rate.Limiter
	cfg         Config
	endpointURL string
	rnd         func(n int64) int64
	calls       atomic.Int64
}

// NewClient builds a Client from cfg.
func NewClient(cfg Config) (*Client, error) {
	if cfg.Credentials == nil {
		return nil, errors.New("ess client: no credentials configured")
	}
	scheme, host, path, err := ParseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	if cfg.QPS <= 0 {
		cfg.QPS = DefaultQPS
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 1
	}
	if cfg.AttemptTimeout <= 0 {
		cfg.AttemptTimeout = 15 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 4
	}
	if cfg.BaseBackoff <= 0 {
		cfg.BaseBackoff = 250 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 4 * time.Second
	}
	if cfg.Language == "" {
		cfg.Language = "zh-CN"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	base := cfg.Transport
	if base == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// Close idle connections before the service does, so a POST never lands on a connection
		// the server is closing (that would turn into an avoidable outcome-unknown).
		t.IdleConnTimeout = 20 * time.Second
		t.MaxIdleConnsPerHost = 32
		base = t
	}
	prof := profile.NewClientProfile()
	prof.HttpProfile.Scheme = strings.ToUpper(scheme)
	prof.HttpProfile.Endpoint = host + path
	prof.HttpProfile.ReqTimeout = int((cfg.AttemptTimeout + time.Second - 1) / time.Second)
	prof.Language = cfg.Language
	prof.DisableRegionBreaker = true
	sdk := common.NewCommonClient(cfg.Credentials, "", prof)
	sdk.WithHttpTransport(&tracingTransport{base: base})
	sdk.WithRequestClient("essflow")
	lim := cfg.Limiter
	if lim == nil {
		lim = rate.NewLimiter(rate.Limit(cfg.QPS), cfg.Burst)
	}
	return &Client{sdk: sdk, limiter: lim, cfg: cfg, endpointURL: scheme + "://" + host + path, rnd: rand.Int64N}, nil
}

// ParseEndpoint resolves the Endpoint setting into scheme, host and path.
func ParseEndpoint(endpoint string) (scheme, host, path string, err error) {
	switch strings.TrimSpace(strings.ToLower(endpoint)) {
	case "", "production", "prod":
		return "https", ProductionHost, "", nil
	case "test":
		return "https", TestHost, "", nil
	}
	if !strings.Contains(endpoint, "://") {
		if strings.ContainsAny(endpoint, "/ ") {
			return "", "", "", fmt.Errorf("ess endpoint %q: want a host name or an http(s) URL", endpoint)
		}
		return "https", endpoint, "", nil
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", "", "", fmt.Errorf("ess endpoint %q: %w", endpoint, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", "", "", fmt.Errorf("ess endpoint %q: scheme must be http or https", endpoint)
	}
	if u.Host == "" {
		return "", "", "", fmt.Errorf("ess endpoint %q: no host", endpoint)
	}
	if u.RawQuery != "" || u.User != nil {
		return "", "", "", fmt.Errorf("ess endpoint %q: query strings and user info are not allowed", endpoint)
	}
	p := strings.TrimRight(u.Path, "/")
	return u.Scheme, u.Host, p, nil
}

// Endpoint returns the URL calls are sent to.
func (c *Client) Endpoint() string { return c.endpointURL }

// Calls returns how many HTTP attempts the client has made.
func (c *Client) Calls() int64 { return c.calls.Load() }

// CreateFlowsByTemplates sends req as is (validate it first) and returns the service's answer. A
// returned response may still hold per-flow failures in ErrorMessages: see Outcomes. Errors are
// *APIError, *NotSentError, *OutcomeUnknownError, or *RetryExhaustedError wrapping one of the
// first two. An outcome-unknown failure is never retried: the contracts may exist.
func (c *Client) CreateFlowsByTemplates(ctx context.Context, req *CreateFlowsByTemplatesRequest) (*CreateFlowsByTemplatesResponse, error) {
	body, err := EncodeRequest(req)
	if err != nil {
		return nil, &NotSentError{Op: ActionCreateFlowsByTemplates, Err: err}
	}
	out := new(CreateFlowsByTemplatesResponse)
	if err := c.Call(ctx, ActionCreateFlowsByTemplates, body, out); err != nil {
		return nil, err
	}
	return out, nil
}

// DescribeTemplates lists templates with their signer roles and controls. It is read-only, so
// every transient failure, including an unknown outcome, is retried.
func (c *Client) DescribeTemplates(ctx context.Context, req *DescribeTemplatesRequest) (*DescribeTemplatesResponse, error) {
	body, err := EncodeRequest(req)
	if err != nil {
		return nil, &NotSentError{Op: ActionDescribeTemplates, Err: err}
	}
	out := new(DescribeTemplatesResponse)
	if err := c.Call(ctx, ActionDescribeTemplates, body, out); err != nil {
		return nil, err
	}
	return out, nil
}

// EncodeRequest returns the exact JSON body sent for v: field order as declared, absent fields
// omitted, explicit zero values and empty arrays kept. It uses encoding/json's default HTML
// escaping, which is also what the SDK's encoder applies to the bytes, so what is signed and
// sent is byte-identical to this.
func EncodeRequest(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	return b, nil
}

// readOnly lists actions without side effects, which may be retried after an unknown outcome.
var readOnly = map[string]bool{ActionDescribeTemplates: true}

// Call sends one essbasic action with a pre-encoded JSON body and decodes the Response object
// into out. It applies the rate limit, the retry policy and the error classification.
func (c *Client) Call(ctx context.Context, action string, body []byte, out any) error {
	var last error
	for attempt := 1; ; attempt++ {
		if err := c.limiter.Wait(ctx); err != nil {
			return c.giveUp(attempt-1, last, &NotSentError{Op: action, Err: fmt.Errorf("waiting for rate limit: %w", err)})
		}
		err := c.attempt(ctx, action, body, out, attempt)
		if err == nil {
			return nil
		}
		last = err
		retry := IsRetryable(err) || (readOnly[action] && IsOutcomeUnknown(err))
		if !retry || attempt >= c.cfg.MaxAttempts {
			return c.giveUp(attempt, nil, err)
		}
		wait := c.backoff(attempt, err)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait+c.minAttemptTime() {
			return c.giveUp(attempt, nil, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return c.giveUp(attempt, nil, err)
		case <-t.C:
		}
	}
}

// minAttemptTime is the least time worth starting another attempt with.
func (c *Client) minAttemptTime() time.Duration { return 200 * time.Millisecond }

func (c *Client) giveUp(attempts int, last, err error) error {
	if err == nil {
		err = last
	}
	if attempts > 1 && IsRetryable(err) {
		return &RetryExhaustedError{Attempts: attempts, RetryAfter: c.cfg.BaseBackoff * 4, Err: err}
	}
	return err
}

// backoff returns the wait before attempt+1: full jitter over an exponential ceiling; rate
// limits wait at least one token interval of the configured QPS.
func (c *Client) backoff(attempt int, err error) time.Duration {
	ceil := c.cfg.BaseBackoff << (attempt - 1)
	if ceil > c.cfg.MaxBackoff || ceil <= 0 {
		ceil = c.cfg.MaxBackoff
	}
	d := time.Duration(c.rnd(int64(ceil)) + 1)
	var api *APIError
	if errors.As(err, &api) && api.RateLimited() {
		if floor := time.Duration(float64(time.Second) / float64(c.limiter.Limit())); d < floor {
			d = floor
		}
	}
	return d
}

// attempt makes one signed HTTP call.
func (c *Client) attempt(ctx context.Context, action string, body []byte, out any, n int) error {
	c.calls.Add(1)
	actx, cancel := context.WithTimeout(ctx, c.cfg.AttemptTimeout)
	defer cancel()
	st := &sendState{}
	actx = context.WithValue(actx, sendStateKey{}, st)
	req := newRawRequest(action, body)
	req.SetContext(actx)
	resp := &rawResponse{BaseResponse: &tchttp.BaseResponse{}}
	start := time.Now()
	err := c.sdk.Send(req, resp)
	err = classify(action, err, st, ctx, actx)
	if err == nil {
		if len(resp.Response) == 0 {
			err = &OutcomeUnknownError{Op: action, Err: errors.New("answer has no Response object")}
		} else if derr := json.Unmarshal(resp.Response, out); derr != nil {
			err = &OutcomeUnknownError{Op: action, Err: fmt.Errorf("decode answer: %w", derr)}
		}
	}
	c.log(action, n, err, time.Since(start))
	return err
}

func (c *Client) log(action string, attempt int, err error, took time.Duration) {
	attrs := []any{"action", action, "attempt", attempt, "ms", took.Milliseconds()}
	var api *APIError
	switch {
	case err == nil:
		c.cfg.Logger.Debug("ess call ok", attrs...)
	case errors.As(err, &api):
		c.cfg.Logger.Debug("ess call refused", append(attrs, "code", api.Code, "requestId", api.RequestID)...)
	case IsOutcomeUnknown(err):
		c.cfg.Logger.Warn("ess call outcome unknown", append(attrs, "kind", "outcome_unknown")...)
	default:
		c.cfg.Logger.Debug("ess call not sent", append(attrs, "kind", "not_sent")...)
	}
}

// classify turns an SDK error into the package's error kinds using what the transport saw.
func classify(action string, err error, st *sendState, parent, attemptCtx context.Context) error {
	if err == nil {
		return nil
	}
	var sdkErr *tcerr.TencentCloudSDKError
	if !errors.As(err, &sdkErr) {
		if st.wrote.Load() {
			return &OutcomeUnknownError{Op: action, Err: err}
		}
		return &NotSentError{Op: action, Err: err}
	}
	code := sdkErr.GetCode()
	if !strings.HasPrefix(code, "ClientError") {
		return &APIError{Code: code, Message: sdkErr.GetMessage(), RequestID: sdkErr.GetRequestId()}
	}
	cause := st.cause()
	if cause == nil {
		cause = errors.New(code)
	}
	switch status := int(st.status.Load()); {
	case status != 0 && status != http.StatusOK:
		// API errors always come with HTTP 200; another status is the front end's answer.
		if status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
			// The front end refused the call before it reached the service.
			return &NotSentError{Op: action, Err: fmt.Errorf("HTTP %d from the endpoint", status)}
		}
		return &OutcomeUnknownError{Op: action, Err: fmt.Errorf("HTTP %d from the endpoint", status)}
	case code == "ClientError.NetworkError":
		if !st.wrote.Load() {
			return &NotSentError{Op: action, Err: describeCtx(cause, parent, attemptCtx)}
		}
		return &OutcomeUnknownError{Op: action, Err: describeCtx(cause, parent, attemptCtx)}
	case code == "ClientError.ParseJsonError" || code == "ClientError.IOError":
		if st.status.Load() == 0 && !st.wrote.Load() {
			return &NotSentError{Op: action, Err: errors.New(code)}
		}
		// The body may echo request data: keep only the code.
		return &OutcomeUnknownError{Op: action, Err: fmt.Errorf("%s: unreadable answer", code)}
	default:
		if st.wrote.Load() {
			return &OutcomeUnknownError{Op: action, Err: errors.New(code)}
		}
		return &NotSentError{Op: action, Err: fmt.Errorf("%s: %s", code, sdkErr.GetMessage())}
	}
}

func describeCtx(cause error, parent, attemptCtx context.Context) error {
	switch {
	case parent.Err() != nil:
		return fmt.Errorf("invocation deadline: %w", cause)
	case attemptCtx.Err() != nil:
		return fmt.Errorf("attempt timeout: %w", cause)
	}
	var ne net.Error
	if errors.As(cause, &ne) && ne.Timeout() {
		return fmt.Errorf("network timeout: %w", cause)
	}
	return cause
}

// sendState records, per attempt, what the transport saw: whether the request was fully
// written, the HTTP status, and the transport error.
type sendState struct {
	wrote  atomic.Bool
	status atomic.Int32
	err    atomic.Pointer[error]
}

func (s *sendState) cause() error {
	if p := s.err.Load(); p != nil {
		return *p
	}
	return nil
}

type sendStateKey struct{}

// tracingTransport notes in the attempt's sendState whether the request reached the wire.
type tracingTransport struct{ base http.RoundTripper }

func (t *tracingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	st, _ := r.Context().Value(sendStateKey{}).(*sendState)
	if st == nil {
		return t.base.RoundTrip(r)
	}
	trace := &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				st.wrote.Store(true)
			}
		},
	}
	r = r.WithContext(httptrace.WithClientTrace(r.Context(), trace))
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		st.err.Store(&err)
		return nil, err
	}
	st.status.Store(int32(resp.StatusCode))
	return resp, nil
}

// rawRequest is an SDK request whose JSON body is fixed bytes (MarshalJSON returns them), so the
// SDK signs and sends exactly what EncodeRequest produced.
type rawRequest struct {
	*tchttp.BaseRequest
	body []byte
}

func newRawRequest(action string, body []byte) *rawRequest {
	r := &rawRequest{BaseRequest: &tchttp.BaseRequest{}, body: body}
	r.Init().WithApiInfo(Service, Version, action)
	return r
}

// MarshalJSON returns the pre-encoded body.
func (r *rawRequest) MarshalJSON() ([]byte, error) { return r.body, nil }

// rawResponse keeps the Response object undecoded; it is decoded with encoding/json afterwards.
type rawResponse struct {
	*tchttp.BaseResponse
	Response json.RawMessage `json:"Response"`
}
