# shellcheck shell=bash disable=SC2034  # settings read by scripts/services
# PostgreSQL 15 (Debian package), own cluster in .local/postgres/data, run as user postgres when root.
# When root runs it and the checkout is not traversable by others (a clone under a mode-700 home,
# say), user postgres could not reach .local/postgres: the cluster then lives in
# /var/tmp/tradewind-pg-<hash of the checkout path>/ (the same one for every run of this checkout),
# `up` says so, and .local/postgres is a symlink to it.

PG_PORT=${TRADEWIND_PG_PORT:-5433}
PG_BIN=/usr/lib/postgresql/15/bin

# traversable_by_others DIR: DIR and every directory above it have the others-x bit, so any user
# (postgres among them) can walk through to DIR. Permission bits only: decided before user
# postgres may even exist (scripts/services installs PostgreSQL after sourcing this file).
traversable_by_others() {
  local d=$1 mode
  while :; do
    mode=$(stat -Lc %a "$d" 2>/dev/null) || return 1
    (( 8#$mode & 1 )) || return 1
    [[ $d == / ]] && return 0
    d=$(dirname "$d")
  done
}

PG_DIR=$LOCAL/postgres
PG_ELSEWHERE=""                              # set when the cluster cannot live under the checkout
if is_root && ! traversable_by_others "$ROOT"; then
  PG_ELSEWHERE=/var/tmp/tradewind-pg-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)
  PG_DIR=$PG_ELSEWHERE
fi
PG_DATA=$PG_DIR/data
PG_LOG=$PG_DIR/log/postgres.log
PG_SOCK=$PG_DIR/run
# A unix socket path must fit in 107 bytes; fall back to /tmp for deep checkouts.
(( ${#PG_SOCK} + 20 > 107 )) && PG_SOCK=/tmp/tradewind-pg-$(id -u)-$PG_PORT
postgres_deadline=60

postgres_port()  { echo "$PG_PORT"; }
postgres_ports() { echo "$PG_PORT"; }
postgres_needs() { echo "$PG_BIN/pg_ctl:postgresql-15 $PG_BIN/psql:postgresql-client-15"; }
postgres_logs()  { echo "$PG_LOG $PG_DIR/log/initdb.log"; }

# PostgreSQL refuses to run as root: as root, run its tools as the postgres user. cd / so that
# the tools never try to open root's private working directory.
if is_root; then PG_AS=(runuser -u postgres --); else PG_AS=(); fi
as_pg() { (cd / && "${PG_AS[@]}" "$@"); }
pg_owned_dir() {                             # pg_owned_dir DIR...: create, owned by the server user
  mkdir -p "$@" && chmod 700 "$@" && { ! is_root || chown postgres:postgres "$@"; }
}
pg_write() { as_pg tee "$1" >/dev/null; }   # pg_write FILE <content: write a file as that user

# postmaster.pid is the server's own pid file.
postgres_pid() {
  local pid
  pid=$(read_pid "$PG_DATA/postmaster.pid") && pid_is "$pid" "$PG_BIN/postgres" && echo "$pid"
}
postgres_alive() { postgres_pid >/dev/null; }

postgres_ready() {
  "$PG_BIN/pg_isready" -q -h "$HOST" -p "$PG_PORT" -t 2
}

postgres_prepare() {
  if [[ -n $PG_ELSEWHERE ]]; then
    say "postgres: user postgres cannot traverse $ROOT (a parent lacks o+x); cluster in $PG_DIR (symlink: $LOCAL/postgres)"
    mkdir -p "$LOCAL"
    [[ -L $LOCAL/postgres || ! -e $LOCAL/postgres ]] && ln -sfn "$PG_DIR" "$LOCAL/postgres"
  else
    chmod 755 "$LOCAL"                       # the postgres user must traverse to its directory
  fi
  pg_owned_dir "$PG_DIR"
  pg_owned_dir "$PG_DIR/log" "$PG_SOCK"
  if ! as_pg test -w "$PG_DIR"; then
    echo "user postgres cannot reach $PG_DIR: every parent directory needs o+x (check: namei -l $PG_DIR)"
    return 1
  fi
  # Lock files left by a server that is gone (only called when postgres_pid found none). Where PID 1
  # never reaps orphans (this VM), a killed postmaster stays a zombie, and PostgreSQL would take
  # the zombie's pid for a live owner and refuse to start ("lock file ... already exists").
  local f pid
  for f in "$PG_DATA/postmaster.pid" "$PG_SOCK/.s.PGSQL.$PG_PORT.lock"; do
    pid=$(read_pid "$f") || continue
    pid_is "$pid" "$PG_BIN/postgres" || rm -f "$f"
  done
  if [[ ! -f $PG_DATA/PG_VERSION ]]; then
    say "postgres: initdb $PG_DATA"
    rm -rf "$PG_DATA.tmp"                    # initdb into a temp dir, so an interrupted run is redone
    as_pg "$PG_BIN/initdb" -D "$PG_DATA.tmp" -U postgres -E UTF8 --locale=C \
      --auth-local=trust --auth-host=scram-sha-256 >"$PG_DIR/log/initdb.log" 2>&1 \
      || { echo "initdb failed"; return 1; }
    mv "$PG_DATA.tmp" "$PG_DATA"
    echo "include_if_exists = 'tradewind.conf'" | as_pg tee -a "$PG_DATA/postgresql.conf" >/dev/null
  fi
  # Rewritten on every start, so a changed TRADEWIND_PG_PORT takes effect.
  pg_write "$PG_DATA/tradewind.conf" <<EOF
# Written by scripts/services on each start; edits are lost.
listen_addresses = '$HOST'
port = $PG_PORT
unix_socket_directories = '$PG_SOCK'
max_connections = 200
shared_buffers = 64MB
fsync = on
timezone = 'UTC'
log_timezone = 'UTC'
password_encryption = 'scram-sha-256'
log_line_prefix = '%m [%p] %q%u@%d '
EOF
  # The unix socket sits in a directory only the server user can enter, so trust there is safe.
  pg_write "$PG_DATA/pg_hba.conf" <<EOF
# Written by scripts/services on each start; edits are lost.
local   all   all                  trust
host    all   all   127.0.0.1/32   scram-sha-256
EOF
}

postgres_start() {
  rotate_log "$PG_LOG"
  (cd / && clean_exec "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$postgres_deadline" \
    start >/dev/null 2>&1)
}

# Role tradewind/tradewind (LOGIN, CREATEDB) and database tradewind owned by it; idempotent.
# Then proves that password login over TCP works.
postgres_post() {
  as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d postgres \
    >/dev/null <<'SQL' || { echo "could not create role/database tradewind"; return 1; }
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tradewind') THEN
    CREATE ROLE tradewind LOGIN CREATEDB PASSWORD 'tradewind';
  ELSE
    ALTER ROLE tradewind LOGIN CREATEDB PASSWORD 'tradewind';
  END IF;
END $$;
SELECT 'CREATE DATABASE tradewind OWNER tradewind'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'tradewind') \gexec
SQL
  PGPASSWORD=tradewind PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -X -q -At -h "$HOST" -p "$PG_PORT" \
    -U tradewind -d tradewind -c 'SELECT 1' >/dev/null 2>&1 \
    || { echo "password login tradewind@127.0.0.1:$PG_PORT/tradewind fails"; return 1; }
}

postgres_stop() {
  local pid=$1
  if as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" stop -m fast -w -t 30 >/dev/null 2>&1; then
    echo stopped
  else
    kill -KILL "$pid" 2>/dev/null
    wait_gone "$pid" "$PG_BIN/postgres" 10 && echo "killed (SIGKILL after pg_ctl stop timed out)"
  fi
}
