// Package app assembles essflow from its configuration: the ESS client (or the embedded
// sandbox), the validator, the idempotency store, the result sinks, the processor and the
// storage runner. The functions and the local runner call Build; each passes the sink openers
// and object stores its binary links, so the SCF binary carries no AWS code and the Lambda
// binary no Tencent storage code.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"

	"github.com/essflow/essflow/shared/config"
	"github.com/essflow/essflow/shared/ess"
	"github.com/essflow/essflow/shared/flows"
	"github.com/essflow/essflow/shared/idem"
	"github.com/essflow/essflow/shared/idem/memory"
	"github.com/essflow/essflow/shared/idem/redis"
	"github.com/essflow/essflow/shared/objects"
	"github.com/essflow/essflow/shared/sink"
	"github.com/essflow/essflow/shared/sink/webhook"
)

// Options says what the binary links and where its settings come from.
type Options struct {
	// Getenv reads settings (os.Getenv when nil).
	Getenv func(string) string
	// NeedCredentials requires TENCENTCLOUD_SECRETID/SECRETKEY (SCF role credentials) unless
	// Credentials is given or the sandbox is configured.
	NeedCredentials bool
	// Credentials overrides the environment credentials (the Lambda adapter's Secrets Manager).
	Credentials common.CredentialIface
	// Sinks maps result-sink URL schemes to openers.
	Sinks sink.Registry
	// ObjectStores opens the object stores of storage triggers ("cos" or "s3"); nil when the
	// binary has none.
	ObjectStores func(ctx context.Context, cfg *config.Config) (map[string]objects.Store, error)
	// LogOutput receives JSON logs (os.Stderr when nil).
	LogOutput io.Writer
	// RequireStoreChoice makes an unset ESSFLOW_IDEMPOTENCY_STORE an error (deployed functions):
	// the in-memory store protects one instance only, so it must be chosen knowingly. The
	// sandbox endpoint and the local runner keep the memory default.
	RequireStoreChoice bool
}

// App is an assembled function instance.
type App struct {
	Config    *config.Config
	Logger    *slog.Logger
	Client    *ess.Client
	Processor *flows.Processor
	Objects   *objects.Runner
	Sinks     *sink.Fanout
	// Sandbox is the embedded ESS sandbox when ESSFLOW_ESS_ENDPOINT=sandbox.
	Sandbox *Sandbox
	closers []func() error
}

// Store is an idempotency store as the processor and the operator command use it.
type Store interface {
	flows.Store
	Delete(ctx context.Context, key string) error
	List(ctx context.Context, prefix string, limit int) ([]idem.Record, error)
	Close() error
}

