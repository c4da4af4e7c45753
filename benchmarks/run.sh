#!/usr/bin/env bash
# First HTTP benchmark of the storefront. Prints figures; it is a command, not a test.
#
#   benchmarks/run.sh                          # defaults: wrk -t2 -c64 -d15s per scenario, about 2 minutes
#   DURATION=30s CONNECTIONS=128 benchmarks/run.sh
#
# Builds the storefront and the bare minimal-API baseline in Release, starts both on 127.0.0.1 (storefront on
# a fresh data folder, so it seeds 10,000 products and 1,000 users), warms them up, then runs wrk on:
#   (a) baseline     GET  /constant                  same-shaped, same-size JSON as a product, no app around it
#   (b) product      GET  /api/v1/products/42        the storefront's cached product read
#   (c) search       GET  /api/v1/search?q=wireless  FTS5 query, cached after the first request
#   (d) checkout     POST /api/v1/orders             signed-in users, 1 unit of a random product in 1..CHECKOUT_PRODUCTS,
#                                                    unique Idempotency-Key per request (benchmarks/checkout.lua)
# and prints a table (requests/s, p50, p99, errors, CPU used by the server, by wrk and by everything else, server
# CPU per request) and the ratio product / baseline (target >= 70%). docs/performance.md explains the figures.
# Exit status 1 if any scenario had non-2xx responses or socket errors (its figure would be wrong); a ratio
# below the target is reported, not failed: this is a measurement, not a test.
#
# Environment: DURATION (15s) CONNECTIONS (64) THREADS (2) WARMUP (5s) TOKENS (50) CHECKOUT_PRODUCTS (200)
#              STOREFRONT_PORT (5180) BASELINE_PORT (5181) SKIP_BUILD (0) KEEP_DATA (0) HOT_BUCKETS ("")
#              STOREFRONT_ENV ("") extra space-separated NAME=value settings for the storefront, e.g.
#                             STOREFRONT_ENV="OTEL_SDK_DISABLED=true Storage__Sqlite__Synchronous=Normal"
set -euo pipefail

DURATION="${DURATION:-15s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
WARMUP="${WARMUP:-5s}"
TOKENS="${TOKENS:-50}"
CHECKOUT_PRODUCTS="${CHECKOUT_PRODUCTS:-200}"
STOREFRONT_PORT="${STOREFRONT_PORT:-5180}"
BASELINE_PORT="${BASELINE_PORT:-5181}"
SKIP_BUILD="${SKIP_BUILD:-0}"
KEEP_DATA="${KEEP_DATA:-0}"
STOREFRONT_ENV="${STOREFRONT_ENV:-}"   # extra NAME=value settings for the storefront only, for what-if runs

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/benchmarks/lib.sh"
BENCH="$ROOT/benchmarks"
STOREFRONT_URL="http://127.0.0.1:$STOREFRONT_PORT"
BASELINE_URL="http://127.0.0.1:$BASELINE_PORT"
ADMIN_EMAIL="bench-admin@scaleshop.test"
ADMIN_PASSWORD="bench-admin-pass"
SEED_PASSWORD="scaleshop-demo"

for tool in dotnet wrk curl jq awk; do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool is required" >&2; exit 2; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/scaleshop-bench.XXXXXX")"
DATA="$WORK/data"
mkdir -p "$DATA"
STOREFRONT_PID=""
BASELINE_PID=""

