// The package as users meet it: import, call, get data; malformed arguments throw with a code;
// the published .d.ts matches the committed copy and types every export (no `any`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

import init, * as pg from "pgconnect";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

test("Node: initialised on import; the default init() resolves and is harmless", async () => {
  await init();
  assert.equal(pg.version(), JSON.parse(readFileSync(here("node_modules/pgconnect/package.json"))).version);
});

test("results are data; only malformed arguments throw, with a code", () => {
  const report = pg.validate({ name: "x", type: "postgresql", config: { host: "db", database: "a" },
    credentials: { username: "u", password: "p" } });
  assert.equal(report.valid, true);
  assert.equal(report.diagnostics[0].code, "connection/ssl-mode-default");
  assert.throws(() => pg.grantSql({ kind: "nonsense" }), (e) => e instanceof Error && e.code === "arguments/invalid");
  assert.throws(() => pg.explainError("not an object"), (e) => e.code === "arguments/invalid");
  assert.throws(() => pg.resolvePlaceholders({}, [1, 2]), (e) => e.code === "arguments/invalid");
  assert.throws(() => pg.grantSql({ kind: "source", role: "r", database: "d", schemas: ["s"], password: "p", salt: "c2hvcnQ=" }),
    (e) => e.code === "arguments/invalid" && /16 bytes/.test(e.message));
});

test("validateDatastoreChange: a change to a stored datastore, checked as the server will", () => {
  assert.deepEqual(pg.validateDatastoreChange({ schema: "sales", enrichment_prefix: null }, "source"),
    { valid: true, errors: 0, warnings: 0, diagnostics: [] });
  // a connection's field: refused, with where it is changed instead
  const host = pg.validateDatastoreChange({ host: "db2" }, "source").diagnostics[0];
  assert.deepEqual([host.code, host.path], ["datastore/unknown-field", "/host"]);
  assert.match(host.help, /PATCH \/api\/connections\/\{connection_id\}/);
  // the kind cannot change; a misspelt field is an error, never silently ignored
  assert.match(pg.validateDatastoreChange({ enrich_only: true }, "source").diagnostics[0].help, /kind cannot change/);
  assert.equal(pg.validateDatastoreChange({ shema: "x" }, "source").diagnostics[0].help, "did you mean `schema`?");
  // the kind decides what a prefix means
  assert.equal(pg.validateDatastoreChange({ enrichment_prefix: "qa_" }, "source").warnings, 0);
  assert.equal(pg.validateDatastoreChange({ enrichment_prefix: "qa_" }, "enrichment").diagnostics[0].code,
    "enrichment/prefix-on-enrichment");
  // not an object: a report, said plainly
  assert.match(pg.validateDatastoreChange(["schema"], "source").diagnostics[0].message,
    /^the value must be an object of the fields to change/);
  // the kind is required
  for (const kind of [undefined, null, 5]) {
    assert.throws(() => pg.validateDatastoreChange({}, kind),
      (e) => e.code === "arguments/invalid" && /kind is missing.*"source" or "enrichment"/.test(e.message), String(kind));
  }
  assert.throws(() => pg.validateDatastoreChange({}, "sideways"),
    (e) => e.code === "arguments/invalid" && /unknown variant `sideways`/.test(e.message));
});

test("a cyclic, BigInt or very deep argument throws arguments/invalid, and the package keeps working", () => {
  const cyclic = { name: "x" };
  cyclic.connection = cyclic;
  let deep = {};
  for (let i = 0; i < 100_000; i++) deep = { connection: deep };
  for (const bad of [cyclic, { name: "x", port: 10n }, deep]) {
    assert.throws(() => pg.validate(bad), (e) => e.code === "arguments/invalid" && /^payload /.test(e.message));
  }
  assert.equal(pg.validate({ name: "x", type: "postgresql", config: { host: "db", database: "a" },
    credentials: { username: "u", password: "p" } }).valid, true);
});

test("a grant password never appears in the SQL", () => {
  const { text } = pg.grantSql({ kind: "enrichment", role: "w", database: "d", schemas: ["s"], create_role: true,
    password: "Hunter2-very-secret" });
  assert.match(text, /PASSWORD 'SCRAM-SHA-256\$4096:/);
  assert.doesNotMatch(text, /Hunter2/);
});

test("the published .d.ts matches the committed copy (update: PGCONNECT_BLESS=1)", () => {
  const published = readFileSync(here("node_modules/pgconnect/pgconnect.d.ts"), "utf8");
  const copy = here("api/pgconnect.d.ts");
  if (process.env.PGCONNECT_BLESS === "1") writeFileSync(copy, published);
  assert.equal(published, readFileSync(copy, "utf8"),
    "the API changed: review pkg/pgconnect.d.ts and commit it as tests/js/api/pgconnect.d.ts (PGCONNECT_BLESS=1 npm test)");
  const exported = published.split("\n").filter((l) => /^\s*export function /.test(l));
  assert.ok(exported.length >= 14, exported.join("\n"));
  for (const line of exported) assert.doesNotMatch(line, /\bany\b/, line);
});

test("TypeScript: a consumer type-checks, and misuse does not", () => {
  const tsc = here("node_modules/typescript/bin/tsc");
  const ok = spawnSync(process.execPath, [tsc, "-p", here("types/tsconfig.json")], { encoding: "utf8" });
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  const bad = spawnSync(process.execPath, [tsc, "-p", here("types/tsconfig.misuse.json")], { encoding: "utf8" });
  assert.notEqual(bad.status, 0, "misuse type-checked: the types are too loose");
  // every line marked `// TSnnnn` fails with that code, and nothing else fails
  const want = readFileSync(here("types/misuse.ts"), "utf8").split("\n")
    .map((line, i) => [i + 1, /\/\/ (TS\d+)/.exec(line)?.[1]]).filter(([, code]) => code)
    .map(([line, code]) => `${line} ${code}`);
  const got = [...bad.stdout.matchAll(/misuse\.ts\((\d+),\d+\): error (TS\d+)/g)].map((m) => `${m[1]} ${m[2]}`);
  assert.ok(want.length >= 6, want.join("\n"));
  assert.deepEqual(got, want, bad.stdout);
});
