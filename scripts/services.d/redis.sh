# shellcheck shell=bash disable=SC2034  # settings read by scripts/services
# Redis 7 (Debian package), in memory only, working dir .local/redis.

REDIS_PORT=${TRADEWIND_REDIS_PORT:-6380}
REDIS_DIR=$LOCAL/redis
REDIS_PID=$REDIS_DIR/redis.pid
REDIS_LOG=$REDIS_DIR/redis.log
redis_deadline=20

redis_port()  { echo "$REDIS_PORT"; }
redis_ports() { echo "$REDIS_PORT"; }
redis_needs() { echo "redis-server:redis-server redis-cli:redis-tools"; }
redis_logs()  { echo "$REDIS_LOG"; }

redis_pid() { pid_from "$REDIS_PID" redis-server; }
redis_alive() { redis_pid >/dev/null; }

redis_ready() {
  [[ $(timeout 2 redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]
}

redis_prepare() { mkdir -p "$REDIS_DIR"; }

redis_start() {
  launch "$REDIS_PID" "$REDIS_LOG" redis-server --port "$REDIS_PORT" --bind "$HOST" \
    --dir "$REDIS_DIR" --daemonize no --save '' --appendonly no --logfile ''
}

redis_stop() { term_then_kill "$REDIS_PID" "$1" redis-server 20; }
