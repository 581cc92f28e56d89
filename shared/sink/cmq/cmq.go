// Package cmq delivers essflow result messages to a TDMQ-for-CMQ queue of Tencent Cloud, with
// the TDMQ API action SendCmqMsg (service tdmq, version 2020-02-17) sent through the official
// SDK's common client, signed with TC3-HMAC-SHA256.
//
// The MsgContent of every CMQ message is sink.Encode of the result message, byte for byte. On
// SCF the function role's temporary credentials are read from TENCENTCLOUD_SECRETID,
// TENCENTCLOUD_SECRETKEY and TENCENTCLOUD_SESSIONTOKEN at every call, so rotated credentials
// are always used. The URL form is described on Target.
package cmq

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"github.com/essflow/essflow/shared/result"
	"github.com/essflow/essflow/shared/sink"
)

// The TDMQ API action the sink calls.
const (
	Service = "tdmq"
	Version = "2020-02-17"
	Action  = "SendCmqMsg"
)

// MaxMsgBytes is the largest MsgContent CMQ accepts (64 KiB). Larger messages are refused
// before sending.
const MaxMsgBytes = 64 * 1024

// Names of the variables in which SCF injects the function role's temporary credentials.
const (
	EnvSecretID     = "TENCENTCLOUD_SECRETID"
	EnvSecretKey    = "TENCENTCLOUD_SECRETKEY"
	EnvSessionToken = "TENCENTCLOUD_SESSIONTOKEN"
)

// ErrPermanent marks a failure that sending the same message again cannot fix: the message is
// over MaxMsgBytes, or the service refused the call with a code other than a rate limit or an
// internal error (AuthFailure.*, InvalidParameter*, ResourceNotFound*, …). Test with
// errors.Is.
var ErrPermanent = sink.ErrPermanent

// Options configures a Sink made by New.
type Options struct {
	// Queue is the queue name. Required.
	Queue string
	// Region is the queue's region, sent as X-TC-Region. Required.
	Region string
	// Host is the API host[:port]; DefaultEndpoint when empty.
	Host string
	// Scheme is "HTTPS" (default) or "HTTP".
	Scheme string
	// Credential signs every call; it is asked for its values at each call. Required.
	Credential common.CredentialIface
	// Name is what Name returns; the canonical cmq:// URL when empty.
	Name string
	// MaxAttempts is how many times one message is sent when the answer is
	// RequestLimitExceeded, InternalError (or one of their sub-codes), a network failure, an
	// unreadable answer or an HTTP status other than 200, within the context's deadline.
	// Default 4.
	MaxAttempts int
	// RetryBase is the pause before the second attempt; it doubles for each further attempt,
	// with jitter, up to 5 s. Default 200 ms.
	RetryBase time.Duration
	// RequestTimeout bounds one HTTP exchange, in whole seconds (at least 1). Default 10 s.
	RequestTimeout time.Duration
}

// Sink sends result messages to one TDMQ-for-CMQ queue. It implements sink.Sink and is safe for
// concurrent use.
type Sink struct {
	client    *common.Client
	queue     string
	name      string
	attempts  int
	retryBase time.Duration
}

var _ sink.Sink = (*Sink)(nil)

// New returns a Sink for opts. It fails when Queue, Region or Credential is missing or Scheme
// is neither HTTP nor HTTPS.
func New(opts Options) (*Sink, error) {
	var errs []error
	if opts.Queue == "" {
		errs = append(errs, errors.New("no queue"))
	}
	if opts.Region == "" {
		errs = append(errs, errors.New("no region"))
	}
	if opts.Credential == nil {
		errs = append(errs, errors.New("no credential"))
	}
	if opts.Host == "" {
		opts.Host = DefaultEndpoint
	}
	switch opts.Scheme = strings.ToUpper(opts.Scheme); opts.Scheme {
	case "":
		opts.Scheme = "HTTPS"
	case "HTTP", "HTTPS":
	default:
		errs = append(errs, fmt.Errorf("scheme %q must be HTTP or HTTPS", opts.Scheme))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("cmq sink: %w", errors.Join(errs...))
	}
	if opts.Name == "" {
		opts.Name = Target{Queue: opts.Queue, Region: opts.Region, Host: opts.Host, Scheme: opts.Scheme}.String()
	}
	timeout := opts.RequestTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}

	prof := profile.NewClientProfile()
	prof.HttpProfile.Endpoint = opts.Host
	prof.HttpProfile.Scheme = opts.Scheme
	prof.HttpProfile.ReqTimeout = max(1, int(timeout/time.Second))
	client := common.NewCommonClient(opts.Credential, opts.Region, prof).WithRequestClient("essflow-cmq-sink")

	s := &Sink{client: client, queue: opts.Queue, name: opts.Name, attempts: opts.MaxAttempts, retryBase: opts.RetryBase}
	if s.attempts <= 0 {
		s.attempts = 4
	}
	if s.retryBase <= 0 {
		s.retryBase = 200 * time.Millisecond
	}
	return s, nil
}

// Open opens the sink for a cmq:// URL (see Target); it matches sink.Opener. Credentials are
// read through getenv from TENCENTCLOUD_SECRETID, TENCENTCLOUD_SECRETKEY and
// TENCENTCLOUD_SESSIONTOKEN at every call, not at Open, so the SCF role's rotated credentials
// are always current and their absence shows on the first Deliver.
func Open(_ context.Context, u *url.URL, getenv func(string) string) (sink.Sink, error) {
	t, err := ParseURL(u)
	if err != nil {
		return nil, err
	}
	if getenv == nil {
		return nil, errors.New("cmq sink: no getenv to read credentials with")
	}
	return New(Options{
		Queue: t.Queue, Region: t.Region, Host: t.Host, Scheme: t.Scheme,
		Credential: envCredential{getenv}, Name: t.String(),
	})
}

