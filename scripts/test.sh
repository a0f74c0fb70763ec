#!/usr/bin/env bash
# The one command that runs every check: lint + format, type-check, unit, integration and e2e tests.
# Ends with the whole run's time (pass or fail): 12-16 minutes on a 2-core machine (README, "The test suite").
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
# bun runs test files one after another: e2e suites own fixed ports on a 2-core machine.
# --timeout: the cap for every test and hook that sets none. Bun 1.4 applies bunfig's [test] timeout to neither
# (a hook still gave up at 5 s), and opening a database or starting a server takes longer on a loaded machine.
bun test --timeout 60000 "$@"
