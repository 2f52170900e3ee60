#!/usr/bin/env bash
# Fuzz the core: any bytes in, a report or an error out, never a panic.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Runs each target (default: all) for SECONDS (default 600) with libFuzzer via cargo-fuzz on the
# nightly toolchain, seeded from the project's test payloads and fuzz/seeds, and prints the number
# of executions of each. A crash stops with the reproducer under fuzz/artifacts/<target>/; turn it
# into a regression test in crates/core before fixing it.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-600}"; shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(validate connstr_uri connstr_keyword_value connstr_jdbc uri_round_trip generators placeholders vault_response merge_connection)
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz --version 0.13.2
rustup toolchain list | grep -q nightly || rustup toolchain install nightly --profile minimal
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  case "$t" in
    validate) seeds=(crates/core/tests/data/valid crates/core/tests/data/invalid); dict=(-dict=fuzz/validate.dict) ;;
    placeholders) seeds=(fuzz/seeds/placeholders); dict=() ;;
    vault_response) seeds=(fuzz/seeds/vault); dict=() ;;
    uri_round_trip) seeds=(fuzz/seeds/uri); dict=() ;;
    generators) seeds=(fuzz/seeds/generators); dict=() ;;
    merge_connection) seeds=(fuzz/seeds/merge); dict=(-dict=fuzz/validate.dict) ;;
    *) seeds=(fuzz/seeds/connstr); dict=() ;;
  esac
  log="fuzz/$t.log"
  # -rss_limit_mb: the targets allocate little; a blow-up is a finding.
  cargo +nightly fuzz run "$t" "fuzz/corpus/$t" "${seeds[@]}" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" 2>&1 | tee "$log" | tail -n 3
  runs=$(grep -Eo 'Done [0-9]+ runs' "$log" | tail -1 | grep -Eo '[0-9]+' || echo "?")
  echo "fuzz $t: $runs executions in ${secs}s, no crash"
done
