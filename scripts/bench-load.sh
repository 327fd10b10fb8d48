#!/usr/bin/env bash
# Load figures for docs/benchmarks.md (issue 14): the hub with 1,000 and
# 10,000 simulated locks, on the built-in broker and on Mosquitto, on SQLite
# and (when TUMBLER_BENCH_POSTGRES is set) on PostgreSQL. Each configuration
# runs 3 times; the medians, with the floor measured in the same runs (raw
# broker round trip + one fsync + one loopback HTTP exchange), are written
# between the bench-load markers of docs/benchmarks.md.
# Writes docs/benchmarks/<name>-run<N>.json (each run) and <name>.json (medians).
# Usage: scripts/bench-load.sh [quick|1k]   (quick: 100 locks, 1 run, smoke test;
#        1k: the 1,000-lock configurations only, ~10 min)
#   TUMBLER_BENCH_POSTGRES=            adds the PostgreSQL configurations
#                                      (empty: postgres://postgres@127.0.0.1:5432/test)
#   TUMBLER_BENCH_RUNS=3               runs per configuration
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p tumbler-load
BIN=target/release/tumbler-load
OUT=docs/benchmarks
mkdir -p "$OUT"
MODE=full
[ "${1:-}" = quick ] && MODE=quick
[ "${1:-}" = 1k ] && MODE=1k
RUNS=${TUMBLER_BENCH_RUNS:-3}
[ "$MODE" = quick ] && RUNS=1
PG=
if [ "${TUMBLER_BENCH_POSTGRES+set}" = set ]; then
  PG=${TUMBLER_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}
fi

# Our own Mosquitto on a free port, with the settings in crates/load/mosquitto-load.conf.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
CONF=$(mktemp)
{ echo "listener $PORT 127.0.0.1"; cat crates/load/mosquitto-load.conf; } > "$CONF"
mosquitto -c "$CONF" > /tmp/tumbler-bench-mosquitto.log 2>&1 &
MQ=$!
trap 'kill $MQ 2>/dev/null || true; rm -f "$CONF"' EXIT
sleep 1
MOSQ="mqtt://127.0.0.1:$PORT"

NAMES=()
run() { # name locks broker database scenarios [extra tumbler-load args...]
  local name=$1 locks=$2 broker=$3 db=$4 scen=$5
  shift 5
  NAMES+=("$name")
  local i
  for i in $(seq 1 "$RUNS"); do
    echo "== $name run $i/$RUNS: $locks locks, $broker, ${db%%://*}, $scen $*" >&2
    "$BIN" --locks "$locks" --broker "$broker" --database "$db" --scenarios "$scen" \
      --out "$OUT/$name-run$i.json" "$@" > /dev/null
  done
}

if [ "$MODE" = quick ]; then
  run quick-builtin 100 builtin sqlite raw,unlock,code,events
  run quick-mosquitto 100 "$MOSQ" sqlite raw,unlock,code,events
  if [ -n "$PG" ]; then run quick-mosquitto-pg 100 "$MOSQ" "$PG" raw,unlock,code,events; fi
else
  run 1k-builtin 1000 builtin sqlite raw,unlock,code,events
  run 1k-mosquitto 1000 "$MOSQ" sqlite raw,unlock,code,events
  if [ -n "$PG" ]; then
    [ "$MODE" = 1k ] || run 1k-builtin-pg 1000 builtin "$PG" raw,unlock,code,events
    run 1k-mosquitto-pg 1000 "$MOSQ" "$PG" raw,unlock,code,events
  fi
  if [ "$MODE" = 1k ]; then :; else
  # The burst: 10,000 locks x 100 thumb-turns = 1,000,000 events.
  run 10k-mosquitto 10000 "$MOSQ" sqlite raw,code,events --events-per-lock 100
  # 10,000 locks with the built-in broker need more than 20,000 open files in one
  # process (see docs/benchmarks.md); run it where the limit allows:
  if [ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -gt 25000 ]; then run 10k-builtin 10000 builtin sqlite raw,code; fi
  fi
fi

python3 scripts/bench_load_table.py --mode "$MODE" --runs "$RUNS" --dir "$OUT" \
  --doc docs/benchmarks.md "${NAMES[@]}"
