#!/usr/bin/env bash
# Server time of the web app's pages with 1,000 locks in one organisation
# (issue 15: ≤ 50 ms a page), against the JSON API listing the same locks,
# measured in the same run. Writes the table into docs/benchmarks.md
# (between <!-- bench-web:begin --> and <!-- bench-web:end -->).
# Usage: scripts/bench-web.sh            (release build; a few minutes cold)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release -q -p tumbler-hub --example web_pages -- --write docs/benchmarks.md
