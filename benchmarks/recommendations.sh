#!/usr/bin/env bash
# Recommendations through the separate service, healthy, slow and down: figures for docs/performance.md
# (issue 6, the degradation contract's first clause). Prints a table; it is a command, not a test.
#
#   benchmarks/recommendations.sh                     # SQLite, wrk -t2 -c32, 15 s per phase
#   PROVIDER=postgres benchmarks/recommendations.sh   # on deploy/local/topology.sh (databases recbench_*)
#
# First ORDERS orders of two products each teach the service co-purchases (through the bus). Then, per phase
# (service healthy / 2 s slow / down), wrk on GET /api/v1/recommendations?productId={random} and on
# GET /api/v1/products/{random}: throughput, p50, p99, non-2xx, and the share of answers per source.
#
# Environment: PROVIDER (sqlite) DURATION (15s) CONNECTIONS (32) THREADS (2) ORDERS (300) PRODUCTS (200)
#              STOREFRONT_PORT (5360) PAYMENT_PROVIDER_PORT (5361) RECOMMENDATIONS_PORT (5362) SKIP_BUILD (0)
set -euo pipefail

PROVIDER="${PROVIDER:-sqlite}"
DURATION="${DURATION:-15s}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
ORDERS="${ORDERS:-300}"
PRODUCTS="${PRODUCTS:-200}"
STOREFRONT_PORT="${STOREFRONT_PORT:-5360}"
SKIP_BUILD="${SKIP_BUILD:-0}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/benchmarks/lib.sh"
URL="http://127.0.0.1:$STOREFRONT_PORT"
ADMIN_EMAIL="bench-admin@scaleshop.test"
ADMIN_PASSWORD="bench-admin-pass"
DB_PREFIX="recbench"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/scaleshop-recommendations.XXXXXX")"
export Storage__DataDirectory="$WORK/data"
STOREFRONT_PID=""
cleanup() {
    local status=$?
    payment_provider_stop
    recommendations_stop
    [[ -n "$STOREFRONT_PID" ]] && { kill "$STOREFRONT_PID" 2>/dev/null || true; wait "$STOREFRONT_PID" 2>/dev/null || true; }
    [[ "$PROVIDER" == "postgres" ]] && { "$ROOT/deploy/local/topology.sh" drop-databases "$DB_PREFIX" || true; }
    if [[ $status -ne 0 ]]; then echo "Logs kept in $WORK" >&2; else rm -rf "$WORK"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

bench_storage recommendations.sh "$PROVIDER" "$DB_PREFIX"
if [[ "$SKIP_BUILD" != "1" ]]; then
    log "Building the storefront (Release)"
    dotnet build -c Release --nologo -v q "$ROOT/src/ScaleShop.Storefront/ScaleShop.Storefront.csproj" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; exit 1; }
fi
payment_provider_start "$WORK" "${PAYMENT_PROVIDER_PORT:-5361}"
recommendations_start "$WORK" "${RECOMMENDATIONS_PORT:-5362}"
log "Starting the storefront on $URL (seeds on first start)"
env ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning Admin__Email="$ADMIN_EMAIL" Admin__Password="$ADMIN_PASSWORD" \
    dotnet "$ROOT/src/ScaleShop.Storefront/bin/Release/net10.0/ScaleShop.Storefront.dll" --urls "$URL" >"$WORK/storefront.log" 2>&1 &
STOREFRONT_PID=$!
bench_wait_ready recommendations.sh "$URL" "$STOREFRONT_PID" "$WORK/storefront.log" 180

post_json() { curl -fsS -X POST "$1" -H 'Content-Type: application/json' ${3:+-H "Authorization: Bearer $3"} ${4:+-H "Idempotency-Key: $4"} -d "$2"; }
log "Placing $ORDERS orders of two products each (products 1..$PRODUCTS) to teach the service"
for ((i = 0; i < ORDERS; i++)); do
    token=$(post_json "$URL/api/v1/sessions" "{\"email\":\"user$((i % 50))@seed.scaleshop.test\",\"password\":\"scaleshop-demo\"}" | jq -er .accessToken)
    a=$((RANDOM % PRODUCTS + 1)); b=$(((a % PRODUCTS) + 1 + RANDOM % 3))
    post_json "$URL/api/v1/orders" "{\"items\":[{\"productId\":$a,\"quantity\":1},{\"productId\":$b,\"quantity\":1}]}" "$token" "rec-$i-$$" >/dev/null
done
admin=$(post_json "$URL/api/v1/sessions" "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" | jq -er .accessToken)
until [[ "$(curl -fsS "$URL/api/v1/admin/outbox" -H "Authorization: Bearer $admin" | jq -r '.pending + ([.deferred[]] | add // 0)')" == "0" ]]; do sleep 0.5; done

run_wrk() { # name path -> "rps p50_ms p99_ms requests non2xx"
    local out="$WORK/wrk-$1.txt"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$ROOT/benchmarks/random-id.lua" "$URL" -- "$2" "$PRODUCTS" >"$out" 2>&1 || { cat "$out" >&2; exit 1; }
    local line; line=$(grep '^BENCH ' "$out")
    field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
    printf '%s %s %s %s %s\n' "$(field rps)" "$(awk -v u="$(field p50_us)" 'BEGIN{printf "%.1f", u/1000}')" \
        "$(awk -v u="$(field p99_us)" 'BEGIN{printf "%.1f", u/1000}')" "$(field requests)" "$(field non2xx)"
}
sources() { # share of sources over 40 sequential answers
    for ((i = 1; i <= 40; i++)); do curl -fsS "$URL/api/v1/recommendations?productId=$((RANDOM % PRODUCTS + 1))" | jq -r .source; done | sort | uniq -c | awk '{printf "%s%s %d", sep, $2, $1; sep=", "}'
}
faults() { curl -fsS -X PUT "${Recommendations__BaseUrl}admin/faults" -H 'Content-Type: application/json' -d "$1" >/dev/null; }

echo
echo "Recommendations through the separate service ($PROVIDER, wrk -t$THREADS -c$CONNECTIONS, $DURATION per run, $ORDERS orders learnt, commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'))"
echo
echo "| service | endpoint | req/s | p50 ms | p99 ms | requests | non-2xx | sources (40 samples) |"
echo "|---|---|---:|---:|---:|---:|---:|---|"
bad=0
for phase in healthy slow down; do
    case "$phase" in
        healthy) faults '{}' ;;
        slow) faults '{"latencyMs":2000}' ;;
        down) faults '{"down":true}' ;;
    esac
    log "Service $phase"
    read -r r_rps r_p50 r_p99 r_req r_bad <<<"$(run_wrk "rec-$phase" '/api/v1/recommendations?productId={id}')"
    mix=$(sources)
    read -r p_rps p_p50 p_p99 p_req p_bad <<<"$(run_wrk "page-$phase" '/api/v1/products/{id}')"
    echo "| $phase | recommendations | $r_rps | $r_p50 | $r_p99 | $r_req | $r_bad | $mix |"
    echo "| $phase | product page | $p_rps | $p_p50 | $p_p99 | $p_req | $p_bad | |"
    bad=$((bad + r_bad + p_bad))
done
faults '{}'
[[ "$bad" == "0" ]] || { echo "recommendations.sh: non-2xx answers (see above)" >&2; exit 1; }
