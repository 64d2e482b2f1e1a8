# Sourced by scripts/setup.sh, serve.sh and test.sh (and by hand: `source scripts/env.sh`).
# Puts the project's pinned tools first on PATH and configures the browser test runners.
_dnatlas_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_dnatlas_cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
# node_modules/.bin first: its wasm-opt (binaryen 132) must win over any other wasm-opt
# (Debian's binaryen 108 produces a wasm that crashes at load).
case ":$PATH:" in
  "$_dnatlas_root/node_modules/.bin:$_dnatlas_cargo_bin:"*) ;;
  *) export PATH="$_dnatlas_root/node_modules/.bin:$_dnatlas_cargo_bin:$PATH" ;;
esac
export TRUNK_SKIP_VERSION_CHECK=true
export CHROMEDRIVER=/usr/bin/chromedriver
export WASM_BINDGEN_TEST_WEBDRIVER_JSON="$_dnatlas_root/webdriver.json"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
unset _dnatlas_cargo_bin
