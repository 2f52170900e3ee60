#!/usr/bin/env bash
# Build pgconnect and its wizard, and run the server: the wizard at /, the API under /api.
# Prints the URL to open (and, on first start, a one-time login link). Installs what it needs
# (Trunk and the wasm tools, from crates.io and npm) the first time. Extra arguments go to
# `pgconnect serve` (e.g. --addr 0.0.0.0:8080).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-web.sh
cargo build --release --locked -p pgconnect-cli
exec "${CARGO_TARGET_DIR:-target}/release/pgconnect" serve "$@"
