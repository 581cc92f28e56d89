package httpx

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/essflow/essflow/shared/flows"
	"github.com/essflow/essflow/shared/trigger/summary"
)

// Processor processes jobs; shared/flows.Processor is the real one.
type Processor interface {
	ProcessBatch(ctx context.Context, jobs []flows.Job, opts flows.BatchOptions) []flows.Outcome
}

// Gate holds what every HTTP trigger checks before processing: the body limit and the bearer
// tokens.
type Gate struct {
	// MaxBody limits bodies (DefaultMaxBody when zero).
	MaxBody int
	// Tokens, when set, are the bearer tokens callers must present (see Authorize).
	Tokens []string
}

// Serve answers one HTTP request, the same way on every platform: authorise, turn the request
// into a job (ToJob), process it, log one line, and render the outcome in the caller's
// language. A nil processor or a broken processor contract answers 500.
func Serve(ctx context.Context, req *Request, p Processor, gate Gate, logger *slog.Logger) Response {
	lang := req.Header("Accept-Language")
	log := func(level slog.Level, msg string, attrs ...slog.Attr) {
		if logger != nil {
			logger.LogAttrs(ctx, level, msg, append([]slog.Attr{slog.String("trigger", req.Trigger), slog.String("recordId", req.RequestID)}, attrs...)...)
		}
	}
	if p == nil {
		log(slog.LevelError, "no processor configured")
		return Render(flows.Outcome{RecordID: req.RequestID, HTTPStatus: http.StatusInternalServerError}, lang)
	}
	if denied := Authorize(*req, gate.Tokens, lang); denied != nil {
		log(slog.LevelWarn, "request refused: no valid bearer token")
		return *denied
	}
	job, refused := ToJob(*req, gate.MaxBody)
	if refused != nil {
		log(slog.LevelInfo, "request refused", slog.Int("httpStatus", refused.Status))
		return *refused
	}
	outs := p.ProcessBatch(ctx, []flows.Job{job}, flows.BatchOptions{})
	s := summary.New(req.Trigger)
	if err := s.AddOutcomes(ctx, logger, []flows.Job{job}, outs); err != nil {
		return Render(flows.Outcome{RecordID: job.RecordID, HTTPStatus: http.StatusInternalServerError}, lang)
	}
	return Render(outs[0], lang)
}
