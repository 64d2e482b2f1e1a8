#!/usr/bin/env bash
# Fuzz every target for a while: `bash scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]` (default 60 s, all targets).
# Seeds come from fixtures/; crashes land in fuzz/artifacts/<target>/. cargo-fuzz needs nightly-only flags:
# RUSTC_BOOTSTRAP=1 lets the machine's stable toolchain accept them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh
secs=${1:-60}
shift || true
if ! cargo fuzz --version >/dev/null 2>&1; then
  (cd "$HOME" && cargo install --locked --quiet cargo-fuzz)
fi
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  mapfile -t targets < <(cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz list)
fi
seeds=()
while IFS= read -r dir; do seeds+=("$dir"); done < <(find fixtures -mindepth 2 -maxdepth 2 -type d | sort)
# Every target runs even when one finds something; the summary names each target's runs and whether it found
# anything, and the exit status is 1 when any did.
summary=()
status=0
for target in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$target"
  echo "==> fuzz $target for ${secs}s"
  log="fuzz/artifacts/$target.log"
  mkdir -p fuzz/artifacts
  if (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run -O "$target" "corpus/$target" "${seeds[@]/#/../}" -- \
    -max_total_time="$secs" -max_len=65536 -timeout=10 -print_final_stats=1) 2>&1 | tee "$log"; then
    result="no findings"
  else
    result="FOUND: see fuzz/artifacts/$target/"
    status=1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo "?")
  summary+=("$(printf '%-16s %10s runs in %ss  %s' "$target" "$runs" "$secs" "$result")")
done
printf '\n==> fuzz summary\n'
printf '%s\n' "${summary[@]}"
exit "$status"
