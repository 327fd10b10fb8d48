#!/usr/bin/env bash
# Runs the browser tests (crates/cli/tests/it/browser) and refreshes the
# committed screenshots in docs/screenshots/ (old ones are removed first, so
# a renamed or dropped screenshot does not linger). Needs chromium,
# chromium-driver and axe-core (see .ci/run); fails instead of skipping
# when one is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export TUMBLER_AXE_JS="${TUMBLER_AXE_JS:-/opt/tumbler-ci/node_modules/axe-core/axe.min.js}"
rm -f docs/screenshots/*.png
CI=true TUMBLER_SCREENSHOTS=docs/screenshots cargo test -p tumbler --test it browser -- --nocapture
ls docs/screenshots
