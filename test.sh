#!/usr/bin/env bash
# Runs every test, twice: on embedded defaults (SQLite files) and on the production topology
# (PostgreSQL shards with a streaming replica, and Redis, started by deploy/local/topology.sh, which
# installs them with apt-get when they are missing). Prints one line "N passed, N failed" computed from
# the TRX result files of both runs (not from dotnet's own summary).
#
#   ./test.sh                                  both providers
#   SCALESHOP_TEST_PROVIDERS=sqlite ./test.sh  embedded defaults only (no server, no root needed)
#   ./test.sh --filter "FullyQualifiedName~Orders"   extra arguments go to dotnet test
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

results="${TEST_RESULTS_DIR:-$PWD/.test-results}"
providers="${SCALESHOP_TEST_PROVIDERS:-sqlite postgres}"
rm -rf "$results"
mkdir -p "$results"

dotnet build ScaleShop.slnx -c Release -warnaserror --nologo -v quiet || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

status=0
started_topology=0
if [[ " $providers " == *" postgres "* ]]; then
  # Not `status | grep -q`: grep's early exit makes status die of SIGPIPE, and with pipefail that read as
  # "not running", so a topology someone else had started was stopped at the end.
  topology_status="$(deploy/local/topology.sh status 2>/dev/null || true)"
  if [[ "$topology_status" != *"postgres a: running"* ]]; then started_topology=1; fi
  if deploy/local/topology.sh up; then
    # Only the servers: every test fixture creates databases of its own on them. Redis serves both passes.
    eval "$(deploy/local/topology.sh env | grep ' SCALESHOP_')"
  else
    echo "the PostgreSQL + Redis topology did not start"; status=1
  fi
fi

for provider in $providers; do
  case "$provider" in
    sqlite)
      SCALESHOP_TEST_PROVIDER=Sqlite dotnet test ScaleShop.slnx -c Release --no-build --nologo \
        --logger "trx" --results-directory "$results/sqlite" "$@" || status=1
      ;;
    postgres)
      [ -n "${SCALESHOP_PG_PRIMARY_A:-}" ] || continue
      SCALESHOP_TEST_PROVIDER=Postgres dotnet test ScaleShop.slnx -c Release --no-build --nologo \
        --logger "trx" --results-directory "$results/postgres" "$@" || status=1
      deploy/local/topology.sh drop-test-databases || true
      ;;
    *) echo "unknown provider '$provider' in SCALESHOP_TEST_PROVIDERS"; status=1 ;;
  esac
done
if [ "$started_topology" -eq 1 ]; then deploy/local/topology.sh down || true; fi

passed=0; failed=0; skipped=0; files=0
while IFS= read -r trx; do
  files=$((files + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  value() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$((passed + $(value passed)))
  failed=$((failed + $(value failed) + $(value error) + $(value timeout) + $(value aborted)))
  skipped=$((skipped + $(value total) - $(value executed)))
done < <(find "$results" -name '*.trx')

if [ "$files" -eq 0 ]; then
  echo "no test results were written"
  echo "0 passed, 1 failed"
  exit 1
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # dotnet test or the topology failed without a failing test in the results: count it.
  failed=1
fi

if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
