#!/usr/bin/env bash
# Times RM-1 through the hand-written loop and one or more restake-sim
# binaries, run alternately, round after round, so that a noisy machine
# slows them alike; prints each round's wall seconds, each binary's ratio
# to the loop, each binary after the first against the first, and the
# medians (of the seconds and of the per-round ratios).
#
#   scripts/side-by-side.sh ROUNDS PATHS THREADS ROOFLINE BINARY...
#
# ROOFLINE is the loop's binary: build ../shared/roofline with
# `cargo build --release` (it runs on all cores; THREADS applies to the
# restake-sim binaries). Build an older restake-sim in a worktree, e.g.
#   git worktree add /tmp/old 843eb69 && (cd /tmp/old && cargo build --release)
#
# Every binary runs from COPIES copies of its file (3 unless set), one
# copy a round in turn: where a file's pages lie in memory can move its
# speed by several per cent, and copies spread that over the rounds.
set -euo pipefail
if [ $# -lt 5 ]; then
  sed -n '2,17p' "$0" >&2
  exit 2
fi
rounds=$1
paths=$2
threads=$3
roofline=$4
shift 4
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
copies=${COPIES:-3}
# The copies of every binary: `$work/copies/N/NAME`.
for n in $(seq "$copies"); do
  mkdir -p "$work/copies/$n"
  for binary in "$roofline" "$@"; do
    cp "$binary" "$work/copies/$n/"
  done
done
# The copy of binary $2 to run in round $1.
copy() {
  echo "$work/copies/$(((($1 - 1) % copies) + 1))/$(basename "$2")"
}

# Wall seconds of one command, to the millisecond.
seconds() {
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null
  end=$(date +%s%N)
  echo $(((end - start) / 1000000)) | awk '{printf "%.3f", $1 / 1000}'
}

header="round roofline"
for binary in "$@"; do header="$header $(basename "$binary")"; done
for binary in "$@"; do header="$header $(basename "$binary")/roofline"; done
# With two binaries or more, each one after the first against the first,
# round by round: the comparison a noisy machine disturbs least.
first=$(basename "$1")
for binary in "${@:2}"; do header="$header $(basename "$binary")/$first"; done
echo "$header" | tee "$work/table"
base=""
against=""
for round in $(seq "$rounds"); do
  line="$round $(seconds "$(copy "$round" "$roofline")" --m "$paths")"
  loop=${line#* }
  ratios=""
  for binary in "$@"; do
    rm -rf "$work/out"
    t=$(seconds "$(copy "$round" "$binary")" run "$root/scenarios/rm1.toml" --paths "$paths" \
      --threads "$threads" --quiet --out "$work/out")
    line="$line $t"
    ratios="$ratios $(awk -v a="$t" -v b="$loop" 'BEGIN { printf "%.2f", a / b }')"
    if [ -z "${base:-}" ]; then
      base=$t
    else
      against="$against $(awk -v a="$t" -v b="$base" 'BEGIN { printf "%.3f", a / b }')"
    fi
  done
  echo "$line$ratios$against" | tee -a "$work/table"
  base=""
  against=""
done
# Median of each column but the round number.
awk 'NR > 1 { for (c = 2; c <= NF; c++) v[c, NR] = $c; n = NR; cols = NF }
  END {
    line = "median"
    for (c = 2; c <= cols; c++) {
      m = 0
      for (r = 2; r <= n; r++) x[++m] = v[c, r]
      for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
      med = (m % 2) ? x[(m + 1) / 2] : (x[m / 2] + x[m / 2 + 1]) / 2
      line = line " " med
    }
    print line
  }' "$work/table"
