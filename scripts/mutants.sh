#!/usr/bin/env bash
# Mutation testing with cargo-mutants: does the test suite fail when the
# code is changed? Each mutant is one small edit (an operator swapped, a
# function body replaced by a default value); "caught" means a test failed.
#
#   scripts/mutants.sh SCOPE [SHARD] [-- TARGETS... [-- FILTER...]]
#
# SCOPE is a folder or file under src/, e.g. src/stats, src/scenario/build,
# src/engine/pool.rs. SHARD, e.g. 0/8, runs a deterministic round-robin
# sample: every eighth mutant of the scope's list, starting with the first.
# TARGETS are the test targets built and run for each mutant, `--lib` (the
# unit tests) unless given; FILTER selects tests by name, as for
# `cargo test`. With the integration tests of losses by source, say:
#   scripts/mutants.sh src/stats -- --lib --test all -- entities
#
# Results go into mutants.out/ (caught.txt, missed.txt, timeout.txt,
# unviable.txt, outcomes.json). One mutant at a time: the tree is mutated
# in place (see below). Environment:
# MUTANTS_TIMEOUT (seconds per test run, default 120), MUTANTS_BASELINE=skip
# (once the unmutated tests are known to pass), MUTANTS_LIST=1 only lists
# the mutants. Needs `cargo install cargo-mutants --locked`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ]; then
  sed -n '5,19p' "$0" >&2
  exit 2
fi
scope=${1%/}
shift
if [ -d "$scope" ]; then
  glob="$scope/**"
elif [ -f "$scope" ]; then
  glob="$scope"
else
  echo "no such file or folder: $scope" >&2
  exit 2
fi

args=(-f "$glob")
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
  args+=(--shard "$1" --sharding round-robin)
  shift
fi
if [ "${MUTANTS_LIST:-0}" = 1 ]; then
  exec cargo mutants --list "${args[@]}"
fi

targets=(--lib)
filter=()
if [ $# -gt 0 ] && [ "$1" = "--" ]; then
  shift
  targets=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    targets+=("$1")
    shift
  done
  filter=("$@")
fi
# Targets go to every cargo invocation (so that a mutant builds only what
# runs), the filter only to `cargo test`.
for t in "${targets[@]}"; do
  args+=("--cargo-arg=$t")
done
for f in "${filter[@]}"; do
  args+=("--cargo-test-arg=$f")
done

# In place: each mutant is written into this tree, built incrementally in
# target/ and put back (a copy of the tree would rebuild every dependency),
# so do not edit the sources while it runs, nor interrupt it mid-build:
# either can leave the incremental cache inconsistent, and every later
# mutant then fails to link ("undefined hidden symbol") and is counted as
# unviable. The check below says so; remove
# target/debug/incremental/restake_sim-* and run again.
status=0
cargo mutants "${args[@]}" \
  --in-place \
  --timeout "${MUTANTS_TIMEOUT:-120}" \
  ${MUTANTS_BASELINE:+--baseline="$MUTANTS_BASELINE"} || status=$?
if grep -qs "undefined hidden symbol" mutants.out/log/*.log; then
  echo "warning: some mutants failed to link from a stale incremental cache;" \
    "their 'unviable' is not a result: remove" \
    "target/debug/incremental/restake_sim-* and run again" >&2
fi
exit "$status"
