#!/usr/bin/env bash
# Build pgconnect and run it on the example payloads. (The server with the wizard comes with the
# live-test and wizard issues; until then this shows the CLI.)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p pgconnect-cli
pg=target/release/pgconnect
run() { echo; echo "\$ pgconnect $*"; "$pg" "$@" || true; }
run validate examples/datastore.json
run validate examples/asset-with-mistakes.json
run uri parse 'postgresql://qualytics_read@db.example.com:5432/analytics?sslmode=verify-full'
run grants --kind source --role qualytics_read --database analytics --schema public --create-role
run explain --sqlstate 28000 --message 'no pg_hba.conf entry for host "203.0.113.7", user "qualytics_read", database "analytics", no encryption'
echo
echo "pgconnect is at $pg — try: $pg --help"
