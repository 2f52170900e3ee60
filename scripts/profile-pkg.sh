#!/usr/bin/env bash
# Where `validate` spends its time inside the npm package: builds the package's wasm with its
# function names kept (same `wasm` profile, no wasm-opt), runs `validate` over the example payloads
# for a few seconds under Node's sampling profiler (--cpu-prof), and prints the share of samples
# spent in each step: reading the argument (JSON.stringify, copy, serde_json), the core's checks,
# writing the report (serde-wasm-bindgen) and dropping the parsed value. The absolute figure is
# the benchmark's job (npm run bench --prefix tests/js); this says where it goes.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_wasm_tools
target="${CARGO_TARGET_DIR:-target}"
out="$target/profile-pkg"
rm -rf "$out" && mkdir -p "$out/cpu"
cargo build -q --locked --profile wasm --target wasm32-unknown-unknown -p pgconnect-wasm
wasm-bindgen --target experimental-nodejs-module --keep-debug --out-dir "$out" \
  "$target/wasm32-unknown-unknown/wasm/pgconnect_wasm.wasm"
cat > "$out/run.mjs" <<'JS'
import { readdirSync, readFileSync } from "node:fs";
import { validate } from "./pgconnect_wasm.js";
const dir = process.argv[2];
const payloads = readdirSync(dir).sort().map((f) => JSON.parse(readFileSync(`${dir}/${f}`, "utf8")));
const t0 = performance.now();
let n = 0;
while (performance.now() - t0 < Number(process.env.SECONDS_TO_RUN ?? 5) * 1000) {
  for (const p of payloads) { validate(p); n++; }
}
console.log(`${n} payloads, ${((performance.now() - t0) * 1000 / n).toFixed(1)} µs each (under the profiler; no wasm-opt)`);
JS
cat > "$out/shares.mjs" <<'JS'
import { readFileSync, readdirSync } from "node:fs";
const dir = process.argv[2];
const p = JSON.parse(readFileSync(`${dir}/${readdirSync(dir)[0]}`, "utf8"));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const hits = new Map();
for (const s of p.samples) hits.set(s, (hits.get(s) ?? 0) + 1);
const steps = [
  ["reading the argument (JSON.stringify, copy into wasm, serde_json)", /pgconnect_wasm::input_value/],
  ["the core's checks (pgconnect_core::validate)", /pgconnect_core::validate::validate/],
  ["writing the report (serde-wasm-bindgen)", /Report as serde_core::ser::Serialize/],
  ["dropping the parsed value", /drop_in_place<serde_json::value::Value>/],
];
const inside = (id, re) => { for (let i = id; i !== undefined; i = parent.get(i)) if (re.test(byId.get(i).callFrame.functionName)) return true; return false; };
const total = p.samples.length;
const under = steps.map(() => 0);
let inValidate = 0;
for (const [id, k] of hits) {
  if (inside(id, /^validate$/)) inValidate += k;
  steps.forEach(([, re], i) => { if (inside(id, re)) under[i] += k; });
}
const pct = (k) => `${(100 * k / inValidate).toFixed(1).padStart(5)} %`;
console.log(`share of the ${inValidate} samples inside validate() (of ${total}):`);
steps.forEach(([name], i) => console.log(`  ${pct(under[i])}  ${name}`));
console.log(`  ${pct(inValidate - under.reduce((a, b) => a + b, 0))}  the rest (glue, allocation outside these steps)`);
JS
node --cpu-prof --cpu-prof-dir="$out/cpu" "$out/run.mjs" "$PWD/crates/core/tests/data/valid"
node "$out/shares.mjs" "$out/cpu"
