#!/usr/bin/env bash
# The product page for anonymous shoppers, with the output cache on and off, in one run on this machine (busy periods
# move absolute figures, so only a comparison within one run means anything). Starts the recommendations service and
# one storefront on embedded defaults (a seeded catalog of 10,000 products in a temporary folder), then for each mode:
# a warm-up, and wrk -t2 -cCONNECTIONS -dDURATION over PRODUCTS distinct product pages. Everything listens on
# 127.0.0.1 and stops by itself. Prints one line per mode; docs/performance.md records the figures.
#
#   load/web/product-page-throughput.sh                 both modes, 20 s each, 64 connections, 1,000 products
#   DURATION=30s CONNECTIONS=128 PRODUCTS=5000 load/web/product-page-throughput.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DURATION="${DURATION:-20s}"
WARMUP="${WARMUP:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
export PRODUCTS="${PRODUCTS:-1000}"
STOREFRONT_PORT="${STOREFRONT_PORT:-5180}"
RECOMMENDATIONS_PORT="${RECOMMENDATIONS_PORT:-5195}"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)" >&2; exit 2; }

dotnet build -c Release --nologo -v q "$ROOT/src/ScaleShop.RecommendationsService/ScaleShop.RecommendationsService.csproj" >/dev/null
dotnet build -c Release --nologo -v q "$ROOT/src/ScaleShop.Storefront/ScaleShop.Storefront.csproj" >/dev/null

work="$(mktemp -d /tmp/scaleshop-web-throughput.XXXXXX)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

Recommendations__DataDirectory="$work/recommendations" \
  dotnet "$ROOT/src/ScaleShop.RecommendationsService/bin/Release/net10.0/ScaleShop.RecommendationsService.dll" \
  --urls "http://127.0.0.1:$RECOMMENDATIONS_PORT" >"$work/recommendations.log" 2>&1 &
pids+=($!)

run_mode() {
  local mode="$1" enabled="$2"
  # Every request comes from 127.0.0.1: the per-address limit would measure the limiter, not the page.
  Storage__DataDirectory="$work/data" Recommendations__BaseUrl="http://127.0.0.1:$RECOMMENDATIONS_PORT/" \
  Protection__AnonymousRequestsPerSecond=1000000 Protection__AnonymousBurst=1000000 \
  Web__OutputCaching__Enabled="$enabled" Logging__LogLevel__Default=Warning \
    dotnet "$ROOT/src/ScaleShop.Storefront/bin/Release/net10.0/ScaleShop.Storefront.dll" --urls "http://127.0.0.1:$STOREFRONT_PORT" \
    >"$work/storefront-$mode.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 180); do
    curl -sf "http://127.0.0.1:$STOREFRONT_PORT/health/ready" >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { echo "the storefront exited; see $work/storefront-$mode.log" >&2; tail -20 "$work/storefront-$mode.log" >&2; exit 1; }
    sleep 1
  done
  wrk -t2 -c"$CONNECTIONS" -d"$WARMUP" -s "$ROOT/load/web/product-pages.lua" "http://127.0.0.1:$STOREFRONT_PORT" >/dev/null
  local out
  out="$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$ROOT/load/web/product-pages.lua" "http://127.0.0.1:$STOREFRONT_PORT")"
  local rps p50 p99 errors
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  p50="$(awk '$1=="50%" {print $2}' <<<"$out")"
  p99="$(awk '$1=="99%" {print $2}' <<<"$out")"
  errors="$(awk '/Non-2xx/ {print $5}' <<<"$out")"
  printf 'output cache %-3s  %10s req/s  p50 %8s  p99 %8s  non-2xx %s\n' "$mode" "$rps" "$p50" "$p99" "${errors:-0}"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

echo "product pages, anonymous: wrk -t2 -c$CONNECTIONS -d$DURATION over $PRODUCTS products (after a $WARMUP warm-up), $(nproc) cores"
run_mode on true
run_mode off false
