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
# of paths.csv only (see KEEP below), values rounded to 10 significant
# digits; and tests/agreement/manifest.csv: scenario, paths, seed, commit,
# SHA-256 of the scenario file.
# Paths per scenario: paths_for below (about two minutes each in release).
set -euo pipefail
bin=$1
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${2:-$root/tests/agreement/scenarios}
out=$root/tests/agreement
seed=${SEED:-985}
commit=${COMMIT:-985c9fb}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Reference paths per scenario (default 1000).
paths_for() {
  case $1 in
    market-2026) echo 300 ;;
    rm1) echo 400 ;;
    *) echo 1000 ;;
  esac
}

# Figures kept: `total.<f>`, `<class>.<f>` and `<protocol>.<f>` for f in
# this list (the part of the column name after its first dot).
KEEP="net_return net_return_usd rewards_usd losses_usd tvl_usd slash_events \
median_net_return stake stakers losses tvl_native losses_native"

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
  awk -F, -v keep="$KEEP" '
    BEGIN { split(keep, k, " "); for (i in k) want[k[i]] = 1; OFS = "," }
    NR == 1 {
      m = 0
      for (i = 1; i <= NF; i++) {
        f = $i; sub(/^[^.]*\./, "", f)
        if ($i != "path" && (f in want)) col[++m] = i
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
