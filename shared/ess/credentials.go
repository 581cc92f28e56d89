package ess

import (
	"os"
	"strings"
)

// Names of the variables in which Tencent SCF injects the execution role's temporary credentials.
const (
	EnvSecretID     = "TENCENTCLOUD_SECRETID"
	EnvSecretKey    = "TENCENTCLOUD_SECRETKEY"
	EnvSessionToken = "TENCENTCLOUD_SESSIONTOKEN"
)

// EnvCredentials reads SCF's role credentials (TENCENTCLOUD_SECRETID, TENCENTCLOUD_SECRETKEY,
// TENCENTCLOUD_SESSIONTOKEN) at every call, so credentials rotated by the platform (scf-go-lib
// re-applies the environment on each invocation) are always current. The SDK's own environment
// provider reads other names and drops the token. A nil getenv means os.Getenv.
type EnvCredentials struct {
	Getenv func(string) string
}

func (e EnvCredentials) get(name string) string {
	if e.Getenv != nil {
		return strings.TrimSpace(e.Getenv(name))
	}
	return strings.TrimSpace(os.Getenv(name))
}

// GetSecretId returns the current SecretId.
func (e EnvCredentials) GetSecretId() string { return e.get(EnvSecretID) }

// GetSecretKey returns the current SecretKey.
func (e EnvCredentials) GetSecretKey() string { return e.get(EnvSecretKey) }

// GetToken returns the current session token ("" for permanent keys).
func (e EnvCredentials) GetToken() string { return e.get(EnvSessionToken) }

// GetCredential returns SecretId, SecretKey and token read together.
func (e EnvCredentials) GetCredential() (string, string, string) {
	return e.GetSecretId(), e.GetSecretKey(), e.GetToken()
}

// StaticCredentials are fixed credentials (explicit configuration, the sandbox). Surrounding
// spaces, a classic cause of AuthFailure.SignatureFailure, are trimmed.
type StaticCredentials struct {
	SecretID, SecretKey, Token string
}

// GetSecretId returns the SecretId.
func (s StaticCredentials) GetSecretId() string { return strings.TrimSpace(s.SecretID) }

// GetSecretKey returns the SecretKey.
func (s StaticCredentials) GetSecretKey() string { return strings.TrimSpace(s.SecretKey) }

// GetToken returns the session token.
func (s StaticCredentials) GetToken() string { return strings.TrimSpace(s.Token) }

// GetCredential returns all three.
func (s StaticCredentials) GetCredential() (string, string, string) {
	return s.GetSecretId(), s.GetSecretKey(), s.GetToken()
}
