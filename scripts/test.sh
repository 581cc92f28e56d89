#!/usr/bin/env bash
# The project's test command (README: "bash scripts/test.sh"). Runs every Go test once, with
# the race detector off to fit a 2-core machine; set ESSFLOW_REQUIRE_SERVICES=1 to make tests
# that need Redis or RabbitMQ fail instead of skipping when those are down.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
go test -count=1 -timeout 20m "$@" ./...
