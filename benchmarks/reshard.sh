#!/usr/bin/env bash
# Online resharding under load: what the users of the moving logical shard and everyone else see while
# `scaleshop reshard move` runs. Prints figures; it is a measurement, not a test (the tests prove correctness).
#
#   benchmarks/reshard.sh                              # PostgreSQL topology, 1,000,000 users, about 2 minutes
#   PROVIDER=sqlite USERS=200000 benchmarks/reshard.sh
#
# 1. Seeds PRODUCTS products and USERS users with the CLI (fresh SQLite folder, or fresh PostgreSQL databases
#    named reshardbench_* on deploy/local/topology.sh, which must be up), then starts the storefront (Release).
# 2. Runs two wrk checkouts at once for DURATION: MOVING_CONNECTIONS connections as users of logical shard
#    LOGICAL_SHARD, OTHER_CONNECTIONS as users of other shards (on the same source database and elsewhere).
# 3. MOVE_AFTER seconds in, moves LOGICAL_SHARD to TARGET and prints its report: with `scaleshop reshard move`
#    (MOVE_VIA=cli, the default on PostgreSQL) or through the storefront's admin API (MOVE_VIA=api, the default
#    on SQLite, where a mover in another process would meet the storefront's writers only through SQLite's
#    busy-wait).
# 4. Prints both wrk results: the moving shard's users see the write pause in their max latency; the others
#    should see nothing. Any non-2xx answer is a failure (exit 1): a pause must be waited out, not returned.
#
# Environment: PROVIDER (postgres) USERS (1000000) PRODUCTS (10000) LOGICAL_SHARD (3) TARGET (shard2)
#              DURATION (30) MOVE_AFTER (8) MOVING_CONNECTIONS (8) OTHER_CONNECTIONS (24) TOKENS (40)
#              MOVE (1; 0 runs the same load without a move, for comparison)
#              MOVE_VIA (cli on postgres, api on sqlite) STOREFRONT_PORT (5190) SKIP_BUILD (0) KEEP_DATA (0)
set -euo pipefail

PROVIDER="${PROVIDER:-postgres}"
USERS="${USERS:-1000000}"
PRODUCTS="${PRODUCTS:-10000}"
LOGICAL_SHARD="${LOGICAL_SHARD:-3}"
TARGET="${TARGET:-shard2}"
DURATION="${DURATION:-30}"
MOVE_AFTER="${MOVE_AFTER:-8}"
MOVING_CONNECTIONS="${MOVING_CONNECTIONS:-8}"
OTHER_CONNECTIONS="${OTHER_CONNECTIONS:-24}"
TOKENS="${TOKENS:-40}"
STOREFRONT_PORT="${STOREFRONT_PORT:-5190}"
SKIP_BUILD="${SKIP_BUILD:-0}"
KEEP_DATA="${KEEP_DATA:-0}"
MOVE="${MOVE:-1}"
if [[ "${PROVIDER:-postgres}" == "sqlite" ]]; then MOVE_VIA="${MOVE_VIA:-api}"; else MOVE_VIA="${MOVE_VIA:-cli}"; fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/benchmarks/lib.sh"
BENCH="$ROOT/benchmarks"
URL="http://127.0.0.1:$STOREFRONT_PORT"
ADMIN_EMAIL="bench-admin@scaleshop.test"
ADMIN_PASSWORD="bench-admin-pass"
SEED_PASSWORD="scaleshop-demo"
DB_PREFIX="reshardbench"

