# shellcheck shell=bash disable=SC2034  # settings read by scripts/services
# The paper venue (`tradewind venue`, apps/venue): FIX 4.4 acceptor on TRADEWIND_VENUE_PORT
# (9878), health on TRADEWIND_VENUE_HEALTH_PORT (8003). Its book (SQLite) and FIX store live in
# .local/venue and survive down/up. It takes prices from Redis and waits for them when Redis or
# the market data is not up yet, so it may start beside the others.

VENUE_PORT=${TRADEWIND_VENUE_PORT:-9878}
VENUE_HEALTH_PORT=${TRADEWIND_VENUE_HEALTH_PORT:-8003}
VENUE_DIR=$LOCAL/venue
VENUE_PID=$VENUE_DIR/venue.pid
VENUE_LOG=$VENUE_DIR/venue.log
VENUE_BIN=$ROOT/.venv/bin/tradewind
venue_deadline=60

venue_port()  { echo "$VENUE_PORT"; }
venue_ports() { echo "$VENUE_PORT $VENUE_HEALTH_PORT"; }
venue_needs() { echo ""; }                  # python comes from the venv (uv sync, as for moto)
venue_logs()  { echo "$VENUE_LOG"; }

venue_pid() { pid_from "$VENUE_PID" "tradewind venue"; }
venue_alive() { venue_pid >/dev/null; }

# HTTP GET /healthz over bash's /dev/tcp: the process is up and its FIX acceptor listens.
venue_ready() {
  port_open "$VENUE_PORT" || return 1
  # shellcheck disable=SC2016
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "GET /healthz HTTP/1.0\r\nHost: %s:%s\r\n\r\n" "$0" "$1" >&3
    IFS= read -r status <&3 && [[ $status == "HTTP/1."?" 200"* ]]' "$HOST" "$VENUE_HEALTH_PORT" 2>/dev/null
}

venue_prepare() {
  mkdir -p "$VENUE_DIR"
  [[ -x $VENUE_BIN ]] || { echo "$VENUE_BIN missing: run uv sync --frozen (scripts/test does)"; return 1; }
}

venue_start() {
  TRADEWIND_VENUE_DIR=$VENUE_DIR TRADEWIND_VENUE_PORT=$VENUE_PORT TRADEWIND_VENUE_HEALTH_PORT=$VENUE_HEALTH_PORT \
    launch "$VENUE_PID" "$VENUE_LOG" "$VENUE_BIN" venue
}

venue_stop() { term_then_kill "$VENUE_PID" "$1" "tradewind venue" 30; }
