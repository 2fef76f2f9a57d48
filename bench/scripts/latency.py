#!/usr/bin/env python3
"""Sequential request latency over one keep-alive connection: median and p99 in ms.
usage: latency.py HOST PORT KEY METHOD PATH [BODY] [COUNT]"""
import http.client, json, statistics, sys, time

host, port, key, method, path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
body = sys.argv[6] if len(sys.argv) > 6 and sys.argv[6] else None
count = int(sys.argv[7]) if len(sys.argv) > 7 else 1000
conn = http.client.HTTPConnection(host, port)
headers = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
samples = []
for i in range(count + 50):
    payload = body.replace("{i}", str(i)) if body else None
    start = time.perf_counter()
    conn.request(method, path, body=payload, headers=headers)
    response = conn.getresponse()
    response.read()
    elapsed = (time.perf_counter() - start) * 1000
    if response.status >= 400:
        sys.exit(f"{method} {path} -> {response.status}")
    if i >= 50:  # warm-up excluded
        samples.append(elapsed)
samples.sort()
print(json.dumps({"method": method, "path": path, "count": count,
                  "median_ms": round(statistics.median(samples), 3),
                  "p99_ms": round(samples[int(len(samples) * 0.99) - 1], 3)}))
