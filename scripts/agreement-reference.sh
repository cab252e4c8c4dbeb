#!/usr/bin/env bash
# Writes the reference samples of the statistical agreement test
# (tests/all/agreement.rs): the per-agent engine of commit 985c9fb run on
# every scenario it can read, at a fixed seed, each path's key results kept.
#
#   scripts/agreement-reference.sh REFERENCE_BINARY [SCENARIO_DIR]
#
# Build REFERENCE_BINARY from 985c9fb in a worktree:
#   git worktree add --detach /work/wt-base 985c9fb
#   (cd /work/wt-base && CARGO_TARGET_DIR=/work/target-base cargo build --release)
#   scripts/agreement-reference.sh /work/target-base/release/restake-sim
#
# SCENARIO_DIR (default tests/agreement/scenarios, the 985c9fb copies of the
# shipped scenarios, which the test runs too). For each SCENARIO.toml it
# writes tests/agreement/SCENARIO.csv: one row per path, the chosen columns
# of paths.csv only (see TOTAL and EACH below), values rounded to 10 significant
# digits; and tests/agreement/manifest.csv: scenario, paths, seed, commit,
# SHA-256 of the scenario file.
set -euo pipefail
bin=$1
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${2:-$root/tests/agreement/scenarios}
out=$root/tests/agreement
seed=${SEED:-985}
commit=${COMMIT:-985c9fb}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Reference paths per scenario: as many as keep its file under about
# 150 KB (market-2026: about two minutes of the release binary).
paths_for() {
  case $1 in
    babylon-btc) echo 2000 ;;
    market-2026) echo 200 ;;
    rm1) echo 280 ;;
    *) echo 700 ;;
  esac
}

# Columns kept: `total.<f>` for f in TOTAL, and `<class>.<f>`,
# `<protocol>.<f>` for f in EACH (f: the column name after its first dot).
TOTAL="net_return rewards_usd losses_usd tvl_usd slash_events"
EACH="net_return median_net_return stake stakers losses tvl_native losses_native slash_events"

mkdir -p "$out"
manifest=$out/manifest.csv
echo "scenario,paths,seed,commit,sha256" >"$manifest.tmp"
for s in "$dir"/*.toml; do
  name=$(basename "$s" .toml)
  if ! "$bin" validate "$s" >/dev/null 2>&1; then
    echo "skipped: $name (the reference binary cannot read it)"
    continue
  fi
  n=$(paths_for "$name")
  echo "$name: $n paths, seed $seed"
  /usr/bin/time -f "  %e s, %M KB" "$bin" run "$s" --paths "$n" --seed "$seed" \
    --quiet --out "$work/$name" >/dev/null
  awk -F, -v total="$TOTAL" -v each="$EACH" '
    BEGIN {
      split(total, k, " "); for (i in k) want["total." k[i]] = 1
      split(each, k, " "); for (i in k) want[k[i]] = 1
    }
    NR == 1 {
      m = 0
      for (i = 1; i <= NF; i++) {
        f = $i; sub(/^[^.]*\./, "", f)
        if ($i ~ /^total\./ ? ($i in want) : (f in want)) col[++m] = i
      }
    }
    {
      line = ""
      for (j = 1; j <= m; j++) {
        v = $(col[j])
        if (NR > 1 && v ~ /^-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$/ && v !~ /^-?[0-9]+$/)
          v = sprintf("%.10g", v)
        line = line (j > 1 ? "," : "") v
      }
      print line
    }' "$work/$name/paths.csv" >"$out/$name.csv"
  echo "$name,$n,$seed,$commit,$(sha256sum "$s" | cut -d" " -f1)" >>"$manifest.tmp"
  echo "  $(($(wc -l <"$out/$name.csv") - 1)) rows × $(head -1 "$out/$name.csv" | tr , '\n' | wc -l) columns, $(du -k "$out/$name.csv" | cut -f1) KB"
done
mv "$manifest.tmp" "$manifest"
