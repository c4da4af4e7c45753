#!/usr/bin/env bash
# Cross-check of the load generator against an independent client, on one endpoint:
#   1. like for like: wrk -cN and `scaleshop load --endpoint … --closed-loop N` (each of N connections sends as soon
#      as it is answered); the two should agree on requests/s and latency within the margin the script prints;
#   2. the open model at a quarter of wrk's best rate, to show what its own scheduling adds at low latency.
# Each client's CPU per request is measured from /proc. Prints figures; a measurement, not a test.
#
#   benchmarks/crosscheck.sh                    # fresh SQLite storefront, ~2 minutes
#
# Environment: CONNECTIONS ("1 4 16") DURATION (10) ENDPOINT (/api/v1/products/42) STOREFRONT_PORT (5310) SKIP_BUILD (0)
set -euo pipefail

CONNECTIONS="${CONNECTIONS:-1 4 16}"
DURATION="${DURATION:-10}"
ENDPOINT="${ENDPOINT:-/api/v1/products/42}"
STOREFRONT_PORT="${STOREFRONT_PORT:-5310}"
SKIP_BUILD="${SKIP_BUILD:-0}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/benchmarks/lib.sh"
URL="http://127.0.0.1:$STOREFRONT_PORT"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/scaleshop-crosscheck.XXXXXX")"
STOREFRONT_PID=""
cleanup() {
    local status=$?
    payment_provider_stop
    recommendations_stop
    [[ -n "$STOREFRONT_PID" ]] && { kill "$STOREFRONT_PID" 2>/dev/null || true; wait "$STOREFRONT_PID" 2>/dev/null || true; }
    if [[ $status -ne 0 ]]; then echo "Logs kept in $WORK" >&2; else rm -rf "$WORK"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if [[ "$SKIP_BUILD" != "1" ]]; then
    log "Building storefront and CLI (Release)"
    for project in src/ScaleShop.Storefront/ScaleShop.Storefront.csproj src/ScaleShop.Cli/ScaleShop.Cli.csproj; do
        dotnet build -c Release --nologo -v q "$ROOT/$project" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; exit 1; }
    done
fi

payment_provider_start "$WORK" "${PAYMENT_PROVIDER_PORT:-5341}"
recommendations_start "$WORK" "${RECOMMENDATIONS_PORT:-5342}"
env Storage__DataDirectory="$WORK/data" Storage__Provider=Sqlite ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
    dotnet "$ROOT/src/ScaleShop.Storefront/bin/Release/net10.0/ScaleShop.Storefront.dll" --urls "$URL" >"$WORK/storefront.log" 2>&1 &
STOREFRONT_PID=$!
until curl -fsS -o /dev/null "$URL/health/ready" 2>/dev/null; do
    kill -0 "$STOREFRONT_PID" 2>/dev/null || { cat "$WORK/storefront.log" >&2; exit 1; }
    sleep 0.5
done
wrk -t1 -c16 -d5s "$URL$ENDPOINT" >/dev/null   # warm the service up

CLK_TCK=$(getconf CLK_TCK)
load_row() { # connections label load-arguments...
    local c=$1 label=$2
    shift 2
    local out="$WORK/load-$RANDOM"
    dotnet "$ROOT/src/ScaleShop.Cli/bin/Release/net10.0/scaleshop.dll" load --url "$URL" --endpoint "$ENDPOINT" --duration "$DURATION" \
        --objectives none --out "$out" "$@" >"$out.txt" 2>&1 || { cat "$out.txt" >&2; exit 1; }
    local summary="$out/summary.json"
    printf '| %-11s | %-26s | %10.1f | %8.2f | %8.2f | %12.1f |\n' "$c" "$label" "$(jq '.requestsPerSecond' "$summary")" \
        "$(jq '.journeys[] | select(.journey == "endpoint") | .p50Ms' "$summary")" "$(jq '.journeys[] | select(.journey == "endpoint") | .p99Ms' "$summary")" \
        "$(jq '.generatorMicrosecondsPerRequest' "$summary")"
}
children_cpu() { awk '{ sub(/^.*\) /, ""); print $14 + $15 }' "/proc/$$/stat"; }   # reaped children (wrk, the generator)
echo "== $(date -u +'%Y-%m-%d %H:%M UTC'), $(nproc) cores, GET $ENDPOINT on a fresh SQLite storefront, ${DURATION}s each, commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') =="
printf '| %-11s | %-26s | %10s | %8s | %8s | %12s |\n' "Connections" "Client" "Requests/s" "p50 (ms)" "p99 (ms)" "CPU µs/req"
printf '|%s|%s|%s|%s|%s|%s|\n' "-------------" "----------------------------" "-----------:" "---------:" "---------:" "-------------:"
for c in $CONNECTIONS; do
    cpu0=$(children_cpu)
    wrk -t1 -c"$c" -d"${DURATION}s" --latency -s "$ROOT/benchmarks/report.lua" "$URL$ENDPOINT" >"$WORK/wrk-$c.txt"
    cpu1=$(children_cpu)
    line=$(grep '^BENCH ' "$WORK/wrk-$c.txt")
    field() { sed -E "s/.* $1=([^ ]+).*/\1/" <<<"$line"; }
    rps=$(field rps)
    requests=$(field requests)
    printf '| %-11s | %-26s | %10s | %8.2f | %8.2f | %12.1f |\n' "$c" "wrk (closed loop)" "$rps" "$(awk -v u="$(field p50_us)" 'BEGIN{print u/1000}')" \
        "$(awk -v u="$(field p99_us)" 'BEGIN{print u/1000}')" "$(awk -v j=$((cpu1 - cpu0)) -v hz="$CLK_TCK" -v n="$requests" 'BEGIN{print j/hz*1e6/n}')"

    best_rps=$rps
    load_row "$c" "scaleshop load --closed-loop" --closed-loop "$c" --rate 1
done
quarter=$(awk -v r="$best_rps" 'BEGIN { printf "%.0f", r / 4 }')
load_row "-" "scaleshop load, open, $quarter/s" --rate "$quarter"
echo "Closed loop: each client measures from its own send, so the rows of one connection count should agree. The open"
echo "model measures from each request's due time; arrivals closer than the timer's ~1 ms are started together, so"
echo "below a few milliseconds its figures show the generator's scheduling as well as the service."
