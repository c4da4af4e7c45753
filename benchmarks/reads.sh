#!/usr/bin/env bash
# Read paths of the catalog: product GET served from the cache (hit) and from the database (miss), and on
# PostgreSQL the same with and without read replicas. Prints figures; it is a measurement, not a test.
#
#   benchmarks/reads.sh                      # PostgreSQL topology (deploy/local/topology.sh up), ~3 minutes
#   PROVIDER=sqlite benchmarks/reads.sh
#
# Seeds PRODUCTS products with the CLI (fresh SQLite folder, or fresh databases readbench_* on the topology),
# then for each mode (PostgreSQL: replicas, then primary only; SQLite: one) starts the storefront (Release) and
# runs wrk for DURATION each on:
#   hit   GET /api/v1/products/42                  one product, always in the in-process cache
#   miss  GET /api/v1/products/{random 1..PRODUCTS} with PRODUCTS far above the requests of a run, nearly every
#                                                   read misses the cache and reads the catalog database
# On PostgreSQL it also counts the transactions each server committed during the miss run (pg_stat_database:
# an independent count, not the storefront's own metrics), so the primary's share of the read load shows.
#
# Environment: PROVIDER (postgres) PRODUCTS (500000) DURATION (20s) CONNECTIONS (64) THREADS (2)
#              STOREFRONT_PORT (5195) SKIP_BUILD (0) KEEP_DATA (0)
set -euo pipefail

PROVIDER="${PROVIDER:-postgres}"
PRODUCTS="${PRODUCTS:-500000}"
DURATION="${DURATION:-20s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
STOREFRONT_PORT="${STOREFRONT_PORT:-5195}"
SKIP_BUILD="${SKIP_BUILD:-0}"
KEEP_DATA="${KEEP_DATA:-0}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/benchmarks/lib.sh"   # benchmark-wide settings (no per-client rate limit from one address)
BENCH="$ROOT/benchmarks"
TOPOLOGY="$ROOT/deploy/local/topology.sh"
URL="http://127.0.0.1:$STOREFRONT_PORT"
DB_PREFIX="readbench"

for tool in dotnet wrk curl psql; do
    command -v "$tool" >/dev/null || { echo "reads.sh: $tool is required" >&2; exit 2; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/scaleshop-reads.XXXXXX")"
export Storage__DataDirectory="$WORK/data"
STOREFRONT_PID=""
stop_storefront() {
    if [[ -n "$STOREFRONT_PID" ]] && kill -0 "$STOREFRONT_PID" 2>/dev/null; then
        kill "$STOREFRONT_PID" 2>/dev/null || true
        wait "$STOREFRONT_PID" 2>/dev/null || true
    fi
    STOREFRONT_PID=""
}
cleanup() {
    local status=$?
    stop_storefront
    [[ "$PROVIDER" == "postgres" && "$KEEP_DATA" != "1" ]] && { "$TOPOLOGY" drop-databases "$DB_PREFIX" || true; }
    if [[ "$KEEP_DATA" == "1" || $status -ne 0 ]]; then echo "Logs and wrk output kept in $WORK" >&2; else rm -rf "$WORK"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

case "$PROVIDER" in
    postgres)
        [[ "$("$TOPOLOGY" status)" == *"postgres b: running"* ]] || { echo "reads.sh: start the topology first: deploy/local/topology.sh up" >&2; exit 2; }
        "$TOPOLOGY" drop-databases "$DB_PREFIX"
        eval "$("$TOPOLOGY" env "$DB_PREFIX")"
        MODES=(replicas primary)
        ;;
    sqlite) export Storage__Provider=Sqlite; MODES=(embedded) ;;
    *) echo "reads.sh: PROVIDER is postgres or sqlite" >&2; exit 2 ;;
esac

if [[ "$SKIP_BUILD" != "1" ]]; then
    log "Building storefront and CLI (Release)"
    for project in src/ScaleShop.Storefront/ScaleShop.Storefront.csproj src/ScaleShop.Cli/ScaleShop.Cli.csproj; do
        dotnet build -c Release --nologo -v q "$ROOT/$project" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; exit 1; }
    done
fi

log "Seeding $PRODUCTS products ($PROVIDER)"
dotnet "$ROOT/src/ScaleShop.Cli/bin/Release/net10.0/scaleshop.dll" seed --products "$PRODUCTS" --users 1000 >"$WORK/seed.log" 2>&1 \
    || { cat "$WORK/seed.log" >&2; exit 1; }
tail -2 "$WORK/seed.log" >&2

# Transactions committed in this benchmark's databases on one server (A: 55432, its replica A': 55433).
commits() { PGPASSWORD=scaleshop-local psql -h 127.0.0.1 -p "$1" -U scaleshop -d postgres -qtA \
    -c "SELECT coalesce(sum(xact_commit), 0) FROM pg_stat_database WHERE datname LIKE '${DB_PREFIX}\_%'"; }

