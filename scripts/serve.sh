#!/usr/bin/env bash
# Build and serve the app at http://127.0.0.1:8080/ (address and port are in Trunk.toml).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
source scripts/env.sh
exec trunk serve --offline --release --no-autoreload "$@"
