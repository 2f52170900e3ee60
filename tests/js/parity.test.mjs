// Parity: the npm package and the `pgconnect` CLI give the same JSON for the same input —
// validation reports over the core's payload corpus plus edge cases, grant SQL, pg_hba lines,
// connection strings (libpq's own URI cases among them) and error explanations.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import {
  validate, validateDatastoreChange, grantSql, revokeSql, hbaLine, parseConnectionString, explainError,
} from "pgconnect";

const root = fileURLToPath(new URL("../../", import.meta.url));
const cli = process.env.PGCONNECT_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(root, "target"), "debug/pgconnect");
const testdata = process.env.PGCONNECT_TESTDATA ?? join(root, "../shared/testdata");

function run(args, input) {
  const r = spawnSync(cli, args, { input, encoding: "utf8" });
  if (r.error) throw new Error(`cannot run ${cli} (build it with cargo build -p pgconnect-cli): ${r.error.message}`);
  return r;
}

function corpus() {
  const files = [];
  for (const dir of ["crates/core/tests/data/valid", "crates/core/tests/data/invalid", "examples"]) {
    for (const f of readdirSync(join(root, dir)).sort()) {
      if (f.endsWith(".json")) files.push(join(root, dir, f));
    }
  }
  return files;
}

const edgeCases = [
  [], "text", null, 5, true, {}, { connection: null }, { config: {}, credentials: {} },
  { name: "x", teams: ["Public"], database: "d", schema: "s", connection_id: 7, extra: { deep: [1, { x: null }] } },
  { name: "ü".repeat(300), type: "postgresql", config: { host: "[::1]", port: "65535", database: "a".repeat(64) },
    credentials: { username: "𝒰", password: "" } },
  { name: "n", teams: [], database: "", schema: "\u0000", connection: { type: "PostgreSQL", host: "h", port: -1,
    username: "root", password: "p", ssl_mode: "verify_full", hots: 1, sslmode: "x" } },
];

test("validate: package and CLI agree on every corpus payload and edge case", () => {
  const dir = mkdtempSync(join(tmpdir(), "pgconnect-parity-"));
  const inputs = [
    ...corpus().map((f) => [f, JSON.parse(readFileSync(f, "utf8"))]),
    ...edgeCases.map((payload, i) => {
      const f = join(dir, `edge-${i}.json`);
      writeFileSync(f, JSON.stringify(payload));
      return [f, payload];
    }),
  ];
  assert.ok(inputs.length > 45, `corpus too small: ${inputs.length}`);
  for (const [file, payload] of inputs) {
    const r = run(["validate", file, "--format", "json"]);
    assert.equal(r.status, JSON.parse(r.stdout).valid ? 0 : 1, file);
    assert.deepEqual(validate(payload), JSON.parse(r.stdout), file);
  }
});

const grantCases = [
  { kind: "source", role: "qualytics_read", database: "analytics", schemas: ["public"] },
  { kind: "enrichment", role: "Data Writer", database: "my db", schemas: ["results", "Sales"], owner: "app", create_role: true },
  { kind: "source", role: "user", database: "select", schemas: ["left"], owner: "it's" },
  { kind: "source", role: "pg_x", database: "", schemas: ["pg_catalog"] },
  { kind: "source", role: "public", database: "d", schemas: ["s"], owner: "public" },
];

function grantArgs(o, revoke) {
  const args = ["grants", "--kind", o.kind, "--role", o.role, "--database", o.database];
  for (const s of o.schemas) args.push("--schema", s);
  if (o.owner) args.push("--owner", o.owner);
  if (o.create_role) args.push("--create-role");
  if (revoke) args.push("--revoke");
  return args;
}

const codes = (text) => [...text.matchAll(/^(?:error|warning|info)\[([^\]]+)\]/gm)].map((m) => m[1]);

/** What the CLI prints for a generated text: the text, ending in one newline. */
const printed = (text) => (text.endsWith("\n") ? text : text + "\n");

test("validateDatastoreChange: package and `pgconnect datastores update --dry-run` agree", () => {
  const cases = [
    [["--schema", "sales"], { schema: "sales" }],
    [["--name", "", "--teams", ""], { name: "", teams: [""] }],
    [["--database", "d".repeat(70), "--schema", "Sales Data"], { database: "d".repeat(70), schema: "Sales Data" }],
    [["--enrichment-prefix", "9 x", "--trigger-catalog"], { enrichment_prefix: "9 x", trigger_catalog: true }],
    [["--no-enrichment-prefix", "--teams", "Finance,Public"], { enrichment_prefix: null, teams: ["Finance", "Public"] }],
  ];
  let findings = 0;
  for (const [flags, change] of cases) {
    const r = run(["datastores", "update", "--id", "1", ...flags, "--dry-run", "--format", "json"]);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.request.body, change, flags.join(" "));
    assert.deepEqual(validateDatastoreChange(change, "source"), out.report, flags.join(" "));
    assert.equal(r.status, out.report.valid ? 0 : 1, flags.join(" "));
    findings += out.report.diagnostics.length;
  }
  assert.ok(findings >= 4, `the cases find too little to compare: ${findings}`);
});

