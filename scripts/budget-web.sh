#!/usr/bin/env bash
# The wizard's first-load budget (issue 7): builds the wizard (dist/) and a release `pgconnect`,
# then tests/e2e/budget.mjs measures a cold load in headless Chromium against a real
# `pgconnect serve` — bytes by kind (brotli and raw) and navigation → interactive form — and
# scripts/wasm-size.sh web says which crates the wasm's bytes are. Not part of CI (a benchmark).
# RUNS=N sets the number of loads (default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_chromium
ensure_trunk
scripts/build-web.sh >/dev/null
cargo build -q --release --locked -p pgconnect-cli
npm ci --prefix tests/e2e --no-audit --no-fund >/dev/null
PGCONNECT_BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/pgconnect" npm run --silent --prefix tests/e2e budget
echo
scripts/wasm-size.sh web | sed -n '/where the bytes are/,$p'
