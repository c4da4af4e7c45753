#!/usr/bin/env bash
# The production topology on one machine, on 127.0.0.1, without containers:
#   PostgreSQL primary A  :55432  catalog, shard0, shard1
#   PostgreSQL replica A' :55433  streaming replica of A (pg_basebackup, physical replication, slot replica_a)
#   PostgreSQL primary B  :55434  shard2, shard3
#   Redis                 :56379  second cache level and backplane
#   NATS (JetStream)      :54222  event bus (monitoring :58222); streams on disk in $STATE/nats
#
#   deploy/local/topology.sh up       install (apt-get) what is missing, create and start everything
#   deploy/local/topology.sh status   what runs, and the replica's lag
#   deploy/local/topology.sh env      the settings that point the storefront at it (eval-able)
#   deploy/local/topology.sh down     stop everything (data kept; add --purge to delete it)
#   deploy/local/topology.sh drop-test-databases   drop what test fixtures left behind (databases t_*)
#   deploy/local/topology.sh drop-databases PREFIX  drop the databases of one `env PREFIX` (benchmarks)
#   deploy/local/topology.sh stop|start|pause|resume SERVER   one server, for chaos experiments (chaos/):
#       SERVER is postgres-a, postgres-b, replica, redis or nats; stop is immediate (pg_ctl -m immediate,
#       SIGKILL for Redis and NATS: a crash, not a shutdown); pause is SIGSTOP of the server and its children
#       (a hung machine: connections open, nothing answers), resume is SIGCONT
#
# State lives in $SCALESHOP_TOPOLOGY_DIR (default /var/tmp/scaleshop-topology). A second topology beside the
# first (chaos experiments stop servers, which must not be those another test run uses) takes another state
# folder and SCALESHOP_TOPOLOGY_PORT_OFFSET, added to every port above. Password authentication
# (scram-sha-256) for the role "scaleshop", loopback only.
set -euo pipefail

STATE="${SCALESHOP_TOPOLOGY_DIR:-/var/tmp/scaleshop-topology}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_USER="scaleshop"
PG_PASSWORD="${SCALESHOP_PG_PASSWORD:-scaleshop-local}"
OFFSET="${SCALESHOP_TOPOLOGY_PORT_OFFSET:-0}"
[[ "$OFFSET" =~ ^[0-9]{1,4}$ ]] || { echo "topology: SCALESHOP_TOPOLOGY_PORT_OFFSET must be a number from 0 to 9999" >&2; exit 2; }
PORT_A=$((55432 + OFFSET))
PORT_A_REPLICA=$((55433 + OFFSET))
PORT_B=$((55434 + OFFSET))
PORT_REDIS=$((56379 + OFFSET))
PORT_NATS=$((54222 + OFFSET))
PORT_NATS_MONITOR=$((58222 + OFFSET))
RUN_AS=postgres

log() { echo "topology: $*" >&2; }

# The servers' ports lie inside Linux's ephemeral range (32768-60999): on a busy machine a client socket can
# hold one of them the moment a server wants to bind it. Reserving them (root only; best effort) stops that.
reserve_ports() {
  local file=/proc/sys/net/ipv4/ip_local_reserved_ports ours current
  [ -w "$file" ] || return 0
  ours="$PORT_NATS,$PORT_A-$PORT_B,$PORT_REDIS,$PORT_NATS_MONITOR"
  current="$(cat "$file")"
  echo "${current:+$current,}$ours" > "$file" 2>/dev/null || true
}

as_postgres() { runuser -u "$RUN_AS" -- "$@"; }

install_packages() {
  local missing=()
  [ -x "$PG_BIN/postgres" ] || missing+=(postgresql-15)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  # The Debian packages start their own default instances; this topology runs its own clusters.
  service postgresql stop >/dev/null 2>&1 || true
  service redis-server stop >/dev/null 2>&1 || true
}

