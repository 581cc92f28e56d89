// Package scf wires essflow for Tencent SCF: the result sinks and object store the SCF binary
// links (callback, AMQP, Kafka, TDMQ CMQ; COS), and the event handler over an assembled app.
// It links no AWS code.
package scf

import (
	"context"
	"strings"

	"github.com/essflow/essflow/shared/app"
	"github.com/essflow/essflow/shared/config"
	"github.com/essflow/essflow/shared/objects"
	"github.com/essflow/essflow/shared/objects/cos"
	"github.com/essflow/essflow/shared/sink"
	"github.com/essflow/essflow/shared/sink/amqp"
	"github.com/essflow/essflow/shared/sink/cmq"
	"github.com/essflow/essflow/shared/sink/kafka"
	"github.com/essflow/essflow/shared/sink/webhook"
	trigger "github.com/essflow/essflow/shared/trigger/scf"
)

// EnvCOSRegion names the COS region of trigger buckets; TENCENTCLOUD_REGION is used when unset.
const EnvCOSRegion = "ESSFLOW_COS_REGION"

// Sinks are the result sinks of the SCF binary.
func Sinks() sink.Registry {
	return sink.Registry{
		"http": webhook.Open, "https": webhook.Open,
		"amqp": amqp.Open, "amqps": amqp.Open,
		"kafka": kafka.Open,
		"cmq":   cmq.Open,
	}
}

// AppOptions returns the app options of the SCF binary: role credentials are required.
func AppOptions() app.Options {
	return app.Options{NeedCredentials: true, Sinks: Sinks(), ObjectStores: objectStores}
}

// objectStores opens the COS store. The bucket URL is the public COS endpoint of the region, or
// ESSFLOW_COS_ENDPOINT (path-style, for private deployments and tests).
func objectStores(_ context.Context, cfg *config.Config) (map[string]objects.Store, error) {
	opts := cos.Options{Region: firstNonEmpty(cfg.Getenv(EnvCOSRegion), cfg.Getenv("TENCENTCLOUD_REGION"))}
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

// NewHandler returns the SCF event handler over a; register its Invoke with scf-go-lib.
func NewHandler(a *app.App) *trigger.Handler {
	h := &trigger.Handler{Processor: a.Processor, MaxBody: a.Config.MaxBodyBytes, Logger: a.Logger.With("component", "trigger")}
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
