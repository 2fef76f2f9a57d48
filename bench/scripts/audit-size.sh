#!/usr/bin/env bash
# Size on disk of the audit trail per record (SQLite database, archive JSONL, after a prune); issue 16.
# Usage: bench/scripts/audit-size.sh [records]   (default 100000; extrapolates to a million)
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet run -c Release --project bench/Broker.Audit.Benchmarks -- size "${1:-100000}"