pg_running() { [ -f "$1/postmaster.pid" ] && as_postgres "$PG_BIN/pg_ctl" -D "$1" status >/dev/null 2>&1; }

init_primary() {
  local dir="$STATE/pg-$1" port="$2"
  if [ ! -f "$dir/PG_VERSION" ]; then
    log "initdb $dir"
    install -d -o "$RUN_AS" -g "$RUN_AS" -m 700 "$dir"
    local pwfile; pwfile=$(mktemp); echo "$PG_PASSWORD" > "$pwfile"; chown "$RUN_AS" "$pwfile"
    as_postgres "$PG_BIN/initdb" -D "$dir" -U postgres --pwfile="$pwfile" --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    cat >> "$dir/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$STATE/sock'
wal_level = replica
max_wal_senders = 8
max_replication_slots = 8
hot_standby = on
hot_standby_feedback = on
max_connections = 300
shared_buffers = 128MB
synchronous_commit = on
fsync = on
log_min_messages = warning
CONF
    cat > "$dir/pg_hba.conf" <<HBA
local   all          all                      scram-sha-256
host    all          all          127.0.0.1/32 scram-sha-256
host    replication  all          127.0.0.1/32 scram-sha-256
HBA
  fi
  if ! pg_running "$dir"; then
    as_postgres "$PG_BIN/pg_ctl" -D "$dir" -l "$STATE/pg-$1.log" -w -t 60 start >/dev/null
  fi
  PGPASSWORD="$PG_PASSWORD" psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qtA -v ON_ERROR_STOP=1 >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE $PG_USER LOGIN REPLICATION CREATEDB PASSWORD '$PG_PASSWORD';
  END IF;
END \$\$;
SQL
}

init_replica() {
  local dir="$STATE/pg-a-replica"
  if [ ! -f "$dir/PG_VERSION" ]; then
    log "pg_basebackup of A into $dir"
    install -d -o "$RUN_AS" -g "$RUN_AS" -m 700 "$dir"
    PGPASSWORD="$PG_PASSWORD" psql -h 127.0.0.1 -p "$PORT_A" -U postgres -d postgres -qtA \
      -c "SELECT pg_drop_replication_slot('replica_a') FROM pg_replication_slots WHERE slot_name = 'replica_a'" >/dev/null
    as_postgres env PGPASSWORD="$PG_PASSWORD" "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PORT_A" -U "$PG_USER" \
      -D "$dir" -R -X stream -C -S replica_a >/dev/null
    sed -i "s/^port = $PORT_A\$/port = $PORT_A_REPLICA/" "$dir/postgresql.conf"
  fi
  if ! pg_running "$dir"; then
    as_postgres "$PG_BIN/pg_ctl" -D "$dir" -l "$STATE/pg-a-replica.log" -w -t 60 start >/dev/null
  fi
}

start_redis() {
  if ! redis-cli -p "$PORT_REDIS" ping >/dev/null 2>&1; then
    redis-server --bind 127.0.0.1 --port "$PORT_REDIS" --daemonize yes --dir "$STATE" \
      --pidfile "$STATE/redis.pid" --logfile "$STATE/redis.log" --save "" --appendonly no >/dev/null
    for _ in $(seq 100); do redis-cli -p "$PORT_REDIS" ping >/dev/null 2>&1 && break; sleep 0.1; done
    redis-cli -p "$PORT_REDIS" ping >/dev/null 2>&1 || {
      log "redis-server did not start; the end of $STATE/redis.log:"; tail -n 15 "$STATE/redis.log" >&2 2>/dev/null; return 1; }
  fi
}

# Healthy only once JetStream is enabled, not merely when the port listens.
nats_running() { curl -fsS -o /dev/null "http://127.0.0.1:$PORT_NATS_MONITOR/healthz?js-enabled-only=true" 2>/dev/null; }

