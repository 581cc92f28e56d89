//go:build !essflow_nosandbox

package app

import (
	"log/slog"

	"github.com/essflow/essflow/shared/ess"
	"github.com/essflow/essflow/shared/sandbox"
)

// Sandbox is the embedded ESS sandbox, running when ESSFLOW_ESS_ENDPOINT=sandbox.
type Sandbox = sandbox.Running

// startSandbox starts the embedded sandbox for appID (its default application when empty) and
// returns it with the credentials it accepts and the application id it serves.
func startSandbox(appID string, logger *slog.Logger) (*Sandbox, ess.StaticCredentials, string, error) {
	if appID == "" {
		appID = sandbox.DefaultAppID
	}
	sb, err := sandbox.Start(sandbox.Config{AppID: appID, Logger: logger})
	if err != nil {
		return nil, ess.StaticCredentials{}, "", err
	}
	return sb, ess.StaticCredentials{SecretID: sandbox.DefaultSecretID, SecretKey: sandbox.DefaultSecretKey}, appID, nil
}
