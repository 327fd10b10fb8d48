#!/usr/bin/env bash
# The long schemathesis run (issue 13, finding 9): the CI test
# `schemathesis::schemathesis_finds_nothing` (a real hub on SQLite with the
# built-in broker and two claimed simulated locks; every check) with more
# examples per operation, every phase including stateful, and a time budget.
# Prints schemathesis' summary (case count, failures); exit status 0 when it
# found nothing.
# Usage: scripts/schemathesis-long.sh [max-examples] [max-time-seconds] [seed]
# Defaults: 500 examples, 1800 s, seed 20261207.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v st >/dev/null || python3 -m pip install --quiet 'schemathesis==4.32.5'
export TUMBLER_SCHEMATHESIS_MAX_EXAMPLES="${1:-500}"
export TUMBLER_SCHEMATHESIS_MAX_TIME="${2:-1800}"
export TUMBLER_SCHEMATHESIS_SEED="${3:-20261207}"
export TUMBLER_SCHEMATHESIS_PHASES="examples,coverage,fuzzing,stateful"
export TUMBLER_SCHEMATHESIS_WORKERS="${TUMBLER_SCHEMATHESIS_WORKERS:-2}"
export CI=true  # a missing schemathesis is a failure here, not a skip
exec cargo test -p tumbler-hub --test it schemathesis::schemathesis_finds_nothing -- --exact --nocapture
