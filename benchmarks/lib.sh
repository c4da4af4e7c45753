# Shared by the benchmark scripts (source it). Every storefront they start pays through a real payment
# provider process, as in production: without one, checkouts would wait out the payment budget and answer 202.
#
#   payment_provider_start WORK PORT   start the provider's Release build on 127.0.0.1:PORT (database in WORK),
#                                      wait until it is ready and export Payments__BaseUrl for the storefront
#   payment_provider_faults JSON       set its faults, e.g. '{"latencyMs":50}' or '{"down":true}'
#   payment_provider_stop              stop it (call from the script's cleanup)
#   recommendations_start WORK PORT    the same for the recommendations service (exports Recommendations__BaseUrl)
#   recommendations_stop

PAYMENT_PROVIDER_PID=""
RECOMMENDATIONS_PID=""

# Benchmarks drive the storefront from one address (127.0.0.1) at the rate of thousands of clients: the per-client
# rate limit would measure itself. Set Protection__RateLimitingEnabled=true to include it.
export Protection__RateLimitingEnabled="${Protection__RateLimitingEnabled:-false}"
# On the topology (Messaging__Provider=Nats) every run gets JetStream streams of its own: events left on the
# server by earlier runs must not reach this run's fresh databases.
export Messaging__Nats__Prefix="${Messaging__Nats__Prefix:-bench$(date +%s)$$}"
# Nothing balances load in front of a benchmark's instance: stop at once.
export Shutdown__DrainDelay="${Shutdown__DrainDelay:-00:00:00}"

# service_start PROJECT WORK PORT DATA_SETTING NAME: start a separate process's Release build on 127.0.0.1:PORT with
# its data under WORK/NAME, wait until it is ready; its pid is left in SERVICE_PID.
service_start() {
    local project=$1 work=$2 port=$3 data_setting=$4 name=$5
    local root
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    local dll="$root/src/$project/bin/Release/net10.0/$project.dll"
    if [[ ! -f "$dll" || "${SKIP_BUILD:-0}" != "1" ]]; then
        dotnet build -c Release --nologo -v q "$root/src/$project/$project.csproj" >"$work/build-$name.log" 2>&1 \
            || { cat "$work/build-$name.log" >&2; return 1; }
    fi
    env ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning "$data_setting=$work/$name" \
        dotnet "$dll" --urls "http://127.0.0.1:$port" >"$work/$name.log" 2>&1 &
    SERVICE_PID=$!
    local deadline=$((SECONDS + 60))
    until curl -fsS -o /dev/null "http://127.0.0.1:$port/health/ready" 2>/dev/null; do
        kill -0 "$SERVICE_PID" 2>/dev/null || { cat "$work/$name.log" >&2; return 1; }
        ((SECONDS < deadline)) || { echo "$name not ready after 60 s" >&2; return 1; }
        sleep 0.3
    done
}

# service_stop PID: stop a process service_start started.
service_stop() {
    if [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; then
        kill "$1" 2>/dev/null || true
        wait "$1" 2>/dev/null || true
    fi
}

payment_provider_start() {
    service_start ScaleShop.PaymentProvider "$1" "$2" PaymentProvider__DataDirectory payment-provider || return 1
    PAYMENT_PROVIDER_PID=$SERVICE_PID
    export Payments__BaseUrl="http://127.0.0.1:$2/"
}

payment_provider_faults() {
    curl -fsS -X PUT "${Payments__BaseUrl}admin/faults" -H 'Content-Type: application/json' -d "$1" >/dev/null
}

payment_provider_stop() {
    service_stop "$PAYMENT_PROVIDER_PID"
    PAYMENT_PROVIDER_PID=""
}

recommendations_start() {
    service_start ScaleShop.RecommendationsService "$1" "$2" Recommendations__DataDirectory recommendations || return 1
    RECOMMENDATIONS_PID=$SERVICE_PID
    export Recommendations__BaseUrl="http://127.0.0.1:$2/"
}

recommendations_stop() {
    service_stop "$RECOMMENDATIONS_PID"
    RECOMMENDATIONS_PID=""
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
