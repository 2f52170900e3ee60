#!/usr/bin/env bash
# Test Connection against the floor (bare tokio-postgres connect + SELECT 1) on loopback, and the
# privilege audit on 5,000 tables. Starts its own PostgreSQL (Debian's packages, see lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_postgresql
cargo bench -p pgconnect-live --bench live_check --locked
