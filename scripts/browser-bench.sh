#!/usr/bin/env bash
# Browser benchmark (not part of scripts/test.sh): builds the site, generates a 10,000-Service dump, drops it on the
# page in headless Chromium three times and prints the time to an interactive map and the longest main-thread block.
# Usage: bash scripts/browser-bench.sh [RUNS]   (set SKIP_BUILD=1 to reuse dist/)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh
runs="${1:-3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [[ "${SKIP_BUILD:-}" != 1 ]]; then
  trunk build --release
fi
cargo run --release -q -p dnatlas-gen -- --services 10000 -o "$work/node-10k.txt" --stats
node tests/bench/drop-10k.mjs "$work/node-10k.txt" "$runs"