start_nats() {
  nats_running && return 0
  install -d -m 755 "$STATE/nats"
  # A port held for a moment (an ephemeral client port, a server still exiting) fails one start, not the run:
  # try again a few times, and show the server's own words when it still does not come up.
  for attempt in 1 2 3; do
    # nats-server has no daemon mode of its own: run it detached, with a pid file and a log in $STATE.
    setsid nats-server -js -a 127.0.0.1 -p "$PORT_NATS" -m "$PORT_NATS_MONITOR" -sd "$STATE/nats" \
      -P "$STATE/nats.pid" -l "$STATE/nats.log" </dev/null >/dev/null 2>&1 &
    local pid=$!
    for _ in $(seq 300); do nats_running && return 0; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    log "nats-server did not start (attempt $attempt); the end of $STATE/nats.log:"
    tail -n 15 "$STATE/nats.log" >&2 2>/dev/null || true
    stop_nats
    sleep 2
  done
  return 1
}

stop_nats() {
  if [ -f "$STATE/nats.pid" ]; then
    local pid; pid=$(cat "$STATE/nats.pid")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$STATE/nats.pid"
  fi
}

connection() { echo "Host=127.0.0.1;Port=$1;Username=$PG_USER;Password=$PG_PASSWORD;Database=$2"; }

print_env() {
  local prefix="${1:-scaleshop}"
  echo "export Storage__Provider=Postgres"
  echo "export Storage__Postgres__Catalog__Primary='$(connection $PORT_A "${prefix}_catalog")'"
  echo "export Storage__Postgres__Catalog__Replicas__0='$(connection $PORT_A_REPLICA "${prefix}_catalog")'"
  local i
  for i in 0 1; do
    echo "export Storage__Postgres__Shards__shard${i}__Primary='$(connection $PORT_A "${prefix}_shard${i}")'"
    echo "export Storage__Postgres__Shards__shard${i}__Replicas__0='$(connection $PORT_A_REPLICA "${prefix}_shard${i}")'"
  done
  for i in 2 3; do
    echo "export Storage__Postgres__Shards__shard${i}__Primary='$(connection $PORT_B "${prefix}_shard${i}")'"
  done
  echo "export ConnectionStrings__redis='127.0.0.1:$PORT_REDIS'"
  echo "export ConnectionStrings__nats='nats://127.0.0.1:$PORT_NATS'"
  echo "export Messaging__Provider=Nats"
  # The servers alone, for tests that create databases of their own.
  echo "export SCALESHOP_PG_PRIMARY_A='$(connection $PORT_A postgres)'"
  echo "export SCALESHOP_PG_REPLICA_A='$(connection $PORT_A_REPLICA postgres)'"
  echo "export SCALESHOP_PG_PRIMARY_B='$(connection $PORT_B postgres)'"
  echo "export SCALESHOP_REDIS='127.0.0.1:$PORT_REDIS'"
  echo "export SCALESHOP_NATS='nats://127.0.0.1:$PORT_NATS'"
}

status() {
  local name dir
  for name in a a-replica b; do
    dir="$STATE/pg-$name"
    if pg_running "$dir"; then echo "postgres $name: running"; else echo "postgres $name: stopped"; fi
  done
  if redis-cli -p "$PORT_REDIS" ping >/dev/null 2>&1; then echo "redis: running"; else echo "redis: stopped"; fi
  if nats_running; then echo "nats: running (jetstream)"; else echo "nats: stopped"; fi
  PGPASSWORD="$PG_PASSWORD" psql -h 127.0.0.1 -p "$PORT_A" -U postgres -d postgres -qtA \
    -c "SELECT 'replica_a lag bytes: ' || COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::text, 'unknown') FROM pg_stat_replication" 2>/dev/null || true
}

down() {
  local name
  for name in a-replica a b; do
    if pg_running "$STATE/pg-$name"; then as_postgres "$PG_BIN/pg_ctl" -D "$STATE/pg-$name" -m fast -w stop >/dev/null; fi
  done
  redis-cli -p "$PORT_REDIS" shutdown nosave >/dev/null 2>&1 || true
  stop_nats
  if [ "${1:-}" = "--purge" ]; then rm -rf "$STATE"; fi
}

