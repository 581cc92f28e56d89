package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// FaultKind names a misbehaviour the sandbox can be asked to show.
type FaultKind string

// Fault kinds.
const (
	// FaultLatency waits Fault.Latency (default 1 s) before processing the call normally.
	FaultLatency FaultKind = "latency"
	// FaultInternalError answers the InternalError envelope without processing the call.
	FaultInternalError FaultKind = "internal_error"
	// FaultRateLimit answers the RequestLimitExceeded envelope without processing the call.
	FaultRateLimit FaultKind = "rate_limit"
	// FaultHTTP5xx answers HTTP Fault.Status (default 503) with a plain-text body.
	FaultHTTP5xx FaultKind = "http_5xx"
	// FaultDropBefore closes the connection without reading or processing the call.
	FaultDropBefore FaultKind = "drop_before"
	// FaultDropAfterCreate processes the call (creating and recording flows), then closes the
	// connection without answering: the caller cannot know the outcome.
	FaultDropAfterCreate FaultKind = "drop_after_create"
)

// randomFaultKinds are the kinds Config.FaultRate picks among.
var randomFaultKinds = []FaultKind{FaultInternalError, FaultRateLimit, FaultHTTP5xx, FaultDropAfterCreate}

// Fault is a misbehaviour queued for the next Count API calls whose X-TC-Action equals Action
// (any action when Action is empty). Its JSON form is
// {"Kind":"http_5xx","Action":"CreateFlowsByTemplates","Count":2,"Latency":"250ms","Status":502};
// Latency is a Go duration string or a number of nanoseconds.
type Fault struct {
	Kind    FaultKind     `json:"Kind"`
	Action  string        `json:"Action,omitempty"`
	Count   int           `json:"Count,omitempty"`
	Latency time.Duration `json:"Latency,omitempty"`
	Status  int           `json:"Status,omitempty"`
}

// UnmarshalJSON decodes a Fault strictly, accepting Latency as a duration string or nanoseconds.
func (f *Fault) UnmarshalJSON(b []byte) error {
	var raw struct {
		Kind    FaultKind       `json:"Kind"`
		Action  string          `json:"Action"`
		Count   int             `json:"Count"`
		Latency json.RawMessage `json:"Latency"`
		Status  int             `json:"Status"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return fmt.Errorf("decode fault: %w", err)
	}
	var lat time.Duration
	if len(raw.Latency) > 0 && string(raw.Latency) != "null" {
		var text string
		if err := json.Unmarshal(raw.Latency, &text); err == nil {
			d, err := time.ParseDuration(text)
			if err != nil {
				return fmt.Errorf("decode fault Latency: %w", err)
			}
			lat = d
		} else {
			var ns int64
			if err := json.Unmarshal(raw.Latency, &ns); err != nil {
				return errors.New("decode fault Latency: want a duration string or integer nanoseconds")
			}
			lat = time.Duration(ns)
		}
	}
	*f = Fault{Kind: raw.Kind, Action: raw.Action, Count: raw.Count, Latency: lat, Status: raw.Status}
	return nil
}

// MarshalJSON encodes Latency as a duration string.
func (f Fault) MarshalJSON() ([]byte, error) {
	type plain struct {
		Kind    FaultKind `json:"Kind"`
		Action  string    `json:"Action,omitempty"`
		Count   int       `json:"Count,omitempty"`
		Latency string    `json:"Latency,omitempty"`
		Status  int       `json:"Status,omitempty"`
	}
	p := plain{Kind: f.Kind, Action: f.Action, Count: f.Count, Status: f.Status}
	if f.Latency != 0 {
		p.Latency = f.Latency.String()
	}
	return json.Marshal(p)
}

// normalize fills a fault's defaults and checks it.
func (f Fault) normalize() (Fault, error) {
	if f.Count <= 0 {
		f.Count = 1
	}
	switch f.Kind {
	case FaultLatency:
		if f.Latency < 0 {
			return f, fmt.Errorf("fault %s: negative Latency", f.Kind)
		}
		if f.Latency == 0 {
			f.Latency = time.Second
		}
	case FaultHTTP5xx:
		if f.Status == 0 {
			f.Status = http.StatusServiceUnavailable
		}
		if f.Status < 500 || f.Status > 599 {
			return f, fmt.Errorf("fault %s: Status %d is not 5xx", f.Kind, f.Status)
		}
	case FaultInternalError, FaultRateLimit, FaultDropBefore, FaultDropAfterCreate:
	default:
		return f, fmt.Errorf("unknown fault kind %q (want latency, internal_error, rate_limit, http_5xx, drop_before or drop_after_create)", f.Kind)
	}
	return f, nil
}

// InjectFault queues f for the next f.Count (at least 1) calls matching f.Action. Faults are
// consumed in the order they were queued. It returns an error for an unknown kind, a negative
// latency or a non-5xx status.
func (s *Server) InjectFault(f Fault) error {
	f, err := f.normalize()
	if err != nil {
		return fmt.Errorf("inject fault: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
	return nil
}

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault counts the call and returns the fault it gets: the first queued fault matching
// action, or else a random one at Config.FaultRate.
func (s *Server) takeFault(action string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[action]++
	for i, f := range s.faults {
		if f.Action != "" && f.Action != action {
			continue
		}
		s.faults[i].Count--
		if s.faults[i].Count <= 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return f, true
	}
	if s.cfg.FaultRate > 0 && s.faultRNG.Float64() < s.cfg.FaultRate {
		kind := randomFaultKinds[s.faultRNG.IntN(len(randomFaultKinds))]
		f, _ := Fault{Kind: kind}.normalize()
		return f, true
	}
	return Fault{}, false
}

// applyFault performs the part of f that happens before processing; done reports whether the
// call is finished.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f Fault, action string) (done bool) {
	s.log.Info("sandbox fault", "kind", string(f.Kind), "action", action)
	switch f.Kind {
	case FaultLatency:
		return !sleep(r.Context(), f.Latency)
	case FaultInternalError:
		writeAPIError(w, apiErr(CodeInternalError, "an internal error occurred (injected by the sandbox)"), s.newRequestID())
		return true
	case FaultRateLimit:
		writeAPIError(w, apiErr(CodeRequestLimitExceeded, "the request frequency limit is exceeded (injected by the sandbox)"), s.newRequestID())
		return true
	case FaultHTTP5xx:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(f.Status)
		_, _ = fmt.Fprintf(w, "%d %s (injected by the sandbox)\n", f.Status, http.StatusText(f.Status))
		return true
	case FaultDropBefore:
		abortConnection(w)
		return true
	}
	return false
}

// abortConnection closes the client connection without an answer.
func abortConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2 or a recorder): let net/http abort the response.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}
