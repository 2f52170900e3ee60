// A TypeScript consumer of the package: every call and every field it reads must type-check.
import init, {
  validate, validateDatastoreChange, resolvePlaceholders, vaultLoginRequest, vaultReadRequest, vaultSecret, extractJsonPath,
  grantSql, revokeSql, hbaLine, parseConnectionString, buildConnectionUri, explainError,
  type Report, type Diagnostic, type DatastorePayload, type QualyticsDatastore, type Explanation,
  type SecretsManagementSettings, type DatastoreChange, type ParsedConnectionString, type GeneratedText,
} from "pgconnect";

await init();

const payload: QualyticsDatastore = {
  name: "orders", teams: ["Public"], database: "analytics", schema: "public",
  connection: { type: "postgresql", host: "db.example.com", port: "5432", username: "reader",
    password: "${db_password}", ssl_mode: "verify-full" },
};
const asUnion: DatastorePayload = payload;
const report: Report = validate(asUnion);
const first: Diagnostic | undefined = report.diagnostics[0];
const where: string = first?.path ?? "";
const severity: "error" | "warning" | "info" | undefined = first?.severity;
const valid: boolean = report.valid && report.errors === 0;

const change: DatastoreChange = { schema: "sales", enrichment_prefix: null, trigger_catalog: true };
const changeReport: Report = validateDatastoreChange(change, "enrichment");

const resolution = resolvePlaceholders(payload, { db_password: "pw", port: 5432, ok: true });
const missing: string[] = resolution.keys_missing;

const settings: SecretsManagementSettings = {
  login_url: "https://vault:8200/v1/auth/userpass/login/app", credentials_payload: { password: "x" },
  token_jsonpath: "$.auth.client_token", secret_url: "https://vault:8200/v1/secret/data/db",
  token_header_name: "X-Vault-Token", data_jsonpath: "$.data.data",
};
const login = vaultLoginRequest(settings);
if (login.outcome === "request") {
  const method: "GET" | "POST" = login.request.method;
  const headers: Record<string, string> = login.request.headers;
  void method; void headers;
}
const read = vaultReadRequest(settings, { status: 200, body: "{}" });
if (read.outcome === "vault_error") {
  const status: number | undefined = read.error.status;
  const code: string = read.error.code;
  void status; void code;
}
const secret = vaultSecret(settings, { status: 200, body: "{}" });
if (secret.outcome === "secret") {
  const value: string | undefined = secret.secret["password"];
  void value;
}
const nodes = extractJsonPath({ a: [1, 2] }, "$.a[*]");
if (nodes.outcome === "nodes") void nodes.paths.length;

const grants: GeneratedText = grantSql({ kind: "source", role: "r", database: "d", schemas: ["s"], owner: "app" });
const sql: string | undefined = grants.text;
const revoke = revokeSql({ kind: "enrichment", role: "w", database: "d", schemas: ["s"] });
const hba = hbaLine({ role: "r", database: "d", cidr: "10.0.0.0/8", ssl: true });
const parsed: ParsedConnectionString = parseConnectionString("postgresql://u@h/db");
const port: number | undefined = parsed.port;
const uri: string | undefined = buildConnectionUri(payload).uri;
const uri2 = buildConnectionUri(payload, { show_password: true });
const why: Explanation = explainError({ sqlstate: "28P01", message: "password authentication failed for user \"u\"",
  context: { username: "u" } });
const fields: string[] = why.fields;

export const used = [changeReport, where, severity, valid, missing, sql, revoke, hba, port, uri, uri2, fields];
