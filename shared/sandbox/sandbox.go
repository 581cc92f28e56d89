package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Defaults used by the whole project, its samples and its README.
const (
	DefaultSecretID  = "AKIDessflowSandbox0000000000000000000"
	DefaultSecretKey = "essflowSandboxSecretKey000000000"
	DefaultAppID     = "yDwessflowSandboxAppId0000000001"
	DefaultAddr      = "127.0.0.1:8090"
	// DefaultQPS is the documented request rate of CreateFlowsByTemplates (20 per second).
	DefaultQPS = 20
)

// Services, versions and actions the sandbox answers.
const (
	ServiceESS                   = "essbasic"
	VersionESS                   = "2021-05-26"
	ActionCreateFlowsByTemplates = "CreateFlowsByTemplates"
	ActionDescribeTemplates      = "DescribeTemplates"
	ServiceTDMQ                  = "tdmq"
	VersionTDMQ                  = "2020-02-17"
	ActionSendCmqMsg             = "SendCmqMsg"
)

// maxBodyBytes bounds a request body (RequestSizeLimitExceeded beyond it).
const maxBodyBytes = 10 << 20

// Config configures a Server. The zero value serves the default credentials, AppID and
// catalogue at DefaultQPS.
type Config struct {
	// SecretID and SecretKey are the only accepted credentials; both empty means
	// DefaultSecretID and DefaultSecretKey.
	SecretID, SecretKey string
	// Token, when set, must equal X-TC-Token (temporary credentials); when empty, a request
	// carrying X-TC-Token is refused with AuthFailure.TokenFailure.
	Token string
	// AppID is the only Agent.AppId served; empty means DefaultAppID.
	AppID string
	// Templates is the catalogue; nil means DefaultTemplates().
	Templates []Template
	// QPS is the token-bucket rate per SecretId and action; 0 means DefaultQPS, negative
	// means unlimited. The burst is QPS rounded up (at least 1).
	QPS float64
	// Latency is waited before every API call is answered.
	Latency time.Duration
	// FaultRate (0..1) is the probability that an API call gets a random fault among
	// internal_error, rate_limit, http_5xx and drop_after_create.
	FaultRate float64
	// Now is the clock for signatures, deadlines, rate limits and records; nil means time.Now.
	Now func() time.Time
	// Seed seeds the generators of ids and random faults, making them reproducible; 0 means
	// a random seed.
	Seed int64
	// Logger receives one line per call (action, code, RequestId, duration), never bodies or
	// secrets; nil discards.
	Logger *slog.Logger
}

// CreatedFlow is a flow the sandbox created. It holds no mobile number, name or ID number.
type CreatedFlow struct {
	FlowID       string            `json:"FlowId"`
	TemplateID   string            `json:"TemplateId"`
	FlowName     string            `json:"FlowName"`
	CustomerData string            `json:"CustomerData"`
	CreatedAt    time.Time         `json:"CreatedAt"`
	RequestID    string            `json:"RequestId"`
	Approvers    []CreatedApprover `json:"Approvers"`
}

// CreatedApprover is one signer role of a created flow.
type CreatedApprover struct {
	RecipientID      string `json:"RecipientId"`
	SignID           string `json:"SignId"`
	ApproverType     string `json:"ApproverType"`
	ApproverRoleName string `json:"ApproverRoleName"`
}

// CMQMessage is a message received by SendCmqMsg.
type CMQMessage struct {
	MsgID        string    `json:"MsgId"`
	QueueName    string    `json:"QueueName"`
	MsgContent   string    `json:"MsgContent"`
	DelaySeconds int64     `json:"DelaySeconds"`
	Region       string    `json:"Region"`
	SentAt       time.Time `json:"SentAt"`
	RequestID    string    `json:"RequestId"`
}

// Server is the essbasic emulator. It is an http.Handler, safe for concurrent use: API calls
// on any path except /_sandbox/…, and the inspection and control endpoints under /_sandbox/.
type Server struct {
	cfg       Config
	templates map[string]*Template
	order     []string // template ids in catalogue order
	log       *slog.Logger
	admin     *http.ServeMux

	mu       sync.Mutex
	ids      *mrand.Rand
	faultRNG *mrand.Rand
	flows    []CreatedFlow
	flowIDs  map[string]bool
	queues   map[string][]CMQMessage
	calls    map[string]int
	faults   []Fault
	limiters map[string]*rate.Limiter
}

