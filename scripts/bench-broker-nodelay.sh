#!/usr/bin/env bash
# Issue 14 figures for docs/benchmarks.md ("Built-in broker: TCP_NODELAY"):
# 100 locks, raw + unlock, 3 runs on the built-in broker and 3 on Mosquitto
# (our own, on a free port, crates/load/mosquitto-load.conf), then the median
# of the runs' p50/p99 and the built-in/Mosquitto ratio.
# Usage: scripts/bench-broker-nodelay.sh [path/to/tumbler-load] [out-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/tumbler-load}
OUT=${2:-$(mktemp -d)}
if [ "$BIN" = target/release/tumbler-load ]; then cargo build --release -p tumbler-load; fi
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
CONF=$(mktemp)
{ echo "listener $PORT 127.0.0.1"; cat crates/load/mosquitto-load.conf; } > "$CONF"
mosquitto -c "$CONF" > "$OUT/mosquitto.log" 2>&1 &
MQ=$!
trap 'kill $MQ 2>/dev/null || true; rm -f "$CONF"' EXIT
sleep 1
for i in 1 2 3; do
  "$BIN" --locks 100 --broker builtin --scenarios raw,unlock --out "$OUT/builtin-$i.json" > /dev/null 2>> "$OUT/runs.log"
  "$BIN" --locks 100 --broker "mqtt://127.0.0.1:$PORT" --scenarios raw,unlock --out "$OUT/mosquitto-$i.json" > /dev/null 2>> "$OUT/runs.log"
done
python3 - "$OUT" <<'PY'
import json, statistics, sys
out = sys.argv[1]
med = {}
for b in ("builtin", "mosquitto"):
    runs = [json.load(open(f"{out}/{b}-{i}.json")) for i in (1, 2, 3)]
    for scen in ("raw_broker_rtt", "unlock_rtt"):
        for q in ("p50_ms", "p99_ms"):
            xs = [r[scen][q] for r in runs]
            med[(b, scen, q)] = statistics.median(xs)
            print(f"{b:9} {scen:14} {q}: median {med[(b, scen, q)]:.3f}  runs {xs}")
for q in ("p50_ms", "p99_ms"):
    print(f"unlock {q} built-in/Mosquitto: {med[('builtin', 'unlock_rtt', q)] / med[('mosquitto', 'unlock_rtt', q)]:.2f}x")
print(f"figures in {out}")
PY
