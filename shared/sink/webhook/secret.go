package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SecretPrefix starts every Standard Webhooks v1 signing secret.
const SecretPrefix = "whsec_"

// Secret is one HMAC-SHA256 signing key. Its String and GoString methods never show the key,
// so a Secret printed by mistake leaks nothing.
type Secret struct {
	key []byte
}

// String returns a fixed placeholder, never the key.
func (Secret) String() string { return "whsec_[redacted]" }

// GoString returns a fixed placeholder, never the key.
func (Secret) GoString() string { return "webhook.Secret{[redacted]}" }

// Minimum and maximum decoded secret lengths, as Standard Webhooks recommends (24 to 64 bytes).
const (
	MinSecretBytes = 24
	MaxSecretBytes = 64
)

// ParseSecrets parses ESSFLOW_WEBHOOK_SECRET: one or more whsec_<base64> secrets separated by
// spaces (several during a rotation: every message is then signed with each of them). Each
// secret must decode (standard base64, padding optional) to 24-64 bytes. Errors name the
// secret by position only, never by value.
func ParseSecrets(s string) ([]Secret, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return nil, errors.New("no webhook secret: set ESSFLOW_WEBHOOK_SECRET to whsec_<base64>")
	}
	secrets := make([]Secret, 0, len(fields))
	var errs []error
	for i, f := range fields {
		key, err := decodeSecret(f)
		if err != nil {
			errs = append(errs, fmt.Errorf("webhook secret %d: %w", i+1, err))
			continue
		}
		secrets = append(secrets, Secret{key: key})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return secrets, nil
}

func decodeSecret(f string) ([]byte, error) {
	b64, ok := strings.CutPrefix(f, SecretPrefix)
	if !ok {
		return nil, errors.New("does not start with " + SecretPrefix)
	}
	key, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(b64, "="))
	if err != nil {
		return nil, errors.New("is not valid base64 after " + SecretPrefix)
	}
	if len(key) < MinSecretBytes || len(key) > MaxSecretBytes {
		return nil, fmt.Errorf("decodes to %d bytes, want %d to %d", len(key), MinSecretBytes, MaxSecretBytes)
	}
	return key, nil
}

// NewSecret returns a Secret for a raw key (for tests and for keys fetched from a secret
// manager); it applies the same 24-64 byte rule as ParseSecrets.
func NewSecret(key []byte) (Secret, error) {
	if len(key) < MinSecretBytes || len(key) > MaxSecretBytes {
		return Secret{}, fmt.Errorf("webhook secret is %d bytes, want %d to %d", len(key), MinSecretBytes, MaxSecretBytes)
	}
	return Secret{key: append([]byte(nil), key...)}, nil
}

// Signature returns the webhook-signature header value for one attempt: one "v1,<base64>" entry
// per secret, separated by spaces, each the HMAC-SHA256 of "id.timestamp.body" where timestamp
// is ts in Unix seconds.
func Signature(secrets []Secret, id string, ts time.Time, body []byte) string {
	prefix := make([]byte, 0, len(id)+24)
	prefix = append(prefix, id...)
	prefix = append(prefix, '.')
	prefix = strconv.AppendInt(prefix, ts.Unix(), 10)
	prefix = append(prefix, '.')
	var b strings.Builder
	for i, s := range secrets {
		if i > 0 {
			b.WriteByte(' ')
		}
		mac := hmac.New(sha256.New, s.key)
		mac.Write(prefix)
		mac.Write(body)
		b.WriteString("v1,")
		b.WriteString(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	return b.String()
}
