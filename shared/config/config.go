// Package config reads essflow's settings from environment variables and validates them at cold
// start, reporting every problem at once in one error.
package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Environment variable names.
const (
	EnvEndpoint        = "ESSFLOW_ESS_ENDPOINT"
	EnvAppID           = "ESSFLOW_APP_ID"
	EnvQPS             = "ESSFLOW_QPS"
	EnvESSTimeout      = "ESSFLOW_ESS_TIMEOUT"
	EnvESSMaxAttempts  = "ESSFLOW_ESS_MAX_ATTEMPTS"
	EnvAllowedOrgs     = "ESSFLOW_ALLOWED_ORG_OPENIDS"
	EnvMaxBody         = "ESSFLOW_MAX_BODY_BYTES"
	EnvConcurrency     = "ESSFLOW_CONCURRENCY"
	EnvResultSinks     = "ESSFLOW_RESULT_SINKS"
	EnvIdemStore       = "ESSFLOW_IDEMPOTENCY_STORE"
	EnvIdemTTL         = "ESSFLOW_IDEMPOTENCY_TTL"
	EnvInProgressWait  = "ESSFLOW_INPROGRESS_WAIT"
	EnvFunctionName    = "ESSFLOW_FUNCTION_NAME"
	EnvResultsPrefix   = "ESSFLOW_RESULTS_PREFIX"
	EnvLogLevel        = "ESSFLOW_LOG_LEVEL"
	EnvHTTPTokens      = "ESSFLOW_HTTP_TOKENS"
	EnvSecretID        = "TENCENTCLOUD_SECRETID"
	EnvSecretKey       = "TENCENTCLOUD_SECRETKEY"
	EnvSessionToken    = "TENCENTCLOUD_SESSIONTOKEN"
	EnvCOSEndpoint     = "ESSFLOW_COS_ENDPOINT"
	EnvS3Endpoint      = "ESSFLOW_S3_ENDPOINT"
	EndpointSandbox    = "sandbox"
	DefaultMaxBody     = 2 << 20
	DefaultConcurrency = 20
)

// Config is the validated configuration of one function instance.
type Config struct {
	// Endpoint is the ESS endpoint: "" (production), "test", a host, a URL, or "sandbox" for the
	// embedded sandbox.
	Endpoint string
	// AppID pins Agent.AppId: requests without it get this one, requests with another are refused.
	AppID string
	// AllowedOrgs, when non-empty, restricts Agent.ProxyOrganizationOpenId.
	AllowedOrgs []string
	// HTTPTokens, when non-empty, are the bearer tokens HTTP callers must present.
	HTTPTokens []string `json:"-"`
	QPS        float64
	// ESSTimeout bounds one HTTP attempt to ESS; ESSMaxAttempts bounds retries of safe failures.
	ESSTimeout     time.Duration
	ESSMaxAttempts int
	MaxBodyBytes   int
	Concurrency    int
	// ResultSinks is the raw ESSFLOW_RESULT_SINKS list (opened by the sink registry).
	ResultSinks string
	// IdempotencyStore is "memory" or a redis:// / rediss:// URL.
	IdempotencyStore string
	IdempotencyTTL   time.Duration
	InProgressWait   time.Duration
	FunctionName     string
	ResultsPrefix    string
	LogLevel         slog.Level
	// COSEndpoint and S3Endpoint override the object storage endpoints (tests, private clouds).
	COSEndpoint string
	S3Endpoint  string
	// Getenv is the variable reader the configuration was loaded with, for adapters that read
	// their own settings.
	Getenv func(string) string `json:"-"`
}

// Sandbox reports whether the embedded ESS sandbox is configured.
func (c *Config) Sandbox() bool { return strings.EqualFold(c.Endpoint, EndpointSandbox) }