// New checks cfg, fills its defaults and returns a Server.
func New(cfg Config) (*Server, error) {
	var problems []string
	switch {
	case cfg.SecretID == "" && cfg.SecretKey == "":
		cfg.SecretID, cfg.SecretKey = DefaultSecretID, DefaultSecretKey
	case cfg.SecretID == "" || cfg.SecretKey == "":
		problems = append(problems, "SecretID and SecretKey must be set together")
	}
	if cfg.AppID == "" {
		cfg.AppID = DefaultAppID
	}
	if cfg.Templates == nil {
		cfg.Templates = DefaultTemplates()
	} else if err := checkTemplates(cfg.Templates); err != nil {
		problems = append(problems, err.Error())
	}
	if cfg.QPS == 0 {
		cfg.QPS = DefaultQPS
	}
	if math.IsNaN(cfg.QPS) {
		problems = append(problems, "QPS is NaN")
	}
	if !(cfg.FaultRate >= 0 && cfg.FaultRate <= 1) {
		problems = append(problems, fmt.Sprintf("FaultRate %v is outside 0..1", cfg.FaultRate))
	}
	if cfg.Latency < 0 {
		problems = append(problems, "Latency is negative")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("sandbox config: %s", strings.Join(problems, "; "))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	seed := uint64(cfg.Seed)
	if cfg.Seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		seed = binary.LittleEndian.Uint64(b[:])
	}
	s := &Server{
		cfg:       cfg,
		templates: map[string]*Template{},
		log:       cfg.Logger,
		ids:       mrand.New(mrand.NewPCG(seed, 0x6573736964)),
		faultRNG:  mrand.New(mrand.NewPCG(seed, 0x6661756c74)),
	}
	for i := range cfg.Templates {
		t := cfg.Templates[i]
		s.templates[t.TemplateID] = &t
		s.order = append(s.order, t.TemplateID)
	}
	s.resetLocked()
	s.admin = s.adminMux()
	return s, nil
}

// Reset forgets created flows, CMQ messages, call counts, queued faults and rate-limit state.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetLocked()
}

func (s *Server) resetLocked() {
	s.flows = nil
	s.flowIDs = map[string]bool{}
	s.queues = map[string][]CMQMessage{}
	s.calls = map[string]int{}
	s.faults = nil
	s.limiters = map[string]*rate.Limiter{}
}

// Flows returns a copy of the flows created so far, in creation order.
func (s *Server) Flows() []CreatedFlow {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]CreatedFlow, len(s.flows))
	for i, f := range s.flows {
		f.Approvers = append([]CreatedApprover(nil), f.Approvers...)
		out[i] = f
	}
	return out
}

// CMQMessages returns a copy of the messages sent to queue, oldest first (nil for a queue that
// never received one).
func (s *Server) CMQMessages(queue string) []CMQMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]CMQMessage(nil), s.queues[queue]...)
}

// Calls returns how many API requests named action in X-TC-Action since New or Reset, whatever
// their outcome (faulted, refused or answered).
func (s *Server) Calls(action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[action]
}

// AppID returns the application id the server serves.
func (s *Server) AppID() string { return s.cfg.AppID }

// SecretID returns the accepted SecretId.
func (s *Server) SecretID() string { return s.cfg.SecretID }

// route is an action the sandbox answers.
type route struct {
	service, version string
	handle           func(s *Server, c *call) (any, *APIError)
}

var routes = map[string]route{
	ActionCreateFlowsByTemplates: {ServiceESS, VersionESS, (*Server).createFlows},
	ActionDescribeTemplates:      {ServiceESS, VersionESS, (*Server).describeTemplates},
	ActionSendCmqMsg:             {ServiceTDMQ, VersionTDMQ, (*Server).sendCmqMsg},
}

// call is one API request being processed.
type call struct {
	r         *http.Request
	body      []byte
	action    string
	requestID string
	now       time.Time
	// created receives the flows to record; they are recorded before the answer is written.
	created []CreatedFlow
}

// ServeHTTP answers API calls and the /_sandbox/ endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sandbox/") {
		s.admin.ServeHTTP(w, r)
		return
	}
	s.serveAPI(w, r)
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	action := r.Header.Get("X-TC-Action")
	fault, faulted := s.takeFault(action)
	if s.cfg.Latency > 0 && !sleep(r.Context(), s.cfg.Latency) {
		return
	}
	if faulted {
		if done := s.applyFault(w, r, fault, action); done {
			return
		}
	}
	c := &call{r: r, action: action, requestID: s.newRequestID(), now: s.cfg.Now()}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	var resp any
	var apiError *APIError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		apiError = apiErr(CodeRequestSizeExceeded, "the request body exceeds %d bytes", maxBodyBytes)
	case err != nil:
		s.log.Warn("sandbox: read request body", "action", action, "error", err)
		return
	default:
		c.body = body
		resp, apiError = s.process(c)
	}
	s.record(c.created)
	if faulted && fault.Kind == FaultDropAfterCreate {
		s.log.Info("sandbox call dropped after processing", "action", action, "requestId", c.requestID, "created", len(c.created))
		abortConnection(w)
		return
	}
	if apiError != nil {
		s.log.Info("sandbox call refused", "action", action, "requestId", c.requestID, "code", apiError.Code, "duration", time.Since(start))
		writeAPIError(w, apiError, c.requestID)
		return
	}
	s.log.Info("sandbox call answered", "action", action, "requestId", c.requestID, "created", len(c.created), "duration", time.Since(start))
	writeJSON(w, http.StatusOK, map[string]any{"Response": resp})
}

