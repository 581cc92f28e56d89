// Package flows is essflow's use case: it turns jobs decoded from any trigger into contracts,
// exactly once. For each job it decodes and checks the request, pins the application, takes the
// idempotency lock, calls CreateFlowsByTemplates, stores the outcome, and delivers a result
// message to the sinks. It declares the small interfaces it needs (Creator, Validator, Store,
// Sink); adapters implement them.
package flows

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/essflow/essflow/shared/ess"
	"github.com/essflow/essflow/shared/idem"
	"github.com/essflow/essflow/shared/result"
)

// Creator creates flows: *ess.Client.
type Creator interface {
	CreateFlowsByTemplates(ctx context.Context, req *ess.CreateFlowsByTemplatesRequest) (*ess.CreateFlowsByTemplatesResponse, error)
}

// Validator checks a request and lists every violation: *ess.Validator.
type Validator interface {
	ValidateCreate(req *ess.CreateFlowsByTemplatesRequest) ([]ess.Warning, error)
}

// Store keeps idempotency records (shared/idem/memory, shared/idem/redis).
type Store interface {
	Begin(ctx context.Context, key, payloadHash, owner string, lockUntil time.Time, ttl time.Duration) (idem.BeginResult, error)
	Finish(ctx context.Context, key, owner string, status idem.Status, result []byte, ttl time.Duration) error
	Release(ctx context.Context, key, owner string) error
	Get(ctx context.Context, key string) (*idem.Record, error)
}

// Sink delivers result messages (a *sink.Fanout over every configured destination).
type Sink interface {
	Deliver(ctx context.Context, msg *result.Message) error
}

// Callbacks delivers a result to a per-request callback URL (the envelope's CallbackUrl), after
// checking it against an allow list (*webhook.Callbacks).
type Callbacks interface {
	Check(rawURL string) error
	Deliver(ctx context.Context, rawURL string, msg *result.Message) error
}

// Options configures a Processor.
type Options struct {
	// AppID pins Agent.AppId: filled in when absent, and a request naming another is refused.
	AppID string
	// AllowedOrgs, when non-empty, lists the Agent.ProxyOrganizationOpenIds callers may act for.
	AllowedOrgs []string
	// Callbacks, when set, allows the envelope's CallbackUrl (restricted to its allow list);
	// when nil, a request naming a CallbackUrl is rejected.
	Callbacks Callbacks
	// Function names the function; it scopes idempotency keys and appears in result sources.
	Function string
	// TTL is how long a finished record is kept (default 24 h).
	TTL time.Duration
	// DefaultLock is the lock lifetime when the context has no deadline (default 5 min).
	DefaultLock time.Duration
	// InProgressWait is how long a duplicate waits for a concurrent original before reporting
	// "in progress" as retryable; zero does not wait (ESSFLOW_INPROGRESS_WAIT defaults to 2 s).
	InProgressWait time.Duration
	// Concurrency bounds parallel jobs of an unordered batch (default 20); the ESS client's
	// token bucket bounds the call rate.
	Concurrency int
	Now         func() time.Time
	Logger      *slog.Logger
}

// Processor runs jobs. It is safe for concurrent use.
type Processor struct {
	creator   Creator
	validator Validator
	store     Store
	sink      Sink
	opt       Options
	allowed   map[string]bool
}