// Load reads the configuration from getenv (os.Getenv when nil). needCredentials says whether
// TENCENTCLOUD_SECRETID/SECRETKEY must be present (SCF role credentials); it is ignored for the
// sandbox. Every problem is reported in one error.
func Load(getenv func(string) string, needCredentials bool) (*Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	var errs []error
	bad := func(name, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, a...)))
	}
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	c := &Config{
		Getenv:           getenv,
		Endpoint:         get(EnvEndpoint),
		AppID:            get(EnvAppID),
		ResultSinks:      get(EnvResultSinks),
		IdempotencyStore: get(EnvIdemStore),
		FunctionName:     get(EnvFunctionName),
		ResultsPrefix:    get(EnvResultsPrefix),
		COSEndpoint:      get(EnvCOSEndpoint),
		S3Endpoint:       get(EnvS3Endpoint),
	}
	if c.IdempotencyStore == "" {
		c.IdempotencyStore = "memory"
	}
	if c.ResultsPrefix == "" {
		c.ResultsPrefix = "results/"
	}
	if c.FunctionName == "" {
		c.FunctionName = firstNonEmpty(getenv("SCF_FUNCTIONNAME"), getenv("AWS_LAMBDA_FUNCTION_NAME"), "essflow")
	}
	for _, o := range strings.Split(get(EnvAllowedOrgs), ",") {
		if o = strings.TrimSpace(o); o != "" {
			if len(o) > 64 {
				bad(EnvAllowedOrgs, "%q is longer than 64 characters", o)
			}
			c.AllowedOrgs = append(c.AllowedOrgs, o)
		}
	}
	for _, tok := range strings.FieldsFunc(getenv(EnvHTTPTokens), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
		if len(tok) < 16 {
			bad(EnvHTTPTokens, "a token is shorter than 16 characters; use long random tokens")
			continue
		}
		c.HTTPTokens = append(c.HTTPTokens, tok)
	}
	c.QPS = parseFloat(get(EnvQPS), 20, 0.1, 1000, EnvQPS, bad)
	c.ESSTimeout = parseDuration(get(EnvESSTimeout), 15*time.Second, 100*time.Millisecond, 5*time.Minute, EnvESSTimeout, bad)
	c.ESSMaxAttempts = parseInt(get(EnvESSMaxAttempts), 4, 1, 10, EnvESSMaxAttempts, bad)
	c.MaxBodyBytes = parseInt(get(EnvMaxBody), DefaultMaxBody, 1024, 6<<20, EnvMaxBody, bad)
	c.Concurrency = parseInt(get(EnvConcurrency), DefaultConcurrency, 1, 200, EnvConcurrency, bad)
	c.IdempotencyTTL = parseDuration(get(EnvIdemTTL), 24*time.Hour, time.Minute, 30*24*time.Hour, EnvIdemTTL, bad)
	c.InProgressWait = parseDuration(get(EnvInProgressWait), 2*time.Second, 0, time.Minute, EnvInProgressWait, bad)

	switch lvl := strings.ToLower(get(EnvLogLevel)); lvl {
	case "", "info":
		c.LogLevel = slog.LevelInfo
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		bad(EnvLogLevel, "%q is not one of debug, info, warn, error", lvl)
	}

	if !c.Sandbox() {
		if err := checkEndpoint(c.Endpoint); err != nil {
			bad(EnvEndpoint, "%v", err)
		}
		if c.AppID == "" {
			bad(EnvAppID, "required: the essbasic application id (Agent.AppId) this function acts for")
		} else if len(c.AppID) > 64 || strings.ContainsAny(c.AppID, " \t") {
			bad(EnvAppID, "%q does not look like an application id", c.AppID)
		}
		id, key := get(EnvSecretID), get(EnvSecretKey)
		if needCredentials && (id == "" || key == "") {
			missing := []string{}
			if id == "" {
				missing = append(missing, EnvSecretID)
			}
			if key == "" {
				missing = append(missing, EnvSecretKey)
			}
			bad(strings.Join(missing, ", "), "required: bind an execution role to the function (SCF injects its temporary credentials) or set them")
		}
	}
	if err := checkStore(c.IdempotencyStore); err != nil {
		bad(EnvIdemStore, "%v", err)
	}
	for _, p := range []struct{ name, v string }{{EnvCOSEndpoint, c.COSEndpoint}, {EnvS3Endpoint, c.S3Endpoint}} {
		if p.v != "" {
			if u, err := url.Parse(p.v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				bad(p.name, "%q is not an http(s) URL", p.v)
			}
		}
	}
	if len(errs) > 0 {
		return nil, &Error{Problems: errs}
	}
	return c, nil
}

// Error lists every configuration problem.
type Error struct{ Problems []error }

// Error lists every problem, one per line.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid configuration (%d problem(s)):", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap returns the problems.
func (e *Error) Unwrap() []error { return e.Problems }

func checkEndpoint(e string) error {
	switch strings.ToLower(e) {
	case "", "production", "prod", "test":
		return nil
	}
	if strings.Contains(e, "://") {
		u, err := url.Parse(e)
		if err != nil {
			return err
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			return fmt.Errorf("%q: want https://host[:port] (or production, test, sandbox)", e)
		}
		return nil
	}
	if strings.ContainsAny(e, "/ ") {
		return fmt.Errorf("%q: want a host name, a URL, production, test or sandbox", e)
	}
	return nil
}

func checkStore(s string) error {
	if s == "memory" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return fmt.Errorf("%q: want memory or redis://[user:pass@]host:port/db (rediss:// for TLS)", redact(s))
	}
	return nil
}

// redact hides a password in a URL for messages.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

func parseInt(s string, def, lo, hi int, name string, bad func(string, string, ...any)) int {
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		bad(name, "%q: want a whole number from %d to %d", s, lo, hi)
		return def
	}
	return v
}

func parseFloat(s string, def, lo, hi float64, name string, bad func(string, string, ...any)) float64 {
	if s == "" {
		return def
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < lo || v > hi {
		bad(name, "%q: want a number from %g to %g", s, lo, hi)
		return def
	}
	return v
}

func parseDuration(s string, def, lo, hi time.Duration, name string, bad func(string, string, ...any)) time.Duration {
	if s == "" {
		return def
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < lo || v > hi {
		bad(name, "%q: want a duration such as 15s or 24h, from %v to %v", s, lo, hi)
		return def
	}
	return v
}
