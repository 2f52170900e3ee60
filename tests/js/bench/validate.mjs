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

function rate(fn, ms = 1000) {
  let n = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    for (const p of payloads) fn(p);
    n += payloads.length;
  }
  return (n * 1000) / ms;
}

// The floor of any design that hands the payload to the module: the package's first step,
// JSON.stringify, timed alone.
const stringify = (p) => JSON.stringify(p);
rate(validate, 300);
rate(ajvValidate, 300); // warm up all three
rate(stringify, 300);
const rounds = Number(process.env.ROUNDS ?? 5);
const ours = [], theirs = [], floor = [];
for (let i = 0; i < rounds; i++) {
  ours.push(rate(validate));
  theirs.push(rate(ajvValidate));
  floor.push(rate(stringify));
}
const median = (a) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)];
const p = median(ours), a = median(theirs), f = median(floor);
console.log(`payloads: ${payloads.length} (crates/core/tests/data/valid), ${rounds} rounds of 1 s each, median`);
console.log(`pgconnect (wasm) validate: ${Math.round(p).toLocaleString("en")} payloads/s (${(1e6 / p).toFixed(2)} µs each)`);
console.log(`ajv 8 JSON Schema:         ${Math.round(a).toLocaleString("en")} payloads/s (${(1e6 / a).toFixed(2)} µs each)`);
console.log(`ratio pgconnect/ajv: ${(p / a).toFixed(2)}`);
console.log(`JSON.stringify alone (the package's first step): ${Math.round(f).toLocaleString("en")} payloads/s (${(1e6 / f).toFixed(2)} µs each)`);
