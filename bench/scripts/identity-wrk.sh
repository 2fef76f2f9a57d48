#!/usr/bin/env bash
# Issue 14 "Measure": what proof of the user costs on a per-user read, and workload login throughput. wrk throughput
# and p99, Release, loopback, one server, one run:
#   GET /v1/agent/credentials/github?subject=alice  unproven (key granted subjects "any")
#                                                   proven by Broker-User-Assertion (an RS256 JWT: validated once, then
#                                                   answered from the cache of validated assertions until it expires)
#                                                   proven by Broker-User-Key (the user's caller key)
#   POST /v1/oauth/token                            workload login (JWT validation, a key issued, an audit record)
# The login rate limits are raised for the run (Broker__WorkloadLogin__*).
# usage: bash bench/scripts/identity-wrk.sh [connections] [seconds]   (needs wrk, openssl, python3)
set -euo pipefail
cd "$(dirname "$0")/../.."
conns=${1:-64}; secs=${2:-10}; port=18184
dotnet build src/Broker.Server -c Release -v q -nologo >/dev/null
dir=$(mktemp -d)
Broker__DataDir=$dir Broker__WorkloadLogin__RequestsPerMinute=100000000 Broker__WorkloadLogin__GlobalRequestsPerSecond=100000000 \
  dotnet src/Broker.Server/bin/Release/net10.0/Broker.Server.dll --urls http://127.0.0.1:$port >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir" /tmp/broker-wrk-id-*.lua' EXIT
until curl -sf http://127.0.0.1:$port/readyz >/dev/null; do sleep 0.05; done
admin=$(cat "$dir/admin.key")
post() { curl -sf -X "${3:-POST}" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' -d "$2" "http://127.0.0.1:$port$1"; }
key() { post /v1/keys "$1" | sed -E 's/.*"key":"([^"]+)".*/\1/'; }

# An RSA issuer of our own: its public JWK inline, tokens signed with openssl.
openssl genrsa -out "$dir/issuer.pem" 2048 2>/dev/null
read -r n e < <(openssl rsa -in "$dir/issuer.pem" -noout -modulus 2>/dev/null | python3 -c '
import sys, base64
m = int(sys.stdin.read().strip().split("=")[1], 16)
b = lambda i: base64.urlsafe_b64encode(i.to_bytes((i.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()
print(b(m), b(65537))')
sign() { # subject -> RS256 JWT valid for an hour
  python3 - "$1" "$dir/issuer.pem" <<'PY'
import sys, json, time, base64, subprocess
b = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=").decode()
now = int(time.time())
head = b(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "bench"}).encode())
body = b(json.dumps({"iss": "https://bench.issuer", "aud": "broker", "sub": sys.argv[1], "iat": now, "nbf": now - 5, "exp": now + 3600}).encode())
sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", sys.argv[2]], input=(head + "." + body).encode(), capture_output=True, check=True).stdout
print(head + "." + body + "." + b(sig))
PY
}
jwks="{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"bench\",\"n\":\"$n\",\"e\":\"$e\"}]}"
post /v1/issuers "{\"name\":\"people\",\"issuer\":\"https://bench.issuer\",\"jwks\":$jwks,\"audiences\":[\"broker\"],\"use\":\"users\"}" >/dev/null
post /v1/issuers "{\"name\":\"k8s\",\"issuer\":\"https://bench.issuer\",\"jwks\":$jwks,\"audiences\":[\"broker\"],\"use\":\"workloads\"}" >/dev/null
post /v1/workload-profiles '{"name":"ci","issuer":"k8s","subject":"ci:*","key":{"credentials":["github"]},"ttlSeconds":3600}' >/dev/null
post "/v1/credentials/github?subject=alice" '{"value":"alice-github-token"}' PUT >/dev/null
any=$(key '{"name":"agent-any","role":"agent","credentials":["github"],"subjects":"any"}')
proven=$(key '{"name":"agent-proven","role":"agent","credentials":["github"]}')
alice=$(key '{"name":"alice-laptop","role":"caller","agents":["agent-*"],"subject":"alice"}')
assertion=$(sign alice)
workload=$(sign ci:runner)

read_script() { # file, key, extra header line
  printf 'wrk.method = "GET"\nwrk.headers["Authorization"] = "Bearer %s"\n%s\n' "$2" "$3" > "$1"
}
read_script /tmp/broker-wrk-id-any.lua "$any" ""
read_script /tmp/broker-wrk-id-assertion.lua "$proven" "wrk.headers[\"Broker-User-Assertion\"] = \"$assertion\""
read_script /tmp/broker-wrk-id-callerkey.lua "$proven" "wrk.headers[\"Broker-User-Key\"] = \"$alice\""
cat > /tmp/broker-wrk-id-login.lua <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt&resource=ci&subject_token=$workload"
LUA
measure() { # name, args...
  local name=$1; shift
  wrk -t2 -c"$conns" -d2s "$@" >/dev/null
  echo "== $name"
  wrk -t2 -c"$conns" -d"${secs}s" --latency "$@" | grep -E "Requests/sec|50%|99%|Non-2xx"
}
url="http://127.0.0.1:$port/v1/agent/credentials/github?subject=alice"
measure "per-user read, unproven (subjects any)" -s /tmp/broker-wrk-id-any.lua "$url"
measure "per-user read, Broker-User-Assertion" -s /tmp/broker-wrk-id-assertion.lua "$url"
measure "per-user read, Broker-User-Key" -s /tmp/broker-wrk-id-callerkey.lua "$url"
measure "per-user read, unproven (again)" -s /tmp/broker-wrk-id-any.lua "$url"
measure "POST /v1/oauth/token (workload login)" -s /tmp/broker-wrk-id-login.lua "http://127.0.0.1:$port/v1/oauth/token"
