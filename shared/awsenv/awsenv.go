// Package awsenv builds the AWS SDK configuration the Lambda adapter needs from the variables
// AWS Lambda sets (AWS_REGION and the execution role's AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN), without the SDK's shared-config loader and its SSO, STS and IMDS
// providers: on Lambda the role credentials are always in the environment, and leaving the
// loader out keeps the Lambda zip about a fifth smaller.
package awsenv

import (
	"context"
	"errors"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Config returns an aws.Config for region (AWS_REGION, then AWS_DEFAULT_REGION, when empty)
// whose credentials are read through getenv (os.Getenv when nil) at every retrieval.
func Config(getenv func(string) string, region string) aws.Config {
	if getenv == nil {
		getenv = os.Getenv
	}
	if region == "" {
		region = strings.TrimSpace(getenv("AWS_REGION"))
	}
	if region == "" {
		region = strings.TrimSpace(getenv("AWS_DEFAULT_REGION"))
	}
	return aws.Config{Region: region, Credentials: aws.NewCredentialsCache(Credentials(getenv))}
}

// Credentials reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN through
// getenv at every retrieval; a missing key is an error naming the variable, never its value.
func Credentials(getenv func(string) string) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		c := aws.Credentials{
			AccessKeyID:     strings.TrimSpace(getenv("AWS_ACCESS_KEY_ID")),
			SecretAccessKey: strings.TrimSpace(getenv("AWS_SECRET_ACCESS_KEY")),
			SessionToken:    strings.TrimSpace(getenv("AWS_SESSION_TOKEN")),
			Source:          "essflow environment",
		}
		if c.AccessKeyID == "" || c.SecretAccessKey == "" {
			return aws.Credentials{}, errors.New("AWS credentials: AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is not set (on Lambda the execution role sets them)")
		}
		return c, nil
	})
}
