package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

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

// Handler is the Lambda function: start it with aws-lambda-go (lambda.Start(h.Invoke), built
// with -tags lambda.norpc). Processor is required for HTTP and SQS events, Objects for S3.
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

// Invoke handles one Lambda event.
//
// HTTP events get the response type of their source, and never an error: a REST API (or an
// HTTP API with payload 1.0) gets events.APIGatewayProxyResponse, an HTTP API
// events.APIGatewayV2HTTPResponse, a function URL events.LambdaFunctionURLResponse. A request
// that cannot be decoded gets a 400, a missing Processor a 500.
//
// SQS events get events.SQSEventResponse listing the messageId of every retryable message in
// BatchItemFailures, and a nil error, so only those messages come back (the event source
// mapping needs FunctionResponseTypes: [ReportBatchItemFailures]). For a FIFO queue every
// message after the first retryable one is listed too, keeping the group's order.
//
// S3 events get a summary.Summary and an error when any object is retryable: Lambda retries
// an asynchronous event twice, then sends it to the on-failure destination or dead-letter
// queue if one is configured. Reprocessing an object is safe: its requests carry derived
// idempotency keys. An event of no known shape gets an error as well.
func (h *Handler) Invoke(ctx context.Context, event json.RawMessage) (any, error) {
	ev, err := Decode(event)
	if err != nil {
		var de *DecodeError
		if errors.As(err, &de) && de.PayloadVersion != "" {
			h.log(ctx, slog.LevelWarn, "undecodable HTTP event", slog.String("trigger", de.Kind), slog.String("cause", err.Error()))
			r := httpx.Undecodable(requestID(ctx), de.AcceptLanguage)
			return httpResponse(de.Kind, de.PayloadVersion, r), nil
		}
		h.log(ctx, slog.LevelError, "undecodable event", slog.Int("bytes", len(event)), slog.String("cause", err.Error()))
		return nil, err
	}
	switch ev.Kind {
	case KindSQS:
		return h.sqs(ctx, ev), nil
	case KindS3:
		return h.objects(ctx, ev)
	}
	return httpResponse(ev.Kind, ev.PayloadVersion, h.serveHTTP(ctx, ev.HTTP)), nil
}

func (h *Handler) serveHTTP(ctx context.Context, req *httpx.Request) httpx.Response {
	if req.RequestID == "" {
		req.RequestID = requestID(ctx)
	}
	var p httpx.Processor
	if h.Processor != nil {
		p = h.Processor
	}
	return httpx.Serve(ctx, req, p, httpx.Gate{MaxBody: h.MaxBody, Tokens: h.Tokens}, h.Logger)
}

func (h *Handler) sqs(ctx context.Context, ev *Event) events.SQSEventResponse {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	failAll := func(from int) {
		for _, j := range ev.Jobs[from:] {
			if j.DecodeErr == nil {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: j.RecordID})
			}
		}
	}
	if h.Processor == nil {
		h.log(ctx, slog.LevelError, "no processor configured", slog.String("trigger", ev.Kind))
		failAll(0)
		return resp
	}
	outs := h.Processor.ProcessBatch(ctx, ev.Jobs, flows.BatchOptions{Ordered: ev.Ordered})
	s := summary.New(ev.Kind)
	if err := s.AddOutcomes(ctx, h.Logger, ev.Jobs, outs); err != nil {
		h.log(ctx, slog.LevelError, "processor broke its contract", slog.String("cause", err.Error()))
		failAll(0)
		return resp
	}
	for i, o := range outs {
		if !o.Retryable {
			continue
		}
		if ev.Ordered {
			failAll(i)
			break
		}
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: ev.Jobs[i].RecordID})
	}
	return resp
}

func (h *Handler) objects(ctx context.Context, ev *Event) (any, error) {
	s, err := summary.Objects(ctx, h.Logger, ev.Kind, h.Objects, ev.Objects, ev.Invalid, ev.Ignored)
	if s == nil {
		return nil, err
	}
	s.Note = ev.Note
	return s, err
}

func (h *Handler) log(ctx context.Context, level slog.Level, msg string, attrs ...slog.Attr) {
	if h.Logger != nil {
		h.Logger.LogAttrs(ctx, level, msg, attrs...)
	}
}

// requestID returns the Lambda request id of the invocation, or "" outside aws-lambda-go.
func requestID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc != nil {
		return lc.AwsRequestID
	}
	return ""
}

// httpResponse converts r into the response type the HTTP source expects.
func httpResponse(kind, payloadVersion string, r httpx.Response) any {
	switch {
	case payloadVersion == "1.0":
		return events.APIGatewayProxyResponse{StatusCode: r.Status, Headers: r.Headers, Body: string(r.Body)}
	case kind == KindFunctionURL:
		return events.LambdaFunctionURLResponse{StatusCode: r.Status, Headers: r.Headers, Body: string(r.Body)}
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: r.Status, Headers: r.Headers, Body: string(r.Body)}
}
