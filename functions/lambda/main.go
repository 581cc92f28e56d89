// Command bootstrap is the essflow function for AWS Lambda (runtime provided.al2023). It reads
// the configuration, assembles the app and serves events through aws-lambda-go. It must be
// built with -tags lambda.norpc (scripts/build.sh does), which keeps aws-lambda-go off SCF's
// _LAMBDA_SERVER_PORT protocol.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/essflow/essflow/shared/app"
	lambdart "github.com/essflow/essflow/shared/runtime/lambda"
)

func main() {
	ctx := context.Background()
	opts, err := lambdart.AppOptions(ctx, os.Getenv)
	if err == nil {
		var a *app.App
		if a, err = app.Build(ctx, opts); err == nil {
			lambda.Start(lambdart.NewHandler(a).Invoke)
			return
		}
	}
	fmt.Fprintln(os.Stderr, "essflow: cannot start:", err)
	os.Exit(1)
}
