# Sourced by the wrk scripts: measure NAME WRK-ARGS... runs a 2 s warm-up, then $secs seconds at $conns connections
# (wrk -t2), and prints req/s, p50, p99 and any non-2xx count.
measure() {
  local name=$1; shift
  wrk -t2 -c"$conns" -d2s "$@" >/dev/null
  echo "== $name"
  wrk -t2 -c"$conns" -d"${secs}s" --latency "$@" | grep -E "Requests/sec|50%|99%|Non-2xx"
}
