#!/usr/bin/env bash
# Builds the wizard (frontend/, Leptos) with Trunk into dist/, release-optimised for size
# (the `wasm` cargo profile: opt-level z, LTO, one codegen unit, panic=abort; then wasm-opt -Oz).
# `pgconnect serve` serves dist/ at /. Idempotent: installs Trunk and the wasm tools if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_trunk
cargo fetch --locked >/dev/null   # trunk runs cargo --offline
trunk build --release --locked "$@"
# Precompressed copies (brotli 11, gzip 9), which the server sends to browsers that accept them.
node -e '
const fs = require("fs"), path = require("path"), z = require("zlib");
for (const f of fs.readdirSync("dist")) {
  if (!/\.(wasm|js|css|html)$/.test(f)) continue;
  const p = path.join("dist", f), b = fs.readFileSync(p);
  fs.writeFileSync(p + ".br", z.brotliCompressSync(b, { params: { [z.constants.BROTLI_PARAM_QUALITY]: 11 } }));
  fs.writeFileSync(p + ".gz", z.gzipSync(b, { level: 9 }));
}'
echo "==> the wizard is in dist/ (pgconnect serve serves it at /)"
