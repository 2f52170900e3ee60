// Finishes the wasm-pack output in pkg/: one package that works in bundlers and browsers (call the
// default export `init()` once) and in Node 20 ESM (initialised on import).
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";

const pkg = new URL("../pkg/", import.meta.url);
const manifest = JSON.parse(readFileSync(new URL("package.json", pkg), "utf8"));

writeFileSync(
  new URL("node.mjs", pkg),
  `// Node entry: loads and instantiates the WebAssembly module synchronously on import.
import { readFileSync } from "node:fs";
import { initSync } from "./pgconnect.js";
initSync({ module: readFileSync(new URL("./pgconnect_bg.wasm", import.meta.url)) });
export * from "./pgconnect.js";
/** Already initialised in Node: resolves at once (so browser-style code runs unchanged). */
export default async function init() {}
`,
);

const finished = {
  name: "pgconnect",
  version: manifest.version,
  description: manifest.description,
  license: manifest.license,
  repository: manifest.repository,
  type: "module",
  main: "./pgconnect.js",
  types: "./pgconnect.d.ts",
  exports: {
    ".": {
      types: "./pgconnect.d.ts",
      node: "./node.mjs",
      default: "./pgconnect.js",
    },
    "./pgconnect_bg.wasm": "./pgconnect_bg.wasm",
    "./package.json": "./package.json",
  },
  files: [
    "pgconnect_bg.wasm",
    "pgconnect.js",
    "pgconnect.d.ts",
    "pgconnect_bg.wasm.d.ts",
    "node.mjs",
    "README.md",
  ],
  sideEffects: ["./node.mjs"],
  engines: { node: ">=20" },
  keywords: ["postgresql", "datastore", "validation", "wasm", "jsonpath", "vault"],
};
writeFileSync(new URL("package.json", pkg), JSON.stringify(finished, null, 2) + "\n");
copyFileSync(new URL("../crates/wasm/README.md", import.meta.url), new URL("README.md", pkg));