// Build reads the configuration and assembles the app. Every configuration problem is reported
// at once; nothing is half-built on error.
func Build(ctx context.Context, opt Options) (a *App, err error) {
	getenv := opt.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	cfg, err := config.Load(getenv, opt.NeedCredentials && opt.Credentials == nil)
	if err != nil {
		return nil, err
	}
	if opt.RequireStoreChoice && !cfg.Sandbox() && strings.TrimSpace(getenv(config.EnvIdemStore)) == "" {
		return nil, &config.Error{Problems: []error{fmt.Errorf("%s: required for a deployed function: redis://host:port/db "+
			"(shared by every instance), or memory to accept that each instance only protects itself", config.EnvIdemStore)}}
	}
	out := opt.LogOutput
	if out == nil {
		out = os.Stderr
	}
	logger := slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: cfg.LogLevel}))
	a = &App{Config: cfg, Logger: logger}
	defer func() {
		if err != nil {
			a.Close()
			a = nil
		}
	}()

	creds := opt.Credentials
	if creds == nil {
		creds = ess.EnvCredentials{Getenv: getenv}
	}
	endpoint := cfg.Endpoint
	if cfg.Sandbox() {
		sb, sbCreds, appID, serr := startSandbox(cfg.AppID, logger.With("component", "sandbox"))
		if serr != nil {
			return nil, fmt.Errorf("start the embedded sandbox: %w", serr)
		}
		a.Sandbox = sb
		a.closers = append(a.closers, sb.Close)
		endpoint, creds, cfg.AppID = sb.URL, sbCreds, appID
	}
	client, err := ess.NewClient(ess.Config{
		Endpoint:       endpoint,
		Credentials:    creds,
		QPS:            cfg.QPS,
		AttemptTimeout: cfg.ESSTimeout,
		MaxAttempts:    cfg.ESSMaxAttempts,
		Logger:         logger.With("component", "ess"),
	})
	if err != nil {
		return nil, err
	}
	a.Client = client

	st, err := OpenStore(ctx, cfg.IdempotencyStore)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, st.Close)
	if cfg.IdempotencyStore == "memory" {
		logger.Info("idempotency store: memory (single instance only; use redis:// when more than one instance may run)")
	}

	reg := opt.Sinks
	if reg == nil {
		reg = sink.Registry{}
	}
	fan, err := reg.Open(ctx, cfg.ResultSinks, getenv)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", config.EnvResultSinks, err)
	}
	a.Sinks = fan
	a.closers = append(a.closers, fan.Close)
	if len(cfg.HTTPTokens) == 0 && !cfg.Sandbox() {
		logger.Warn("HTTP triggers accept unauthenticated callers (ESSFLOW_HTTP_TOKENS is not set): protect the API gateway or function URL, or set tokens")
	}
	if fan.Len() == 0 {
		logger.Info("no result sinks configured (ESSFLOW_RESULT_SINKS): results are logged only")
	}

	var callbacks flows.Callbacks
	if cb, err := webhook.CallbacksFromEnv(getenv); err != nil {
		return nil, fmt.Errorf("%s: %w", webhook.EnvAllowedHosts, err)
	} else if cb != nil {
		callbacks = cb
		a.closers = append(a.closers, cb.Close)
	}

	proc, err := flows.New(client, ess.NewValidator(ess.ValidatorOptions{}), st, fan, flows.Options{
		Callbacks:      callbacks,
		AppID:          cfg.AppID,
		AllowedOrgs:    cfg.AllowedOrgs,
		Function:       cfg.FunctionName,
		TTL:            cfg.IdempotencyTTL,
		InProgressWait: cfg.InProgressWait,
		Concurrency:    cfg.Concurrency,
		Logger:         logger.With("component", "flows"),
	})
	if err != nil {
		return nil, err
	}
	a.Processor = proc

	if opt.ObjectStores != nil {
		stores, err := opt.ObjectStores(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("object storage: %w", err)
		}
		a.Objects = &objects.Runner{Stores: stores, Processor: proc, ResultsPrefix: cfg.ResultsPrefix, Logger: logger.With("component", "objects")}
	}
	return a, nil
}

// OpenStore opens the idempotency store named by ESSFLOW_IDEMPOTENCY_STORE: "memory" or a
// redis:// / rediss:// URL.
func OpenStore(ctx context.Context, spec string) (Store, error) {
	if spec == "" || spec == "memory" {
		return memory.New(memory.Options{}), nil
	}
	if strings.HasPrefix(spec, "redis://") || strings.HasPrefix(spec, "rediss://") {
		s, err := redis.Open(ctx, spec, redis.Options{})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", config.EnvIdemStore, err)
		}
		return s, nil
	}
	return nil, errors.New(config.EnvIdemStore + ": want memory or a redis:// URL")
}

// Close releases everything Build opened, in reverse order.
func (a *App) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](); err != nil && a.Logger != nil {
			a.Logger.Warn("close", "err", err)
		}
	}
	a.closers = nil
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// Pending is an app being assembled in the background, so that a function's runtime can start
// answering the platform (SCF's readiness ping) while the dependencies are built.
type Pending struct {
	done chan struct{}
	app  *App
	err  error
}

// BuildAsync starts Build in a goroutine. A failure is written at once to the log output (one
// line, every configuration problem listed) and returned by every Wait.
func BuildAsync(ctx context.Context, opt Options) *Pending {
	p := &Pending{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.app, p.err = Build(ctx, opt)
		if p.err != nil {
			out := opt.LogOutput
			if out == nil {
				out = os.Stderr
			}
			fmt.Fprintln(out, "essflow: cannot start:", p.err)
		}
	}()
	return p
}

// Wait returns the assembled app, or the build error, waiting at most until ctx ends.
func (p *Pending) Wait(ctx context.Context) (*App, error) {
	select {
	case <-p.done:
		return p.app, p.err
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the function to start: %w", ctx.Err())
	}
}
