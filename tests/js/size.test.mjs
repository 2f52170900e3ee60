// The package's size budget (issue 4): its WebAssembly stays under 300 KB brotli, measured as
// scripts/wasm-size.sh measures it (quality 11). A size is a property of the build, not a timing,
// so CI holds it; scripts/wasm-size.sh says what the bytes are when this fails.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants } from "node:zlib";

const BUDGET = 300_000;

test(`pgconnect_bg.wasm is under ${BUDGET.toLocaleString("en")} B brotli`, () => {
  const wasm = readFileSync(fileURLToPath(new URL("node_modules/pgconnect/pgconnect_bg.wasm", import.meta.url)));
  const brotli = brotliCompressSync(wasm, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  console.log(`pgconnect_bg.wasm: ${wasm.length} B raw, ${brotli} B brotli (budget ${BUDGET})`);
  assert.ok(brotli < BUDGET, `${brotli} B brotli is over the budget of ${BUDGET} B: run scripts/wasm-size.sh`);
  // a wasm that is not the real build (empty, truncated) must not pass as small
  assert.ok(wasm.length > 500_000, `${wasm.length} B raw: not the package's build`);
});