test("grantSql and revokeSql: package and CLI write the same SQL and refuse the same options", () => {
  for (const o of grantCases) {
    for (const revoke of [false, true]) {
      const r = run(grantArgs(o, revoke));
      const ours = revoke ? revokeSql(o) : grantSql(o);
      const label = `${revoke ? "revoke" : "grant"} ${JSON.stringify(o)}`;
      if (r.status === 0) {
        assert.equal(printed(ours.text), r.stdout, label);
      } else {
        assert.equal(r.status, 1, label);
        assert.equal(ours.text, undefined, label);
      }
      assert.deepEqual(ours.report.diagnostics.map((d) => d.code), codes(r.stderr), label);
    }
  }
});

const hbaCases = [
  { role: "reader", database: "analytics", cidr: "192.0.2.0/24", ssl: true },
  { role: "My Role", database: "all", cidr: "2001:db8::1" },
  { role: "r", database: "d", cidr: "10.1.2.3/24", method: "md5" },
  { role: "r", database: "d", cidr: "10.0.0.0/8", method: "trust" },
  { role: "r", database: "d", cidr: "nonsense" },
];

test("hbaLine: package and CLI agree", () => {
  for (const o of hbaCases) {
    const args = ["hba", "--role", o.role, "--database", o.database, "--cidr", o.cidr];
    if (o.method) args.push("--method", o.method);
    if (o.ssl) args.push("--ssl");
    const r = run(args);
    const ours = hbaLine(o);
    if (r.status === 0) {
      assert.equal(printed(ours.text), r.stdout, JSON.stringify(o));
      assert.deepEqual(ours.report.diagnostics.map((d) => d.code), codes(r.stderr));
    } else {
      assert.equal(ours.text, undefined);
      assert.deepEqual(ours.report.diagnostics.map((d) => d.code), codes(r.stderr), JSON.stringify(o));
    }
  }
});

test("parseConnectionString: package and CLI agree, libpq's own URI cases included", (t) => {
  const strings = [
    "postgresql://reader:p%40ss@db.example.com:5433/analytics?sslmode=verify-full&options=-c%20search_path%3Dsales",
    "host=db port=5432 dbname='my db' user=u password='a b' sslmode=require connect_timeout=5",
    "jdbc:postgresql://db.example.com:5432/analytics?user=reader&password=x&ssl=true&currentSchema=sales",
    "jdbc:postgresql:mydb", "jdbc:mysql://h/db", "postgresql://h1,h2/db", "host=/var/run dbname=x",
    "postgresql://u:pw@[::1", "host=h password='unterminated", "  postgresql://h/db\n",
  ];
  const uriTests = join(testdata, "postgres/libpq-uri/uri_tests.pg18.json");
  if (existsSync(uriTests)) {
    for (const c of JSON.parse(readFileSync(uriTests, "utf8")).tests) strings.push(c.input);
  } else if (process.env.CI === "true") {
    assert.fail(`test data missing at ${uriTests}`);
  } else {
    t.diagnostic(`SKIPPED libpq cases: ${uriTests} not found`);
  }
  for (const s of strings) {
    const r = run(["uri", "parse", s, "--format", "json"]);
    const cliJson = JSON.parse(r.stdout);
    assert.deepEqual(parseConnectionString(s), cliJson, s);
    assert.equal(r.status, cliJson.diagnostics.some((d) => d.severity === "error") ? 1 : 0, s);
  }
  assert.ok(strings.length >= 10);
});

const explainCases = [
  { sqlstate: "28P01", message: 'password authentication failed for user "reader"' },
  { sqlstate: "28000", message: 'no pg_hba.conf entry for host "203.0.113.7", user "Ann Lee", database "analytics", no encryption' },
  { sqlstate: "28000", message: 'pg_hba.conf rejects connection for host "10.0.0.1", user "u", database "d", SSL encryption' },
  { sqlstate: "28000", message: 'role "ghost" does not exist' },
  { sqlstate: "3D000", message: 'database "nope" does not exist' },
  { sqlstate: "42501", message: 'permission denied for database "d"', detail: "User does not have CONNECT privilege.", user: "u" },
  { sqlstate: "42501", message: "permission denied for schema Sales Data", user: "user" },
  { sqlstate: "42501", message: "permission denied for table orders", user: "r", schema: "s" },
  { sqlstate: "53300", message: "sorry, too many clients already" },
  { sqlstate: "57P03", message: "the database system is starting up" },
  { message: "fe_sendauth: no password supplied" },
  { message: 'connection to server at "db" (10.0.0.5), port 5432 failed: Connection refused' },
  { message: 'could not translate host name "db.nowhere" to address: Name or service not known' },
  { message: 'server certificate for "a.example" does not match host name "b.example"' },
  { sqlstate: "99999", message: "something else entirely" },
];

test("explainError: package and CLI give the same explanation", () => {
  for (const c of explainCases) {
    const args = ["explain", "--message", c.message, "--format", "json"];
    if (c.sqlstate) args.push("--sqlstate", c.sqlstate);
    if (c.detail) args.push("--detail", c.detail);
    if (c.user) args.push("--user", c.user);
    if (c.schema) args.push("--schema", c.schema);
    const r = run(args);
    assert.equal(r.status, 0);
    const input = { sqlstate: c.sqlstate, message: c.message, detail: c.detail,
                    context: { username: c.user, schema: c.schema } };
    assert.deepEqual(explainError(input), JSON.parse(r.stdout), c.message);
  }
});
