package webhook

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/essflow/essflow/shared/result"
)

// Callbacks delivers results to per-request callback URLs (the request envelope's CallbackUrl),
// signed like every callback, and only to hosts of an allow list. It is safe for concurrent use
// and shares one connection pool.
type Callbacks struct {
	client *Client
	allow  []string
}

// NewCallbacks returns per-request callbacks restricted to allowlist (see CheckAllowed).
func NewCallbacks(opts Options, allowlist []string) (*Callbacks, error) {
	if len(allowlist) == 0 {
		return nil, fmt.Errorf("per-request callbacks: %s is empty", EnvAllowedHosts)
	}
	c, err := NewClient(opts)
	if err != nil {
		return nil, fmt.Errorf("per-request callbacks: %w", err)
	}
	return &Callbacks{client: c, allow: allowlist}, nil
}

// CallbacksFromEnv enables per-request callbacks when ESSFLOW_WEBHOOK_ALLOWED_HOSTS is set
// (signing with ESSFLOW_WEBHOOK_SECRET, timeouts and address policy as for the callback sink).
// It returns nil and no error when the allow list is empty: such requests are then refused.
func CallbacksFromEnv(getenv func(string) string) (*Callbacks, error) {
	allow := ParseAllowlist(getenv(EnvAllowedHosts))
	if len(allow) == 0 {
		return nil, nil
	}
	opts, err := OptionsFromEnv(getenv)
	if err != nil {
		return nil, fmt.Errorf("per-request callbacks: %w", err)
	}
	return NewCallbacks(opts, allow)
}

// Check reports whether raw may be used as a callback URL: absolute http(s), its host on the
// allow list. The error names the host, never the query.
func (c *Callbacks) Check(raw string) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return fmt.Errorf("%w: not a URL", ErrNotAllowed)
	}
	return CheckAllowed(u, c.allow)
}

// Deliver posts msg to raw after checking it again.
func (c *Callbacks) Deliver(ctx context.Context, raw string, msg *result.Message) error {
	if err := c.Check(raw); err != nil {
		return &permanentError{err}
	}
	u, _ := url.Parse(strings.TrimSpace(raw))
	return c.client.Post(ctx, u, msg)
}

// Close releases the connection pool.
func (c *Callbacks) Close() error { return c.client.Close() }