// process routes, authenticates, rate-limits and handles one API call.
func (s *Server) process(c *call) (any, *APIError) {
	if c.action == "" {
		return nil, apiErr(CodeMissingParameter, "the request is missing a required parameter `Action` (X-TC-Action)")
	}
	rt, ok := routes[c.action]
	if !ok {
		return nil, apiErr(CodeInvalidAction, "the action `%s` is not found", truncate(c.action, 64))
	}
	version := c.r.Header.Get("X-TC-Version")
	switch {
	case version == "":
		return nil, apiErr(CodeMissingParameter, "the request is missing a required parameter `Version` (X-TC-Version)")
	case version != rt.version:
		return nil, apiErr(CodeNoSuchVersion, "the version `%s` of action %s is not found; use %s", truncate(version, 32), c.action, rt.version)
	}
	if c.r.Method != http.MethodPost {
		return nil, apiErr(CodeUnsupportedOperation, "the sandbox answers POST requests with a JSON body only")
	}
	auth, aerr := verifyTC3(c.r, c.body, s.lookupKey, c.now)
	if aerr != nil {
		return nil, aerr
	}
	if auth.Service != rt.service {
		return nil, apiErr(CodeInvalidAuthorization, "the credential scope names service %s; action %s belongs to %s", truncate(auth.Service, 32), c.action, rt.service)
	}
	token := c.r.Header.Get("X-TC-Token")
	switch {
	case s.cfg.Token == "" && token != "":
		return nil, apiErr(CodeTokenFailure, "X-TC-Token was sent with a permanent key")
	case s.cfg.Token != "" && token != s.cfg.Token:
		return nil, apiErr(CodeTokenFailure, "the token is invalid or expired")
	}
	if !s.allow(auth.SecretID, c.action, c.now) {
		return nil, apiErr(CodeRequestLimitExceeded, "your current request times equals to `%g` in a second, which exceeds the frequency limit", s.cfg.QPS)
	}
	return rt.handle(s, c)
}

func (s *Server) lookupKey(id string) (string, bool) {
	if id == s.cfg.SecretID {
		return s.cfg.SecretKey, true
	}
	return "", false
}

// allow takes a token from the bucket of secretID and action.
func (s *Server) allow(secretID, action string, now time.Time) bool {
	if s.cfg.QPS < 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := secretID + "\x00" + action
	l, ok := s.limiters[key]
	if !ok {
		l = rate.NewLimiter(rate.Limit(s.cfg.QPS), max(1, int(math.Ceil(s.cfg.QPS))))
		s.limiters[key] = l
	}
	return l.AllowN(now, 1)
}

func (s *Server) record(flows []CreatedFlow) {
	if len(flows) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flows = append(s.flows, flows...)
}

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// newID returns a fresh 32-character id beginning with yDw, unique within this server.
func (s *Server) newID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		b := []byte("yDw")
		for len(b) < 32 {
			b = append(b, idAlphabet[s.ids.IntN(len(idAlphabet))])
		}
		id := string(b)
		if !s.flowIDs[id] {
			s.flowIDs[id] = true
			return id
		}
	}
}

// newRequestID returns a uuid-like RequestId.
func (s *Server) newRequestID() string {
	s.mu.Lock()
	hi, lo := s.ids.Uint64(), s.ids.Uint64()
	s.mu.Unlock()
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], hi)
	binary.BigEndian.PutUint64(b[8:], lo)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// sleep waits d or until ctx ends, reporting whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// truncate shortens caller-supplied text echoed in messages.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// decodeStrict decodes one JSON object from body into v, refusing unknown fields and trailing
// data, and maps failures to API errors.
func decodeStrict(body []byte, v any) *APIError {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("trailing data after the JSON object")
	}
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr):
		return apiErr(CodeInvalidParameter, "the parameter `%s` has the wrong type: %s expected", typeErr.Field, jsonKind(typeErr.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return apiErr(CodeUnknownParameter, "the parameter %s is not recognized", truncate(strings.TrimPrefix(err.Error(), "json: unknown field "), 80))
	default:
		return apiErr(CodeInvalidParameter, "the request body is not a valid JSON object: %v", err)
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "String"
	case "bool":
		return "Boolean"
	case "slice", "array":
		return "Array"
	case "struct", "map", "ptr":
		return "Object"
	default:
		return "Integer"
	}
}
