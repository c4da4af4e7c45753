#!/usr/bin/env bash
# Runs every test, twice: on embedded defaults (SQLite files) and on the production topology
# (PostgreSQL shards with a streaming replica, and Redis, started by deploy/local/topology.sh, which
# installs them with apt-get when they are missing). Prints one line "N passed, N failed" computed from
# the TRX result files of both runs (not from dotnet's own summary).
#
#   ./test.sh                                  both providers
#   SCALESHOP_TEST_PROVIDERS=sqlite ./test.sh  embedded defaults only (no server, no root needed)
#   ./test.sh --filter "FullyQualifiedName~Orders"   extra arguments go to dotnet test
#   SCALESHOP_TEST_CHAOS=0 ./test.sh           without the chaos stage
#
# After the PostgreSQL pass, a chaos stage runs the short version of every chaos experiment
# (ScaleShop.Chaos.Tests.ExperimentRunTests) on a second topology of its own (state in SCALESHOP_CHAOS_TOPOLOGY_DIR,
# default /var/tmp/scaleshop-chaos; ports + SCALESHOP_CHAOS_PORT_OFFSET, default 100): the experiments stop
# and pause servers, which must never be those another test run is using. The two passes leave those experiments
# out and run the rest of that project (the static checks of experiment files and runbooks).
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

results="${TEST_RESULTS_DIR:-$PWD/.test-results}"
providers="${SCALESHOP_TEST_PROVIDERS:-sqlite postgres}"
rm -rf "$results"
mkdir -p "$results"
# Tests save files for people to look at (the dashboard's screenshot) under $TEST_RESULTS_DIR/artifacts.
export TEST_RESULTS_DIR="$results"

# Tools the tests run for real: promtool (Debian package prometheus) checks and unit-tests the SLO alert rules;
# the operations dashboard's test drives headless Chromium (Debian package chromium; SCALESHOP_CHROMIUM names another).
missing_tools=()
command -v promtool >/dev/null 2>&1 || missing_tools+=(prometheus)
# The runbook tests (both passes) and the chaos stage's drills run the runbooks' own commands: curl to call the
# admin APIs, jq to read their JSON.
command -v jq >/dev/null 2>&1 || missing_tools+=(jq)
command -v curl >/dev/null 2>&1 || missing_tools+=(curl)
command -v chromium >/dev/null 2>&1 || [ -n "${SCALESHOP_CHROMIUM:-}" ] || missing_tools+=(chromium)
if [ ${#missing_tools[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing_tools[*]}"
  { export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing_tools[@]}"; } >/dev/null \
    || echo "test.sh: could not install ${missing_tools[*]} (not root?); the tests that need them will fail"
  # The package starts a Prometheus server of its own where it can; the tests need only the tool.
  service prometheus stop >/dev/null 2>&1 || true
fi

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

# The chaos experiments have a stage of their own (below): the two passes leave them out, and the stage runs only
# them. The rest of ScaleShop.Chaos.Tests needs no topology (experiment files, runbook links, structure and bash,
# the drill and the runner's parts): it runs in every pass, so a runbook that loses a section or its link fails
# there, not only in the chaos stage. dotnet test takes one --filter, so one given among the arguments is combined
# with that exclusion (and with the stage's selection).
args=(); user_filter=""
while [ $# -gt 0 ]; do
  case "$1" in
    --filter) user_filter="$2"; shift 2 ;;
    --filter=*) user_filter="${1#--filter=}"; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
# The local cluster's proofs (ScaleShop.Cluster.Tests: a dozen processes under load, judged on latency) run on their
# own after each pass, not beside the other assemblies, which would share the two cores with them: on the embedded
# defaults after the SQLite pass, on the production topology (fresh databases, Redis, NATS) after the PostgreSQL one.
experiments=ScaleShop.Chaos.Tests.ExperimentRunTests
not_chaos_or_cluster=(--filter "${user_filter:+($user_filter)&}FullyQualifiedName!~$experiments&FullyQualifiedName!~ScaleShop.Cluster.Tests")
cluster_filter=(); [ -n "$user_filter" ] && cluster_filter=(--filter "$user_filter")
chaos_filter=(--filter "${user_filter:+($user_filter)&}FullyQualifiedName~$experiments")
set -- "${args[@]}"
for provider in $providers; do
  case "$provider" in
    sqlite)
      SCALESHOP_TEST_PROVIDER=Sqlite dotnet test ScaleShop.slnx -c Release --no-build --nologo \
        --logger "trx" --results-directory "$results/sqlite" "${not_chaos_or_cluster[@]}" "$@" || status=1
      SCALESHOP_TEST_PROVIDER=Sqlite dotnet test tests/ScaleShop.Cluster.Tests/ScaleShop.Cluster.Tests.csproj -c Release --no-build --nologo \
        --logger "trx" --results-directory "$results/cluster" "${cluster_filter[@]}" "$@" || status=1
      ;;
    postgres)
      [ -n "${SCALESHOP_PG_PRIMARY_A:-}" ] || continue
      SCALESHOP_TEST_PROVIDER=Postgres dotnet test ScaleShop.slnx -c Release --no-build --nologo \
        --logger "trx" --results-directory "$results/postgres" "${not_chaos_or_cluster[@]}" "$@" || status=1
      SCALESHOP_TEST_PROVIDER=Postgres dotnet test tests/ScaleShop.Cluster.Tests/ScaleShop.Cluster.Tests.csproj -c Release --no-build --nologo \
        --logger "trx" --results-directory "$results/cluster-postgres" "${cluster_filter[@]}" "$@" || status=1
      deploy/local/topology.sh drop-test-databases || true
      ;;
    *) echo "unknown provider '$provider' in SCALESHOP_TEST_PROVIDERS"; status=1 ;;
  esac
done
if [ "$started_topology" -eq 1 ]; then deploy/local/topology.sh down || true; fi

if [[ " $providers " == *" postgres "* && "${SCALESHOP_TEST_CHAOS:-1}" != "0" ]]; then
  (
    export SCALESHOP_TOPOLOGY_DIR="${SCALESHOP_CHAOS_TOPOLOGY_DIR:-/var/tmp/scaleshop-chaos}"
    export SCALESHOP_TOPOLOGY_PORT_OFFSET="${SCALESHOP_CHAOS_PORT_OFFSET:-100}"
    chaos_started=0
    chaos_status="$(deploy/local/topology.sh status 2>/dev/null || true)"
    if [[ "$chaos_status" != *"postgres a: running"* ]]; then chaos_started=1; fi
    chaos_result=0
    if deploy/local/topology.sh up; then
      SCALESHOP_CHAOS_TOPOLOGY=1 dotnet test tests/ScaleShop.Chaos.Tests/ScaleShop.Chaos.Tests.csproj -c Release --no-build --nologo \
        --logger "trx" --results-directory "$results/chaos" "${chaos_filter[@]}" "$@" || chaos_result=1
    else
      echo "the chaos topology did not start"; chaos_result=1
    fi
    if [ "$chaos_started" -eq 1 ]; then deploy/local/topology.sh down --purge || true; fi
    exit "$chaos_result"
  ) || status=1
fi

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

# The last line is exactly "N passed, N failed" (CI reads it); skipped tests are reported on the line before.
if [ "$skipped" -gt 0 ]; then echo "($skipped skipped)"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
