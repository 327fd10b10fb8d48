#!/usr/bin/env python3
"""Login flood against a running hub (used by scripts/login-flood.sh).

Runs CONCURRENCY threads for SECONDS, each sending wrong-password logins on a
kept-alive connection, while one more thread times an authenticated
`GET /api/v1/me` every 100 ms and another samples the hub's resident memory
(VmRSS from /proc/PID/status). Prints one JSON object with the figures.

Modes:
  one-account   every thread logs in as the same real account from 127.0.0.1
                (the finding's attack: the login limits answer it)
  many-sources  thread i uses its own unknown e-mail and its own source
                address 127.0.1.i, so the per-account and per-address limits
                let the first failures through and the hashing pool is loaded
"""

import http.client
import json
import sys
import threading
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    host, port, pid, token, email, mode, seconds, concurrency = sys.argv[1:9]
    port, pid, seconds, concurrency = int(port), int(pid), float(seconds), int(concurrency)
    stop = time.monotonic() + seconds
    counts = {}
    lock = threading.Lock()
    peak = [rss_kib(pid)]
    latencies = []

    def flood(i):
        src = ("127.0.1.%d" % (i + 1), 0) if mode == "many-sources" else None
        who = email if mode == "one-account" else "flood%d@nowhere.test" % i
        body = json.dumps({"email": who, "password": "wrong password %d" % i})
        conn = None
        while time.monotonic() < stop:
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host, port, timeout=30, source_address=src)
                conn.request("POST", "/api/v1/login", body, {"content-type": "application/json"})
                res = conn.getresponse()
                res.read()
                key = str(res.status)
            except Exception as e:  # a refused or reset connection counts too
                key = type(e).__name__
                conn = None
            with lock:
                counts[key] = counts.get(key, 0) + 1

    def probe():
        conn = http.client.HTTPConnection(host, port, timeout=60)
        while time.monotonic() < stop:
            t0 = time.monotonic()
            try:
                conn.request("GET", "/api/v1/me", headers={"authorization": "Bearer " + token})
                res = conn.getresponse()
                res.read()
                if res.status == 200:
                    latencies.append(time.monotonic() - t0)
            except Exception:
                conn = http.client.HTTPConnection(host, port, timeout=60)
            time.sleep(0.1)

    def sample():
        while time.monotonic() < stop:
            peak[0] = max(peak[0], rss_kib(pid))
            time.sleep(0.05)

    threads = [threading.Thread(target=flood, args=(i,)) for i in range(concurrency)]
    threads += [threading.Thread(target=probe), threading.Thread(target=sample)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lat = sorted(latencies)

    def pct(p):
        return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 1) if lat else None

    print(json.dumps({
        "mode": mode,
        "answers": counts,
        "peak_rss_kib": peak[0],
        "me_requests": len(lat),
        "me_p50_ms": pct(0.5),
        "me_p99_ms": pct(0.99),
        "me_max_ms": round(lat[-1] * 1000, 1) if lat else None,
    }))


if __name__ == "__main__":
    main()