// New builds a Processor. sink may be nil (results are then only logged).
func New(creator Creator, validator Validator, store Store, sink Sink, opt Options) (*Processor, error) {
	if creator == nil || validator == nil || store == nil {
		return nil, errors.New("flows: creator, validator and store are required")
	}
	if opt.AppID == "" {
		return nil, errors.New("flows: the application id to pin (Options.AppID) is required")
	}
	if opt.TTL <= 0 {
		opt.TTL = 24 * time.Hour
	}
	if opt.DefaultLock <= 0 {
		opt.DefaultLock = 5 * time.Minute
	}
	if opt.InProgressWait < 0 {
		opt.InProgressWait = 0
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = 20
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Function == "" {
		opt.Function = "essflow"
	}
	p := &Processor{creator: creator, validator: validator, store: store, sink: sink, opt: opt}
	if len(opt.AllowedOrgs) > 0 {
		p.allowed = map[string]bool{}
		for _, o := range opt.AllowedOrgs {
			p.allowed[o] = true
		}
	}
	return p, nil
}

// ProcessBatch processes jobs and returns one Outcome per job in the same order. Unordered jobs
// run concurrently and one failure never blocks the others; ordered jobs run one at a time and
// stop at the first retryable outcome, reporting the rest StatusNotProcessed.
func (p *Processor) ProcessBatch(ctx context.Context, jobs []Job, opts BatchOptions) []Outcome {
	out := make([]Outcome, len(jobs))
	if opts.Ordered {
		for i := range jobs {
			out[i] = p.Process(ctx, jobs[i])
			if out[i].Retryable {
				for j := i + 1; j < len(jobs); j++ {
					out[j] = notProcessed(jobs[j], jobs[i].RecordID)
				}
				break
			}
		}
		return out
	}
	sem := make(chan struct{}, p.opt.Concurrency)
	var wg sync.WaitGroup
	for i := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			out[i] = p.Process(ctx, jobs[i])
		}(i)
	}
	wg.Wait()
	return out
}

func notProcessed(j Job, after string) Outcome {
	return Outcome{
		RecordID:   j.RecordID,
		Status:     StatusNotProcessed,
		Retryable:  true,
		HTTPStatus: http.StatusServiceUnavailable,
		Err:        fmt.Errorf("not processed: ordered batch stopped at retryable record %s", after),
	}
}

// envelope is the optional wrapper around a request.
type envelope struct {
	IdempotencyKey string          `json:"IdempotencyKey,omitempty"`
	CorrelationId  string          `json:"CorrelationId,omitempty"`
	CallbackUrl    string          `json:"CallbackUrl,omitempty"`
	Request        json.RawMessage `json:"Request"`
}

// MaxKeyLen bounds explicit idempotency keys.
const MaxKeyLen = 255

// stored is what the idempotency store keeps for a finished request.
type stored struct {
	Status     Status                              `json:"status"`
	HTTPStatus int                                 `json:"httpStatus"`
	Message    *result.Message                     `json:"message"`
	Response   *ess.CreateFlowsByTemplatesResponse `json:"response,omitempty"`
	Warnings   []ess.Warning                       `json:"warnings,omitempty"`
}

// run carries one job through Process.
type run struct {
	job       Job
	req       *ess.CreateFlowsByTemplatesRequest
	key       string // the caller-visible idempotency key
	scoped    string // function|app|key, the store key
	corr      string
	callback  string // the envelope's CallbackUrl, checked
	warnings  []ess.Warning
	startedAt time.Time
}

