// Command main is the essflow function for Tencent SCF (runtime Go1, handler "main"). It reads
// the configuration, assembles the app and serves events through scf-go-lib. Build it with
// scripts/build.sh, which produces dist/scf.zip.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/tencentyun/scf-go-lib/cloudfunction"

	"github.com/essflow/essflow/shared/app"
	scfrt "github.com/essflow/essflow/shared/runtime/scf"
)

func main() {
	a, err := app.Build(context.Background(), scfrt.AppOptions())
	if err != nil {
		// One clear line in the function log; SCF reports the failed start.
		fmt.Fprintln(os.Stderr, "essflow: cannot start:", err)
		os.Exit(1)
	}
	cloudfunction.Start(scfrt.NewHandler(a).Invoke)
}
