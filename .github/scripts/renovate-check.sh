#!/usr/bin/env bash
# Renovate's own checks of renovate.json, with the Renovate release CI pins (review.yml, job renovate):
# the validator (strict, as repository config), then an offline extraction of this checkout
# (`--platform=local --dry-run=extract`: reads the files, proposes nothing, needs no token), whose report
# check_renovate_extract.py compares with what each manager must find.
# Usage: RENOVATE=path/to/node_modules/.bin .github/scripts/renovate-check.sh   (Node 24: Renovate 44 needs it)
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${RENOVATE:?set RENOVATE to the directory holding renovate and renovate-config-validator}"
report="$(mktemp -d)/renovate-extract.json"

"$bin/renovate-config-validator" --strict --no-global renovate.json
LOG_LEVEL="${LOG_LEVEL:-warn}" "$bin/renovate" --platform=local --dry-run=extract \
    --report-type=file --report-path="$report"
python3 .github/scripts/check_renovate_extract.py "$report"
