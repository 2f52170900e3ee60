/* tslint:disable */
/* eslint-disable */
// Generated from the Rust types by crates/wasm/src/types.rs (ts-rs). Do not edit by hand:
// PGCONNECT_BLESS=1 cargo test -p pgconnect-wasm types regenerates it.

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export type DatastorePayload = QualyticsDatastore | CraftAsset;

export type DatastoreChange = {
    /**
     * The display name.
     */
    name?: string,
    /**
     * Every team that sees the datastore from now on (at least one).
     */
    teams?: Array<string>,
    /**
     * The database; a change drops the stored catalog.
     */
    database?: string,
    /**
     * The schema; a change drops the stored catalog.
     */
    schema?: string,
    /**
     * The enrichment prefix; `null` removes it.
     */
    enrichment_prefix?: string | null,
    /**
     * `true` starts catalog discovery once the change is stored.
     */
    trigger_catalog?: boolean, };

    export type QualyticsDatastore = {
        /**
         * Datastore name.
         */
        name: string,
        /**
         * Teams that may see it, e.g. `["Public"]`.
         */
        teams: Array<string>,
        /**
         * Database name.
         */
        database: string,
        /**
         * Schema name.
         */
        schema: string,
        /**
         * An enrichment (read-write) datastore.
         */
        enrich_only?: boolean,
        /**
         * Alias of `enrich_only`.
         */
        enrichment_only?: boolean,
        /**
         * Discover the catalog after creation.
         */
        trigger_catalog?: boolean,
        /**
         * Alias of `trigger_catalog`.
         */
        trigger_sync?: boolean,
        /**
         * Prefix of the tables written into the enrichment datastore.
         */
        enrichment_prefix?: string,
        /**
         * A new connection…
         */
        connection?: QualyticsConnection,
        /**
         * …or a stored one.
         */
        connection_id?: ConnectionId, };

        export type QualyticsConnection = {
            /**
             * The connection's own name.
             */
            name?: string,
            /**
             * `"postgresql"` (any case).
             */
            type: string,
            /**
             * Host name or address.
             */
            host: string,
            /**
             * Port: a number, or a numeric string (or a `${key}`).
             */
            port: Port,
            /**
             * Role.
             */
            username: string,
            /**
             * Password (or a `${key}`).
             */
            password: string,
            /**
             * TLS mode.
             */
            ssl_mode?: SslMode,
            /**
             * PEM CA for verify-ca / verify-full.
             */
            ssl_root_cert?: string,
            /**
             * Where `${key}`s get their values.
             */
            secrets_management?: SecretsManagementSettings, };

            export type CraftAsset = {
                /**
                 * Asset name.
                 */
                name: string,
                /**
                 * Free text.
                 */
                description?: string,
                /**
                 * `"postgresql"` (any case).
                 */
                type: string,
                /**
                 * Where the database is.
                 */
                config: CraftConfig,
                /**
                 * How to log in.
                 */
                credentials: CraftCredentials,
                /**
                 * Where `${key}`s get their values.
                 */
                secrets_management?: SecretsManagementSettings, };

                export type CraftConfig = {
                    /**
                     * Host name or address.
                     */
                    host: string,
                    /**
                     * Port (default 5432).
                     */
                    port?: Port,
                    /**
                     * Database name.
                     */
                    database: string,
                    /**
                     * Schema (default `public`).
                     */
                    schema?: string,
                    /**
                     * TLS mode.
                     */
                    ssl_mode?: SslMode,
                    /**
                     * PEM CA for verify-ca / verify-full.
                     */
                    ssl_root_cert?: string, };

                    export type CraftCredentials = {
                        /**
                         * Role.
                         */
                        username: string,
                        /**
                         * Password (or a `${key}`).
                         */
                        password: string, };

                        export type Port = number | string;

                        export type SecretsManagementSettings = {
                            /**
                             * `POST` here to log in, e.g. `https://vault:8200/v1/auth/userpass/login/<user>`.
                             */
                            login_url: string,
                            /**
                             * The login body: JSON text, or an object.
                             */
                            credentials_payload: CredentialsPayload,
                            /**
                             * Where the token is in the login answer, e.g. `$.auth.client_token`.
                             */
                            token_jsonpath: string,
                            /**
                             * `GET` here for the secret, e.g. `https://vault:8200/v1/secret/data/<path>`.
                             */
                            secret_url: string,
                            /**
                             * The header carrying the token, e.g. `X-Vault-Token`.
                             */
                            token_header_name: string,
                            /**
                             * Where the secret is in the read answer: `$.data.data` (KV v2) or `$.data` (KV v1).
                             */
                            data_jsonpath: string,
                            /**
                             * `X-Vault-Namespace` header value.
                             */
                            namespace?: string,
                            /**
                             * PEM CA for the vault's TLS.
                             */
                            ca_cert?: string, };

                            export type CredentialsPayload = string | Record<string, unknown>;

                            export type ConnectionId = number | string;

                            export type SslMode = "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full";

                            export type DatastoreKind = "source" | "enrichment";

                            export type Report = {
                                /**
                                 * True when no diagnostic is an error.
                                 */
                                valid: boolean,
                                /**
                                 * Number of errors.
                                 */
                                errors: number,
                                /**
                                 * Number of warnings.
                                 */
                                warnings: number,
                                /**
                                 * Every finding, in input order.
                                 */
                                diagnostics: Array<Diagnostic>, };

                                export type Diagnostic = {
                                    /**
                                     * Stable identifier, `area/what`, e.g. `connection/port-out-of-range`. Tools match on it.
                                     */
                                    code: string,
                                    /**
                                     * How bad it is.
                                     */
                                    severity: Severity,
                                    /**
                                     * JSON Pointer (RFC 6901) into the input as submitted; `""` is the whole document.
                                     */
                                    path: string,
                                    /**
                                     * What is wrong, in one sentence.
                                     */
                                    message: string,
                                    /**
                                     * How to fix it.
                                     */
                                    help: string, };

                                    export type Severity = "error" | "warning" | "info";

                                    export type Resolution = {
                                        /**
                                         * The payload with every placeholder substituted.
                                         */
                                        payload: DatastorePayload | Record<string, unknown>,
                                        /**
                                         * Keys referenced and found.
                                         */
                                        keys_resolved: Array<string>,
                                        /**
                                         * Keys referenced but absent from the secret.
                                         */
                                        keys_missing: Array<string>,
                                        /**
                                         * True when the resolved payload is valid and nothing is missing.
                                         */
                                        valid: boolean,
                                        /**
                                         * Resolution problems and the resolved payload's report (secret values redacted).
                                         */
                                        diagnostics: Array<Diagnostic>, };

                                        export type UriResult = {
                                            /**
                                             * `postgresql://…`
                                             */
                                            uri?: string,
                                            /**
                                             * The payload's report (warnings), or what prevents a URI.
                                             */
                                            report: Report, };

                                            export type BuildUriOptions = {
                                                /**
                                                 * Include the password in the URI.
                                                 */
                                                show_password?: boolean, };

                                                export type ParsedConnectionString = {
                                                    /**
                                                     * The syntax recognised.
                                                     */
                                                    format?: Format,
                                                    /**
                                                     * Host.
                                                     */
                                                    host?: string,
                                                    /**
                                                     * Port.
                                                     */
                                                    port?: number,
                                                    /**
                                                     * Role.
                                                     */
                                                    username?: string,
                                                    /**
                                                     * Password, in clear.
                                                     */
                                                    password?: string,
                                                    /**
                                                     * Database.
                                                     */
                                                    database?: string,
                                                    /**
                                                     * Schema.
                                                     */
                                                    schema?: string,
                                                    /**
                                                     * TLS mode.
                                                     */
                                                    ssl_mode?: SslMode,
                                                    /**
                                                     * What was found.
                                                     */
                                                    diagnostics: Array<Diagnostic>, };

                                                    export type Format = "uri" | "keyword-value" | "jdbc";

                                                    export type GrantSqlOptions = {
                                                        /**
                                                         * Source (read-only) or enrichment (read-write).
                                                         */
                                                        kind: DatastoreKind,
                                                        /**
                                                         * The role the platform logs in as.
                                                         */
                                                        role: string,
                                                        /**
                                                         * The database it connects to.
                                                         */
                                                        database: string,
                                                        /**
                                                         * The schemas to grant on.
                                                         */
                                                        schemas: Array<string>,
                                                        /**
                                                         * The role that creates tables there (default privileges are set FOR ROLE it).
                                                         */
                                                        owner?: string,
                                                        /**
                                                         * Create the role (LOGIN) unless it exists.
                                                         */
                                                        create_role?: boolean,
                                                        /**
                                                         * The role's password; written as a SCRAM-SHA-256 verifier.
                                                         */
                                                        password?: string,
                                                        /**
                                                         * Base64 of 16 salt bytes for the verifier (default: `crypto.getRandomValues`).
                                                         */
                                                        salt?: string, };

                                                        export type HbaOptions = {
                                                            /**
                                                             * The role that connects.
                                                             */
                                                            role: string,
                                                            /**
                                                             * The database it connects to.
                                                             */
                                                            database: string,
                                                            /**
                                                             * The client network: `10.0.0.0/24`, `2001:db8::/48`, or one address (`/32` or `/128` is
                                                             * added).
                                                             */
                                                            cidr: string,
                                                            /**
                                                             * Authentication method; default `scram-sha-256`.
                                                             */
                                                            method?: string,
                                                            /**
                                                             * Require TLS (`hostssl`); set it when the connection's ssl_mode is require or stronger.
                                                             */
                                                            ssl?: boolean, };

                                                            export type GeneratedText = {
                                                                /**
                                                                 * The SQL script or pg_hba.conf line.
                                                                 */
                                                                text?: string,
                                                                /**
                                                                 * Warnings (when `text` is there) or errors (when it is not).
                                                                 */
                                                                report: Report, };

                                                                export type ErrorInput = {
                                                                    /**
                                                                     * Five-character SQLSTATE, for server errors.
                                                                     */
                                                                    sqlstate?: string,
                                                                    /**
                                                                     * The message (server's primary message, or the client library's text).
                                                                     */
                                                                    message: string,
                                                                    /**
                                                                     * The server's DETAIL, if any.
                                                                     */
                                                                    detail?: string,
                                                                    /**
                                                                     * The caller's classification of a client-side failure.
                                                                     */
                                                                    client?: ClientFailure,
                                                                    /**
                                                                     * What is known of the connection.
                                                                     */
                                                                    context?: ErrorContext, };

                                                                    export type ErrorContext = {
                                                                        /**
                                                                         * Role that connected.
                                                                         */
                                                                        username?: string,
                                                                        /**
                                                                         * Database.
                                                                         */
                                                                        database?: string,
                                                                        /**
                                                                         * Schema.
                                                                         */
                                                                        schema?: string,
                                                                        /**
                                                                         * Server host.
                                                                         */
                                                                        host?: string,
                                                                        /**
                                                                         * TLS mode used.
                                                                         */
                                                                        ssl_mode?: SslMode,
                                                                        /**
                                                                         * Source or enrichment (an enrichment role also needs CREATE).
                                                                         */
                                                                        kind?: DatastoreKind, };

                                                                        export type ClientFailure = "refused" | "dns" | "timeout" | "tls" | "closed" | "denied";

                                                                        export type Explanation = {
                                                                            /**
                                                                             * Stable identifier, e.g. `auth/password-failed`.
                                                                             */
                                                                            code: string,
                                                                            /**
                                                                             * One line for a heading.
                                                                             */
                                                                            title: string,
                                                                            /**
                                                                             * Why it happened.
                                                                             */
                                                                            cause: string,
                                                                            /**
                                                                             * What to do.
                                                                             */
                                                                            fix: string,
                                                                            /**
                                                                             * SQL that fixes it, to run as a superuser or the object's owner.
                                                                             */
                                                                            fix_sql?: string,
                                                                            /**
                                                                             * A pg_hba.conf line that fixes it.
                                                                             */
                                                                            fix_config?: string,
                                                                            /**
                                                                             * Form fields to highlight.
                                                                             */
                                                                            fields: Array<Field>, };

                                                                            export type Field = "host" | "port" | "username" | "password" | "database" | "schema" | "ssl_mode" | "login_url" | "credentials_payload" | "token_jsonpath" | "secret_url" | "token_header_name" | "data_jsonpath";

                                                                            export type HttpRequest = {
                                                                                /**
                                                                                 * `"GET"` or `"POST"`.
                                                                                 */
                                                                                method: Method,
                                                                                /**
                                                                                 * Absolute URL.
                                                                                 */
                                                                                url: string,
                                                                                /**
                                                                                 * Header name → value.
                                                                                 */
                                                                                headers: { [key in string]: string },
                                                                                /**
                                                                                 * JSON body.
                                                                                 */
                                                                                body?: string, };

                                                                                export type HttpResponse = {
                                                                                    /**
                                                                                     * HTTP status.
                                                                                     */
                                                                                    status: number,
                                                                                    /**
                                                                                     * Body text.
                                                                                     */
                                                                                    body: string,
                                                                                    /**
                                                                                     * The `Location` header, if any.
                                                                                     */
                                                                                    location?: string, };

                                                                                    export type Method = "GET" | "POST";

                                                                                    export type VaultRequestResult = { "outcome": "request",
                                                                                    /**
                                                                                     * The request.
                                                                                     */
                                                                                    request: HttpRequest, } | { "outcome": "invalid_settings",
                                                                                    /**
                                                                                     * What is wrong with them.
                                                                                     */
                                                                                    report: Report, } | { "outcome": "vault_error",
                                                                                    /**
                                                                                     * Explained.
                                                                                     */
                                                                                    error: VaultError, };

                                                                                    export type VaultSecretResult = { "outcome": "secret",
                                                                                    /**
                                                                                     * Key → value.
                                                                                     */
                                                                                    secret: { [key in string]: string }, } | { "outcome": "invalid_settings",
                                                                                    /**
                                                                                     * What is wrong with them.
                                                                                     */
                                                                                    report: Report, } | { "outcome": "vault_error",
                                                                                    /**
                                                                                     * Explained.
                                                                                     */
                                                                                    error: VaultError, };

                                                                                    export type VaultError = {
                                                                                        /**
                                                                                         * The step that failed.
                                                                                         */
                                                                                        stage: Stage,
                                                                                        /**
                                                                                         * HTTP status, when an answer came.
                                                                                         */
                                                                                        status?: number,
                                                                                        /**
                                                                                         * The vault's own error messages (`{"errors": [...]}`), cleaned up.
                                                                                         */
                                                                                        vault_errors?: Array<string>,
                                                                                        /**
                                                                                         * Keys that exist where a JSONPath found nothing (names only).
                                                                                         */
                                                                                        keys_found?: Array<string>,
                                                                                        /**
                                                                                         * Stable identifier, e.g. `auth/password-failed`.
                                                                                         */
                                                                                        code: string,
                                                                                        /**
                                                                                         * One line for a heading.
                                                                                         */
                                                                                        title: string,
                                                                                        /**
                                                                                         * Why it happened.
                                                                                         */
                                                                                        cause: string,
                                                                                        /**
                                                                                         * What to do.
                                                                                         */
                                                                                        fix: string,
                                                                                        /**
                                                                                         * SQL that fixes it, to run as a superuser or the object's owner.
                                                                                         */
                                                                                        fix_sql?: string,
                                                                                        /**
                                                                                         * A pg_hba.conf line that fixes it.
                                                                                         */
                                                                                        fix_config?: string,
                                                                                        /**
                                                                                         * Form fields to highlight.
                                                                                         */
                                                                                        fields: Array<Field>, };

                                                                                        export type Stage = "login" | "read";

                                                                                        export type JsonPathResult = { "outcome": "nodes",
                                                                                        /**
                                                                                         * The nodes, in document order.
                                                                                         */
                                                                                        nodes: Array<JsonValue>,
                                                                                        /**
                                                                                         * Their normalized paths (`$['a'][0]`).
                                                                                         */
                                                                                        paths: Array<string>, } | { "outcome": "invalid_path",
                                                                                        /**
                                                                                         * Where it breaks.
                                                                                         */
                                                                                        error: JsonPathError, };

                                                                                        export type JsonPathError = {
                                                                                            /**
                                                                                             * 1-based character position where the path stops making sense, when known.
                                                                                             */
                                                                                            position?: number,
                                                                                            /**
                                                                                             * What is wrong, in words.
                                                                                             */
                                                                                            message: string, };



                                                                                            /**
                                                                                             * Builds a libpq URI from a payload (password left out unless `show_password`).
                                                                                             */
                                                                                            export function buildConnectionUri(payload: DatastorePayload | Record<string, unknown>, options?: BuildUriOptions | null): UriResult;

                                                                                            /**
                                                                                             * Explains a connection error: cause, fix, fix SQL, fields to highlight.
                                                                                             */
                                                                                            export function explainError(error: ErrorInput): Explanation;

                                                                                            /**
                                                                                             * Evaluates a JSONPath (RFC 9535, jsonpath-rust) on a JSON document.
                                                                                             */
                                                                                            export function extractJsonPath(document: JsonValue, path: string): JsonPathResult;

                                                                                            /**
                                                                                             * The GRANT script for a source or enrichment role. A `password` is written as a SCRAM verifier
                                                                                             * (with `salt`, base64 of 16 bytes, or 16 random bytes from `crypto.getRandomValues`).
                                                                                             */
                                                                                            export function grantSql(options: GrantSqlOptions): GeneratedText;

                                                                                            /**
                                                                                             * A pg_hba.conf line for the role.
                                                                                             */
                                                                                            export function hbaLine(options: HbaOptions): GeneratedText;

                                                                                            /**
                                                                                             * Parses a libpq URI, a libpq keyword/value string or a JDBC URL into the payload's fields.
                                                                                             */
                                                                                            export function parseConnectionString(text: string): ParsedConnectionString;

                                                                                            /**
                                                                                             * Substitutes the payload's `${key}` placeholders from `secrets` and validates the result.
                                                                                             */
                                                                                            export function resolvePlaceholders(payload: DatastorePayload | Record<string, unknown>, secrets: Record<string, string | number | boolean>): Resolution;

                                                                                            /**
                                                                                             * The script that revokes what `grantSql` granted for the same options.
                                                                                             */
                                                                                            export function revokeSql(options: GrantSqlOptions): GeneratedText;

                                                                                            /**
                                                                                             * Validates a datastore payload (Qualytics- or CRAFT-style) and reports every problem.
                                                                                             */
                                                                                            export function validate(payload: DatastorePayload | Record<string, unknown>): Report;

                                                                                            /**
                                                                                             * Checks a change to a stored datastore of kind `kind` — the body of
                                                                                             * `PATCH /api/datastores/{id}` — as the server will: each field present as on a new datastore,
                                                                                             * and a field the change cannot carry (a connection's, the kind, a misspelt one) an error that
                                                                                             * says where it is changed instead.
                                                                                             */
                                                                                            export function validateDatastoreChange(change: DatastoreChange | Record<string, unknown>, kind: DatastoreKind): Report;

                                                                                            /**
                                                                                             * Step 1: the login request to send.
                                                                                             */
                                                                                            export function vaultLoginRequest(config: SecretsManagementSettings): VaultRequestResult;

                                                                                            /**
                                                                                             * Step 2: given the login answer, the request that reads the secret (or why the login failed).
                                                                                             */
                                                                                            export function vaultReadRequest(config: SecretsManagementSettings, loginResponse: HttpResponse): VaultRequestResult;

                                                                                            /**
                                                                                             * Step 3: given the read answer, the secret's key/value pairs (or why there are none).
                                                                                             */
                                                                                            export function vaultSecret(config: SecretsManagementSettings, readResponse: HttpResponse): VaultSecretResult;

                                                                                            /**
                                                                                             * The version of the package (and of pgconnect-core).
                                                                                             */
                                                                                            export function version(): string;

                                                                                            export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

                                                                                            export interface InitOutput {
                                                                                                readonly memory: WebAssembly.Memory;
                                                                                                readonly buildConnectionUri: (a: any, b: number) => [number, number, number];
                                                                                                readonly explainError: (a: any) => [number, number, number];
                                                                                                readonly extractJsonPath: (a: any, b: number, c: number) => [number, number, number];
                                                                                                readonly grantSql: (a: any) => [number, number, number];
                                                                                                readonly hbaLine: (a: any) => [number, number, number];
                                                                                                readonly parseConnectionString: (a: number, b: number) => [number, number, number];
                                                                                                readonly resolvePlaceholders: (a: any, b: any) => [number, number, number];
                                                                                                readonly revokeSql: (a: any) => [number, number, number];
                                                                                                readonly validate: (a: any) => [number, number, number];
                                                                                                readonly validateDatastoreChange: (a: any, b: any) => [number, number, number];
                                                                                                readonly vaultLoginRequest: (a: any) => [number, number, number];
                                                                                                readonly vaultReadRequest: (a: any, b: any) => [number, number, number];
                                                                                                readonly vaultSecret: (a: any, b: any) => [number, number, number];
                                                                                                readonly version: () => [number, number];
                                                                                                readonly __wbindgen_malloc: (a: number, b: number) => number;
                                                                                                readonly __wbindgen_realloc: (a: number, b: number, c: number, d: number) => number;
                                                                                                readonly __wbindgen_free: (a: number, b: number, c: number) => void;
                                                                                                readonly __wbindgen_exn_store: (a: number) => void;
                                                                                                readonly __externref_table_alloc: () => number;
                                                                                                readonly __wbindgen_externrefs: WebAssembly.Table;
                                                                                                readonly __externref_table_dealloc: (a: number) => void;
                                                                                                readonly __wbindgen_start: () => void;
                                                                                            }

                                                                                            export type SyncInitInput = BufferSource | WebAssembly.Module;

                                                                                            /**
                                                                                             * Instantiates the given `module`, which can either be bytes or
                                                                                             * a precompiled `WebAssembly.Module`.
                                                                                             *
                                                                                             * @param {{ module: SyncInitInput }} module - Passing `SyncInitInput` directly is deprecated.
                                                                                             *
                                                                                             * @returns {InitOutput}
                                                                                             */
                                                                                            export function initSync(module: { module: SyncInitInput } | SyncInitInput): InitOutput;

                                                                                            /**
                                                                                             * If `module_or_path` is {RequestInfo} or {URL}, makes a request and
                                                                                             * for everything else, calls `WebAssembly.instantiate` directly.
                                                                                             *
                                                                                             * @param {{ module_or_path: InitInput | Promise<InitInput> }} module_or_path - Passing `InitInput` directly is deprecated.
                                                                                             *
                                                                                             * @returns {Promise<InitOutput>}
                                                                                             */
                                                                                            export default function __wbg_init (module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<InitOutput>;
