#!/usr/bin/env bash
# Every test of pgconnect, on a fresh machine: installs what the tests need (Debian's PostgreSQL
# and Chromium, OpenBao from PyPI, the wasm32 target, wasm-bindgen-cli, wasm-pack and Trunk from crates.io,
# wasm-opt and the JS test tools from npm) and runs formatting and lint checks, the purity proof of
# the core, the Rust test suite (unit, snapshot, CLI, and live tests against throwaway PostgreSQL and
# OpenBao servers), schemathesis against the server's OpenAPI document, the npm package's tests in Node and headless Chromium, and its JS consumer tests.
# Idempotent. Long fuzzing and benchmarks have their own commands (scripts/fuzz.sh, scripts/bench.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

# A CI machine builds once: no incremental caches (they doubled the target directory's size).
if [ "${CI:-}" = true ]; then export CARGO_INCREMENTAL=0; fi

ensure_postgresql
ensure_openbao
ensure_wasm_tools
ensure_chromium
ensure_trunk

echo "==> format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy -p pgconnect-wasm --target wasm32-unknown-unknown --all-targets --locked -- -D warnings
cargo clippy -p pgconnect-web --target wasm32-unknown-unknown --all-targets --locked -- -D warnings

echo "==> the core is pure: it builds for wasm32 and depends on no I/O runtime"
cargo check -p pgconnect-core --target wasm32-unknown-unknown --locked
forbidden=$(cargo tree -p pgconnect-core -e normal --prefix none --locked \
  | grep -E '^(tokio|mio|wasm-bindgen|reqwest|getrandom|socket2)( |$)' || true)
if [ -n "$forbidden" ]; then
  echo "pgconnect-core depends on I/O or platform crates:"; echo "$forbidden"; exit 1
fi
if grep -rEn '\b(std::fs|std::net|std::env|std::process|std::time::(SystemTime|Instant)|tokio|reqwest|wasm_bindgen)\b' crates/core/src \
  | grep -vE ':[0-9]+:\s*//'; then
  echo "crates/core/src uses I/O: move it to an edge crate"; exit 1
fi

echo "==> the wizard: build it (Trunk) and the browser-test tools (playwright-core, axe-core)"
scripts/build-web.sh
npm ci --prefix tests/e2e --no-audit --no-fund >/dev/null

echo "==> tests (the wizard's browser tests included: crates/cli/tests/wizard.rs)"
cargo test --workspace --locked

echo "==> the server against its OpenAPI document (schemathesis, 60 s)"
scripts/schemathesis.sh

echo "==> the npm package: build, then its tests in Node and in headless Chromium"
scripts/build-pkg.sh
wasm-pack test --node crates/wasm
WASM_BINDGEN_USE_BROWSER=1 wasm-pack test --headless --chrome crates/wasm

echo "==> the npm package as a user imports it: parity with the CLI, API, TypeScript"
cargo build --locked -p pgconnect-cli
npm ci --prefix tests/js --no-audit --no-fund >/dev/null
npm test --prefix tests/js

echo "==> all tests passed"
