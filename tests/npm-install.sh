#!/usr/bin/env bash
# Installs the test-only npm packages (recorded webhook payloads) into tests/node_modules, and the
# console's generator (openapi-typescript) into console/node_modules.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -f node_modules/.ck8s-installed ] || [ package.json -nt node_modules/.ck8s-installed ]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules/.ck8s-installed
fi
cd ../console
if [ ! -f node_modules/.ck8s-installed ] || [ package.json -nt node_modules/.ck8s-installed ]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules/.ck8s-installed
fi
