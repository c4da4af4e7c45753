#!/usr/bin/env bash
# One chaos experiment end to end on the running topology: fresh databases (prefix chaos<pid>), a payment
# provider, the recommendations service (when its project exists), a storefront that seeds itself, then
# `scaleshop chaos run`, then everything it started is stopped and its databases dropped. Exit code: the
# experiment's (0 held, 1 hypothesis failed, 2 could not run).
#
#   chaos/run.sh shard-database-killed            the full version (report in chaos-results/NAME-TIME)
#   chaos/run.sh chaos/experiments/redis-stopped.json --short --out /tmp/redis
#
# The experiment stops and pauses servers of the topology that deploy/local/topology.sh manages: point it at
# one nobody else is using, e.g. SCALESHOP_TOPOLOGY_DIR=/var/tmp/scaleshop-chaos SCALESHOP_TOPOLOGY_PORT_OFFSET=100
# (started by this script when it is not running).
#
# Environment: STOREFRONT_PORT (5470) PAYMENT_PROVIDER_PORT (5471) RECOMMENDATIONS_PORT (5472) SKIP_BUILD (0)
#              RESTOCK_PRODUCTS (200: the Zipf-popular products given stock enough for any run)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
[[ $# -ge 1 ]] || { echo "usage: chaos/run.sh <experiment name or file> [--short] [--out DIR]" >&2; exit 2; }
EXPERIMENT="$1"; shift
[[ -f "$EXPERIMENT" ]] || EXPERIMENT="chaos/experiments/$EXPERIMENT.json"
[[ -f "$EXPERIMENT" ]] || { echo "chaos/run.sh: no experiment $EXPERIMENT" >&2; exit 2; }
STOREFRONT_PORT="${STOREFRONT_PORT:-5470}"
RECOMMENDATIONS_PORT="${RECOMMENDATIONS_PORT:-5472}"
RESTOCK_PRODUCTS="${RESTOCK_PRODUCTS:-200}"
SKIP_BUILD="${SKIP_BUILD:-0}"
URL="http://127.0.0.1:$STOREFRONT_PORT"
TOPOLOGY="$ROOT/deploy/local/topology.sh"
export Admin__Email="chaos-admin@scaleshop.test" Admin__Password="chaos-admin-pass"
DB_PREFIX="chaos$$"
source "$ROOT/benchmarks/lib.sh"
export Messaging__Nats__Prefix="chaos$(date +%s)$$"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/scaleshop-chaos.XXXXXX")"
export Storage__DataDirectory="$WORK/data"
# Enough seeded shoppers that two sessions rarely share one (and so one cart).
export Seed__Users="${Seed__Users:-10000}"
STOREFRONT_PID=""
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Whatever the experiment left (an interrupted run may not have rolled back): every server running and awake.
heal_topology() {
    local server
    for server in postgres-a postgres-b replica redis nats; do "$TOPOLOGY" resume "$server" >/dev/null 2>&1 || true; done
    "$TOPOLOGY" up >/dev/null 2>&1
}

cleanup() {
    local status=$?
    service_stop "$STOREFRONT_PID"
    recommendations_stop
    payment_provider_stop
    heal_topology || true
    "$TOPOLOGY" drop-databases "$DB_PREFIX" >/dev/null 2>&1 || true
    if [[ $status -ne 0 ]]; then echo "chaos/run.sh: logs kept in $WORK" >&2; else rm -rf "$WORK"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

heal_topology
"$TOPOLOGY" drop-databases "$DB_PREFIX"
eval "$("$TOPOLOGY" env "$DB_PREFIX")"

if [[ "$SKIP_BUILD" != "1" ]]; then
    log "Building (Release)"
    for project in src/ScaleShop.Storefront src/ScaleShop.Cli; do
        dotnet build -c Release --nologo -v q "$project" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; exit 2; }
    done
fi

payment_provider_start "$WORK" "${PAYMENT_PROVIDER_PORT:-5471}"
VARS=(--var "payments=${Payments__BaseUrl%/}")

log "Starting the recommendations service on :$RECOMMENDATIONS_PORT"
recommendations_start "$WORK" "$RECOMMENDATIONS_PORT" || exit 2
VARS+=(--var "recommendations=${Recommendations__BaseUrl%/}")

log "Starting the storefront on $URL (fresh databases ${DB_PREFIX}_*, seeds on first start)"
env ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
    dotnet "$ROOT/src/ScaleShop.Storefront/bin/Release/net10.0/ScaleShop.Storefront.dll" --urls "$URL" >"$WORK/storefront.log" 2>&1 &
STOREFRONT_PID=$!
bench_wait_ready chaos/run.sh "$URL" "$STOREFRONT_PID" "$WORK/storefront.log" 180

admin=$(curl -fsS -X POST "$URL/api/v1/sessions" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$Admin__Email\",\"password\":\"$Admin__Password\"}" | sed 's/.*"accessToken":"\([^"]*\)".*/\1/')
log "Restocking products 1..$RESTOCK_PRODUCTS"
for ((id = 1; id <= RESTOCK_PRODUCTS; id++)); do
    curl -fsS -o /dev/null -X PUT "$URL/api/v1/admin/products/$id" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' -d '{"stock":1000000}'
done

set +e
dotnet "$ROOT/src/ScaleShop.Cli/bin/Release/net10.0/scaleshop.dll" chaos run "$EXPERIMENT" --url "$URL" --topology "$TOPOLOGY" "${VARS[@]}" "$@"
status=$?
set -e
exit "$status"
