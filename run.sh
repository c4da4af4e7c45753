#!/usr/bin/env bash
# The storefront on embedded defaults, with the payment provider it pays through, on one machine:
#   storefront        http://127.0.0.1:5080   (SQLite files, in-process cache and bus, under ./data)
#   payment provider  http://127.0.0.1:5090   (a separate process, as the third party is; its data under ./data/payment-provider)
# Ctrl-C stops both. Extra arguments go to the storefront (e.g. --urls http://127.0.0.1:6080).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROVIDER_URL="${PAYMENT_PROVIDER_URL:-http://127.0.0.1:5090}"

dotnet build -c Release --nologo -v q "$ROOT/src/ScaleShop.PaymentProvider/ScaleShop.PaymentProvider.csproj"
dotnet build -c Release --nologo -v q "$ROOT/src/ScaleShop.Storefront/ScaleShop.Storefront.csproj"

mkdir -p "$ROOT/data"
PaymentProvider__DataDirectory="$ROOT/data/payment-provider" \
    dotnet "$ROOT/src/ScaleShop.PaymentProvider/bin/Release/net10.0/ScaleShop.PaymentProvider.dll" --urls "$PROVIDER_URL" \
    >"$ROOT/data/payment-provider.log" 2>&1 &
PROVIDER_PID=$!
trap 'kill "$PROVIDER_PID" 2>/dev/null || true; wait "$PROVIDER_PID" 2>/dev/null || true' EXIT
echo "payment provider: $PROVIDER_URL (log: data/payment-provider.log)"

# The storefront's data folder defaults to data/ beside its binary; keep it in the repository's data/ instead.
Storage__DataDirectory="${Storage__DataDirectory:-$ROOT/data}" Payments__BaseUrl="$PROVIDER_URL/" \
    dotnet "$ROOT/src/ScaleShop.Storefront/bin/Release/net10.0/ScaleShop.Storefront.dll" --urls "${STOREFRONT_URL:-http://127.0.0.1:5080}" "$@"
