#!/usr/bin/env bash
# The benchmark (bench/): starts PostgreSQL (as scripts/test.sh does), builds in Release, runs the app as its own
# process against the .NET fake upstream, measures every figure through the app and straight to the fake, runs the
# micro-benchmarks, and writes bench/RESULTS.md. About six minutes on two cores.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$cc_root"
cc_ensure_postgres
# pg_stat_statements (PostgreSQL's contrib module), to count what PostgreSQL runs per reply. Loading it takes a restart,
# so only a cluster this repo started is changed (ALTER SYSTEM, kept for later runs); elsewhere the bench counts nothing.
if [ -f "$CC_PG_BIN/../lib/pg_stat_statements.so" ] &&
   ! cc__pg_psql -tAc 'SHOW shared_preload_libraries' | grep -q pg_stat_statements; then
  if [ "$(cc__pg_running_port)" = "$CC_PG_PORT" ]; then
    cc_log "preloading pg_stat_statements on the bench's cluster (restarting it)"
    cc__pg_psql -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
    cc__pg_as_owner "$CC_PG_BIN/pg_ctl" restart -w -t 60 -m fast -D "$CC_PG_DATA" -l "$CC_PG_DATA/server.log" >/dev/null
  else
    cc_log "pg_stat_statements is not loaded on 127.0.0.1:$CC_PG_PORT (not this repo's cluster): no statement counts"
  fi
fi
cc_ensure_chromium
export CC_BENCH_POSTGRES="$CC_PG_ADMIN" CC_CHROMIUM=/usr/bin/chromium
# 2,048 streams hold two sockets each in the app and two in the load generator.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
dotnet tool restore >/dev/null
cc_log "building (Release)"
dotnet build CommandCenter.sln -c Release -v quiet -nologo >/dev/null
dotnet bench/CommandCenter.Bench/bin/Release/net10.0/CommandCenter.Bench.dll "$@"
