#!/usr/bin/env bash
# A flood of random bogus brk_ keys against the broker while a valid agent reads a credential from the same address
# (loopback: the NAT case). Prints the agent's req/s and latency alone and during the flood, what the flood got
# (status counts), how many authentication lookups the flood could cause, and the audit rows it left.
# usage: bash bench/scripts/unauth-flood.sh [flood-connections] [seconds]   (needs wrk: apt-get install -y wrk)
# EXTRA_ARGS: server arguments, e.g. --Broker:Authentication:FailureBudget=2000000000 to see the flood unthrottled.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)"; exit 1; }
conns=${1:-64}; secs=${2:-10}; port=18187; agent_conns=16
dotnet build src/Broker.Server -c Release -v q -nologo >/dev/null
dir=$(mktemp -d)
Broker__DataDir=$dir dotnet src/Broker.Server/bin/Release/net10.0/Broker.Server.dll --urls http://127.0.0.1:$port ${EXTRA_ARGS:-} >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir" /tmp/broker-flood-*.lua' EXIT
until curl -sf http://127.0.0.1:$port/readyz >/dev/null; do sleep 0.05; done
base=http://127.0.0.1:$port
admin=$(cat "$dir/admin.key")
curl -sf -X PUT -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' -d '{"value":"sk-bench-value"}' $base/v1/credentials/openai_key >/dev/null
agent=$(curl -sf -X POST -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
  -d '{"name":"bench-agent","role":"agent","credentials":["openai_*"]}' $base/v1/keys | sed -E 's/.*"key":"([^"]+)".*/\1/')

cat > /tmp/broker-flood-agent.lua <<LUA
wrk.headers["Authorization"] = "Bearer $agent"
LUA
cat > /tmp/broker-flood-bogus.lua <<'LUA'
-- Every request presents a new random key of the right shape (brk_ + 32 base64url characters).
local threads, counter = {}, 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end
function init(args)
  math.randomseed(os.time() * 1000 + id * 7919)
  statuses = {}
end
local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
function request()
  local chars = {}
  for i = 1, 32 do
    local r = math.random(1, 64)
    chars[i] = alphabet:sub(r, r)
  end
  return wrk.format("GET", "/v1/agent/credentials", { ["Authorization"] = "Bearer brk_" .. table.concat(chars) })
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  for status, count in pairs(total) do
    io.write(string.format("flood status %d: %d\n", status, count))
  end
end
LUA

agent_read() { wrk -t1 -c$agent_conns -d"${secs}s" --latency -s /tmp/broker-flood-agent.lua $base/v1/agent/credentials/openai_key | grep -E "Requests/sec|50%|99%|Non-2xx"; }
denied() { sqlite3 "$dir/broker.db" "SELECT count(*) FROM audit_records WHERE action = 'request.denied'"; }

wrk -t1 -c$agent_conns -d2s -s /tmp/broker-flood-agent.lua $base/v1/agent/credentials/openai_key >/dev/null
echo "== agent GET /v1/agent/credentials/{name}, alone ($agent_conns connections, ${secs}s)"
agent_read

before=$(denied)
wrk -t1 -c"$conns" -d"$((secs + 3))s" -s /tmp/broker-flood-bogus.lua $base/v1/agent/credentials > /tmp/broker-flood-result.txt &
flood=$!
sleep 1
echo "== agent GET /v1/agent/credentials/{name}, during a flood of bogus keys ($conns connections) from the same address"
agent_read
wait $flood
echo "== the flood"
grep -E "Requests/sec|requests in|flood status" /tmp/broker-flood-result.txt
rm -f /tmp/broker-flood-result.txt
sleep 1
echo "== request.denied audit rows written during the flood: $(( $(denied) - before ))"
