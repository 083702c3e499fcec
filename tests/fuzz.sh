#!/usr/bin/env bash
# Runs each cargo-fuzz target for a bounded number of inputs (CK8S_FUZZ_RUNS each, default 500000)
# from a fixed seed (CK8S_FUZZ_SEED, default 1), so a CI run is repeatable: the same commit fuzzes
# the same inputs. For exploration set CK8S_FUZZ_SEED=0 (libFuzzer picks one) and a larger
# CK8S_FUZZ_RUNS; CK8S_FUZZ_SECONDS (default 300) caps the time either way. Runs on the stable
# toolchain (`--sanitizer none`: libFuzzer's coverage-guided search, no address sanitizer, which
# needs nightly). Starts from the committed corpus (fuzz/corpus/<target>, read-only here) and writes
# what it finds to the git-ignored .cache/fuzz-corpus; a crash fails the run and leaves its input in
# fuzz/artifacts/. Installs cargo-fuzz into .cache/cargo-fuzz on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${CK8S_FUZZ_RUNS:-500000}"
seed="${CK8S_FUZZ_SEED:-1}"
seconds="${CK8S_FUZZ_SECONDS:-300}"
version=0.13.2
export PATH="$PWD/.cache/cargo-fuzz/bin:$PATH"
if [ "$(cargo-fuzz --version 2>/dev/null || true)" != "cargo-fuzz $version" ]; then
  cargo install --locked cargo-fuzz --version "$version" --root .cache/cargo-fuzz
fi
echo "== [fuzz ${SECONDS}s] build (release, coverage-instrumented)"
cargo fuzz build --sanitizer none
for target in $(cargo fuzz list); do
  found=".cache/fuzz-corpus/$target"
  mkdir -p "$found"
  echo "== [fuzz ${SECONDS}s] $target: $runs inputs from seed $seed (at most ${seconds}s)"
  cargo fuzz run --sanitizer none "$target" "$found" "fuzz/corpus/$target" -- \
    -runs="$runs" -seed="$seed" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
done
echo "== [fuzz ${SECONDS}s] done"
