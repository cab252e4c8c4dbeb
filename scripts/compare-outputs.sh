#!/usr/bin/env bash
# Compares the CSV outputs of two restake-sim binaries on every shipped
# scenario (run, plus one sweep and one stress test), byte for byte.
#
#   scripts/compare-outputs.sh OLD_BINARY NEW_BINARY [PATHS]
#
# Build OLD_BINARY from an earlier commit in a worktree, e.g.
#   git worktree add /tmp/old 985c9fb && (cd /tmp/old && cargo build --release)
# PATHS (default 100) applies to every scenario but market-2026, which runs
# 8 paths (250,000 stakers). Exits 1 and names the files that differ.
set -euo pipefail
old=$1
new=$2
paths=${3:-100}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Scenarios the old binary can read (a scenario using keys added since is
# skipped and named).
scenarios=()
for s in "$root"/scenarios/*.toml; do
  if "$old" validate "$s" >/dev/null 2>&1; then
    scenarios+=("$s")
  else
    echo "skipped: $(basename "$s") (the old binary cannot read it)"
  fi
done

runs() {
  local bin=$1 out=$2
  for s in "${scenarios[@]}"; do
    local name n
    name=$(basename "$s" .toml)
    n=$paths
    [ "$name" = market-2026 ] && n=8
    "$bin" run "$s" --paths "$n" --quiet --out "$out/run-$name" >/dev/null
  done
  "$bin" sweep "$root/scenarios/eigenlayer-avs.toml" --paths 40 --quiet \
    --grid 'protocol.*.slashing.yearly_probability=0.01,0.05' --keep-runs \
    --out "$out/sweep" >/dev/null
  "$bin" stress "$root/scenarios/symbiotic-karak.toml" --paths 40 --quiet \
    --preset slash-x10 --preset eth-crash --out "$out/stress" >/dev/null
}

runs "$old" "$work/old"
runs "$new" "$work/new"
differ=0
files=0
while IFS= read -r f; do
  rel=${f#"$work/old/"}
  files=$((files + 1))
  if ! cmp -s "$f" "$work/new/$rel"; then
    echo "differs: $rel"
    differ=1
  fi
done < <(find "$work/old" -name '*.csv' | sort)
new_count=$(find "$work/new" -name '*.csv' | wc -l)
if [ "$new_count" -ne "$files" ]; then
  echo "the new binary wrote $new_count CSV files, the old one $files"
  differ=1
fi
if [ $differ -eq 0 ]; then
  echo "identical: $files CSV files"
fi
exit $differ
