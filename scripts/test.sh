#!/usr/bin/env bash
# Run every test (tests/Unit and tests/E2E) and end with the line
#   tests: N passed, N failed[, N skipped]
#
#   scripts/test.sh [extra dotnet test arguments]
#
# Unless CC_TEST_POSTGRES is set, starts the private PostgreSQL on
# 127.0.0.1:${CC_PG_PORT:-55432} and hands its admin connection string to the E2E tests
# (they create and drop one database per test class). Installs Debian's chromium when
# /usr/bin/chromium is missing, and nginx (for the two-instance tests) when /usr/sbin/nginx
# is missing, and Node.js with npm (for the official-client tests, which run `npm ci` in
# tests/E2E/Clients) when either is missing. TRX results go to TestResults/<timestamp>/.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$cc_root"
start=$SECONDS

finish() { # passed failed skipped exit-code
  local elapsed=$(( SECONDS - start ))
  printf '==> wall time: %dm%02ds\n' $(( elapsed / 60 )) $(( elapsed % 60 )) >&2
  local line="tests: $1 passed, $2 failed"
  if [ "$3" -gt 0 ]; then line="$line, $3 skipped"; fi
  printf '%s\n' "$line"
  exit "$4"
}

if [ -z "${CC_TEST_POSTGRES:-}" ]; then
  if ! cc_ensure_postgres; then
    cc_log "cannot run the tests without PostgreSQL"
    finish 0 1 0 1
  fi
  export CC_TEST_POSTGRES="$CC_PG_ADMIN"
fi

if [ -n "${CC_CHROMIUM:-}" ] && [ -x "$CC_CHROMIUM" ]; then
  : # the caller chose a browser
elif cc_ensure_chromium; then
  export CC_CHROMIUM=/usr/bin/chromium
else
  cc_log "cannot run the browser tests without /usr/bin/chromium"
  finish 0 1 0 1
fi
export CC_CHROMIUM

if [ -z "${CC_NGINX:-}" ]; then
  if ! cc_ensure_nginx; then
    cc_log "cannot run the two-instance tests without nginx"
    finish 0 1 0 1
  fi
  export CC_NGINX=/usr/sbin/nginx
fi

if ! cc_ensure_node; then
  cc_log "cannot run the official-client tests without node and npm"
  finish 0 1 0 1
fi

dotnet tool restore >/dev/null 2>&1 || cc_log "dotnet tool restore failed (ignored)"

# One folder per run; keep only the five most recent runs.
results="$cc_root/TestResults/$(date +%Y%m%d-%H%M%S)"
rm -rf "$results"
mkdir -p "$results"
if [ -d "$cc_root/TestResults" ]; then
  find "$cc_root/TestResults" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort -r |
    tail -n +6 | while IFS= read -r old; do rm -rf "${cc_root:?}/TestResults/$old"; done
fi

# Browser tests save screenshots (and the app log) of failures beside the TRX files.
export CC_SCREENSHOTS="$results/screenshots"
cc_log "dotnet test CommandCenter.sln -c Release (results: ${results#"$cc_root"/})"
rc=0
# The load-and-fault run (scripts/load-test.sh) is not part of every test run.
filter=(--filter "Category!=Load")
for a in "$@"; do if [ "$a" = "--filter" ]; then filter=(); fi; done
dotnet test CommandCenter.sln -c Release --logger "trx" --results-directory "$results" "${filter[@]}" "$@" || rc=$?

read -r passed failed skipped files < <(cc_count_trx "$results")
if [ "$files" -eq 0 ]; then
  cc_log "no test results were written (build failure?) — dotnet test exited with $rc"
  finish 0 1 0 1
fi
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # e.g. a test host crashed or a project failed to build after others ran.
  cc_log "dotnet test exited with $rc although no test result failed; counting that as a failure"
  failed=1
fi
if [ "$rc" -eq 0 ] && [ "$failed" -gt 0 ]; then rc=1; fi
if [ "$failed" -gt 0 ]; then
  # What a failed browser test's app and browser said, for a run whose files are gone with its machine.
  for log in "$CC_SCREENSHOTS"/FAILED-*.log; do
    [ -f "$log" ] || continue
    cc_log "failure log $(basename "$log") (last 80 lines)"
    tail -n 80 "$log" | cut -c1-400
  done
fi
finish "$passed" "$failed" "$skipped" "$rc"
