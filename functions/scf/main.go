// Command main is the essflow function for Tencent SCF (runtime Go1, handler "main"). It starts
// scf-go-lib at once and assembles the app (configuration, ESS client, stores, sinks) in the
// background, so the platform's readiness check does not wait for it; a configuration problem
// is logged at start and fails every invocation. Build it with scripts/build.sh (dist/scf.zip).
package main

import (
	"context"

	"github.com/tencentyun/scf-go-lib/cloudfunction"

	"github.com/essflow/essflow/shared/app"
	scfrt "github.com/essflow/essflow/shared/runtime/scf"
)

func main() {
	pending := app.BuildAsync(context.Background(), scfrt.AppOptions())
	cloudfunction.Start(scfrt.Handler(pending))
}