// Process handles one job; see the package documentation for the steps.
func (p *Processor) Process(ctx context.Context, job Job) Outcome {
	r := &run{job: job, corr: job.CorrelationID, startedAt: p.opt.Now()}
	if job.DecodeErr != nil {
		return p.reject(ctx, r, http.StatusBadRequest, "essflow.InvalidRequest",
			"the record could not be read: "+job.DecodeErr.Error(), "无法读取该记录："+job.DecodeErr.Error(), nil)
	}
	body := job.Body
	var env envelope
	if isEnvelope(body) {
		if err := ess.DecodeStrict(body, &env); err != nil {
			return p.rejectDecode(ctx, r, err)
		}
		if len(env.Request) == 0 || string(env.Request) == "null" {
			return p.reject(ctx, r, http.StatusBadRequest, "essflow.InvalidRequest",
				"Request: required in the envelope", "Request：信封中必须包含请求", nil)
		}
		body = env.Request
		r.corr = firstNonEmpty(r.corr, env.CorrelationId)
		if env.CallbackUrl != "" {
			if p.opt.Callbacks == nil {
				return p.reject(ctx, r, http.StatusBadRequest, "essflow.InvalidRequest",
					"CallbackUrl: per-request callbacks are not enabled for this function (ESSFLOW_WEBHOOK_ALLOWED_HOSTS)",
					"CallbackUrl：本函数未启用按请求回调（ESSFLOW_WEBHOOK_ALLOWED_HOSTS）", nil)
			}
			if err := p.opt.Callbacks.Check(env.CallbackUrl); err != nil {
				return p.reject(ctx, r, http.StatusBadRequest, "essflow.InvalidRequest",
					"CallbackUrl: not allowed: "+err.Error(), "CallbackUrl：不允许的回调地址："+err.Error(), nil)
			}
			r.callback = env.CallbackUrl
		}
	}
	req, err := ess.DecodeCreateFlowsRequest(body)
	if err != nil {
		return p.rejectDecode(ctx, r, err)
	}
	r.req = req
	r.key = firstNonEmpty(job.IdempotencyKey, env.IdempotencyKey, job.DerivedKey)
	if len(r.key) > MaxKeyLen {
		return p.reject(ctx, r, http.StatusBadRequest, "essflow.InvalidRequest",
			fmt.Sprintf("IdempotencyKey: longer than %d characters", MaxKeyLen),
			fmt.Sprintf("IdempotencyKey：长度超过 %d 个字符", MaxKeyLen), nil)
	}

	// Pin the application before anything else: a caller never acts for another application.
	if req.Agent == nil {
		req.Agent = &ess.Agent{}
	}
	switch app := ess.Deref(req.Agent.AppId); {
	case app == "":
		req.Agent.AppId = ess.String(p.opt.AppID)
	case app != p.opt.AppID:
		return p.reject(ctx, r, http.StatusForbidden, "essflow.ForbiddenApp",
			"Agent.AppId: this function acts only for its configured application",
			"Agent.AppId：本函数只能代表其配置的应用发起", nil)
	}
	if p.allowed != nil {
		if org := ess.Deref(req.Agent.ProxyOrganizationOpenId); org != "" && !p.allowed[org] {
			return p.reject(ctx, r, http.StatusForbidden, "essflow.ForbiddenOrganization",
				"Agent.ProxyOrganizationOpenId: this organization is not allowed for this function",
				"Agent.ProxyOrganizationOpenId：本函数不允许代表该子客企业发起", nil)
		}
	}
	warnings, err := p.validator.ValidateCreate(req)
	r.warnings = warnings
	if err != nil {
		return p.rejectDecode(ctx, r, err)
	}

	canonical, err := ess.EncodeRequest(req)
	if err != nil {
		return p.internal(r, fmt.Errorf("encode request: %w", err))
	}
	sum := sha256.Sum256(canonical)
	hash := hex.EncodeToString(sum[:])
	if r.key == "" {
		// HTTP without an Idempotency-Key: the same body is the same request.
		r.key = "sha256:" + hash
	}
	r.scoped = p.opt.Function + "|" + p.opt.AppID + "|" + r.key
	return p.once(ctx, r, hash)
}