// envCredential implements common.CredentialIface by reading the SCF role's variables through
// getenv at every call. The SDK's own environment provider reads other names and drops the
// token.
type envCredential struct{ getenv func(string) string }

// GetSecretId returns the current TENCENTCLOUD_SECRETID.
func (e envCredential) GetSecretId() string { return strings.TrimSpace(e.getenv(EnvSecretID)) }

// GetSecretKey returns the current TENCENTCLOUD_SECRETKEY.
func (e envCredential) GetSecretKey() string { return strings.TrimSpace(e.getenv(EnvSecretKey)) }

// GetToken returns the current TENCENTCLOUD_SESSIONTOKEN ("" for permanent keys).
func (e envCredential) GetToken() string { return strings.TrimSpace(e.getenv(EnvSessionToken)) }

// GetCredential returns SecretId, SecretKey and token read together.
func (e envCredential) GetCredential() (string, string, string) {
	return e.GetSecretId(), e.GetSecretKey(), e.GetToken()
}

// Name returns the destination for logs: the canonical cmq:// URL.
func (s *Sink) Name() string { return s.name }

// Close releases nothing (the SDK client only pools connections) and always returns nil.
func (s *Sink) Close() error { return nil }

// sendResponse is the answer of SendCmqMsg: {"Response":{"Result":true,"MsgId":…,"RequestId":…}}.
type sendResponse struct {
	tchttp.BaseResponse
	Response struct {
		Result    bool   `json:"Result"`
		MsgId     string `json:"MsgId"`
		RequestId string `json:"RequestId"`
	} `json:"Response"`
}

// Deliver sends msg with SendCmqMsg and returns when CMQ has answered Result true. A rate
// limit, an internal error, a network failure or an unreadable or non-200 answer is retried with
// exponential backoff up to MaxAttempts times while the context's deadline leaves time for the
// pause; a resent message may then arrive twice, which consumers absorb by deduplicating on
// the message ID. Errors wrap ErrPermanent when resending cannot help and wrap the SDK's
// *errors.TencentCloudSDKError (with the API Code and RequestId) when the service answered.
func (s *Sink) Deliver(ctx context.Context, msg *result.Message) error {
	if msg == nil {
		return fmt.Errorf("cmq send to %s: %w: nil message", s.name, ErrPermanent)
	}
	body, err := sink.Encode(msg)
	if err != nil {
		return fmt.Errorf("cmq send to %s: %w: %w", s.name, ErrPermanent, err)
	}
	if len(body) > MaxMsgBytes {
		return fmt.Errorf("cmq send %s to %s: %w: message is %d bytes, over the CMQ limit of %d", msg.ID, s.name, ErrPermanent, len(body), MaxMsgBytes)
	}
	for attempt := 1; ; attempt++ {
		err := s.send(ctx, string(body))
		if err == nil {
			return nil
		}
		if !retryable(err) || ctx.Err() != nil || attempt >= s.attempts || !sink.Sleep(ctx, s.backoff(attempt)) {
			return fmt.Errorf("cmq send %s to %s (attempt %d): %w", msg.ID, s.name, attempt, classify(err))
		}
	}
}

// send makes one SendCmqMsg call.
func (s *Sink) send(ctx context.Context, content string) error {
	if id, key, _ := s.client.GetCredential().GetCredential(); id == "" || key == "" {
		return fmt.Errorf("credentials missing: %s or %s is empty", EnvSecretID, EnvSecretKey)
	}
	req := tchttp.NewCommonRequest(Service, Version, Action)
	req.SetContext(ctx)
	if err := req.SetActionParameters(map[string]interface{}{
		"QueueName": s.queue, "MsgContent": content, "DelaySeconds": 0,
	}); err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	var resp sendResponse
	if err := s.client.Send(req, &resp); err != nil {
		return err
	}
	if !resp.Response.Result {
		return fmt.Errorf("SendCmqMsg answered Result false (RequestId %s)", resp.Response.RequestId)
	}
	return nil
}

// retryable reports whether the same call may pass later: rate limits, internal errors,
// network failures and unreadable or non-200 answers (the SDK reports a gateway's plain-text
// 5xx page as ClientError.ParseJsonError).
func retryable(err error) bool {
	var te *tcerr.TencentCloudSDKError
	if !errors.As(err, &te) {
		return false
	}
	code := te.GetCode()
	for _, c := range []string{"RequestLimitExceeded", "InternalError"} {
		if code == c || strings.HasPrefix(code, c+".") {
			return true
		}
	}
	switch code {
	case "ClientError.NetworkError", "ClientError.HttpStatusCodeError", "ClientError.ParseJsonError", "ClientError.IOError":
		return true
	}
	return false
}

// classify marks as permanent the refusals the service answered (a RequestId) with a code that
// is not retryable.
func classify(err error) error {
	var te *tcerr.TencentCloudSDKError
	if errors.As(err, &te) && te.GetRequestId() != "" && !retryable(err) {
		return fmt.Errorf("%w: %w", ErrPermanent, err)
	}
	return err
}

// backoff returns the pause after the given attempt: RetryBase doubled per attempt, capped at
// 5 s, with jitter.
func (s *Sink) backoff(attempt int) time.Duration {
	return sink.Backoff(s.retryBase, 5*time.Second, attempt)
}
