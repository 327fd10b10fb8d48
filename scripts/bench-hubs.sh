#!/usr/bin/env bash
# Several hubs on one PostgreSQL (issue 14): 1, 2 and 4 hub processes in one
# tumbler-load run each (1,000 simulated locks on our own Mosquitto), API
# calls spread over the hubs in turn. Writes docs/benchmarks/hubs-<N>-run<R>.json
# and the table between <!-- bench-hubs:begin --> and <!-- bench-hubs:end -->
# of docs/benchmarks.md (medians over the runs).
# Usage: scripts/bench-hubs.sh        TUMBLER_BENCH_RUNS=1 (default), LOCKS=1000,
#        TUMBLER_BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432/test
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p tumbler-load
export TUMBLER_PLANE_LEASES=1   # leases are opt-in (see docs/benchmarks.md)
BIN=target/release/tumbler-load
OUT=docs/benchmarks
mkdir -p "$OUT"
RUNS=${TUMBLER_BENCH_RUNS:-1}
LOCKS=${LOCKS:-1000}
PG=${TUMBLER_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
CONF=$(mktemp)
{ echo "listener $PORT 127.0.0.1"; cat crates/load/mosquitto-load.conf; } > "$CONF"
mosquitto -c "$CONF" > /tmp/tumbler-bench-hubs-mosquitto.log 2>&1 &
MQ=$!
trap 'kill $MQ 2>/dev/null || true; rm -f "$CONF"' EXIT
sleep 1
for n in 1 2 4; do
  for r in $(seq 1 "$RUNS"); do
    echo "== $n hub(s), run $r/$RUNS: $LOCKS locks, Mosquitto, PostgreSQL" >&2
    "$BIN" --locks "$LOCKS" --hubs "$n" --broker "mqtt://127.0.0.1:$PORT" --database "$PG" \
      --scenarios raw,unlock,code,events --out "$OUT/hubs-$n-run$r.json" > /dev/null
  done
done
python3 - "$RUNS" <<'PY'
import json, statistics, sys, datetime
runs = int(sys.argv[1])
def med(n, path):
    vals = []
    for r in range(1, runs + 1):
        v = json.load(open(f"docs/benchmarks/hubs-{n}-run{r}.json"))
        for k in path:
            v = v.get(k) if isinstance(v, dict) else None
        if isinstance(v, (int, float)):
            vals.append(v)
    return statistics.median(vals) if vals else None
rows = []
base = {}
for n in (1, 2, 4):
    f = {
        "unlock": med(n, ["unlock_rtt", "p50_ms"]),
        "unlock99": med(n, ["unlock_rtt", "p99_ms"]),
        "code": med(n, ["code_confirm", "all_doors_set_s"]),
        "events": med(n, ["events", "per_second"]),
    }
    if n == 1:
        base = f
    ratio = lambda k: (f"{f[k] / base[k]:.2f}×" if f[k] and base[k] else "—")
    fmt = lambda v, d=1: ("—" if v is None else f"{v:.{d}f}")
    rows.append(f"| {n} | {fmt(f['unlock'])} / {fmt(f['unlock99'])} | {fmt(f['code'])} ({ratio('code')}) | {fmt(f['events'], 0)} ({ratio('events')}) |")
date = datetime.date.today().isoformat()
table = (f"Measured {date} by `scripts/bench-hubs.sh` (release build, {runs} run(s) per row, 1,000 simulated locks on Mosquitto, one PostgreSQL; "
         "API calls spread over the hubs in turn; ratios against 1 hub in the same script run).\n\n"
         "| hubs | unlock p50 / p99 ms | one code on every lock, s (÷ 1 hub) | events stored per s (÷ 1 hub) |\n|---|---|---|---|\n"
         + "\n".join(rows) + "\n")
print(table)
doc = open("docs/benchmarks.md").read()
b, e = "<!-- bench-hubs:begin -->", "<!-- bench-hubs:end -->"
i, j = doc.find(b), doc.find(e)
if i < 0 or j < 0:
    sys.exit("docs/benchmarks.md has no bench-hubs markers")
open("docs/benchmarks.md", "w").write(doc[:i] + b + "\n" + table + doc[j:])
PY
