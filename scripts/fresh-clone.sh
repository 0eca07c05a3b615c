#!/usr/bin/env bash
# The newcomer's path, checked: clone this repository's HEAD into a temporary directory and run exactly
# the README's two commands there (`npm install`, then `npm test`), with no dist/, no node_modules and
# whatever this machine lacks (Chromium, a running Redis or PostgreSQL) for `npm test` to set up itself.
# Takes as long as the suite (about 10 minutes on 2 cores). Usage: bash scripts/fresh-clone.sh
set -euo pipefail
source_dir="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git clone --quiet "$source_dir" "$work/jwtguard"
cd "$work/jwtguard"
# Only what the README names: a fresh checkout needs nothing else.
start=$(date +%s)
npm install --no-audit --no-fund
npm test
echo "fresh-clone: npm install && npm test passed in $(( $(date +%s) - start )) s"