for tool in dotnet wrk curl jq python3; do
    command -v "$tool" >/dev/null || { echo "reshard.sh: $tool is required" >&2; exit 2; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/scaleshop-reshard.XXXXXX")"
DATA="$WORK/data"
mkdir -p "$DATA"
STOREFRONT_PID=""
cleanup() {
    local status=$?
    payment_provider_stop
    recommendations_stop
    if [[ -n "$STOREFRONT_PID" ]] && kill -0 "$STOREFRONT_PID" 2>/dev/null; then
        kill "$STOREFRONT_PID" 2>/dev/null || true
        wait "$STOREFRONT_PID" 2>/dev/null || true
    fi
    if [[ "$PROVIDER" == "postgres" && "$KEEP_DATA" != "1" ]]; then
        "$ROOT/deploy/local/topology.sh" drop-databases "$DB_PREFIX" || true
    fi
    if [[ "$KEEP_DATA" == "1" || $status -ne 0 ]]; then
        echo "Logs and wrk output kept in $WORK" >&2
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

export Storage__DataDirectory="$DATA"
bench_storage reshard.sh "$PROVIDER" "$DB_PREFIX"

if [[ "$SKIP_BUILD" != "1" ]]; then
    log "Building storefront and CLI (Release)"
    for project in src/ScaleShop.Storefront/ScaleShop.Storefront.csproj src/ScaleShop.Cli/ScaleShop.Cli.csproj; do
        dotnet build -c Release --nologo -v q "$ROOT/$project" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; exit 1; }
    done
fi
CLI=(dotnet "$ROOT/src/ScaleShop.Cli/bin/Release/net10.0/scaleshop.dll")

log "Seeding $PRODUCTS products and $USERS users ($PROVIDER)"
"${CLI[@]}" seed --products "$PRODUCTS" --users "$USERS" >"$WORK/seed.log" 2>&1 || { cat "$WORK/seed.log" >&2; exit 1; }
tail -2 "$WORK/seed.log" >&2

log "Starting the storefront on $URL"
payment_provider_start "$WORK" "${PAYMENT_PROVIDER_PORT:-5331}"
recommendations_start "$WORK" "${RECOMMENDATIONS_PORT:-5332}"
env ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
    Admin__Email="$ADMIN_EMAIL" Admin__Password="$ADMIN_PASSWORD" Seed__OnFirstStart=false \
    dotnet "$ROOT/src/ScaleShop.Storefront/bin/Release/net10.0/ScaleShop.Storefront.dll" --urls "$URL" >"$WORK/storefront.log" 2>&1 &
STOREFRONT_PID=$!
bench_wait_ready reshard.sh "$URL" "$STOREFRONT_PID" "$WORK/storefront.log" 120

post_json() { curl -fsS -X POST "$1" -H 'Content-Type: application/json' ${3:+-H "Authorization: Bearer $3"} -d "$2"; }
admin_token=$(post_json "$URL/api/v1/sessions" "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" | jq -er .accessToken)
for id in $(seq 1 200); do
    curl -fsS -o /dev/null -X PUT "$URL/api/v1/admin/products/$id" -H "Authorization: Bearer $admin_token" \
        -H 'Content-Type: application/json' -d '{"stock":1000000}'
done

# Seeded users live on the logical shard their e-mail hashes to (ShardKeys: SHA-256 of the upper-cased address,
# first 8 bytes little-endian, modulo the logical shard count).
read -r -a moving_emails <<<"$(python3 - "$LOGICAL_SHARD" "$USERS" "$TOKENS" <<'PY'
import hashlib, sys
shard, users, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def logical(email): return int.from_bytes(hashlib.sha256(email.upper().encode()).digest()[:8], "little") % 64
print(" ".join([e for e in (f"user{i}@seed.scaleshop.test" for i in range(users)) if logical(e) == shard][:count]))
PY
)"
read -r -a other_emails <<<"$(python3 - "$LOGICAL_SHARD" "$USERS" "$TOKENS" <<'PY'
import hashlib, sys
shard, users, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def logical(email): return int.from_bytes(hashlib.sha256(email.upper().encode()).digest()[:8], "little") % 64
print(" ".join([e for e in (f"user{i}@seed.scaleshop.test" for i in range(users)) if logical(e) != shard][:count]))
PY
)"
log "Signing in ${#moving_emails[@]} users of logical shard $LOGICAL_SHARD and ${#other_emails[@]} of other shards"
: >"$WORK/moving.tokens"
: >"$WORK/other.tokens"
for email in "${moving_emails[@]}"; do
    post_json "$URL/api/v1/sessions" "{\"email\":\"$email\",\"password\":\"$SEED_PASSWORD\"}" | jq -er .accessToken >>"$WORK/moving.tokens"
