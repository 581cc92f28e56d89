package sandbox

import (
	"io"
	"net/http"
)

// adminMux serves the inspection and control endpoints:
//
//	GET    /_sandbox/healthz       {"ok":true}
//	GET    /_sandbox/flows         the created flows (JSON array of CreatedFlow)
//	GET    /_sandbox/cmq/{queue}   the messages of a queue (JSON array of CMQMessage)
//	GET    /_sandbox/calls         {"<action>": count, …}
//	POST   /_sandbox/faults        queue a Fault (JSON body); 400 for an invalid one
//	DELETE /_sandbox/faults        drop every queued fault
//	POST   /_sandbox/reset         Reset
func (s *Server) adminMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_sandbox/healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
	mux.HandleFunc("GET /_sandbox/flows", func(w http.ResponseWriter, _ *http.Request) {
		flows := s.Flows()
		if flows == nil {
			flows = []CreatedFlow{}
		}
		writeJSON(w, http.StatusOK, flows)
	})
	mux.HandleFunc("GET /_sandbox/cmq/{queue}", func(w http.ResponseWriter, r *http.Request) {
		msgs := s.CMQMessages(r.PathValue("queue"))
		if msgs == nil {
			msgs = []CMQMessage{}
		}
		writeJSON(w, http.StatusOK, msgs)
	})
	mux.HandleFunc("GET /_sandbox/calls", func(w http.ResponseWriter, _ *http.Request) {
		s.mu.Lock()
		calls := make(map[string]int, len(s.calls))
		for k, v := range s.calls {
			calls[k] = v
		}
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, calls)
	})
	mux.HandleFunc("POST /_sandbox/faults", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<16))
		if err != nil {
			http.Error(w, "read fault: "+err.Error(), http.StatusBadRequest)
			return
		}
		var f Fault
		if err := f.UnmarshalJSON(body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := s.InjectFault(f); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /_sandbox/faults", func(w http.ResponseWriter, _ *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_sandbox/reset", func(w http.ResponseWriter, _ *http.Request) {
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}
