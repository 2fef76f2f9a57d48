#!/usr/bin/env bash
# Issue "Audit" figure: throughput of GET /v1/agent/credentials/{name} with auditing on vs off, same run,
# Release, loopback, wrk. Also GET /healthz as the bare baseline.
# usage: bash bench/scripts/audit-wrk.sh [connections] [seconds]   (needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/../.."
conns=${1:-32}; secs=${2:-10}
# "off" is bench/Broker.Bench.Host: the same server and arguments with an audit log that records nothing (the server
# itself cannot turn its audit off).
dotnet build bench/Broker.Bench.Host -c Release -v q -nologo >/dev/null # builds src/Broker.Server too
run() { # mode port
  local dir; dir=$(mktemp -d)
  local dll=src/Broker.Server/bin/Release/net10.0/Broker.Server.dll
  [ "$1" = off ] && dll=bench/Broker.Bench.Host/bin/Release/net10.0/Broker.Bench.Host.dll
  Broker__DataDir=$dir dotnet $dll --urls http://127.0.0.1:$2 >/dev/null 2>&1 &
  local pid=$!
  until curl -sf http://127.0.0.1:$2/readyz >/dev/null; do sleep 0.05; done
  local admin; admin=$(cat "$dir/admin.key")
  curl -sf -X PUT -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' -d '{"value":"sk-bench-value-0123456789"}' http://127.0.0.1:$2/v1/credentials/bench_key >/dev/null
  local agent; agent=$(curl -sf -X POST -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' -d '{"name":"bench","role":"agent","credentials":["*"],"tokens":{"audiences":["*"],"scopes":["*"]}}' http://127.0.0.1:$2/v1/keys | sed -E 's/.*"key":"([^"]+)".*/\1/')
  wrk -t2 -c"$conns" -d2s -H "Authorization: Bearer $agent" http://127.0.0.1:$2/v1/agent/credentials/bench_key >/dev/null # warm-up
  echo "== audit $1: GET /v1/agent/credentials/bench_key"
  wrk -t2 -c"$conns" -d"${secs}s" --latency -H "Authorization: Bearer $agent" http://127.0.0.1:$2/v1/agent/credentials/bench_key | grep -E "Requests/sec|99%|50%|Non-2xx"
  if [ "$1" = on ]; then
    echo "== GET /healthz (same server)"
    wrk -t2 -c"$conns" -d"${secs}s" --latency http://127.0.0.1:$2/healthz | grep -E "Requests/sec|99%|50%"
  fi
  kill $pid; wait $pid 2>/dev/null || true; rm -rf "$dir"
}
run on 18181
run off 18182