cleanup() {
    local status=$?
    payment_provider_stop
    recommendations_stop
    for pid in "$STOREFRONT_PID" "$BASELINE_PID"; do
        if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
        fi
    done
    for pid in "$STOREFRONT_PID" "$BASELINE_PID"; do
        [[ -n "$pid" ]] && wait "$pid" 2>/dev/null || true
    done
    if [[ "$KEEP_DATA" == "1" || $status -ne 0 ]]; then
        echo "Data, server logs and wrk output kept in $WORK" >&2
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$STOREFRONT_PORT" "$BASELINE_PORT"; do
    port_free "$port" || { echo "run.sh: port $port on 127.0.0.1 is already in use" >&2; exit 2; }
done

# ---------------------------------------------------------------------------------------------- build
SOURCE_VERSION="(not a git checkout)"
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    SOURCE_VERSION="commit $(git -C "$ROOT" rev-parse --short HEAD)"
    if [[ -n "$(git -C "$ROOT" status --porcelain -- src)" ]]; then
        SOURCE_VERSION+=" + uncommitted changes in src/"
    fi
fi
if [[ "$SKIP_BUILD" != "1" ]]; then
    log "Building storefront and baseline (Release)"
    dotnet build -c Release --nologo -v q "$ROOT/src/ScaleShop.Storefront/ScaleShop.Storefront.csproj" >"$WORK/build-storefront.log" 2>&1 \
        || { cat "$WORK/build-storefront.log" >&2; exit 1; }
    dotnet build -c Release --nologo -v q "$BENCH/ScaleShop.Benchmarks.Baseline/ScaleShop.Benchmarks.Baseline.csproj" >"$WORK/build-baseline.log" 2>&1 \
        || { cat "$WORK/build-baseline.log" >&2; exit 1; }
fi
STOREFRONT_DLL="$ROOT/src/ScaleShop.Storefront/bin/Release/net10.0/ScaleShop.Storefront.dll"
BASELINE_DLL="$BENCH/ScaleShop.Benchmarks.Baseline/bin/Release/net10.0/ScaleShop.Benchmarks.Baseline.dll"

# ---------------------------------------------------------------------------------------------- start
log "Starting storefront on $STOREFRONT_URL (data in $DATA) and baseline on $BASELINE_URL"
read -r -a storefront_extra_env <<<"$STOREFRONT_ENV"
payment_provider_start "$WORK" "${PAYMENT_PROVIDER_PORT:-5182}"
recommendations_start "$WORK" "${RECOMMENDATIONS_PORT:-5183}"
env ASPNETCORE_ENVIRONMENT=Production \
    Storage__DataDirectory="$DATA" \
    Logging__LogLevel__Default=Warning \
    Admin__Email="$ADMIN_EMAIL" \
    Admin__Password="$ADMIN_PASSWORD" \
    "${storefront_extra_env[@]}" \
    dotnet "$STOREFRONT_DLL" --urls "$STOREFRONT_URL" >"$WORK/storefront.log" 2>&1 &
STOREFRONT_PID=$!

ASPNETCORE_ENVIRONMENT=Production \
Logging__LogLevel__Default=Warning \
    dotnet "$BASELINE_DLL" --urls "$BASELINE_URL" >"$WORK/baseline.log" 2>&1 &
BASELINE_PID=$!

wait_ready() { # name url pid
    local name=$1 url=$2 pid=$3 deadline=$((SECONDS + 120))
    until curl -fsS -o /dev/null "$url/health/ready" 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "run.sh: $name exited during start-up; its log:" >&2
            cat "$WORK/$name.log" >&2
            exit 1
        fi
        if ((SECONDS > deadline)); then
            echo "run.sh: $name not ready after 120 s; its log:" >&2
            cat "$WORK/$name.log" >&2
            exit 1
        fi
        sleep 0.5
    done
}
wait_ready storefront "$STOREFRONT_URL" "$STOREFRONT_PID"
wait_ready baseline "$BASELINE_URL" "$BASELINE_PID"
log "Both ready"

# Same body shape and size, or the comparison means nothing.
product_bytes=$(curl -fsS "$STOREFRONT_URL/api/v1/products/42" | wc -c)
constant_bytes=$(curl -fsS "$BASELINE_URL/constant" | wc -c)
search_bytes=$(curl -fsS "$STOREFRONT_URL/api/v1/search?q=wireless" | wc -c)
log "Body sizes: product $product_bytes B, baseline $constant_bytes B, search $search_bytes B"

# ---------------------------------------------------------------------------------------------- checkout setup
post_json() { # url json [token] -> body; fails on non-2xx
    local auth=()
    [[ -n "${3:-}" ]] && auth=(-H "Authorization: Bearer $3")
    curl -fsS -X POST "$1" -H 'Content-Type: application/json' "${auth[@]}" -d "$2"
}

# HOT_BUCKETS=N spreads each checkout product's stock over N rows (hot products); with CHECKOUT_PRODUCTS=1
# every order hits one product, which is the hot-row benchmark.
STOCK_BUCKETS_JSON=""
[[ -n "${HOT_BUCKETS:-}" ]] && STOCK_BUCKETS_JSON=",\\\"stockBuckets\\\":$HOT_BUCKETS"
log "Signing in as admin and raising stock of products 1..$CHECKOUT_PRODUCTS to 1000000${HOT_BUCKETS:+ in $HOT_BUCKETS buckets each}"
admin_token=$(post_json "$STOREFRONT_URL/api/v1/sessions" \
    "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" | jq -er .accessToken)
# One curl process for all PUTs (-K config), each answer's status on its own line.
stock_config="$WORK/stock.curl"
: >"$stock_config"
for ((id = 1; id <= CHECKOUT_PRODUCTS; id++)); do
    {
        [[ $id -gt 1 ]] && echo "next"
        echo "url = \"$STOREFRONT_URL/api/v1/admin/products/$id\""
        echo "request = \"PUT\""
        echo "header = \"Authorization: Bearer $admin_token\""
        echo "header = \"Content-Type: application/json\""
        echo "data = \"{\\\"stock\\\":1000000$STOCK_BUCKETS_JSON}\""
        echo "output = \"/dev/null\""
        echo "write-out = \"%{http_code}\\n\""
    } >>"$stock_config"
done
bad_puts=$(curl -sS -K "$stock_config" | grep -cv '^200$' || true)
if [[ "$bad_puts" != "0" ]]; then
    echo "run.sh: $bad_puts of $CHECKOUT_PRODUCTS stock updates did not answer 200" >&2
    exit 1
fi

log "Signing in $TOKENS seeded users (PBKDF2, 100,000 iterations each)"
tokens_file="$WORK/tokens.txt"
: >"$tokens_file"
for ((i = 0; i < TOKENS; i++)); do
    post_json "$STOREFRONT_URL/api/v1/sessions" \
        "{\"email\":\"user$i@seed.scaleshop.test\",\"password\":\"$SEED_PASSWORD\"}" | jq -er .accessToken >>"$tokens_file"
done

# ---------------------------------------------------------------------------------------------- runs
declare -A RPS P50 P99 REQS ERRS SOCK CPU_SERVER CPU_WRK CPU_OTHER US_PER_REQ
CLK_TCK=$(getconf CLK_TCK)
# user+nice+system+irq+softirq jiffies, all cores. Interrupt time is in the interrupted process's stime too
# (loopback networking is mostly softirq), so it must be in the total; hypervisor steal is left out.
machine_busy() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8; exit }' /proc/stat; }
process_cpu() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }               # utime + stime
children_cpu() { awk '{ sub(/^.*\) /, ""); print $14 + $15 }' "/proc/$$/stat"; }             # reaped children (wrk)
cores() { awk -v j="$1" -v hz="$CLK_TCK" -v ns="$2" 'BEGIN { c = j / hz / (ns / 1e9); printf "%.2f", (c < 0 ? 0 : c) }'; }

