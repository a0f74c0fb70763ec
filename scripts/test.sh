#!/usr/bin/env bash
# The one command that runs every check: lint + format, type-check, unit, integration and e2e tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
echo "== biome" && bunx biome ci .
echo "== tsc" && bunx tsc --noEmit -p tsconfig.json
echo "== bun test"
# bun runs test files one after another: e2e suites own fixed ports on a 2-core machine.
bun test "$@"
