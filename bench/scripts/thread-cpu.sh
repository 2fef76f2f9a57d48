#!/usr/bin/env bash
# Where the agent read's CPU goes, per thread: runs agent-read-wrk.sh and, 2 s into its agent-read run, samples
# utime + stime of every server thread (by thread name) for 6 s; prints each name's share of one core.
# usage: bash bench/scripts/thread-cpu.sh [connections]   (AUDIT=off and NOBUILD=1 as for agent-read-wrk.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp)
trap 'rm -f "$out" "$out".1 "$out".2' EXIT
bash bench/scripts/agent-read-wrk.sh "${1:-64}" 10 >"$out" 2>&1 &
runner=$!
# Waits for a line of the run's output, or stops with the run's output when the run ended first.
await() { until grep -q "$1" "$out"; do kill -0 $runner 2>/dev/null || { cat "$out"; exit 1; }; sleep 0.2; done; }
await "server pid"
pid=$(grep "server pid" "$out" | awk '{print $3}')
# The thread name may hold spaces: read the fields after the closing parenthesis of /proc/.../stat.
snap() { for t in /proc/"$pid"/task/*; do echo "$(tr ' ' _ <"$t/comm") $(sed 's/.*) //' "$t/stat" | awk '{print $12 + $13}')"; done 2>/dev/null | awk '{a[$1] += $2} END {for (k in a) print k, a[k]}'; }
await "== GET /v1/agent"
sleep 2
snap >"$out".1; t1=$(date +%s.%N)
sleep 6
snap >"$out".2; t2=$(date +%s.%N)
ticks=$(getconf CLK_TCK)
awk -v dt="$(echo "$t2 - $t1" | bc)" -v hz="$ticks" 'NR == FNR { before[$1] = $2; next } { v = ($2 - before[$1]) / hz / dt * 100; if (v > 0.5) printf "%-22s %5.1f %% of a core\n", $1, v }' "$out".1 "$out".2
wait $runner
grep -E "==|Requests" "$out" | paste - -