done
for email in "${other_emails[@]}"; do
    post_json "$URL/api/v1/sessions" "{\"email\":\"$email\",\"password\":\"$SEED_PASSWORD\"}" | jq -er .accessToken >>"$WORK/other.tokens"
done

RUN_ID="reshard$(date +%s)"
log "Checkouts for ${DURATION}s: $MOVING_CONNECTIONS connections on logical shard $LOGICAL_SHARD, $OTHER_CONNECTIONS elsewhere"
wrk -t1 -c"$MOVING_CONNECTIONS" -d"${DURATION}s" --latency -s "$BENCH/checkout.lua" "$URL" -- "$WORK/moving.tokens" 200 "$RUN_ID-m" >"$WORK/wrk-moving.txt" 2>&1 &
MOVING_WRK=$!
wrk -t1 -c"$OTHER_CONNECTIONS" -d"${DURATION}s" --latency -s "$BENCH/checkout.lua" "$URL" -- "$WORK/other.tokens" 200 "$RUN_ID-o" >"$WORK/wrk-other.txt" 2>&1 &
OTHER_WRK=$!
sleep "$MOVE_AFTER"
if [[ "$MOVE" != "1" ]]; then
    log "MOVE=0: no move, the same load only"
elif [[ "$MOVE_VIA" == "cli" ]]; then
    log "Moving logical shard $LOGICAL_SHARD to $TARGET (cli)"
    "${CLI[@]}" reshard move --logical-shard "$LOGICAL_SHARD" --to "$TARGET" 2>&1 | grep -v '^info:\|^      ' | tee "$WORK/move.txt"
else
    log "Moving logical shard $LOGICAL_SHARD to $TARGET (admin API)"
    curl -fsS -X POST "$URL/api/v1/admin/shards/$LOGICAL_SHARD/move" -H "Authorization: Bearer $admin_token" \
        -H 'Content-Type: application/json' -d "{\"target\":\"$TARGET\"}" >/dev/null
    while status=$(curl -fsS "$URL/api/v1/admin/shards/$LOGICAL_SHARD/move" -H "Authorization: Bearer $admin_token") \
        && [[ "$(jq -r .state <<<"$status")" == "running" ]]; do
        sleep 0.5
    done
    jq -r '.steps[] | "\(.at[11:23]) \(.text)"' <<<"$status" | tee "$WORK/move.txt"
    jq -r '"Move \(.state): map version \(.toVersion), writes paused \(.writePauseMs // 0 | floor) ms, \(.rowsVerified) rows verified \(.error // "")"' <<<"$status" | tee -a "$WORK/move.txt"
fi
wait "$MOVING_WRK" "$OTHER_WRK"

echo
echo "--- users of logical shard $LOGICAL_SHARD (moved during the run)"
cat "$WORK/wrk-moving.txt"
echo
echo "--- users of other logical shards"
cat "$WORK/wrk-other.txt"
echo
echo "== $(date -u +'%Y-%m-%d %H:%M UTC'), $(nproc) cores, provider $PROVIDER, $USERS users, commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') =="
failed=0
for who in moving other; do
    line=$(grep '^BENCH ' "$WORK/wrk-$who.txt") || { echo "reshard.sh: no BENCH line from wrk ($who)" >&2; exit 1; }
    max=$(grep -E '^\s+Latency' "$WORK/wrk-$who.txt" | awk '{ print $4 }')
    echo "$who: $line max=$max"
    non2xx=$(sed -E 's/.* non2xx=([^ ]+).*/\1/' <<<"$line")
    [[ "$non2xx" == "0" ]] || failed=1
done
if ((failed)); then
    echo "FAILED: some checkouts were answered with an error during the move (see wrk output above)" >&2
fi
exit "$failed"
