#!/usr/bin/env bash
# Memory of simulated locks (issue 14, docs/benchmarks.md "Simulated locks: memory"):
# runs `tumbler sim fleet` with N locks against its own Mosquitto, waits until the fleet
# reports every lock online, then reads VmRSS and VmHWM of the fleet process(es) from
# /proc/<pid>/status and prints KiB per lock.
#
# Usage: scripts/bench-fleet-memory.sh [N...]        (default: 1000 10000)
#   RUNS=3       runs per N (one line each, then the median)
#   PER_PROC=15000  most locks per fleet process; a larger N is split over several
#                fleet processes, each with its own Mosquitto (one process may not hold
#                more sockets than `ulimit -Hn`, and neither may one broker).
#   TUMBLER_BIN=path  measure that binary instead of building target/release/tumbler
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${TUMBLER_BIN:-}" ]; then
  BIN=$TUMBLER_BIN
else
  cargo build --release -p tumbler >&2
  BIN=target/release/tumbler
fi
ulimit -n "$(ulimit -Hn)"
RUNS=${RUNS:-1}
PER_PROC=${PER_PROC:-15000}
[ $# -gt 0 ] || set -- 1000 10000

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
}
trap 'cleanup; rm -rf "$WORK"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
status_kib() { awk -v k="$2:" '$1==k {print $2}' "/proc/$1/status"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# One run of N locks; prints "N online rss_kib hwm_kib".
run_once() {
  local n=$1 procs share i port conf fleets=() outs=()
  procs=$(( (n + PER_PROC - 1) / PER_PROC ))
  for ((i = 0; i < procs; i++)); do
    share=$(( n / procs + (i < n % procs ? 1 : 0) ))
    port=$(free_port)
    conf="$WORK/mq-$i.conf"
    { echo "listener $port 127.0.0.1"; cat crates/load/mosquitto-load.conf; } > "$conf"
    mosquitto -c "$conf" > "$WORK/mq-$i.log" 2>&1 &
    PIDS+=($!)
    sleep 0.5
    "$BIN" sim fleet --count "$share" --broker "mqtt://127.0.0.1:$port" > "$WORK/fleet-$i.out" 2> "$WORK/fleet-$i.err" &
    PIDS+=($!)
    fleets+=($!)
    outs+=("$WORK/fleet-$i.out")
  done
  # The fleet prints its report once every lock is online (or after its 120 s timeout).
  for f in "${outs[@]}"; do
    until grep -q '^locks: [0-9]*, online: [0-9]*,' "$f"; do sleep 0.5; done
  done
  sleep 2 # let the first exchanges after connecting settle
  local online=0 rss=0 hwm=0 p x
  for f in "${outs[@]}"; do
    x=$(sed -n 's/^locks: [0-9]*, online: \([0-9]*\),.*/\1/p' "$f" | head -n 1)
    [ -n "$x" ] || { echo "no report line in $f:" >&2; cat "$f" >&2; }
    online=$(( online + ${x:-0} ))
  done
  for p in "${fleets[@]}"; do
    rss=$(( rss + $(status_kib "$p" VmRSS) ))
    hwm=$(( hwm + $(status_kib "$p" VmHWM) ))
  done
  cleanup
  echo "$n $online $rss $hwm"
}

echo "locks online VmRSS_KiB VmHWM_KiB RSS_KiB_per_lock HWM_KiB_per_lock"
for n in "$@"; do
  : > "$WORK/runs"
  for ((r = 0; r < RUNS; r++)); do
    run_once "$n" > "$WORK/one"
    awk '{printf "%s %s %s %s %.1f %.1f\n", $1, $2, $3, $4, $3 / $1, $4 / $1}' "$WORK/one" | tee -a "$WORK/runs"
  done
  if [ "$RUNS" -gt 1 ]; then
    printf 'median of %s runs, %s locks: VmRSS %s KiB (%.1f KiB/lock), VmHWM %s KiB (%.1f KiB/lock)\n' \
      "$RUNS" "$n" "$(awk '{print $3}' "$WORK/runs" | median)" \
      "$(awk '{print $5}' "$WORK/runs" | median)" \
      "$(awk '{print $4}' "$WORK/runs" | median)" \
      "$(awk '{print $6}' "$WORK/runs" | median)"
  fi
done
