#!/usr/bin/env bash
# The full check, as CI runs it (.ci/run): set-up, lint, host tests, wasm build and lint,
# in-browser unit tests, release build, wasm size ceiling, end-to-end tests. Fails fast.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
source scripts/env.sh

WASM_GZIP_LIMIT=1000000   # bytes, gzip -9 of dist/*.wasm

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --all --check"
cargo fmt --all --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test --workspace"
cargo test --workspace

step "cargo build -p dnatlas-core --target wasm32-unknown-unknown"
cargo build -p dnatlas-core --target wasm32-unknown-unknown

step "cargo clippy -p dnatlas-core -p dnatlas-app --target wasm32-unknown-unknown -- -D warnings"
cargo clippy -p dnatlas-core -p dnatlas-app --target wasm32-unknown-unknown -- -D warnings

step "cargo test -p dnatlas-app --target wasm32-unknown-unknown (headless Chromium)"
cargo test -p dnatlas-app --target wasm32-unknown-unknown

step "trunk build --release"
trunk build --release

step "wasm size"
shopt -s nullglob
wasm_files=(dist/*.wasm)
shopt -u nullglob
if [[ ${#wasm_files[@]} -eq 0 ]]; then
  echo "no dist/*.wasm after trunk build" >&2
  exit 1
fi
for f in "${wasm_files[@]}"; do
  raw=$(wc -c <"$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  echo "$f: $raw bytes, $gz bytes gzip -9 (limit $WASM_GZIP_LIMIT)"
  if (( gz >= WASM_GZIP_LIMIT )); then
    echo "wasm too large: $gz >= $WASM_GZIP_LIMIT bytes gzipped" >&2
    exit 1
  fi
done

step "trunk build --release --public-url /some/sub/path/ --dist dist-subpath (the sub-path e2e test)"
trunk build --release --public-url /some/sub/path/ --dist dist-subpath

step "node --test tests/e2e/"
node --test tests/e2e/

echo
echo "all checks passed"
