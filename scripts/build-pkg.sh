#!/usr/bin/env bash
# Builds pkg/, the npm package of pgconnect's core: wasm-pack with the cargo-installed
# wasm-bindgen (no downloads), the size-tuned `wasm` profile and wasm-opt -Oz, then finishes the
# package (npm name, ESM exports with a self-initialising Node entry, README). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_wasm_tools
wasm-pack build crates/wasm --profile wasm --target web --out-dir ../../pkg --out-name pgconnect
node scripts/finish-pkg.mjs
echo "pkg/ is ready: $(du -b pkg/pgconnect_bg.wasm | cut -f1) bytes of wasm"
