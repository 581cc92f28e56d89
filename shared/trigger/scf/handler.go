package scf

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/tencentyun/scf-go-lib/functioncontext"

	"github.com/essflow/essflow/shared/flows"
	"github.com/essflow/essflow/shared/trigger/httpx"
	"github.com/essflow/essflow/shared/trigger/summary"
)

// Processor processes jobs; flows.Processor implements it. It returns one outcome per job, in
// order.
type Processor interface {
	ProcessBatch(ctx context.Context, jobs []flows.Job, opts flows.BatchOptions) []flows.Outcome
}

// ObjectProcessor processes one storage object; an error is a transient failure of that
// object and the event is delivered again.
type ObjectProcessor = summary.ObjectProcessor

// HTTPResponse is the API gateway integration response (also accepted from an event function
// behind a function URL). Its JSON has exactly the four keys the gateway requires.
type HTTPResponse struct {
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
}

// Handler is the SCF event function: register Invoke with scf-go-lib
// (cloudfunction.Start(h.Invoke)). Processor is required for HTTP, queue and timer events,
// Objects for COS events.
type Handler struct {
	Processor Processor
	Objects   ObjectProcessor
	// MaxBody limits HTTP bodies (httpx.DefaultMaxBody when zero).
	MaxBody int
	// Tokens, when set, are the bearer tokens HTTP callers must present (ESSFLOW_HTTP_TOKENS);
	// when empty, authenticating callers is left to the gateway in front of the function.
	Tokens []string
	// Logger receives one line per record, without bodies; nil logs nothing.
	Logger *slog.Logger
}

// Invoke handles one SCF event.
//
// API gateway and function URL events get an HTTPResponse and never an error: a request that
// cannot be decoded gets a 400, a missing Processor a 500. SCF does not retry synchronous
// calls; the caller may, with the same Idempotency-Key.
//
// Queue, storage and timer events get a summary.Summary. The error is non-nil only when at
// least one record is retryable, and then SCF runs the whole event again (scf-go-lib drops
// the summary). That is safe because every job carries an idempotency key derived from its
// record, and finished records are answered from the idempotency store:
//
//   - CMQ topic, COS and timer are asynchronous: SCF retries a failed event twice by default,
//     a minute apart, then sends it to the dead-letter queue if one is configured, or drops it.
//   - CKafka is synchronous per batch and keeps partition order: the whole batch is retried,
//     once a minute, up to the trigger's retry count, and the partition waits meanwhile.
//
// Records that cannot be decoded are rejected, never retried, so they cannot block a
// partition. An event of no known shape, or with an empty Records array, gets an error: for
// the asynchronous triggers it is retried twice and then dead-lettered, which bounds the loop;
// a function wired to the right triggers never receives one.
func (h *Handler) Invoke(ctx context.Context, event json.RawMessage) (any, error) {
	ev, err := Decode(event)
	if err != nil {
		var de *DecodeError
		if errors.As(err, &de) && (de.Kind == KindAPIGW || de.Kind == KindFunctionURL) {
			h.log(ctx, slog.LevelWarn, "undecodable HTTP event", slog.String("trigger", de.Kind), slog.String("cause", err.Error()))
			return integration(httpx.Undecodable(requestID(ctx), de.AcceptLanguage)), nil
		}
		h.log(ctx, slog.LevelError, "undecodable event", slog.Int("bytes", len(event)), slog.String("cause", err.Error()))
		return nil, err
	}
	switch ev.Kind {
	case KindAPIGW, KindFunctionURL:
		return h.serveHTTP(ctx, ev.HTTP), nil
	case KindCOS:
		return h.objects(ctx, ev)
	}
	return h.batch(ctx, ev)
}

func (h *Handler) serveHTTP(ctx context.Context, req *httpx.Request) HTTPResponse {
	if req.RequestID == "" {
		req.RequestID = requestID(ctx)
	}
	var p httpx.Processor
	if h.Processor != nil {
		p = h.Processor
	}
	return integration(httpx.Serve(ctx, req, p, httpx.Gate{MaxBody: h.MaxBody, Tokens: h.Tokens}, h.Logger))
}

func (h *Handler) batch(ctx context.Context, ev *Event) (any, error) {
	s := summary.New(ev.Kind)
	if len(ev.Jobs) == 0 {
		s.Note = ev.Note
		h.log(ctx, slog.LevelInfo, "nothing to do", slog.String("trigger", ev.Kind), slog.String("note", ev.Note))
		return s, nil
	}
	if h.Processor == nil {
		return nil, fmt.Errorf("handle %s event: no processor configured", ev.Kind)
	}
	outs := h.Processor.ProcessBatch(ctx, ev.Jobs, flows.BatchOptions{Ordered: ev.Ordered})
	if err := s.AddOutcomes(ctx, h.Logger, ev.Jobs, outs); err != nil {
		return s, fmt.Errorf("handle %s event: %w", ev.Kind, err)
	}
	return s, s.Err()
}

func (h *Handler) objects(ctx context.Context, ev *Event) (any, error) {
	s, err := summary.Objects(ctx, h.Logger, ev.Kind, h.Objects, ev.Objects, ev.Invalid, ev.Ignored)
	if s == nil {
		return nil, err
	}
	return s, err
}

func (h *Handler) log(ctx context.Context, level slog.Level, msg string, attrs ...slog.Attr) {
	if h.Logger != nil {
		h.Logger.LogAttrs(ctx, level, msg, attrs...)
	}
}

// requestID returns the SCF request id of the invocation, or "" outside scf-go-lib.
func requestID(ctx context.Context) string {
	if fc, ok := functioncontext.FromContext(ctx); ok && fc != nil {
		return fc.RequestID
	}
	return ""
}

func integration(r httpx.Response) HTTPResponse {
	return HTTPResponse{StatusCode: r.Status, Headers: r.Headers, Body: string(r.Body)}
}
