#!/usr/bin/env bash
# Issue 16 figure: GET /v1/agent/credentials/{name} of a random one of 1,000 credentials (every read durably
# audited) against GET /healthz on the same server, same run, Release, loopback, wrk -t2.
# usage: bash bench/scripts/agent-read-wrk.sh [connections] [seconds]   (needs wrk)
# AUDIT=off runs bench/Broker.Bench.Host (the same server with an audit log that records nothing). NOBUILD=1 skips
# the build. PORT overrides 18184. PROFILE=out.nettrace also records a dotnet-trace cpu-sampling profile of the server
# during the agent read run (needs dotnet-trace on PATH); PERF=out.data a `perf record -g` one instead (run with
# DOTNET_PerfMapEnabled=1 so perf names the JIT-compiled frames). ERRLOG=file keeps the server's stderr.
set -euo pipefail
cd "$(dirname "$0")/../.."
conns=${1:-64}; secs=${2:-10}; port=${PORT:-18184}
project=src/Broker.Server; name=Broker.Server
if [ "${AUDIT:-on}" = off ]; then project=bench/Broker.Bench.Host; name=Broker.Bench.Host; fi
[ -n "${NOBUILD:-}" ] || dotnet build $project -c Release -v q -nologo >/dev/null
dir=$(mktemp -d)
lua=$(mktemp /tmp/broker-wrk-agent-XXXX.lua)
Broker__DataDir=$dir dotnet $project/bin/Release/net10.0/$name.dll --urls http://127.0.0.1:$port ${EXTRA_ARGS:-} >/dev/null 2>${ERRLOG:-/dev/null} &
pid=$!
echo "server pid $pid" >&2
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir" "$lua"' EXIT
until curl -sf http://127.0.0.1:$port/readyz >/dev/null; do sleep 0.05; done
until [ -s "$dir/admin.key" ]; do sleep 0.05; done # written by the bootstrap, which readiness does not wait for
admin=$(cat "$dir/admin.key")
# One curl for the 1,000 writes (a config of 1,000 requests), not 1,000 processes.
for i in $(seq 0 999); do
  printf 'url = "http://127.0.0.1:%s/v1/credentials/bench_%d"\nrequest = "PUT"\nheader = "Authorization: Bearer %s"\n' "$port" "$i" "$admin"
  printf 'header = "Content-Type: application/json"\ndata = "{\\"value\\":\\"sk-bench-value-%04d-0123456789abcdef\\"}"\noutput = "/dev/null"\nfail\nnext\n' "$i"
done > "$lua"
sed -i '$d' "$lua" # no "next" after the last one
curl -sS -K "$lua"
agent=$(curl -sf -X POST -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
  -d '{"name":"bench","role":"agent","credentials":["*"],"tokens":{"audiences":["*"],"scopes":["*"]}}' \
  http://127.0.0.1:$port/v1/keys | sed -E 's/.*"key":"([^"]+)".*/\1/')
cat > "$lua" <<LUA
wrk.headers["Authorization"] = "Bearer $agent"
request = function() return wrk.format("GET", "/v1/agent/credentials/bench_" .. math.random(0, 999)) end
LUA
. bench/scripts/wrk-measure.sh
measure "GET /healthz" http://127.0.0.1:$port/healthz
if [ -n "${PROFILE:-}${PERF:-}" ]; then
  wrk -t2 -c"$conns" -d"$((secs + 4))s" -s "$lua" http://127.0.0.1:$port >/dev/null &
  load=$!
  sleep 2
  if [ -n "${PERF:-}" ]; then
    perf record -F 499 -g -p $pid -o "$PERF" -- sleep "$secs" 2>/dev/null
  else
    dotnet-trace collect -p $pid --profile dotnet-sampled-thread-time --duration 00:00:00:$(printf '%02d' "$secs") -o "$PROFILE" >/dev/null
  fi
  wait $load
fi
measure "GET /v1/agent/credentials/{random of 1,000}" -s "$lua" http://127.0.0.1:$port
measure "GET /healthz (again)" http://127.0.0.1:$port/healthz
