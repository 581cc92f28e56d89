//go:build essflow_nosandbox

package app

import (
	"errors"
	"log/slog"

	"github.com/essflow/essflow/shared/ess"
)

// Sandbox stands for the embedded ESS sandbox, which this build leaves out (essflow_nosandbox,
// the deployed artifacts); it is never set.
type Sandbox struct {
	// URL is the sandbox's base URL.
	URL string
}

// Close does nothing.
func (*Sandbox) Close() error { return nil }

func startSandbox(string, *slog.Logger) (*Sandbox, ess.StaticCredentials, string, error) {
	return nil, ess.StaticCredentials{}, "", errors.New("this build has no embedded sandbox (built with essflow_nosandbox): " +
		"run it with go run ./scripts/local, or point ESSFLOW_ESS_ENDPOINT at a standalone sandbox URL")
}
