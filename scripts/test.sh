#!/usr/bin/env bash
# The one command that runs every check: lint + format, type-check, unit, integration and e2e tests.
# Ends with the whole run's time (pass or fail); see README, "The test suite".
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS=0
report_time() {
  local rc=$?
  printf '== suite %s in %dm%02ds (%d s)\n' "$([ "$rc" = 0 ] && echo passed || echo "FAILED (exit $rc)")" \
    $((SECONDS / 60)) $((SECONDS % 60)) "$SECONDS"
}
trap report_time EXIT
bash scripts/setup.sh --test
echo "== biome" && bunx biome ci .
echo "== tsc" && bunx tsc --noEmit -p tsconfig.json
echo "== bun test"
# --timeout: the cap for every test and hook that sets none. Bun 1.4 applies bunfig's [test] timeout to neither
# (a hook still gave up at 5 s), and opening a database or starting a server takes longer on a loaded machine.
if [ "$#" -gt 0 ]; then
  bun test --timeout 60000 "$@"
  exit
fi
# The whole suite: TEST_SHARDS parallel `bun test` processes (scripts/test-shards.ts deals the files; each shard
# takes its ports from its own slice, tests/e2e/support/ports.ts). Most of the time is e2e files waiting on
# real-time media, so two shards on two cores take about half as long as one. Each shard's output is kept whole
# and printed when all have finished.
shards="${TEST_SHARDS:-2}"
if ! [[ "$shards" =~ ^[1-9][0-9]*$ ]]; then
  echo "TEST_SHARDS must be a positive integer, got '$shards'" >&2
  exit 1
fi
logs="$(mktemp -d)"
mapfile -t lists < <(bun scripts/test-shards.ts "$shards")
# A dealer that failed or printed nothing must fail the run, not pass it with no tests run.
if [ "${#lists[@]}" -ne "$shards" ]; then
  echo "scripts/test-shards.ts gave ${#lists[@]} shard lists for $shards shards" >&2
  exit 1
fi
pids=()
for i in "${!lists[@]}"; do
  # An empty list would make `bun test` run every file: more shards than files leaves some with nothing to do.
  if [ -z "${lists[$i]}" ]; then
    echo "(no files)" >"$logs/$i.log"
    pids+=("")
    continue
  fi
  # shellcheck disable=SC2086 # a shard's list is space-separated paths without spaces
  HEARTH_TEST_SHARD="$i/$shards" bun test --timeout 60000 ${lists[$i]} >"$logs/$i.log" 2>&1 &
  pids+=("$!")
done
failed=0
for i in "${!pids[@]}"; do
  if [ -n "${pids[$i]}" ]; then wait "${pids[$i]}" || failed=1; fi
done
for i in "${!lists[@]}"; do
  echo "== shard $((i + 1)) of $shards"
  cat "$logs/$i.log"
done
for i in "${!lists[@]}"; do
  printf '== shard %d: %s\n' "$((i + 1))" "$(grep -E '^ *[0-9]+ (pass|fail)$|^Ran ' "$logs/$i.log" | tr -s ' \n' ' ')"
done
rm -rf "$logs"
exit "$failed"
