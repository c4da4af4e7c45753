#!/usr/bin/env bash
# The storefront on embedded defaults, with the separate processes it depends on, on one machine:
#   storefront        http://127.0.0.1:5080   (SQLite files, in-process cache and bus, under ./data)
#   payment provider  http://127.0.0.1:5090   (a separate process, as the third party is; its data under ./data/payment-provider)
#   recommendations   http://127.0.0.1:5095   (a separate process, so its failure costs only recommendations; data under ./data/recommendations)
# Ctrl-C stops all three. Extra arguments go to the storefront (e.g. --urls http://127.0.0.1:6080).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROVIDER_URL="${PAYMENT_PROVIDER_URL:-http://127.0.0.1:5090}"
RECOMMENDATIONS_URL="${RECOMMENDATIONS_URL:-http://127.0.0.1:5095}"

dotnet build -c Release --nologo -v q "$ROOT/src/ScaleShop.PaymentProvider/ScaleShop.PaymentProvider.csproj"
dotnet build -c Release --nologo -v q "$ROOT/src/ScaleShop.RecommendationsService/ScaleShop.RecommendationsService.csproj"
dotnet build -c Release --nologo -v q "$ROOT/src/ScaleShop.Storefront/ScaleShop.Storefront.csproj"

mkdir -p "$ROOT/data"
PaymentProvider__DataDirectory="$ROOT/data/payment-provider" \
    dotnet "$ROOT/src/ScaleShop.PaymentProvider/bin/Release/net10.0/ScaleShop.PaymentProvider.dll" --urls "$PROVIDER_URL" \
    >"$ROOT/data/payment-provider.log" 2>&1 &
PROVIDER_PID=$!
Recommendations__DataDirectory="$ROOT/data/recommendations" \
    dotnet "$ROOT/src/ScaleShop.RecommendationsService/bin/Release/net10.0/ScaleShop.RecommendationsService.dll" --urls "$RECOMMENDATIONS_URL" \
    >"$ROOT/data/recommendations.log" 2>&1 &
RECOMMENDATIONS_PID=$!
trap 'kill "$PROVIDER_PID" "$RECOMMENDATIONS_PID" 2>/dev/null || true; wait "$PROVIDER_PID" "$RECOMMENDATIONS_PID" 2>/dev/null || true' EXIT
echo "payment provider: $PROVIDER_URL (log: data/payment-provider.log)"
echo "recommendations:  $RECOMMENDATIONS_URL (log: data/recommendations.log)"

# The storefront's data folder defaults to data/ beside its binary; keep it in the repository's data/ instead.
Storage__DataDirectory="${Storage__DataDirectory:-$ROOT/data}" Payments__BaseUrl="$PROVIDER_URL/" Recommendations__BaseUrl="$RECOMMENDATIONS_URL/" \
    dotnet "$ROOT/src/ScaleShop.Storefront/bin/Release/net10.0/ScaleShop.Storefront.dll" --urls "${STOREFRONT_URL:-http://127.0.0.1:5080}" "$@"