# run_wrk key server-pid duration url [lua-script script-args...]
# Fills the arrays for key (warm-ups are only run). CPU is measured over the run in cores (of $(nproc)):
# the server under test, wrk, and the rest of the machine (other processes and interrupt work not charged to
# a process: ~0 on a quiet machine).
run_wrk() {
    local key=$1 server_pid=$2 duration=$3 url=$4
    shift 4
    local script="$BENCH/report.lua"
    local extra=()
    if [[ $# -gt 0 ]]; then
        script=$1
        shift
        extra=(-- "$@")
    fi
    local out="$WORK/wrk-$key.txt"
    local busy0 server0 wrk0 t0 busy1 server1 wrk1 t1
    busy0=$(machine_busy) server0=$(process_cpu "$server_pid") wrk0=$(children_cpu) t0=$(date +%s%N)
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$duration" --latency -s "$script" "$url" "${extra[@]}" >"$out" 2>&1 \
        || { cat "$out" >&2; exit 1; }
    t1=$(date +%s%N) busy1=$(machine_busy) server1=$(process_cpu "$server_pid") wrk1=$(children_cpu)
    [[ $key == warmup-* ]] && return 0
    cat "$out"
    echo
    local line
    line=$(grep '^BENCH ' "$out") || { echo "run.sh: no BENCH line from wrk for $key" >&2; exit 1; }
    field() { sed -E "s/.* $1=([^ ]+).*/\1/" <<<"$line"; }
    RPS[$key]=$(field rps)
    P50[$key]=$(awk -v us="$(field p50_us)" 'BEGIN { printf "%.2f", us / 1000 }')
    P99[$key]=$(awk -v us="$(field p99_us)" 'BEGIN { printf "%.2f", us / 1000 }')
    REQS[$key]=$(field requests)
    ERRS[$key]=$(field non2xx)
    SOCK[$key]=$(field socket_errors)
    local ns=$((t1 - t0))
    CPU_SERVER[$key]=$(cores $((server1 - server0)) "$ns")
    CPU_WRK[$key]=$(cores $((wrk1 - wrk0)) "$ns")
    CPU_OTHER[$key]=$(cores $((busy1 - busy0 - (server1 - server0) - (wrk1 - wrk0))) "$ns")
    US_PER_REQ[$key]=$(awk -v j=$((server1 - server0)) -v hz="$CLK_TCK" -v n="${REQS[$key]}" 'BEGIN { printf "%.1f", j / hz * 1e6 / n }')
    echo "CPU over the run (cores of $(nproc)): server ${CPU_SERVER[$key]}, wrk ${CPU_WRK[$key]}, everything else ${CPU_OTHER[$key]}"
    echo
}

RUN_ID="bench$(date +%s)"
CHECKOUT_ARGS=("$BENCH/checkout.lua" "$tokens_file" "$CHECKOUT_PRODUCTS" "$RUN_ID")

log "Warming up ($WARMUP each): baseline, product, search, checkout"
run_wrk warmup-baseline "$BASELINE_PID" "$WARMUP" "$BASELINE_URL/constant"
run_wrk warmup-product "$STOREFRONT_PID" "$WARMUP" "$STOREFRONT_URL/api/v1/products/42"
run_wrk warmup-search "$STOREFRONT_PID" "$WARMUP" "$STOREFRONT_URL/api/v1/search?q=wireless"
run_wrk warmup-checkout "$STOREFRONT_PID" "$WARMUP" "$STOREFRONT_URL" "$BENCH/checkout.lua" "$tokens_file" "$CHECKOUT_PRODUCTS" "$RUN_ID-warmup"

echo "== wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, $(nproc) cores shared by wrk and both servers =="
echo
log "(a) baseline GET /constant"
echo "--- (a) baseline: GET $BASELINE_URL/constant"
run_wrk baseline "$BASELINE_PID" "$DURATION" "$BASELINE_URL/constant"
sleep 2
log "(b) storefront GET /api/v1/products/42"
echo "--- (b) product: GET $STOREFRONT_URL/api/v1/products/42"
run_wrk product "$STOREFRONT_PID" "$DURATION" "$STOREFRONT_URL/api/v1/products/42"
sleep 2
log "(c) storefront GET /api/v1/search?q=wireless"
echo "--- (c) search: GET $STOREFRONT_URL/api/v1/search?q=wireless"
run_wrk search "$STOREFRONT_PID" "$DURATION" "$STOREFRONT_URL/api/v1/search?q=wireless"
sleep 2
log "(d) storefront POST /api/v1/orders"
echo "--- (d) checkout: POST $STOREFRONT_URL/api/v1/orders (benchmarks/checkout.lua, $TOKENS users, products 1..$CHECKOUT_PRODUCTS)"
run_wrk checkout "$STOREFRONT_PID" "$DURATION" "$STOREFRONT_URL" "${CHECKOUT_ARGS[@]}"

# ---------------------------------------------------------------------------------------------- summary
data_fs=$(df -T "$DATA" | awk 'NR == 2 { print $2 }')
echo "== Summary: $(date -u +'%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), .NET $(dotnet --version), data on $data_fs =="
echo "== storefront built from $SOURCE_VERSION${STOREFRONT_ENV:+, extra settings: $STOREFRONT_ENV} =="
echo "== wrk -t$THREADS -c$CONNECTIONS -d$DURATION; wrk runs on the same cores as the servers; CPU columns in cores of $(nproc) =="
echo
printf '| %-36s | %10s | %8s | %8s | %8s | %7s | %6s | %10s | %7s | %7s | %13s |\n' \
    "Scenario" "Requests/s" "p50 (ms)" "p99 (ms)" "Requests" "Non-2xx" "Socket" "Server CPU" "wrk CPU" "Other" "Server µs/req"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' "--------------------------------------" "-----------:" "---------:" "---------:" "---------:" \
    "--------:" "-------:" "-----------:" "--------:" "--------:" "--------------:"
row() {
    printf '| %-36s | %10s | %8s | %8s | %8s | %7s | %6s | %10s | %7s | %7s | %13s |\n' "$1" "${RPS[$2]}" "${P50[$2]}" "${P99[$2]}" "${REQS[$2]}" \
        "${ERRS[$2]}" "${SOCK[$2]}" "${CPU_SERVER[$2]}" "${CPU_WRK[$2]}" "${CPU_OTHER[$2]}" "${US_PER_REQ[$2]}"
}
row "(a) baseline GET /constant" baseline
row "(b) GET /api/v1/products/42 (cached)" product
row "(c) GET /api/v1/search?q=wireless" search
row "(d) POST /api/v1/orders (checkout)" checkout
echo "p50/p99 are wrk's, after its coordinated-omission correction (synthetic samples for responses slower than"
echo "connections / requests-per-second); Server µs/req = server CPU time / requests."
echo
ratio=$(awk -v p="${RPS[product]}" -v b="${RPS[baseline]}" 'BEGIN { printf "%.1f", 100 * p / b }')
verdict=$(awk -v r="$ratio" 'BEGIN { print (r >= 70 ? "meets" : "BELOW") }')
echo "Cached product GET / baseline: $ratio% of the bare endpoint's requests/s ($verdict the >= 70% target)"
cpu_ratio=$(awk -v p="${US_PER_REQ[product]}" -v b="${US_PER_REQ[baseline]}" 'BEGIN { printf "%.1f", 100 * b / p }')
echo "Server CPU per request: product ${US_PER_REQ[product]} µs, baseline ${US_PER_REQ[baseline]} µs (baseline/product = $cpu_ratio%;"
echo "  with the client on other cores, the requests/s ratio of CPU-bound servers would tend to this figure)"

failed=0
for key in baseline product search checkout; do
    if [[ "${ERRS[$key]}" != "0" || "${SOCK[$key]}" != "0" ]]; then
        echo "WARNING: $key had ${ERRS[$key]} non-2xx responses and ${SOCK[$key]} socket errors; its figure is not valid (see wrk output above)." >&2
        failed=1
    fi
    if awk -v o="${CPU_OTHER[$key]}" 'BEGIN { exit !(o > 0.15) }'; then
        echo "WARNING: other processes used ${CPU_OTHER[$key]} cores during $key; the machine was not quiet, its figure is low." >&2
    fi
done
if grep -qE '^(fail|crit):' "$WORK/storefront.log"; then
    echo "NOTE: the storefront logged errors (first lines; full log kept in $WORK):" >&2
    grep -E -A3 '^(fail|crit):' "$WORK/storefront.log" | head -30 >&2
    KEEP_DATA=1
fi
if grep -qE '^warn:' "$WORK/storefront.log"; then
    echo "NOTE: the storefront logged $(grep -cE '^warn:' "$WORK/storefront.log") warning(s); the first:" >&2
    grep -E -A1 '^warn:' "$WORK/storefront.log" | head -2 | cut -c1-240 >&2
fi
exit "$failed"
