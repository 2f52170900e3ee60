// Speed budget: validating the example payloads through the npm package (pgconnect, WebAssembly)
// side by side in one run with ajv validating the same payloads against an equivalent JSON Schema
// (required fields, types, port range, host pattern, ssl_mode enum). Prints both rates and the
// ratio. Run: npm run bench (in tests/js), after scripts/build-pkg.sh.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Ajv from "ajv";
import { validate } from "pgconnect";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const dir = join(root, "crates/core/tests/data/valid");
const payloads = readdirSync(dir).sort().map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")));

const name = { type: "string", minLength: 1, maxLength: 63 };
const port = { anyOf: [{ type: "integer", minimum: 1, maximum: 65535 }, { type: "string", pattern: "^([0-9]{1,5}|\\$\\{[A-Za-z0-9_./-]+\\})$" }] };
const host = { type: "string", pattern: "^(\\[[0-9A-Fa-f:.]+\\]|[0-9A-Fa-f:.]+|[A-Za-z0-9_$\\{\\}/.-]{1,253})$" };
const sslMode = { enum: ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] };
const secrets = {
  type: "object",
  required: ["login_url", "credentials_payload", "token_jsonpath", "secret_url", "token_header_name", "data_jsonpath"],
  properties: {
    login_url: { type: "string", pattern: "^https?://" }, secret_url: { type: "string", pattern: "^https?://" },
    credentials_payload: { anyOf: [{ type: "string" }, { type: "object" }] },
    token_jsonpath: { type: "string", pattern: "^\\$" }, data_jsonpath: { type: "string", pattern: "^\\$" },
    token_header_name: { type: "string", pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" },
    namespace: { type: "string" }, ca_cert: { type: "string" },
  },
};
const schema = {
  anyOf: [
    {
      type: "object",
      required: ["name", "teams", "database", "schema"],
      properties: {
        name: { type: "string", minLength: 1 }, teams: { type: "array", minItems: 1, items: { type: "string", minLength: 1 } },
        database: name, schema: name, enrich_only: { type: "boolean" }, enrichment_only: { type: "boolean" },
        trigger_catalog: { type: "boolean" }, trigger_sync: { type: "boolean" },
        enrichment_prefix: { type: "string", pattern: "^[a-z_][a-z0-9_]{0,48}$" },
        connection_id: { anyOf: [{ type: "integer", minimum: 1 }, { type: "string", minLength: 1 }] },
        connection: {
          type: "object",
          required: ["type", "host", "port", "username", "password"],
          properties: {
            name: { type: "string" }, type: { type: "string", pattern: "^[Pp][Oo][Ss][Tt][Gg][Rr][Ee][Ss][Qq][Ll]$" },
            host, port, username: name, password: { type: "string", minLength: 1 }, ssl_mode: sslMode,
            ssl_root_cert: { type: "string" }, secrets_management: secrets,
          },
        },
      },
    },
    {
      type: "object",
      required: ["name", "type", "config", "credentials"],
      properties: {
        name: { type: "string", minLength: 1 }, description: { type: "string" },
        type: { type: "string", pattern: "^[Pp][Oo][Ss][Tt][Gg][Rr][Ee][Ss][Qq][Ll]$" },
        config: { type: "object", required: ["host", "database"],
          properties: { host, port, database: name, schema: name, ssl_mode: sslMode, ssl_root_cert: { type: "string" } } },
        credentials: { type: "object", required: ["username", "password"],
          properties: { username: name, password: { type: "string", minLength: 1 } } },
        secrets_management: secrets,
      },
    },
  ],
};

const ajv = new Ajv({ allErrors: true, strict: false });
const ajvValidate = ajv.compile(schema);
for (const p of payloads) {
  if (!ajvValidate(p)) throw new Error(`the schema rejects a valid payload: ${JSON.stringify(ajvValidate.errors)}`);
  if (!validate(p).valid) throw new Error("pgconnect rejects a valid payload");
}

function rate(fn, ms = 1000, items = payloads) {
  let n = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    for (const x of items) fn(x);
    n += items.length;
  }
  return (n * 1000) / ms;
}

// Floors: what any WebAssembly design of this API pays before and after the core runs, timed in
// plain JavaScript so that no binding choice is in them.
// - in: copying every string value of the payload into a byte array, char by char (the cheapest
//   way to hand the bytes to a module, ASCII only; the package itself uses JSON.stringify);
// - out: building the report the API returns (the CLI's JSON) from its text with JSON.parse.
const stringify = (p) => JSON.stringify(p);
const bytes = new Uint8Array(1 << 16);
function copyIn(v, at = 0) {
  if (typeof v === "string") {
    for (let i = 0; i < v.length; i++) bytes[at++] = v.charCodeAt(i);
    return at;
  }
  if (v !== null && typeof v === "object") for (const k in v) at = copyIn(v[k], at);
  return at + 8;
}
const reports = payloads.map((p) => JSON.stringify(validate(p)));
const steps = {
  validate: [validate], ajv: [ajvValidate], stringify: [stringify], copyIn: [copyIn],
  out: [(text) => JSON.parse(text), reports],
};
for (const [fn, items] of Object.values(steps)) rate(fn, 300, items); // warm up
const rounds = Number(process.env.ROUNDS ?? 5);
const runs = Object.fromEntries(Object.keys(steps).map((k) => [k, []]));
for (let i = 0; i < rounds; i++) {
  for (const [k, [fn, items]] of Object.entries(steps)) runs[k].push(rate(fn, 1000, items));
}
const median = (a) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)];
const r = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, median(v)]));
const us = (rate) => `${(1e6 / rate).toFixed(2)} µs`;
const line = (what, rate) => console.log(`${what.padEnd(58)} ${Math.round(rate).toLocaleString("en").padStart(10)} payloads/s (${us(rate)} each)`);
console.log(`payloads: ${payloads.length} (crates/core/tests/data/valid), ${rounds} rounds of 1 s each, median`);
line("pgconnect (wasm) validate", r.validate);
line("ajv 8 JSON Schema", r.ajv);
console.log(`ratio pgconnect/ajv: ${(r.validate / r.ajv).toFixed(2)}`);
console.log("floors, in plain JavaScript (any WebAssembly design pays them):");
line("  in: JSON.stringify (the package's first step)", r.stringify);
line("  in: string values copied char by char (the least)", r.copyIn);
line("  out: the report built from its JSON text (JSON.parse)", r.out);
const least = 1 / (1 / r.copyIn + 1 / r.out);
line("  in + out, the least, with the core itself free", least);
console.log(`ratio (in + out)/ajv: ${(least / r.ajv).toFixed(2)}`);
