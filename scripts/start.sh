#!/usr/bin/env bash
# The one command that starts all of Hearth on this machine (embedded defaults when nothing is set).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec bun scripts/start.ts "$@"
