# Shared by the benchmark scripts (source it). Every storefront they start pays through a real payment
# provider process, as in production: without one, checkouts would wait out the payment budget and answer 202.
#
#   payment_provider_start WORK PORT   start the provider's Release build on 127.0.0.1:PORT (database in WORK),
#                                      wait until it is ready and export Payments__BaseUrl for the storefront
#   payment_provider_faults JSON       set its faults, e.g. '{"latencyMs":50}' or '{"down":true}'
#   payment_provider_stop              stop it (call from the script's cleanup)

PAYMENT_PROVIDER_PID=""

# Benchmarks drive the storefront from one address (127.0.0.1) at the rate of thousands of clients: the per-client
# rate limit would measure itself. Set Protection__RateLimitingEnabled=true to include it.
export Protection__RateLimitingEnabled="${Protection__RateLimitingEnabled:-false}"
# On the topology (Messaging__Provider=Nats) every run gets JetStream streams of its own: events left on the
# server by earlier runs must not reach this run's fresh databases.
export Messaging__Nats__Prefix="${Messaging__Nats__Prefix:-bench$(date +%s)$$}"
# Nothing balances load in front of a benchmark's instance: stop at once.
export Shutdown__DrainDelay="${Shutdown__DrainDelay:-00:00:00}"

payment_provider_start() {
    local work=$1 port=$2
    local root
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    local dll="$root/src/ScaleShop.PaymentProvider/bin/Release/net10.0/ScaleShop.PaymentProvider.dll"
    if [[ ! -f "$dll" || "${SKIP_BUILD:-0}" != "1" ]]; then
        dotnet build -c Release --nologo -v q "$root/src/ScaleShop.PaymentProvider/ScaleShop.PaymentProvider.csproj" >"$work/build-provider.log" 2>&1 \
            || { cat "$work/build-provider.log" >&2; return 1; }
    fi
    env ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning PaymentProvider__DataDirectory="$work/payment-provider" \
        dotnet "$dll" --urls "http://127.0.0.1:$port" >"$work/payment-provider.log" 2>&1 &
    PAYMENT_PROVIDER_PID=$!
    local deadline=$((SECONDS + 60))
    until curl -fsS -o /dev/null "http://127.0.0.1:$port/health/ready" 2>/dev/null; do
        kill -0 "$PAYMENT_PROVIDER_PID" 2>/dev/null || { cat "$work/payment-provider.log" >&2; return 1; }
        ((SECONDS < deadline)) || { echo "payment provider not ready after 60 s" >&2; return 1; }
        sleep 0.3
    done
    export Payments__BaseUrl="http://127.0.0.1:$port/"
}

payment_provider_faults() {
    curl -fsS -X PUT "${Payments__BaseUrl}admin/faults" -H 'Content-Type: application/json' -d "$1" >/dev/null
}

payment_provider_stop() {
    if [[ -n "$PAYMENT_PROVIDER_PID" ]] && kill -0 "$PAYMENT_PROVIDER_PID" 2>/dev/null; then
        kill "$PAYMENT_PROVIDER_PID" 2>/dev/null || true
        wait "$PAYMENT_PROVIDER_PID" 2>/dev/null || true
    fi
    PAYMENT_PROVIDER_PID=""
}

# bench_storage SCRIPT PROVIDER DB_PREFIX: point the storefront and the CLI at their databases.
#   sqlite    embedded files (Storage__DataDirectory is the caller's)
#   postgres  the running topology, with fresh databases DB_PREFIX_* (dropped first)
bench_storage() {
    local script=$1 provider=$2 prefix=$3
    local root
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    case "$provider" in
        postgres)
            [[ "$("$root/deploy/local/topology.sh" status)" == *"postgres b: running"* ]] \
                || { echo "$script: start the topology first: deploy/local/topology.sh up" >&2; exit 2; }
            "$root/deploy/local/topology.sh" drop-databases "$prefix"
            eval "$("$root/deploy/local/topology.sh" env "$prefix")"
            ;;
        sqlite) export Storage__Provider=Sqlite ;;
        *) echo "$script: PROVIDER is postgres or sqlite" >&2; exit 2 ;;
    esac
}

# bench_wait_ready SCRIPT URL PID LOG SECONDS: wait for /health/ready; fail with the log if the process exits or time runs out.
bench_wait_ready() { bench_wait_for "$1" "$2/health/ready" "$3" "$4" "$5"; }

# bench_wait_for SCRIPT URL PID LOG SECONDS: wait until URL answers 2xx; fail with the log if the process exits or time runs out.
bench_wait_for() {
    local script=$1 url=$2 pid=$3 log=$4 seconds=$5
    local deadline=$((SECONDS + seconds))
    until curl -fsS -o /dev/null "$url" 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
        ((SECONDS < deadline)) || { echo "$script: $url not answering after $seconds s" >&2; exit 1; }
        sleep 0.5
    done
}