declare -A RESULT
run() { # key duration script-args...
    local key=$1 duration=$2
    shift 2
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$duration" --latency "$@" >"$WORK/wrk-$key.txt" 2>&1 || { cat "$WORK/wrk-$key.txt" >&2; exit 1; }
    RESULT[$key]=$(grep '^BENCH ' "$WORK/wrk-$key.txt")
}

for mode in "${MODES[@]}"; do
    replicas=true
    [[ "$mode" == "primary" ]] && replicas=false
    log "Mode $mode: starting the storefront (Storage__Postgres__ReadFromReplicas=$replicas)"
    env ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning Seed__OnFirstStart=false \
        Storage__Postgres__ReadFromReplicas="$replicas" \
        dotnet "$ROOT/src/ScaleShop.Storefront/bin/Release/net10.0/ScaleShop.Storefront.dll" --urls "$URL" >"$WORK/storefront-$mode.log" 2>&1 &
    STOREFRONT_PID=$!
    deadline=$((SECONDS + 120))
    until curl -fsS -o /dev/null "$URL/health/ready" 2>/dev/null; do
        kill -0 "$STOREFRONT_PID" 2>/dev/null || { cat "$WORK/storefront-$mode.log" >&2; exit 1; }
        ((SECONDS < deadline)) || { echo "reads.sh: storefront not ready after 120 s" >&2; exit 1; }
        sleep 0.5
    done

    run "warmup-$mode" 5s -s "$BENCH/miss.lua" "$URL" -- "$PRODUCTS"
    run "hit-$mode" "$DURATION" -s "$BENCH/report.lua" "$URL/api/v1/products/42"
    sleep 2
    if [[ "$PROVIDER" == "postgres" ]]; then primary0=$(commits 55432) replica0=$(commits 55433); fi
    started=$(date +%s%N)
    run "miss-$mode" "$DURATION" -s "$BENCH/miss.lua" "$URL" -- "$PRODUCTS"
    seconds=$(awk -v ns=$(($(date +%s%N) - started)) 'BEGIN { print ns / 1e9 }')
    if [[ "$PROVIDER" == "postgres" ]]; then
        RESULT[primary-tps-$mode]=$(awk -v a="$primary0" -v b="$(commits 55432)" -v s="$seconds" 'BEGIN { printf "%.0f", (b - a) / s }')
        RESULT[replica-tps-$mode]=$(awk -v a="$replica0" -v b="$(commits 55433)" -v s="$seconds" 'BEGIN { printf "%.0f", (b - a) / s }')
    fi
    stop_storefront
done

field() { sed -E "s/.* $2=([^ ]+).*/\1/" <<<"${RESULT[$1]}"; }
ms() { awk -v us="$(field "$1" "$2")" 'BEGIN { printf "%.2f", us / 1000 }'; }
echo "== $(date -u +'%Y-%m-%d %H:%M UTC'), $(nproc) cores, provider $PROVIDER, $PRODUCTS products, wrk -t$THREADS -c$CONNECTIONS -d$DURATION, commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') =="
printf '| %-10s | %-42s | %10s | %8s | %8s | %7s | %20s | %20s |\n' "Mode" "Scenario" "Requests/s" "p50 (ms)" "p99 (ms)" "Non-2xx" "Primary A tx/s" "Replica A' tx/s"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|\n' "------------" "--------------------------------------------" "-----------:" "---------:" "---------:" "--------:" "---------------------:" "---------------------:"
failed=0
for mode in "${MODES[@]}"; do
    for scenario in hit miss; do
        key="$scenario-$mode"
        label="GET /api/v1/products/42 (cache hit)"
        [[ "$scenario" == "miss" ]] && label="GET /api/v1/products/{1..$PRODUCTS} (miss)"
        tps_primary="-" tps_replica="-"
        if [[ "$scenario" == "miss" && "$PROVIDER" == "postgres" ]]; then tps_primary=${RESULT[primary-tps-$mode]} tps_replica=${RESULT[replica-tps-$mode]}; fi
        printf '| %-10s | %-42s | %10s | %8s | %8s | %7s | %20s | %20s |\n' "$mode" "$label" "$(field "$key" rps)" "$(ms "$key" p50_us)" "$(ms "$key" p99_us)" \
            "$(field "$key" non2xx)" "$tps_primary" "$tps_replica"
        [[ "$(field "$key" non2xx)" == "0" && "$(field "$key" socket_errors)" == "0" ]] || failed=1
    done
done
echo "tx/s: transactions committed per second in the benchmark's databases on each server during the miss run (pg_stat_database)."
exit "$failed"
