#!/usr/bin/env bash
# Criterion benchmarks of the core; prints each benchmark's median.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p pgconnect-core --bench core --locked -- "$@" >/dev/null
python3 - <<'PY'
import json, glob, os
rows = []
for f in sorted(glob.glob('target/criterion/**/new/estimates.json', recursive=True)):
    name = os.path.relpath(os.path.dirname(os.path.dirname(f)), 'target/criterion')
    med = json.load(open(f))['median']['point_estimate']
    rows.append((name, med))
for name, ns in rows:
    unit = f"{ns/1000:.2f} µs" if ns >= 1000 else f"{ns:.0f} ns"
    print(f"{name:60s} {unit:>12s}")
PY
