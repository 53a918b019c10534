# shellcheck shell=bash disable=SC2034  # settings read by scripts/services
# moto server (DynamoDB, S3) from the project's venv; state is in memory only. Kinesis: kinesalite.sh.
# Started through moto_serve.py: moto less its dashboard's record of every object it ever made (that
# record grew ~4 KB per DynamoDB PutItem, without bound) and less its per-request log lines.

MOTO_PORT=${TRADEWIND_MOTO_PORT:-5050}
MOTO_DIR=$LOCAL/moto
MOTO_PID=$MOTO_DIR/moto.pid
MOTO_LOG=$MOTO_DIR/moto.log
MOTO_BIN=$ROOT/.venv/bin/moto_server
MOTO_SERVE=$SERVICES_D/moto_serve.py
moto_deadline=60

moto_port()  { echo "$MOTO_PORT"; }
moto_ports() { echo "$MOTO_PORT"; }
moto_needs() { echo ""; }                   # python comes from the venv; uv is handled below
moto_logs()  { echo "$MOTO_LOG $MOTO_DIR/uv-sync.log"; }

moto_pid() { pid_from "$MOTO_PID" "$MOTO_SERVE"; }
moto_alive() { moto_pid >/dev/null; }

# HTTP GET /moto-api/ over bash's /dev/tcp (curl may be missing; no proxy involved).
moto_ready() {
  # shellcheck disable=SC2016
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "GET /moto-api/ HTTP/1.0\r\nHost: %s:%s\r\n\r\n" "$0" "$1" >&3
    IFS= read -r status <&3 && [[ $status == "HTTP/1."?" 200"* ]]' "$HOST" "$MOTO_PORT" 2>/dev/null
}

moto_prepare() {
  mkdir -p "$MOTO_DIR"
  [[ -x $MOTO_BIN ]] && return 0
  local uv=(uv)
  if ! command -v uv >/dev/null; then
    say "moto: installing uv with pip"
    python3 -m pip install -q uv >"$MOTO_DIR/uv-sync.log" 2>&1 || { echo "pip install uv failed"; return 1; }
    uv=(python3 -m uv)                       # the new script may not be on PATH (pyenv shims)
  fi
  say "moto: $MOTO_BIN missing, running uv sync --frozen"
  # shellcheck disable=SC2046
  (cd "$ROOT" && scripts/wheels ensure && "${uv[@]}" sync --frozen --all-packages $(scripts/wheels sync-flags) \
    && scripts/wheels install) >>"$MOTO_DIR/uv-sync.log" 2>&1 \
    || { echo "uv sync --frozen failed (see $MOTO_DIR/uv-sync.log)"; return 1; }
  [[ -x $MOTO_BIN ]] || { echo "uv sync did not install moto_server (is moto[server] in the dev group?)"; return 1; }
}

moto_start() {
  TRADEWIND_MOTO_S3_DIR="$MOTO_DIR/s3" \
    launch "$MOTO_PID" "$MOTO_LOG" "$ROOT/.venv/bin/python" "$MOTO_SERVE" -H "$HOST" -p "$MOTO_PORT"
}

moto_stop() { term_then_kill "$MOTO_PID" "$1" "$MOTO_SERVE" 20; }