# The data folder of a PostgreSQL server named on the command line.
pg_dir() {
  case "$1" in
    postgres-a) echo "$STATE/pg-a" ;;
    postgres-b) echo "$STATE/pg-b" ;;
    replica) echo "$STATE/pg-a-replica" ;;
    *) return 1 ;;
  esac
}

# The main process of a server: the postmaster, redis-server or nats-server.
server_pid() {
  local dir
  if dir=$(pg_dir "$1"); then head -n 1 "$dir/postmaster.pid" 2>/dev/null; return; fi
  case "$1" in
    redis) cat "$STATE/redis.pid" 2>/dev/null ;;
    nats) cat "$STATE/nats.pid" 2>/dev/null ;;
  esac
}

stop_server() {
  local dir pid
  if dir=$(pg_dir "$1"); then
    if pg_running "$dir"; then as_postgres "$PG_BIN/pg_ctl" -D "$dir" -m immediate -w stop >/dev/null; fi
    return
  fi
  pid=$(server_pid "$1")
  if [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; then
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$STATE/$1.pid"
}

start_server() {
  local dir
  if dir=$(pg_dir "$1"); then
    # An immediate stop leaves postmaster.pid behind; pg_ctl sees that its process is gone and starts anyway.
    if ! pg_running "$dir"; then as_postgres "$PG_BIN/pg_ctl" -D "$dir" -l "$STATE/$(basename "$dir").log" -w -t 60 start >/dev/null; fi
    return
  fi
  case "$1" in
    redis) start_redis ;;
    nats) start_nats ;;
  esac
}

# SIGSTOP / SIGCONT to a server and every process it started (PostgreSQL's backends, WAL writer, ...).
signal_server() {
  local pid; pid=$(server_pid "$2")
  [ -n "$pid" ] || { log "$2 is not running"; return 1; }
  kill "-$1" "$pid" $(pgrep -P "$pid" || true)
}

drop_databases() { # LIKE pattern of the database names
  local port db
  for port in "$PORT_A" "$PORT_B"; do
    for db in $(PGPASSWORD="$PG_PASSWORD" psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qtA -c "SELECT datname FROM pg_database WHERE datname LIKE '$1'"); do
      PGPASSWORD="$PG_PASSWORD" psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qtA -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null || true
    done
  done
}

case "${1:-}" in
  up)
    install_packages
    reserve_ports
    install -d -o "$RUN_AS" -g "$RUN_AS" -m 755 "$STATE" "$STATE/sock"
    init_primary a "$PORT_A"
    init_primary b "$PORT_B"
    init_replica
    start_redis
    start_nats
    status >&2
    ;;
  down) down "${2:-}" ;;
  status) status ;;
  env) print_env "${2:-scaleshop}" ;;
  drop-test-databases) drop_databases 't\_%' ;;
  stop|start|pause|resume)
    [[ "${2:-}" =~ ^(postgres-a|postgres-b|replica|redis|nats)$ ]] || { echo "usage: $0 $1 postgres-a|postgres-b|replica|redis|nats" >&2; exit 2; }
    case "$1" in
      stop) stop_server "$2" ;;
      start) start_server "$2" ;;
      pause) signal_server STOP "$2" ;;
      resume) signal_server CONT "$2" ;;
    esac ;;
  drop-databases)
    [[ "${2:-}" =~ ^[a-z][a-z0-9]*$ ]] || { echo "usage: $0 drop-databases <prefix> (lower-case letters and digits)" >&2; exit 2; }
    drop_databases "${2}\_%" ;;
  *) echo "usage: $0 up|down [--purge]|status|env [database-prefix]|drop-test-databases|drop-databases <prefix>|stop|start|pause|resume <server>" >&2; exit 2 ;;
esac
