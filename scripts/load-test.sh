#!/usr/bin/env bash
# The bounded load-and-fault run: 200 concurrent streams for 60 s with about 10 % injected faults (errors mid-stream,
# dropped upstream connections, clients that walk away) and a PostgreSQL restart in the middle; checks that no trace is
# left running, that every cost a client was told is the stored one, and that memory returns near its start.
# About two minutes. Figures: TestResults/<run>/load-and-fault.md. Same set-up as scripts/test.sh.
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/test.sh" --filter "Category=Load"
