#!/usr/bin/env bash
# Whether this tree's `dnatlas analyze --format json` is byte-identical to REF's on every fixture: each input alone,
# and each fixture case's inputs together. For changes that must not change behaviour (moves, splits, renames).
#   bash scripts/same-json.sh [REF]   (default: HEAD; REF is built in a worktree under target/same-json/)
# SAME_JSON_BASE=path/to/dnatlas uses that binary, built from REF, instead of building REF again. The tree's binary
# is built in $CARGO_TARGET_DIR when it is set.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh
ref=${1:-HEAD}
# Resolved here: inside the worktree, `HEAD` would name the worktree's own commit.
rev=$(git rev-parse --verify "$ref^{commit}")
work=target/same-json
rm -rf "$work/out-base" "$work/out-tree"
mkdir -p "$work"
if [[ -z "${SAME_JSON_BASE:-}" ]]; then
  if [[ ! -d "$work/tree" ]]; then
    git worktree add --detach "$work/tree" "$rev" >/dev/null
  else
    git -C "$work/tree" checkout --detach --quiet "$rev"
  fi
fi
if [[ -n "${SAME_JSON_BASE:-}" ]]; then
  base=$SAME_JSON_BASE
else
  (cd "$work/tree" && CARGO_TARGET_DIR="$PWD/../target" cargo build --quiet --release -p dnatlas-cli)
  base=$work/target/release/dnatlas
fi
cargo build --quiet --release -p dnatlas-cli
tree=${CARGO_TARGET_DIR:-target}/release/dnatlas

outputs() { # BINARY DIR
  local bin=$1 out=$2 f d files
  mkdir -p "$out"
  while IFS= read -r f; do
    "$bin" analyze --format json "$f" >"$out/$(tr '/' '_' <<<"$f").json" 2>/dev/null || true
  done < <(find fixtures -type f ! -name '*.json' ! -name '*.md' ! -name '*.snap' | sort)
  while IFS= read -r d; do
    mapfile -t files < <(find "$d" -maxdepth 1 -type f ! -name '*.json' ! -name '*.md' ! -name '*.snap' | sort)
    if [[ ${#files[@]} -gt 0 ]]; then
      "$bin" analyze --format json "${files[@]}" >"$out/case_$(tr '/' '_' <<<"$d").json" 2>/dev/null || true
    fi
  done < <(find fixtures -mindepth 2 -maxdepth 2 -type d | sort)
}
outputs "$base" "$work/out-base"
outputs "$tree" "$work/out-tree"
count=$(find "$work/out-tree" -type f | wc -l)
if diff -rq "$work/out-base" "$work/out-tree"; then
  echo "same-json: $count outputs byte-identical to $ref"
else
  echo "same-json: outputs differ from $ref (diff -r $work/out-base $work/out-tree)" >&2
  exit 1
fi
