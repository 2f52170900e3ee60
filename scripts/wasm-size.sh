#!/usr/bin/env bash
# Size budget of the npm package: pkg/pgconnect_bg.wasm raw, gzip -9 and brotli (quality 11), and a
# breakdown of what the bytes are — code by crate (twiggy over a build that keeps function names),
# read-only data by crate (a wasm-ld link map) and the largest functions. Builds pkg/ first if needed.
# `scripts/wasm-size.sh web`: the same breakdown for the wizard's wasm (pgconnect-web; its sizes
# as served come from scripts/budget-web.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
command -v twiggy >/dev/null || cargo install --locked twiggy --version 0.8.0
if [ "${1:-}" = web ]; then
  package=pgconnect-web; artifact=pgconnect-web.wasm; local_crate=pgconnect_web
else
  package=pgconnect-wasm; artifact=pgconnect_wasm.wasm; local_crate=pgconnect_wasm
  [ -f pkg/pgconnect_bg.wasm ] || scripts/build-pkg.sh >/dev/null
  node -e '
const fs = require("fs"), z = require("zlib");
for (const f of ["pkg/pgconnect_bg.wasm", "pkg/pgconnect.js"]) {
  const b = fs.readFileSync(f);
  const br = z.brotliCompressSync(b, { params: { [z.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  console.log(`${f.padEnd(24)} raw ${String(b.length).padStart(9)}  gzip-9 ${String(z.gzipSync(b, { level: 9 }).length).padStart(8)}  brotli ${String(br).padStart(8)}`);
}'
fi
# The same code with names and a link map (before wasm-bindgen and wasm-opt, so larger in total).
map=$(mktemp)
RUSTFLAGS="-C link-arg=-Map=$map" cargo build -q --profile wasm --target wasm32-unknown-unknown -p "$package"
twiggy top -n 1000000 --format json "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/wasm/$artifact" > "$map.twiggy"
python3 - "$map" "$map.twiggy" "$local_crate" <<'PY'
import collections, json, re, sys
map_file, twiggy_file, local_crate = sys.argv[1], sys.argv[2], sys.argv[3]
code = collections.Counter()
functions = []
for item in json.load(open(twiggy_file)):
    name, size = item["name"], item["shallow_size"]
    # export/import entries are wasm-bindgen's descriptors and bindings, gone after wasm-bindgen
    if name.startswith(("data segment", "custom section", '"', "export ", "import ")) or "subsection" in name:
        continue
    functions.append((size, name))
    # `<T as some_crate::Trait>::f`: a generic impl counts for the trait's crate
    m = re.match(r"<[A-Z][A-Za-z0-9_]?(?:<.*?>)? as (?:dyn\s+)?([A-Za-z_][A-Za-z0-9_]*)", name) \
        or re.match(r"[<&\s]*(?:mut\s+|dyn\s+)?([A-Za-z_][A-Za-z0-9_]*)", name)
    code[m.group(1) if m else "?"] += size
data = collections.Counter()
in_rodata = False
for line in open(map_file):
    parts = line.split()
    if len(parts) == 4 and parts[3] == ".rodata":
        in_rodata = True
        continue
    if in_rodata and len(parts) == 4 and parts[3] in (".data", ".bss"):
        break
    m = re.match(r"\s*[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s+(\S.*)$", line)
    if in_rodata and m and ":(" in m.group(2):  # input sections only (symbol lines repeat them)
        crate = re.search(r"/deps/(?:lib)?([a-z0-9_]+?)-[0-9a-f]+\.", m.group(2))
        data[crate.group(1) if crate else (local_crate if local_crate in m.group(2) else "std")] += int(m.group(1), 16)
print("\nwhere the bytes are (unoptimized build with names; code by crate + read-only data by crate):")
total = collections.Counter(code) + collections.Counter(data)
for crate, size in total.most_common(16):
    print(f"  {crate:24s} {size:>9}   code {code[crate]:>8}  data {data[crate]:>8}")
print("\nthe largest functions (same build; a generic function counts once per instance):")
for size, name in sorted(functions, reverse=True)[:12]:
    # drop the symbol hash; shorten long generic names to their head
    name = re.sub(r"::h[0-9a-f]{16}$", "", name)
    print(f"  {size:>9}  {name if len(name) <= 110 else name[:107] + '...'}")
PY
rm -f "$map" "$map.twiggy"