// once runs the request under the idempotency lock.
func (p *Processor) once(ctx context.Context, r *run, hash string) Outcome {
	owner := randomToken()
	lockUntil := p.opt.Now().Add(p.opt.DefaultLock)
	if dl, ok := ctx.Deadline(); ok {
		lockUntil = dl.Add(5 * time.Second)
	}
	deadline := p.opt.Now().Add(p.opt.InProgressWait)
	ttl := p.opt.TTL
	if minTTL := lockUntil.Sub(p.opt.Now()) + time.Minute; ttl < minTTL {
		// The record must outlive its lock.
		ttl = minTTL
	}
	for {
		res, err := p.store.Begin(ctx, r.scoped, hash, owner, lockUntil, ttl)
		if err != nil {
			// Fail closed: never create without the lock.
			return p.retryable(r, http.StatusServiceUnavailable, 5*time.Second, "essflow.StoreUnavailable",
				fmt.Errorf("idempotency store: %w", err))
		}
		if res.Acquired {
			if res.TookOver {
				// A previous attempt took the lock and never finished: it was stopped during (or
				// right after) its call, or could not record the outcome. The contracts may exist,
				// so the request is not sent again.
				p.opt.Logger.Warn("expired idempotency lock taken over: outcome of the earlier attempt unknown", "record", r.job.RecordID, "key", r.key)
				return p.abandoned(ctx, r, owner)
			}
			return p.create(ctx, r, owner)
		}
		ex := res.Existing
		if ex.PayloadHash != hash {
			// The conflict gets its own result id: consumers deduplicate on ids, and this is not the
			// original request's result.
			r.scoped += "#conflict:" + hash[:16]
			return p.reject(ctx, r, http.StatusConflict, "essflow.IdempotencyConflict",
				"IdempotencyKey: already used for a different request; use a new key",
				"IdempotencyKey：该幂等键已用于另一个不同的请求，请使用新的键", nil)
		}
		if ex.Status == idem.StatusComplete || ex.Status == idem.StatusUnknown {
			return p.replay(ctx, r, ex)
		}
		// A concurrent duplicate holds the lock: wait briefly for it.
		now := p.opt.Now()
		if now.After(deadline) || ctx.Err() != nil {
			return p.retryable(r, http.StatusConflict, time.Until(ex.LockUntil).Round(time.Second)+time.Second,
				"essflow.InProgress", errors.New("a request with the same idempotency key is in progress"))
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// create calls ESS under the lock and records the outcome.
func (p *Processor) create(ctx context.Context, r *run, owner string) Outcome {
	// Stop calling early enough to record the outcome before the invocation is killed: a call
	// cut short by the platform would leave the lock to expire and the outcome unrecorded.
	callCtx := ctx
	if dl, ok := ctx.Deadline(); ok {
		margin := time.Until(dl) / 10
		if margin > 2*time.Second {
			margin = 2 * time.Second
		}
		var cancel context.CancelFunc
		callCtx, cancel = context.WithDeadline(ctx, dl.Add(-margin))
		defer cancel()
	}
	resp, err := p.creator.CreateFlowsByTemplates(callCtx, r.req)
	var o Outcome
	status := idem.StatusComplete
	switch {
	case err == nil:
		o = p.fromResponse(r, resp)
		if o.Status == StatusUnknown {
			status = idem.StatusUnknown
		}
	case ess.IsOutcomeUnknown(err):
		status = idem.StatusUnknown
		o = p.final(r, StatusUnknown, http.StatusGatewayTimeout, result.TypeOutcomeUnknown, nil, &result.Error{
			Code:      "essflow.OutcomeUnknown",
			Message:   "the call to ESS may or may not have created the contracts (timeout or connection lost after sending); it will not be sent again automatically — check before re-sending",
			MessageZH: "调用电子签后结果未知（发送后超时或连接中断），合同可能已创建；不会自动重发，请先核实再处理",
		}, flowStatusAll(r.req, result.FlowUnknown))
		o.Err = err
	default:
		var api *ess.APIError
		if errors.As(err, &api) && !transientCode(api.Code) {
			o = p.final(r, StatusFailed, http.StatusUnprocessableEntity, result.TypeFailed, nil, &result.Error{
				Code: api.Code, Message: api.Message, MessageZH: api.Message,
			}, flowStatusAll(r.req, result.FlowFailed))
			o.Message.EssRequestId = api.RequestID
			o.Err = err
			break
		}
		// Transient: nothing was created. Release the lock so a redelivery can run.
		if rerr := p.store.Release(context.WithoutCancel(ctx), r.scoped, owner); rerr != nil {
			p.opt.Logger.Warn("release idempotency lock", "record", r.job.RecordID, "err", rerr)
		}
		return p.transient(r, err)
	}
	o.Warnings = r.warnings
	blob, merr := json.Marshal(stored{Status: o.Status, HTTPStatus: o.HTTPStatus, Message: o.Message, Response: o.Response, Warnings: o.Warnings})
	if merr == nil {
		merr = p.finish(ctx, r.scoped, owner, status, blob)
	}
	if merr != nil {
		// The contracts exist but the record could not be written. Do not ask for a redelivery
		// (it could create them again once the lock expires): report the outcome as final.
		p.opt.Logger.Error("could not store the outcome of a created request; redelivery protection relies on the lock until it expires",
			"record", r.job.RecordID, "key", r.key, "err", merr)
	}
	return p.deliver(ctx, r, o)
}

// abandoned records as UNKNOWN a request whose earlier attempt held the lock and vanished.
func (p *Processor) abandoned(ctx context.Context, r *run, owner string) Outcome {
	o := p.final(r, StatusUnknown, http.StatusGatewayTimeout, result.TypeOutcomeUnknown, nil, &result.Error{
		Code:      "essflow.OutcomeUnknown",
		Message:   "an earlier attempt at this request stopped without recording its outcome; the contracts may exist, so it is not sent again — check before re-sending",
		MessageZH: "此前处理该请求的调用未记录结果即中断，合同可能已创建，因此不再重发；请先核实再处理",
	}, flowStatusAll(r.req, result.FlowUnknown))
	o.Warnings = r.warnings
	blob, err := json.Marshal(stored{Status: o.Status, HTTPStatus: o.HTTPStatus, Message: o.Message, Warnings: o.Warnings})
	if err == nil {
		err = p.finish(ctx, r.scoped, owner, idem.StatusUnknown, blob)
	}
	if err != nil {
		p.opt.Logger.Error("could not record an abandoned request as unknown", "record", r.job.RecordID, "key", r.key, "err", err)
	}
	return p.deliver(ctx, r, o)
}

// finish writes the final record, retrying briefly: losing it risks a duplicate.
func (p *Processor) finish(ctx context.Context, key, owner string, status idem.Status, blob []byte) error {
	ctx = context.WithoutCancel(ctx)
	var err error
	for i := 0; i < 3; i++ {
		if err = p.store.Finish(ctx, key, owner, status, blob, p.opt.TTL); err == nil || errors.Is(err, idem.ErrNotOwner) {
			return err
		}
		time.Sleep(time.Duration(50*(i+1)) * time.Millisecond)
	}
	return err
}

// replay answers a duplicate from the stored outcome and delivers the stored message again.
func (p *Processor) replay(ctx context.Context, r *run, ex *idem.Record) Outcome {
	var s stored
	if err := json.Unmarshal(ex.Result, &s); err != nil || s.Message == nil {
		return p.internal(r, fmt.Errorf("stored outcome of %s unreadable: %v", r.key, err))
	}
	o := Outcome{
		RecordID: r.job.RecordID, Status: s.Status, HTTPStatus: s.HTTPStatus, Replayed: true,
		Message: s.Message, Response: s.Response, Warnings: s.Warnings,
	}
	p.opt.Logger.Info("duplicate answered from the idempotency store", "record", r.job.RecordID, "status", o.Status)
	return p.deliver(ctx, r, o)
}

// deliver sends o.Message to the sinks and to the request's callback URL, if any; a failed
// delivery makes the record retryable.
func (p *Processor) deliver(ctx context.Context, r *run, o Outcome) Outcome {
	p.opt.Logger.Info("outcome", "record", o.RecordID, "status", o.Status, "replayed", o.Replayed,
		"resultId", o.Message.ID, "type", o.Message.Type, "essRequestId", o.Message.EssRequestId)
	var errs []error
	if p.sink != nil {
		if err := p.sink.Deliver(ctx, o.Message); err != nil {
			errs = append(errs, err)
		}
	}
	if r.callback != "" {
		if err := p.opt.Callbacks.Deliver(ctx, r.callback, o.Message); err != nil {
			errs = append(errs, fmt.Errorf("callback: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		p.opt.Logger.Warn("result delivery failed; the record stays retryable", "record", o.RecordID, "resultId", o.Message.ID, "err", err)
		o.Retryable = true
		if o.Err == nil {
			o.Err = fmt.Errorf("deliver result: %w", err)
		}
	}
	return o
}

// fromResponse maps a successful answer (possibly with per-flow failures) to an outcome.
func (p *Processor) fromResponse(r *run, resp *ess.CreateFlowsByTemplatesResponse) Outcome {
	preview := ess.Deref(r.req.NeedPreview)
	outs := resp.Outcomes(len(r.req.FlowInfos), preview)
	flows := make([]result.Flow, len(outs))
	var created, failed, unknown, previewed int
	for i, fo := range outs {
		f := baseFlow(r.req, i)
		f.Status = map[string]string{
			ess.FlowStatusCreated: result.FlowCreated, ess.FlowStatusFailed: result.FlowFailed,
			ess.FlowStatusPreviewed: result.FlowPreviewed, ess.FlowStatusUnknown: result.FlowUnknown,
		}[fo.Status]
		f.FlowId, f.Error, f.PreviewUrl = fo.FlowId, fo.Error, fo.PreviewUrl
		if fo.CustomerData != "" {
			f.CustomerData = fo.CustomerData
		}
		if fo.Task != nil {
			f.TaskId, f.TaskStatus = ess.Deref(fo.Task.TaskId), ess.Deref(fo.Task.TaskStatus)
		}
		for _, a := range fo.Approvers {
			if a != nil {
				f.Approvers = append(f.Approvers, result.Approver{RecipientId: ess.Deref(a.RecipientId), SignId: ess.Deref(a.SignId), ApproverRoleName: ess.Deref(a.ApproverRoleName)})
			}
		}
		switch fo.Status {
		case ess.FlowStatusCreated:
			created++
		case ess.FlowStatusFailed:
			failed++
		case ess.FlowStatusPreviewed:
			previewed++
		default:
			unknown++
		}
		flows[i] = f
	}
	var o Outcome
	switch {
	case unknown > 0:
		o = p.final(r, StatusUnknown, http.StatusBadGateway, result.TypeOutcomeUnknown, resp, &result.Error{
			Code:      "essflow.OutcomeUnknown",
			Message:   fmt.Sprintf("ESS answered without a FlowId or an error for %d flow(s); they may exist", unknown),
			MessageZH: fmt.Sprintf("电子签的应答中有 %d 个合同既无 FlowId 也无错误信息，合同可能已创建", unknown),
		}, flows)
	case preview && previewed > 0 && failed == 0:
		o = p.final(r, StatusPreviewed, http.StatusOK, result.TypePreviewed, resp, nil, flows)
	case failed == 0:
		o = p.final(r, StatusCreated, http.StatusOK, result.TypeCreated, resp, nil, flows)
	case created == 0 && previewed == 0:
		o = p.final(r, StatusFailed, http.StatusUnprocessableEntity, result.TypeFailed, resp, &result.Error{
			Code: "essflow.AllFlowsFailed", Message: "ESS refused every flow of the request: see flows[].error",
			MessageZH: "电子签拒绝了请求中的全部合同，详见 flows[].error",
		}, flows)
	default:
		o = p.final(r, StatusPartiallyFailed, http.StatusOK, result.TypePartiallyFailed, resp, nil, flows)
	}
	return o
}

// final builds a final outcome with its message.
func (p *Processor) final(r *run, st Status, code int, typ string, resp *ess.CreateFlowsByTemplatesResponse, rerr *result.Error, flows []result.Flow) Outcome {
	msg := p.message(r, typ, rerr)
	msg.Flows = flows
	if resp != nil {
		msg.EssRequestId = ess.Deref(resp.RequestId)
	}
	return Outcome{RecordID: r.job.RecordID, Status: st, HTTPStatus: code, Message: msg, Response: resp}
}

func (p *Processor) message(r *run, typ string, rerr *result.Error) *result.Message {
	id := r.scoped
	if id == "" {
		// Rejected before a key was known: stable per record (or per body).
		sum := sha256.Sum256(r.job.Body)
		id = p.opt.Function + "|" + p.opt.AppID + "|" + firstNonEmpty(r.job.IdempotencyKey, r.job.DerivedKey, "sha256:"+hex.EncodeToString(sum[:]))
	}
	m := &result.Message{
		SpecVersion: result.SpecVersion,
		ID:          result.StableID(id),
		Type:        typ,
		Time:        r.startedAt.UTC(),
		Source:      result.Source{Trigger: r.job.Trigger, RecordID: r.job.RecordID, Function: p.opt.Function},
		Correlation: result.Correlation{IdempotencyKey: firstNonEmpty(r.key, r.job.IdempotencyKey, r.job.DerivedKey), CorrelationId: r.corr},
		AppId:       p.opt.AppID,
		Error:       rerr,
	}
	if r.req != nil && r.req.Agent != nil {
		m.ProxyOrganizationOpenId = ess.Deref(r.req.Agent.ProxyOrganizationOpenId)
	}
	return m
}

// reject reports a request refused before ESS; it is final and never retried.
func (p *Processor) reject(ctx context.Context, r *run, code int, ecode, msg, msgZH string, vs []ess.Violation) Outcome {
	rerr := &result.Error{Code: ecode, Message: msg, MessageZH: msgZH}
	for _, v := range vs {
		rerr.Violations = append(rerr.Violations, result.Violation{Path: v.Path, Rule: v.Rule, Message: v.Message, MessageZH: v.MessageZH})
	}
	var flows []result.Flow
	if r.req != nil && ecode != "essflow.IdempotencyConflict" {
		flows = flowStatusAll(r.req, result.FlowNotSent)
	}
	o := p.final(r, StatusRejected, code, result.TypeRejected, nil, rerr, flows)
	o.Violations = vs
	o.Warnings = r.warnings
	return p.deliver(ctx, r, o)
}

// rejectDecode rejects a request whose decoding or validation failed.
func (p *Processor) rejectDecode(ctx context.Context, r *run, err error) Outcome {
	var ve *ess.ValidationError
	if errors.As(err, &ve) {
		return p.reject(ctx, r, http.StatusBadRequest, "essflow.InvalidRequest",
			fmt.Sprintf("the request is invalid: %d problem(s), see violations", len(ve.Violations)),
			fmt.Sprintf("请求不合法：共 %d 个问题，详见 violations", len(ve.Violations)), ve.Violations)
	}
	return p.reject(ctx, r, http.StatusBadRequest, "essflow.InvalidRequest", "the request is invalid: "+err.Error(), "请求不合法："+err.Error(), nil)
}

// transient reports a failure after which nothing was created and the platform should retry.
func (p *Processor) transient(r *run, err error) Outcome {
	var api *ess.APIError
	errors.As(err, &api)
	var re *ess.RetryExhaustedError
	after := 2 * time.Second
	if errors.As(err, &re) && re.RetryAfter > after {
		after = re.RetryAfter
	}
	switch {
	case api != nil && api.RateLimited():
		return p.retryable(r, http.StatusTooManyRequests, after, api.Code, err)
	case api != nil && (strings.HasPrefix(api.Code, "AuthFailure") || strings.HasPrefix(api.Code, "UnauthorizedOperation") ||
		strings.HasSuffix(api.Code, ".Application") || strings.HasPrefix(api.Code, "LimitExceeded")):
		// Configuration or quota problems: keep the record (retry, then the platform's DLQ).
		return p.retryable(r, http.StatusBadGateway, 0, api.Code, err)
	case api != nil:
		return p.retryable(r, http.StatusBadGateway, after, api.Code, err)
	default:
		return p.retryable(r, http.StatusServiceUnavailable, after, "essflow.Unavailable", err)
	}
}

func (p *Processor) retryable(r *run, code int, after time.Duration, ecode string, err error) Outcome {
	p.opt.Logger.Warn("retryable failure", "record", r.job.RecordID, "code", ecode, "err", err)
	msg := p.message(r, "", &result.Error{Code: ecode, Message: retryText(code), MessageZH: retryTextZH(code)})
	return Outcome{RecordID: r.job.RecordID, Status: StatusRetryable, Retryable: true, HTTPStatus: code, RetryAfter: after, Message: msg, Err: err}
}

func (p *Processor) internal(r *run, err error) Outcome {
	p.opt.Logger.Error("internal error", "record", r.job.RecordID, "err", err)
	msg := p.message(r, "", &result.Error{Code: "essflow.Internal", Message: "internal error", MessageZH: "内部错误"})
	return Outcome{RecordID: r.job.RecordID, Status: StatusRetryable, Retryable: true, HTTPStatus: http.StatusInternalServerError, Message: msg, Err: err}
}

func retryText(code int) string {
	switch code {
	case http.StatusTooManyRequests:
		return "ESS rate limit reached; nothing was created; retry later"
	case http.StatusConflict:
		return "a request with the same idempotency key is being processed; retry later"
	case http.StatusBadGateway:
		return "ESS refused the call for a reason that a retry or a configuration change may fix; nothing was created"
	default:
		return "temporarily unavailable; nothing was created; retry later"
	}
}

func retryTextZH(code int) string {
	switch code {
	case http.StatusTooManyRequests:
		return "已达到电子签调用频率限制，未创建任何合同，请稍后重试"
	case http.StatusConflict:
		return "相同幂等键的请求正在处理中，请稍后重试"
	case http.StatusBadGateway:
		return "电子签拒绝了本次调用，重试或修正配置后可能成功；未创建任何合同"
	default:
		return "服务暂时不可用，未创建任何合同，请稍后重试"
	}
}

// transientCode reports whether an ESS error code is about the environment (credentials, quota,
// application, rate, availability) rather than the request; such failures are retried by the
// platform and never stored as final.
func transientCode(code string) bool {
	switch {
	case strings.HasPrefix(code, "AuthFailure"), strings.HasPrefix(code, "UnauthorizedOperation"),
		strings.HasPrefix(code, "RequestLimitExceeded"), strings.HasPrefix(code, "LimitExceeded"),
		strings.HasPrefix(code, "InternalError"), strings.HasPrefix(code, "ResourceUnavailable"),
		code == "ServiceUnavailable", strings.HasSuffix(code, ".Application"):
		return true
	}
	return false
}

func baseFlow(req *ess.CreateFlowsByTemplatesRequest, i int) result.Flow {
	fi := req.FlowInfos[i]
	if fi == nil {
		return result.Flow{Index: i}
	}
	return result.Flow{Index: i, FlowName: ess.Deref(fi.FlowName), TemplateId: ess.Deref(fi.TemplateId), CustomerData: ess.Deref(fi.CustomerData)}
}

func flowStatusAll(req *ess.CreateFlowsByTemplatesRequest, status string) []result.Flow {
	out := make([]result.Flow, len(req.FlowInfos))
	for i := range out {
		out[i] = baseFlow(req, i)
		out[i].Status = status
	}
	return out
}

// isEnvelope reports whether body is an essflow envelope: a JSON object with a top-level
// "Request" member (CreateFlowsByTemplates has no such field). It reads only the top-level keys.
func isEnvelope(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return false
		}
		if k == "Request" {
			return true
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return false
		}
	}
	return false
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

func randomToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
