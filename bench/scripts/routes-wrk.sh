#!/usr/bin/env bash
# Issues "Inbound keys" and "Just in time" figures: wrk throughput and p99 of POST /v1/inbound/verify and
# POST /v1/tokens against GET /healthz on the same server, same run, Release, loopback, 64 connections.
# usage: bash bench/scripts/routes-wrk.sh [connections] [seconds]   (needs wrk)
# AUDIT=off runs bench/Broker.Bench.Host instead: the same server, same arguments, with an audit log that records
# nothing, to see what auditing costs (the server itself cannot turn its audit off). EXTRA_ARGS go to either.
# NOBUILD=1 skips the build; ERRLOG=file keeps the server's stderr.
set -euo pipefail
cd "$(dirname "$0")/../.."
conns=${1:-64}; secs=${2:-10}; port=18183
project=src/Broker.Server; name=Broker.Server
if [ "${AUDIT:-on}" = off ]; then project=bench/Broker.Bench.Host; name=Broker.Bench.Host; fi
[ -n "${NOBUILD:-}" ] || dotnet build $project -c Release -v q -nologo >/dev/null
dir=$(mktemp -d)
Broker__DataDir=$dir dotnet $project/bin/Release/net10.0/$name.dll --urls http://127.0.0.1:$port ${EXTRA_ARGS:-} >/dev/null 2>${ERRLOG:-/dev/null} &
pid=$!
echo "server pid $pid" >&2
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir" /tmp/broker-wrk-*.lua' EXIT
until curl -sf http://127.0.0.1:$port/readyz >/dev/null; do sleep 0.05; done
until [ -s "$dir/admin.key" ]; do sleep 0.05; done # written by the bootstrap, which readiness does not wait for
admin=$(cat "$dir/admin.key")
key() { curl -sf -X POST -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' -d "$1" http://127.0.0.1:$port/v1/keys | sed -E 's/.*"key":"([^"]+)".*/\1/'; }
agent=$(key '{"name":"support-agent","role":"agent","credentials":["*"],"tokens":{"audiences":["*"],"scopes":["*"]}}')
caller=$(key '{"name":"customer","role":"caller","agents":["support-*"]}')
cat > /tmp/broker-wrk-verify.lua <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $agent"
wrk.body = '{"key":"$caller","agent":"support-agent"}'
LUA
cat > /tmp/broker-wrk-tokens.lua <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $agent"
wrk.body = '{"audience":"https://api.example","task":"task-1","scopes":["read"]}'
LUA
. bench/scripts/wrk-measure.sh
measure "GET /healthz" http://127.0.0.1:$port/healthz
measure "POST /v1/inbound/verify" -s /tmp/broker-wrk-verify.lua http://127.0.0.1:$port/v1/inbound/verify
measure "POST /v1/tokens" -s /tmp/broker-wrk-tokens.lua http://127.0.0.1:$port/v1/tokens
measure "GET /healthz (again)" http://127.0.0.1:$port/healthz
