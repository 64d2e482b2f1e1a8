#!/usr/bin/env bash
# Idempotent set-up: installs only what is missing, only from the package registries
# (Debian, crates.io, npm). Safe to run from any directory, and again and again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/env.sh
source scripts/env.sh

say() { printf 'setup: %s\n' "$*"; }
START=$SECONDS

TRUNK_VERSION=0.21.14
# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
WB_VERSION=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/^version = "|"$/, ""); print; exit }' Cargo.lock)
if [[ -z "$WB_VERSION" ]]; then
  echo "setup: cannot read the wasm-bindgen version from Cargo.lock" >&2
  exit 1
fi

# Trunk.toml pins the same wasm-bindgen (trunk refuses any other); keep the two in step.
if ! grep -qx "wasm_bindgen = \"$WB_VERSION\"" Trunk.toml; then
  echo "setup: Trunk.toml [tools] wasm_bindgen must be \"$WB_VERSION\" (the version in Cargo.lock)" >&2
  exit 1
fi

# --- Chromium + ChromeDriver (Debian) for wasm-bindgen-test and the e2e tests; GNU time, which measures each
# hostile-input run's CPU time and memory (cli/tests/hostile.rs) ---
if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver && -x /usr/bin/time ]]; then
  say "chromium + chromedriver + GNU time present"
else
  say "installing chromium + chromium-driver + time (apt)"
  SUDO=()
  if [[ $(id -u) -ne 0 ]]; then SUDO=(sudo); fi
  APT_LOG=$(mktemp)
  if ! { "${SUDO[@]}" apt-get update -qq &&
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends chromium chromium-driver time; } >"$APT_LOG" 2>&1; then
    cat "$APT_LOG" >&2
    exit 1
  fi
  rm -f "$APT_LOG"
fi

# --- Rust target and components ---
if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rust target wasm32-unknown-unknown present"
else
  say "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
for comp in clippy rustfmt; do
  if ! rustup component list --installed | grep -q "^$comp"; then
    say "adding rustup component $comp"
    rustup component add "$comp"
  fi
done

# --- Crates for the workspace (trunk builds with --offline) ---
say "cargo fetch --locked"
cargo fetch --locked --quiet

# --- trunk ---
if [[ "$(trunk --version 2>/dev/null || true)" == "trunk $TRUNK_VERSION" ]]; then
  say "trunk $TRUNK_VERSION present"
else
  say "installing trunk $TRUNK_VERSION (cargo install, ~6 min)"
  (cd "$HOME" && CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install --locked --quiet trunk --version "$TRUNK_VERSION")
fi

# --- wasm-bindgen-cli (wasm-bindgen, wasm-bindgen-test-runner) ---
wb_ok() {
  [[ "$(wasm-bindgen --version 2>/dev/null || true)" == "wasm-bindgen $WB_VERSION"* ]] &&
    [[ "$(wasm-bindgen-test-runner --version 2>/dev/null || true)" == *"$WB_VERSION"* ]]
}
if wb_ok; then
  say "wasm-bindgen-cli $WB_VERSION present"
else
  say "installing wasm-bindgen-cli $WB_VERSION (cargo install --locked)"
  if (cd "$HOME" && cargo install --locked --quiet --force wasm-bindgen-cli --version "$WB_VERSION"); then
    :
  else
    # Its published Cargo.lock pins a webpki-roots release the registry mirror may lack:
    # build from a copy of the crate with that one dependency moved to an available release.
    say "plain locked install failed; retrying from a patched copy (webpki-roots 1.0.10)"
    CARGO_DIR="${CARGO_HOME:-$HOME/.cargo}"
    WORK=$(mktemp -d)
    trap 'rm -rf "$WORK"' EXIT
    SRC=$(ls -d "$CARGO_DIR"/registry/src/*/"wasm-bindgen-cli-$WB_VERSION" 2>/dev/null | head -n1 || true)
    if [[ -n "$SRC" ]]; then
      cp -r "$SRC" "$WORK/wasm-bindgen-cli"
    else
      CRATE=$(ls "$CARGO_DIR"/registry/cache/*/"wasm-bindgen-cli-$WB_VERSION.crate" 2>/dev/null | head -n1 || true)
      if [[ -z "$CRATE" ]]; then
        # Download the .crate through cargo itself with a throwaway manifest.
        mkdir -p "$WORK/fetch/src"
        printf '[package]\nname = "fetch-wbcli"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\nwasm-bindgen-cli = "=%s"\n' \
          "$WB_VERSION" >"$WORK/fetch/Cargo.toml"
        : >"$WORK/fetch/src/lib.rs"
        (cd "$WORK/fetch" && cargo fetch --quiet)
        CRATE=$(ls "$CARGO_DIR"/registry/cache/*/"wasm-bindgen-cli-$WB_VERSION.crate" | head -n1)
      fi
      tar -xzf "$CRATE" -C "$WORK"
      mv "$WORK/wasm-bindgen-cli-$WB_VERSION" "$WORK/wasm-bindgen-cli"
    fi
    (cd "$WORK/wasm-bindgen-cli" &&
      cargo update --quiet -p webpki-roots --precise 1.0.10 &&
      cargo install --locked --quiet --force --path .)
    rm -rf "$WORK"
    trap - EXIT
  fi
  wb_ok || { echo "setup: wasm-bindgen-cli $WB_VERSION still not on PATH" >&2; exit 1; }
fi

# --- npm: wasm-opt (binaryen 132) and playwright-core ---
if [[ -d node_modules && node_modules/.package-lock.json -nt package-lock.json ]]; then
  say "node_modules up to date"
else
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

say "ready in $((SECONDS - START)) s: $(trunk --version), $(wasm-bindgen --version), $(wasm-opt --version | head -n1), playwright-core $(node -p 'require("playwright-core/package.json").version')"
