#!/usr/bin/env bash
# Cold-start benchmark: builds dist/scf.zip and dist/lambda.zip with scripts/build.sh, builds the
# hello-world scf-go-lib baseline (scripts/coldstart/hello) the same way, then runs
# scripts/coldstart/measure, which starts each SCF binary N times (alternating with the baseline)
# with _LAMBDA_SERVER_PORT set and times exec -> first answered net/rpc Function.Ping. It prints
# both zips' sizes, median/p90 of both binaries and the function/baseline ratio.
#
# Goals: median start <= 1.2x hello world; each zip <= 6 MiB.
#
# Usage:
#   scripts/bench-coldstart.sh [-n RUNS] [--strict] [--no-build] [--hello-only]
#     -n RUNS       measured starts per binary (default 30)
#     --strict      exit 2 when a goal is missed
#     --no-build    reuse the existing dist/ artifacts
#     --hello-only  measure the baseline against itself (checks this script before
#                   functions/scf exists)
#
# The function gets the environment of a real start (the deployed build has no embedded
# sandbox): ESSFLOW_ESS_ENDPOINT=test, the memory store, a sample ESSFLOW_APP_ID, placeholder
# execution-role credentials
# and quiet logging; add more with COLDSTART_ENV="KEY=VALUE KEY2=VALUE2".
set -euo pipefail

cd "$(dirname "$0")/.."

if [[ -z "${GO:-}" ]]; then
	if command -v go >/dev/null 2>&1; then GO=go; else GO=/usr/local/go/bin/go; fi
fi
export GO
RUNS=30 STRICT=() BUILD=1 HELLO_ONLY=0
while (($#)); do
	case "$1" in
	-n) RUNS=$2; shift ;;
	--strict) STRICT=(-strict) ;;
	--no-build) BUILD=0 ;;
	--hello-only) HELLO_ONLY=1 ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-coldstart.sh: unknown option $1 (try --help)" >&2; exit 1 ;;
	esac
	shift
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The baseline is built by the same script and flags as the real function.
SCF_PKG=./scripts/coldstart/hello DIST="$work/hello" scripts/build.sh --scf-only >"$work/hello-build.txt"
echo "baseline: $(cat "$work/hello-build.txt")"

zips=()
if ((HELLO_ONLY)); then
	fn="$work/hello/scf/main"
	zips=(-zip "$work/hello/scf.zip")
else
	if ((BUILD)); then scripts/build.sh; fi
	fn=dist/scf/main
	for z in dist/scf.zip dist/lambda.zip; do
		[[ -f "$z" ]] || { echo "bench-coldstart.sh: $z missing; run scripts/build.sh" >&2; exit 1; }
		zips+=(-zip "$z")
	done
fi

"$GO" build -o "$work/measure" ./scripts/coldstart/measure

envs=(
	-env ESSFLOW_ESS_ENDPOINT=test
	-env ESSFLOW_IDEMPOTENCY_STORE=memory
	-env ESSFLOW_APP_ID=yDcoldstartbenchapp00000000000000
	-env ESSFLOW_LOG_LEVEL=error
	-env TENCENTCLOUD_SECRETID=placeholder-id
	-env TENCENTCLOUD_SECRETKEY=placeholder-key
	-env TENCENTCLOUD_SESSIONTOKEN=placeholder-token
	-env TENCENTCLOUD_REGION=ap-guangzhou
)
for kv in ${COLDSTART_ENV:-}; do envs+=(-env "$kv"); done

"$work/measure" -baseline "$work/hello/scf/main" -fn "$fn" -n "$RUNS" "${zips[@]}" "${envs[@]}" "${STRICT[@]}"
