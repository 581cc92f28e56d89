// Package scf wires essflow for Tencent SCF: the result sinks and object store the SCF binary
// links (callback, AMQP, Kafka, TDMQ CMQ; COS), and the event handler over an assembled app.
// It links no AWS code.
package scf

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/essflow/essflow/shared/app"
	"github.com/essflow/essflow/shared/config"
	"github.com/essflow/essflow/shared/ess"
	"github.com/essflow/essflow/shared/objects"
	"github.com/essflow/essflow/shared/objects/cos"
	"github.com/essflow/essflow/shared/sink"
	"github.com/essflow/essflow/shared/sink/amqp"
	"github.com/essflow/essflow/shared/sink/cmq"
	"github.com/essflow/essflow/shared/sink/webhook"
	trigger "github.com/essflow/essflow/shared/trigger/scf"
)

// EnvCOSRegion names the COS region of trigger buckets; TENCENTCLOUD_REGION is used when unset.
const EnvCOSRegion = "ESSFLOW_COS_REGION"

// Sinks are the result sinks of the SCF binary.
func Sinks() sink.Registry {
	r := sink.Registry{
		"http": webhook.Open, "https": webhook.Open,
		"amqp": amqp.Open, "amqps": amqp.Open,
		"cmq": cmq.Open,
	}
	addKafka(r)
	return r
}

// AppOptions returns the app options of the SCF binary: role credentials are required.
func AppOptions() app.Options {
	return app.Options{NeedCredentials: true, RequireStoreChoice: true, Sinks: Sinks(), ObjectStores: objectStores}
}

// objectStores opens the COS store. The bucket URL is the public COS endpoint of the region, or
// ESSFLOW_COS_ENDPOINT (path-style, for private deployments and tests).
func objectStores(_ context.Context, cfg *config.Config) (map[string]objects.Store, error) {
	roles := ess.EnvCredentials{Getenv: cfg.Getenv}
	opts := cos.Options{
		Region: firstNonEmpty(cfg.Getenv(EnvCOSRegion), cfg.Getenv("TENCENTCLOUD_REGION")),
		// The same role credentials as ESS calls, read at every request.
		Credentials: func() (cos.Credentials, error) {
			id, key, token := roles.GetCredential()
			if id == "" || key == "" {
				return cos.Credentials{}, fmt.Errorf("cos credentials: %s and %s must be set", ess.EnvSecretID, ess.EnvSecretKey)
			}
			return cos.Credentials{SecretID: id, SecretKey: key, SessionToken: token}, nil
		},
	}
	if cfg.COSEndpoint != "" {
		opts.BaseURL = strings.TrimRight(cfg.COSEndpoint, "/") + "/{bucket}"
	} else if opts.Region == "" {
		// Without a region no bucket URL can be built: COS events then fail with a clear error.
		return map[string]objects.Store{}, nil
	}
	st, err := cos.New(opts)
	if err != nil {
		return nil, err
	}
	return map[string]objects.Store{"cos": st}, nil
}

// Handler returns the function to register with scf-go-lib: it waits for the app being built
// in the background, then serves every event with NewHandler. While the configuration is
// broken, every invocation fails with the configuration error (SCF retries asynchronous events
// and then moves them to the dead-letter queue, so nothing is lost).
func Handler(p *app.Pending) func(ctx context.Context, event json.RawMessage) (any, error) {
	var (
		once sync.Once
		h    *trigger.Handler
	)
	return func(ctx context.Context, event json.RawMessage) (any, error) {
		a, err := p.Wait(ctx)
		if err != nil {
			return nil, err
		}
		once.Do(func() { h = NewHandler(a) })
		return h.Invoke(ctx, event)
	}
}

// NewHandler returns the SCF event handler over a; register its Invoke with scf-go-lib.
func NewHandler(a *app.App) *trigger.Handler {
	h := &trigger.Handler{Processor: a.Processor, MaxBody: a.Config.MaxBodyBytes, Tokens: a.Config.HTTPTokens, Logger: a.Logger.With("component", "trigger")}
	if a.Objects != nil {
		h.Objects = a.Objects
	}
	return h
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}
