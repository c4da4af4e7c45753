#!/usr/bin/env bash
# The full journey mix from a million-user population against one storefront instance, with `scaleshop load`.
# Seeds USERS users and PRODUCTS products with the CLI (fresh SQLite folder, or fresh databases mixbench_* on
# deploy/local/topology.sh), starts the storefront (Release) with the seeded products restocked, and runs the
# scenario; the report (report.md, summary.json, timeseries.csv, charts) is copied to OUT.
#
#   benchmarks/mix.sh                                          # SQLite, ramp 50 -> 400 journeys/s, 5 steps of 20 s
#   PROVIDER=postgres benchmarks/mix.sh
#   SCENARIO=steady RATE=150 DURATION=60 benchmarks/mix.sh
#
# Environment: PROVIDER (sqlite) USERS (1000000) PRODUCTS (10000) SCENARIO (ramp) RATE (50) TO (400) STEPS (5)
#              DURATION (20; ramp: per step) WARMUP (15) SESSIONS (200) THINK_MS (500) OUT (load-results/mix-<provider>-<time>)
#              STOREFRONT_PORT (5320) SKIP_BUILD (0)
set -euo pipefail

PROVIDER="${PROVIDER:-sqlite}"
USERS="${USERS:-1000000}"
PRODUCTS="${PRODUCTS:-10000}"
SCENARIO="${SCENARIO:-ramp}"
RATE="${RATE:-50}"
TO="${TO:-400}"
STEPS="${STEPS:-5}"
DURATION="${DURATION:-20}"
WARMUP="${WARMUP:-15}"
SESSIONS="${SESSIONS:-200}"
THINK_MS="${THINK_MS:-500}"
STOREFRONT_PORT="${STOREFRONT_PORT:-5320}"
SKIP_BUILD="${SKIP_BUILD:-0}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/benchmarks/lib.sh"
OUT="${OUT:-$ROOT/load-results/mix-$PROVIDER-$(date -u +%Y%m%d-%H%M%S)}"
URL="http://127.0.0.1:$STOREFRONT_PORT"
DB_PREFIX="mixbench"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/scaleshop-mix.XXXXXX")"
export Storage__DataDirectory="$WORK/data"
STOREFRONT_PID=""
cleanup() {
    local status=$?
    payment_provider_stop
    recommendations_stop
    [[ -n "$STOREFRONT_PID" ]] && { kill "$STOREFRONT_PID" 2>/dev/null || true; wait "$STOREFRONT_PID" 2>/dev/null || true; }
    [[ "$PROVIDER" == "postgres" ]] && { "$ROOT/deploy/local/topology.sh" drop-databases "$DB_PREFIX" || true; }
    if [[ $status -ne 0 && $status -ne 1 ]]; then echo "Logs kept in $WORK" >&2; else rm -rf "$WORK"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

bench_storage mix.sh "$PROVIDER" "$DB_PREFIX"

if [[ "$SKIP_BUILD" != "1" ]]; then
    log "Building storefront and CLI (Release)"
    for project in src/ScaleShop.Storefront/ScaleShop.Storefront.csproj src/ScaleShop.Cli/ScaleShop.Cli.csproj; do
        dotnet build -c Release --nologo -v q "$ROOT/$project" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; exit 1; }
    done
fi
CLI=(dotnet "$ROOT/src/ScaleShop.Cli/bin/Release/net10.0/scaleshop.dll")

log "Seeding $PRODUCTS products and $USERS users ($PROVIDER)"
"${CLI[@]}" seed --products "$PRODUCTS" --users "$USERS" >"$WORK/seed.log" 2>&1 || { cat "$WORK/seed.log" >&2; exit 1; }

payment_provider_start "$WORK" "${PAYMENT_PROVIDER_PORT:-5321}"
recommendations_start "$WORK" "${RECOMMENDATIONS_PORT:-5322}"
env ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning Seed__OnFirstStart=false \
    Admin__Email=mix-admin@scaleshop.test Admin__Password=mix-admin-pass \
    dotnet "$ROOT/src/ScaleShop.Storefront/bin/Release/net10.0/ScaleShop.Storefront.dll" --urls "$URL" >"$WORK/storefront.log" 2>&1 &
STOREFRONT_PID=$!
bench_wait_ready mix.sh "$URL" "$STOREFRONT_PID" "$WORK/storefront.log" 300

# Checkouts must not fail for want of stock (that would be a business outcome, not the service's limit).
log "Restocking all $PRODUCTS products"
admin=$(curl -fsS -X POST "$URL/api/v1/sessions" -H 'Content-Type: application/json' \
    -d '{"email":"mix-admin@scaleshop.test","password":"mix-admin-pass"}' | jq -er .accessToken)
config="$WORK/restock.curl"
: >"$config"
for ((id = 1; id <= PRODUCTS; id++)); do
    [[ $id -gt 1 ]] && echo "next" >>"$config"
    printf 'url = "%s/api/v1/admin/products/%d"\nrequest = "PUT"\nheader = "Authorization: Bearer %s"\nheader = "Content-Type: application/json"\ndata = "{\\"stock\\":1000000}"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
        "$URL" "$id" "$admin" >>"$config"
done
bad=$(curl -sS -K "$config" | grep -cv '^200$' || true)
[[ "$bad" == "0" ]] || { echo "mix.sh: $bad restocks failed" >&2; exit 1; }

log "Load: $SCENARIO (rate $RATE, to $TO, $STEPS steps, ${DURATION}s), $SESSIONS sessions, think ${THINK_MS} ms"
status=0
"${CLI[@]}" load --url "$URL" --scenario "$SCENARIO" --rate "$RATE" --to "$TO" --steps "$STEPS" --duration "$DURATION" --warmup "$WARMUP" \
    --users "$USERS" --sessions "$SESSIONS" --products "$PRODUCTS" --think-ms "$THINK_MS" \
    --objectives "$ROOT/load/objectives.json" --out "$OUT" || status=$?
echo "Provider $PROVIDER, $USERS users, $PRODUCTS products, commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'); report in $OUT"
exit "$status"
