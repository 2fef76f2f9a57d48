#!/usr/bin/env bash
# Issue "Foundation" figures: cold start to /readyz 200 (median of 5), and median/p99 of
# PUT /v1/credentials/{name} and GET /v1/credentials/{name} over 1,000 sequential requests on loopback.
# usage: bash bench/scripts/foundation.sh   (from the repo root; builds Release first)
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build src/Broker.Server -c Release -v q -nologo >/dev/null
dll=src/Broker.Server/bin/Release/net10.0/Broker.Server.dll
port=18080
starts=()
for run in 1 2 3 4 5; do
  dir=$(mktemp -d)
  t0=$(date +%s%N)
  Broker__DataDir=$dir dotnet $dll --urls http://127.0.0.1:$port >/dev/null 2>&1 &
  pid=$!
  until curl -sf http://127.0.0.1:$port/readyz >/dev/null; do sleep 0.01; done
  t1=$(date +%s%N)
  starts+=($(( (t1 - t0) / 1000000 )))
  kill $pid; wait $pid 2>/dev/null || true
  rm -rf "$dir"
done
sorted=($(printf '%s\n' "${starts[@]}" | sort -n))
echo "{\"cold_start_to_readyz_ms\": [${starts[*]}], \"median_ms\": ${sorted[2]}}"

dir=$(mktemp -d)
Broker__DataDir=$dir dotnet $dll --urls http://127.0.0.1:$port >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
until curl -sf http://127.0.0.1:$port/readyz >/dev/null; do sleep 0.01; done
key=$(cat "$dir/admin.key")
python3 bench/scripts/latency.py 127.0.0.1 $port "$key" PUT /v1/credentials/bench_key '{"value":"sk-bench-value-{i}"}' 1000
python3 bench/scripts/latency.py 127.0.0.1 $port "$key" GET /v1/credentials/bench_key "" 1000
# the GET above lists 1,050 versions; the same route for a credential with one version:
curl -sf -X PUT -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d '{"value":"sk-one-version"}' http://127.0.0.1:$port/v1/credentials/one_version >/dev/null
python3 bench/scripts/latency.py 127.0.0.1 $port "$key" GET /v1/credentials/one_version "" 1000
