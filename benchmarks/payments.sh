#!/usr/bin/env bash
# Checkout through the payment provider: figures for docs/performance.md (issue 5). Prints a table; it is a
# command, not a test.
#
#   benchmarks/payments.sh                       # SQLite, wrk -t2 -c64, 20 s per phase
#   PROVIDER=postgres benchmarks/payments.sh     # on deploy/local/topology.sh (databases paybench_*)
#
# Phases, on one storefront instance and one provider process:
#   (a) provider at LATENCY_MS (50) per call: checkouts/s, latency, how many were confirmed at once (201)
#   (b) provider down: checkouts/s and latency while every order is accepted pending_payment (202)
#   (c) provider back: how long the settlement worker takes to confirm the backlog of (b)
# then the storefront's own lag report: outbox publish lag and projection (consumer) lag, p50/p99/max, from
# GET /api/v1/admin/outbox (HdrHistogram since start-up).
#
# Environment: PROVIDER (sqlite) DURATION (20s) CONNECTIONS (64) THREADS (2) WARMUP (5s) LATENCY_MS (50)
#              TOKENS (50) CHECKOUT_PRODUCTS (200) STOREFRONT_PORT (5350) PAYMENT_PROVIDER_PORT (5351) SKIP_BUILD (0)
set -euo pipefail

PROVIDER="${PROVIDER:-sqlite}"
DURATION="${DURATION:-20s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
WARMUP="${WARMUP:-5s}"
LATENCY_MS="${LATENCY_MS:-50}"
TOKENS="${TOKENS:-50}"
CHECKOUT_PRODUCTS="${CHECKOUT_PRODUCTS:-200}"
STOREFRONT_PORT="${STOREFRONT_PORT:-5350}"
SKIP_BUILD="${SKIP_BUILD:-0}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/benchmarks/lib.sh"
URL="http://127.0.0.1:$STOREFRONT_PORT"
ADMIN_EMAIL="bench-admin@scaleshop.test"
ADMIN_PASSWORD="bench-admin-pass"
DB_PREFIX="paybench"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/scaleshop-payments.XXXXXX")"
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

bench_storage payments.sh "$PROVIDER" "$DB_PREFIX"

if [[ "$SKIP_BUILD" != "1" ]]; then
    log "Building the storefront (Release)"
    dotnet build -c Release --nologo -v q "$ROOT/src/ScaleShop.Storefront/ScaleShop.Storefront.csproj" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; exit 1; }
fi

payment_provider_start "$WORK" "${PAYMENT_PROVIDER_PORT:-5351}"
recommendations_start "$WORK" "${RECOMMENDATIONS_PORT:-5352}"
log "Starting the storefront on $URL (seeds on first start)"
env ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning Admin__Email="$ADMIN_EMAIL" Admin__Password="$ADMIN_PASSWORD" \
    dotnet "$ROOT/src/ScaleShop.Storefront/bin/Release/net10.0/ScaleShop.Storefront.dll" --urls "$URL" >"$WORK/storefront.log" 2>&1 &
STOREFRONT_PID=$!
bench_wait_ready payments.sh "$URL" "$STOREFRONT_PID" "$WORK/storefront.log" 180

post_json() { curl -fsS -X POST "$1" -H 'Content-Type: application/json' ${3:+-H "Authorization: Bearer $3"} -d "$2"; }
admin=$(post_json "$URL/api/v1/sessions" "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" | jq -er .accessToken)
log "Restocking products 1..$CHECKOUT_PRODUCTS, signing in $TOKENS users"
for ((id = 1; id <= CHECKOUT_PRODUCTS; id++)); do
    curl -fsS -o /dev/null -X PUT "$URL/api/v1/admin/products/$id" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' -d '{"stock":1000000}'
done
tokens="$WORK/tokens.txt"
: >"$tokens"
for ((i = 0; i < TOKENS; i++)); do
    post_json "$URL/api/v1/sessions" "{\"email\":\"user$i@seed.scaleshop.test\",\"password\":\"scaleshop-demo\"}" | jq -er .accessToken >>"$tokens"
done

RUN_ID="pay$(date +%s)"
run_phase() { # name duration -> prints "rps p50_ms p99_ms requests accepted non2xx"
    local out="$WORK/wrk-$1.txt"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$2" --latency -s "$ROOT/benchmarks/checkout.lua" "$URL" -- "$tokens" "$CHECKOUT_PRODUCTS" "$RUN_ID-$1" >"$out" 2>&1 || { cat "$out" >&2; exit 1; }
    local line; line=$(grep '^BENCH ' "$out")
    field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
    printf '%s %s %s %s %s %s\n' "$(field rps)" "$(awk -v u="$(field p50_us)" 'BEGIN{printf "%.1f", u/1000}')" \
        "$(awk -v u="$(field p99_us)" 'BEGIN{printf "%.1f", u/1000}')" "$(field requests)" "$(field accepted)" "$(field non2xx)"
}

payment_provider_faults "{\"latencyMs\":$LATENCY_MS}"
log "Warm-up ($WARMUP), then (a) provider at $LATENCY_MS ms for $DURATION"
run_phase warmup "$WARMUP" >/dev/null
read -r a_rps a_p50 a_p99 a_req a_acc a_bad <<<"$(run_phase slow "$DURATION")"

payment_provider_faults '{"down":true}'
log "(b) provider down for $DURATION"
read -r b_rps b_p50 b_p99 b_req b_acc b_bad <<<"$(run_phase down "$DURATION")"

payment_provider_faults '{}'
log "(c) provider back: waiting for the settlement worker to confirm the pending orders"
t0=$SECONDS
backlog() { curl -fsS "$URL/api/v1/admin/orders/backlog" -H "Authorization: Bearer $admin" | jq -r .pendingPayment; }
pending_at_return=$(backlog)
until [[ "$(backlog)" == "0" ]]; do
    ((SECONDS - t0 < 600)) || { echo "payments.sh: backlog not settled in 600 s" >&2; exit 1; }
    sleep 0.5
done
settle_s=$((SECONDS - t0))
ledger=$(curl -fsS "${Payments__BaseUrl}admin/ledger")

echo
echo "Checkout through the payment provider ($PROVIDER, wrk -t$THREADS -c$CONNECTIONS, $DURATION per phase, commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'))"
echo
echo "| phase | checkouts/s | p50 ms | p99 ms | requests | 202 pending | non-2xx |"
echo "|---|---:|---:|---:|---:|---:|---:|"
echo "| (a) provider at ${LATENCY_MS} ms | $a_rps | $a_p50 | $a_p99 | $a_req | $a_acc | $a_bad |"
echo "| (b) provider down | $b_rps | $b_p50 | $b_p99 | $b_req | $b_acc | $b_bad |"
echo
echo "(c) $pending_at_return orders still pending when the provider returned; all settled ${settle_s} s later (worker backoff: 1 s doubling to 60 s, with jitter)."
until [[ "$(curl -fsS "$URL/api/v1/admin/outbox" -H "Authorization: Bearer $admin" | jq -r .pending)" == "0" ]]; do sleep 0.5; done
lag=$(curl -fsS "$URL/api/v1/admin/outbox" -H "Authorization: Bearer $admin")
echo "Provider ledger: $(jq -c . <<<"$ledger")"
echo "Outbox publish lag: $(jq -c .lag.publish <<<"$lag")"
echo "Projection lag: $(jq -c .lag.consumers <<<"$lag")"
[[ "$a_bad" == "0" && "$b_bad" == "0" ]] || { echo "payments.sh: non-2xx answers (see above); figures are not clean" >&2; exit 1; }
