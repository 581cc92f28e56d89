// Command local runs essflow on this machine, with no cloud account:
//
//	go run ./scripts/local invoke --event FILE [--platform scf|lambda]   run the real handler on one event
//	go run ./scripts/local serve [--addr 127.0.0.1:9000] [--platform …]  plain HTTP → API-gateway events
//	go run ./scripts/local sandbox [flags]                                 the standalone ESS sandbox
//	go run ./scripts/local idem list|get|delete …                          inspect or clear idempotency keys
//
// With no ESSFLOW_ESS_ENDPOINT set, invoke and serve use the embedded sandbox (its default
// credentials, application id and templates); with ESSFLOW_* variables set they use those.
// The function's response JSON goes to stdout, logs to stderr.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage: go run ./scripts/local <command> [flags]

commands:
  invoke   --event FILE [--platform scf|lambda] [--timeout 60s] [--request-id ID]
           run the real function handler on one event file and print its response JSON
  serve    [--addr 127.0.0.1:9000] [--platform scf|lambda]
           accept plain HTTP (POST /flows …) and hand each request to the handler as an API-gateway event
  sandbox  [--addr 127.0.0.1:8090] [--secret-id ID] [--secret-key KEY] [--app-id APPID] [--templates FILE]
           [--qps N] [--latency DURATION] [--fault-rate R] [--seed N] [--token T]
           run the standalone ESS sandbox
  idem     list [--prefix P] [--limit N] | get KEY | delete KEY   [--store URL]
           inspect or clear idempotency records (default store: ESSFLOW_IDEMPOTENCY_STORE)

Sample events for every trigger are in scripts/local/events/.`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "invoke":
		err = invokeCmd(ctx, args[1:], stdout, stderr)
	case "serve":
		err = serveCmd(ctx, args[1:], stderr)
	case "sandbox":
		err = sandboxCmd(ctx, args[1:], stderr)
	case "idem":
		err = idemCmd(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s\n", args[0], usage)
		return 2
	}
	if err != nil {
		if ec, ok := err.(exitCode); ok {
			return int(ec)
		}
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	return 0
}

// exitCode ends the command with a status and no further message.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }
