// Package awssecret supplies Tencent Cloud credentials to the AWS Lambda adapter from AWS Secrets
// Manager. The secret is a JSON object {"SecretId":"AKID…","SecretKey":"…"} (optionally
// "Token"); it is fetched at cold start and refreshed in the background of calls once it is
// older than the refresh interval, so a rotated key is picked up without a redeploy.
package awssecret

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// EnvSecretARN names the variable holding the secret's ARN or name.
const EnvSecretARN = "ESSFLOW_TENCENT_SECRET_ARN"

// Getter is the one Secrets Manager call used: *secretsmanager.Client.
type Getter interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Credentials implements the Tencent SDK's credential interface over a Secrets Manager secret.
type Credentials struct {
	getter  Getter
	id      string
	refresh time.Duration
	logger  *slog.Logger

	mu      sync.Mutex
	value   secretValue
	fetched time.Time
}

type secretValue struct {
	SecretId  string `json:"SecretId"`
	SecretKey string `json:"SecretKey"`
	Token     string `json:"Token,omitempty"`
}

// New fetches the secret once (so a missing or malformed secret fails the cold start with a clear
// error) and returns credentials refreshed every refresh interval (default 5 minutes).
func New(ctx context.Context, g Getter, secretID string, refresh time.Duration, logger *slog.Logger) (*Credentials, error) {
	if refresh <= 0 {
		refresh = 5 * time.Minute
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Credentials{getter: g, id: secretID, refresh: refresh, logger: logger}
	v, err := c.fetch(ctx)
	if err != nil {
		return nil, err
	}
	c.value, c.fetched = v, time.Now()
	return c, nil
}

func (c *Credentials) fetch(ctx context.Context) (secretValue, error) {
	out, err := c.getter.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(c.id)})
	if err != nil {
		return secretValue{}, fmt.Errorf("read Tencent credentials from secret %s: %w", c.id, err)
	}
	var v secretValue
	if out.SecretString == nil {
		return v, fmt.Errorf("secret %s has no SecretString", c.id)
	}
	if err := json.Unmarshal([]byte(*out.SecretString), &v); err != nil {
		return v, fmt.Errorf("secret %s: want JSON {\"SecretId\":…,\"SecretKey\":…}: %w", c.id, errors.New(strings.SplitN(err.Error(), ":", 2)[0]))
	}
	v.SecretId, v.SecretKey, v.Token = strings.TrimSpace(v.SecretId), strings.TrimSpace(v.SecretKey), strings.TrimSpace(v.Token)
	if v.SecretId == "" || v.SecretKey == "" {
		return v, fmt.Errorf("secret %s: SecretId and SecretKey are required", c.id)
	}
	return v, nil
}

// current returns the cached value, refreshing it when stale; a failed refresh keeps the old one.
func (c *Credentials) current() secretValue {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.fetched) > c.refresh {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		v, err := c.fetch(ctx)
		cancel()
		if err != nil {
			c.logger.Warn("refreshing Tencent credentials failed; keeping the previous ones", "err", err)
			c.fetched = time.Now().Add(-c.refresh + 30*time.Second)
		} else {
			c.value, c.fetched = v, time.Now()
		}
	}
	return c.value
}

// GetSecretId returns the SecretId.
func (c *Credentials) GetSecretId() string { return c.current().SecretId }

// GetSecretKey returns the SecretKey.
func (c *Credentials) GetSecretKey() string { return c.current().SecretKey }

// GetToken returns the optional token.
func (c *Credentials) GetToken() string { return c.current().Token }

// GetCredential returns all three from one snapshot.
func (c *Credentials) GetCredential() (string, string, string) {
	v := c.current()
	return v.SecretId, v.SecretKey, v.Token
}

// EnvWebhookSecretARN names the variable holding the ARN of a secret whose SecretString is the
// callback signing secret(s), "whsec_…" (several separated by spaces during a rotation).
const EnvWebhookSecretARN = "ESSFLOW_WEBHOOK_SECRET_ARN"

// ReadString returns the SecretString of secretID, trimmed. The value is never logged or put in
// an error.
func ReadString(ctx context.Context, g Getter, secretID string) (string, error) {
	out, err := g.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID)})
	if err != nil {
		return "", fmt.Errorf("read secret %s: %w", secretID, err)
	}
	if out.SecretString == nil || strings.TrimSpace(*out.SecretString) == "" {
		return "", fmt.Errorf("secret %s has no SecretString", secretID)
	}
	return strings.TrimSpace(*out.SecretString), nil
}
