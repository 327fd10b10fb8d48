#!/usr/bin/env bash
# Load figures for docs/benchmarks.md: the hub (SQLite) with 1,000 and
# 10,000 simulated locks, on the built-in broker and on Mosquitto.
# Writes docs/benchmarks/<name>.json; prints a summary line per run.
# Usage: scripts/bench-load.sh [quick]   (quick: 100 locks only)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p tumbler-load
BIN=target/release/tumbler-load
OUT=docs/benchmarks
mkdir -p "$OUT"

# Our own Mosquitto on a free port, with the settings in crates/load/mosquitto-load.conf.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
CONF=$(mktemp)
{ echo "listener $PORT 127.0.0.1"; cat crates/load/mosquitto-load.conf; } > "$CONF"
mosquitto -c "$CONF" > /tmp/tumbler-bench-mosquitto.log 2>&1 &
MQ=$!
trap 'kill $MQ 2>/dev/null || true; rm -f "$CONF"' EXIT
sleep 1

run() { # name locks broker scenarios
  echo "== $1: $2 locks, $3, $4" >&2
  "$BIN" --locks "$2" --broker "$3" --scenarios "$4" --out "$OUT/$1.json" > /dev/null
}

if [ "${1:-}" = quick ]; then
  run quick-builtin 100 builtin raw,unlock,code,events
  run quick-mosquitto 100 "mqtt://127.0.0.1:$PORT" raw,unlock,code,events
  exit 0
fi
run 1k-builtin 1000 builtin raw,unlock,code,events
run 1k-mosquitto 1000 "mqtt://127.0.0.1:$PORT" raw,unlock,code,events
run 10k-mosquitto 10000 "mqtt://127.0.0.1:$PORT" raw,code
# 10,000 locks with the built-in broker need more than 20,000 open files in one
# process (see docs/benchmarks.md); tumbler-load raises its soft limit to the
# hard one, so run it where the hard limit allows:
if [ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -gt 25000 ]; then run 10k-builtin 10000 builtin raw,code; fi
