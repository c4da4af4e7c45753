#!/usr/bin/env bash
# Runs every test: builds the solution and runs each test project through real HTTP on real SQLite files,
# then prints one line "N passed, N failed" computed from the TRX result files (not from dotnet's summary).
# Usage: ./test.sh [extra dotnet test arguments]
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

results="${TEST_RESULTS_DIR:-$PWD/.test-results}"
rm -rf "$results"
mkdir -p "$results"

dotnet build ScaleShop.slnx -c Release -warnaserror --nologo -v quiet || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
dotnet test ScaleShop.slnx -c Release --no-build --nologo --logger "trx" --results-directory "$results" "$@"
status=$?

passed=0; failed=0; skipped=0; files=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  files=$((files + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  value() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$((passed + $(value passed)))
  failed=$((failed + $(value failed) + $(value error) + $(value timeout) + $(value aborted)))
  skipped=$((skipped + $(value notExecuted)))
done

if [ "$files" -eq 0 ]; then
  echo "no test results were written"
  echo "0 passed, 1 failed"
  exit 1
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # dotnet test failed without a failing test in the results (a crashed test host): count it.
  failed=1
fi

if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
