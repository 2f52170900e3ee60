#!/usr/bin/env bash
# Build pgconnect and run the server: Test Connection over HTTP and (once built) the wizard at /.
# Prints the URL to open. Extra arguments go to `pgconnect serve` (e.g. --addr 0.0.0.0:8080).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p pgconnect-cli
exec "${CARGO_TARGET_DIR:-target}/release/pgconnect" serve "$@"
