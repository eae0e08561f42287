#!/usr/bin/env bash
# The benchmark (bench/): starts PostgreSQL (as scripts/test.sh does), builds in Release, runs the app as its own
# process against the .NET fake upstream, measures every figure through the app and straight to the fake, runs the
# micro-benchmarks, and writes bench/RESULTS.md. About six minutes on two cores.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$cc_root"
cc_ensure_postgres
cc_ensure_chromium
export CC_BENCH_POSTGRES="$CC_PG_ADMIN" CC_CHROMIUM=/usr/bin/chromium
# 2,048 streams hold two sockets each in the app and two in the load generator.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
dotnet tool restore >/dev/null
cc_log "building (Release)"
dotnet build CommandCenter.sln -c Release -v quiet -nologo >/dev/null
dotnet bench/CommandCenter.Bench/bin/Release/net10.0/CommandCenter.Bench.dll "$@"
