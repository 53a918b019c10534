# shellcheck shell=bash disable=SC2034  # settings read by scripts/services
# kinesalite (npm, MIT): the Kinesis twin. Pinned by scripts/services.d/kinesalite/package-lock.json
# and installed with `npm ci` into .local/kinesalite; its streams persist in .local/kinesalite/data
# (LevelDB), so the market-data stream and its sequence numbers survive a down/up. moto's Kinesis
# slows as a stream grows (DESIGN.md, "Benchmarks"); kinesalite stays fast and bounded.

KINESIS_PORT=${TRADEWIND_KINESIS_PORT:-4567}
KINESIS_DIR=$LOCAL/kinesalite
KINESIS_DATA=$KINESIS_DIR/data
KINESIS_PID=$KINESIS_DIR/kinesalite.pid
KINESIS_LOG=$KINESIS_DIR/kinesalite.log
KINESIS_SRC=$SERVICES_D/kinesalite
# AWS allows 500 shards per account by default; every isolated test stack creates its own stream.
KINESIS_SHARD_LIMIT=${TRADEWIND_KINESIS_SHARD_LIMIT:-1000}
kinesalite_deadline=30

kinesalite_port()  { echo "$KINESIS_PORT"; }
kinesalite_ports() { echo "$KINESIS_PORT"; }
kinesalite_needs() { echo "node:nodejs npm:npm"; }
kinesalite_logs()  { echo "$KINESIS_LOG $KINESIS_DIR/npm-ci.log"; }

kinesalite_pid() { pid_from "$KINESIS_PID" "$KINESIS_SRC/serve.js"; }
kinesalite_alive() { kinesalite_pid >/dev/null; }

# A signed-looking ListStreams over bash's /dev/tcp: kinesalite checks that the headers are there,
# not the signature, and answers 200 only once its store is open.
kinesalite_ready() {
  # shellcheck disable=SC2016
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "POST / HTTP/1.0\r\nHost: %s:%s\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Date: 20260101T000000Z\r\nAuthorization: AWS4-HMAC-SHA256 Credential=probe/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: 2\r\n\r\n{}" "$0" "$1" >&3
    IFS= read -r status <&3 && [[ $status == "HTTP/1."?" 200"* ]]' "$HOST" "$KINESIS_PORT" 2>/dev/null
}

# npm ci from the committed lock file, redone only when the lock file changed. --ignore-scripts:
# leveldown ships prebuilt binaries (linux-x64 among them) that node-gyp-build loads at run time.
kinesalite_prepare() {
  mkdir -p "$KINESIS_DIR" "$KINESIS_DATA"
  if [[ -f $KINESIS_DIR/node_modules/kinesalite/package.json ]] \
     && cmp -s "$KINESIS_SRC/package-lock.json" "$KINESIS_DIR/package-lock.json"; then
    return 0
  fi
  say "kinesalite: npm ci into $KINESIS_DIR (log: $KINESIS_DIR/npm-ci.log)"
  cp "$KINESIS_SRC/package.json" "$KINESIS_SRC/package-lock.json" "$KINESIS_DIR/"
  (cd "$KINESIS_DIR" && npm ci --no-audit --no-fund --ignore-scripts) >"$KINESIS_DIR/npm-ci.log" 2>&1 9>&- \
    || { rm -f "$KINESIS_DIR/package-lock.json"; echo "npm ci failed (log: $KINESIS_DIR/npm-ci.log)"; return 1; }
}

kinesalite_start() {
  NODE_PATH=$KINESIS_DIR/node_modules launch "$KINESIS_PID" "$KINESIS_LOG" node "$KINESIS_SRC/serve.js" \
    --modules "$KINESIS_DIR/node_modules" --port "$KINESIS_PORT" --path "$KINESIS_DATA" \
    --shardLimit "$KINESIS_SHARD_LIMIT" --createStreamMs 50 --deleteStreamMs 50 --updateStreamMs 50
}

kinesalite_stop() { term_then_kill "$KINESIS_PID" "$1" "$KINESIS_SRC/serve.js" 20; }
