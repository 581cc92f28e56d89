// Package lambda wires essflow for AWS Lambda: the result sinks and object store the Lambda
// binary links (callback, AMQP, Kafka, SQS; S3), Tencent credentials from Secrets Manager, and
// the event handler over an assembled app. It links no scf-go-lib or COS code.
package lambda

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/essflow/essflow/shared/app"
	"github.com/essflow/essflow/shared/awsenv"
	"github.com/essflow/essflow/shared/awssecret"
	"github.com/essflow/essflow/shared/config"
	"github.com/essflow/essflow/shared/objects"
	"github.com/essflow/essflow/shared/objects/s3"
	"github.com/essflow/essflow/shared/sink"
	"github.com/essflow/essflow/shared/sink/amqp"
	"github.com/essflow/essflow/shared/sink/sqs"
	"github.com/essflow/essflow/shared/sink/webhook"
	trigger "github.com/essflow/essflow/shared/trigger/lambda"
)

// Sinks are the result sinks of the Lambda binary.
func Sinks() sink.Registry {
	r := sink.Registry{
		"http": webhook.Open, "https": webhook.Open,
		"amqp": amqp.Open, "amqps": amqp.Open,
		"sqs": sqs.Open,
	}
	addKafka(r)
	return r
}

// AppOptions returns the app options of the Lambda binary. Tencent credentials come from the
// Secrets Manager secret named by ESSFLOW_TENCENT_SECRET_ARN (JSON {"SecretId","SecretKey"}),
// read at cold start and refreshed every 5 minutes; without it, from TENCENTCLOUD_SECRETID and
// TENCENTCLOUD_SECRETKEY in the environment. The callback signing secret comes from
// ESSFLOW_WEBHOOK_SECRET, or from the secret named by ESSFLOW_WEBHOOK_SECRET_ARN.
func AppOptions(ctx context.Context, getenv func(string) string) (app.Options, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	opts := app.Options{Getenv: getenv, NeedCredentials: true, RequireStoreChoice: true, Sinks: Sinks(), ObjectStores: objectStores}
	if getenv(config.EnvEndpoint) == config.EndpointSandbox {
		return opts, nil
	}
	var sm *secretsmanager.Client
	if arn := getenv(awssecret.EnvSecretARN); arn != "" {
		sm = secretsmanager.NewFromConfig(awsenv.Config(getenv, ""))
		creds, err := awssecret.New(ctx, sm, arn, 0, nil)
		if err != nil {
			return opts, err
		}
		opts.Credentials = creds
	}
	if arn := getenv(awssecret.EnvWebhookSecretARN); arn != "" && getenv(webhook.EnvSecret) == "" {
		if sm == nil {
			sm = secretsmanager.NewFromConfig(awsenv.Config(getenv, ""))
		}
		secret, err := awssecret.ReadString(ctx, sm, arn)
		if err != nil {
			return opts, fmt.Errorf("%s: %w", awssecret.EnvWebhookSecretARN, err)
		}
		opts.Getenv = func(name string) string {
			if name == webhook.EnvSecret {
				return secret
			}
			return getenv(name)
		}
	}
	return opts, nil
}

// objectStores opens the S3 store with the function's role (or ESSFLOW_S3_ENDPOINT, path-style).
func objectStores(_ context.Context, cfg *config.Config) (map[string]objects.Store, error) {
	client := awss3.NewFromConfig(awsenv.Config(cfg.Getenv, ""), func(o *awss3.Options) {
		if cfg.S3Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.S3Endpoint)
			o.UsePathStyle = true
		}
	})
	return map[string]objects.Store{"s3": s3.New(client)}, nil
}

// NewHandler returns the Lambda event handler over a; start it with lambda.Start(h.Invoke).
func NewHandler(a *app.App) *trigger.Handler {
	h := &trigger.Handler{Processor: a.Processor, MaxBody: a.Config.MaxBodyBytes, Tokens: a.Config.HTTPTokens, Logger: a.Logger.With("component", "trigger")}
	if a.Objects != nil {
		h.Objects = a.Objects
	}
	return h
}
