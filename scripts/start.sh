#!/usr/bin/env bash
# The one command that starts all of Hearth on this machine (embedded defaults when nothing is set).
set -euo pipefail
cd "$(dirname "$0")/.."
# --cdn (the platform behind infra/cdn.sh) also needs nginx.
if [[ " $* " == *" --cdn "* ]]; then bash scripts/setup.sh --cdn; else bash scripts/setup.sh; fi
exec bun scripts/start.ts "$@"
