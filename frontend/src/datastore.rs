//! Steps 1–3 for one datastore (the source, or a new enrichment datastore): name, new or stored
//! connection, connector, connection details (paste a connection string, TLS with a CA upload,
//! Secrets Management), database, schema, teams, initiate sync, and its Test Connection.

use leptos::prelude::*;
use serde_json::Value;

use crate::api::text;
use wasm_bindgen::JsCast;

use crate::fields::{Check, Lens, SelectField, TeamsField, TextArea, TextField};
use crate::model::verifies;
use crate::state::{Ui, Which, field_id};
use crate::test::TestPanel;

const SSL_MODES: &[(&str, &str)] = &[
    ("", "Default (prefer: encrypt if offered, no verification)"),
    ("disable", "disable — no encryption"),
    ("allow", "allow"),
    ("prefer", "prefer"),
    ("require", "require — encrypt, do not verify"),
    ("verify-ca", "verify-ca — encrypt, verify the CA"),
    (
        "verify-full",
        "verify-full — encrypt, verify CA and host name",
    ),
];

macro_rules! lens {
    ($which:expr, $($field:ident).+) => {
        Lens {
            which: $which,
            get: |d| &d.$($field).+,
            set: |d| &mut d.$($field).+,
        }
    };
}

/// The datastore's fields.
#[component]
pub fn DatastoreFields(ui: Ui, which: Which) -> impl IntoView {
    let existing = Memo::new(move |_| ui.form.with(|f| f.ds(which).existing));
    let scope = which.scope();
    let title = match which {
        Which::Source => "Add Datastore",
        Which::Enrichment => "New enrichment datastore",
        Which::Stored => "Change the connection",
        Which::Details => "Edit details",
    };
    view! {
        <section class="card" aria-labelledby=format!("{scope}-h1")>
            <h2 id=format!("{scope}-h1")>{title}</h2>
            <TextField
                ui=ui
                lens=lens!(which, name)
                label="Name"
                path="/name"
                required=true
                placeholder="e.g. sales"
            />
            <fieldset class="field segmented">
                <legend>"Connection"</legend>
                <div class="choices">
                    <label>
                        <input
                            type="radio"
                            name=format!("{scope}-conn-choice")
                            prop:checked=move || !existing.get()
                            on:change=move |_| ui.form.update(|f| f.ds_mut(which).existing = false)
                        />
                        "New connection"
                    </label>
                    <label>
                        <input
                            type="radio"
                            name=format!("{scope}-conn-choice")
                            id=format!("{scope}-use-existing")
                            prop:checked=move || existing.get()
                            on:change=move |_| ui.form.update(|f| f.ds_mut(which).existing = true)
                        />
                        "Use an existing connection"
                    </label>
                </div>
            </fieldset>
            <div class="field">
                <label for=format!("{scope}-connector")>"Connector"</label>
                <select id=format!("{scope}-connector")>
                    <option value="postgresql" selected>"PostgreSQL"</option>
                </select>
            </div>
            <Show when=move || existing.get() fallback=move || view! { <NewConnection ui=ui which=which/> }>
                <StoredConnection ui=ui which=which/>
            </Show>
            <h3>"Where the data is"</h3>
            <div class="row">
                <TextField
                    ui=ui
                    lens=lens!(which, database)
                    label="Database"
                    path="/database"
                    required=true
                />
                <TextField
                    ui=ui
                    lens=lens!(which, schema)
                    label="Schema"
                    path="/schema"
                    required=true
                />
            </div>
            <TeamsField ui=ui which=which/>
            <Check
                id=format!("{scope}-trigger-catalog")
                label="Initiate sync"
                hint="Discover the schema's tables, columns and keys right after saving."
                checked=Signal::derive(move || ui.form.with(|f| f.ds(which).trigger_catalog))
                on_change=Callback::new(move |on| ui.form.update(|f| f.ds_mut(which).trigger_catalog = on))
            />
            <TestPanel ui=ui which=which/>
        </section>
    }
}

/// A stored secret that the connection form leaves as it is while its field stays empty.
#[derive(Debug, Clone, Copy, Default)]
pub struct Kept {
    /// The password.
    pub password: bool,
    /// The vault's credentials payload.
    pub credentials: bool,
}

/// A connection's details: a new one's (with the paste box), or a stored one's being changed
/// (`kept` says which secrets are stored: their fields start empty and empty keeps them).
#[component]
pub fn NewConnection(ui: Ui, which: Which, #[prop(optional)] kept: Option<Kept>) -> impl IntoView {
    let scope = which.scope();
    let vault = Memo::new(move |_| ui.form.with(|f| f.ds(which).conn.vault));
    let verifying = Memo::new(move |_| ui.form.with(|f| verifies(&f.ds(which).conn.ssl_mode)));
    let keep = kept.unwrap_or_default();
    view! {
        {kept.is_none().then(|| view! { <PasteBox ui=ui which=which/> })}
        <h3>"Connection details"</h3>
        <TextField
            ui=ui
            lens=lens!(which, connection_name)
            label="Connection name (optional)"
            path="/connection/name"
            hint="How the stored connection is listed; without one it takes the datastore's name."
        />
        <div class="row">
            <TextField
                ui=ui
                lens=lens!(which, conn.host)
                label="Host"
                path="/connection/host"
                required=true
                placeholder="db.example.com"
            />
            <TextField
                ui=ui
                lens=lens!(which, conn.port)
                label="Port"
                path="/connection/port"
                required=true
                kind="text"
            />
        </div>
        <div class="row">
            <TextField
                ui=ui
                lens=lens!(which, conn.username)
                label="User"
                path="/connection/username"
                required=true
                autocomplete="username"
            />
            <TextField
                ui=ui
                lens=lens!(which, conn.password)
                label="Password"
                path="/connection/password"
                kind="password"
                required=!keep.password
                hint=keep.password.then_some(
                    "Stored, never shown: leave it empty to keep it. Type it again when the host, \
                     port or TLS settings change."
                )
                autocomplete="new-password"
            />
        </div>
        <SelectField
            ui=ui
            lens=lens!(which, conn.ssl_mode)
            label="SSL mode"
            path="/connection/ssl_mode"
            options=SSL_MODES
        />
        <Show when=move || verifying.get()>
            <CaUpload ui=ui which=which/>
        </Show>
        <Check
            id=format!("{scope}-vault")
            label="Secrets Management"
            hint="Read credentials from a HashiCorp-Vault-style secret."
            checked=Signal::derive(move || vault.get())
            on_change=Callback::new(move |on| ui.form.update(|f| f.ds_mut(which).conn.vault = on))
        />
        <Show when=move || vault.get()>
            <div class="vault">
                <p class="hint" id=format!("{scope}-vault-keys")>
                    "Any field above can say " <code>"${key}"</code>
                    " (e.g. password " <code>"${db_password}"</code>
                    "): the value is read from the secret when the connection is used, never stored."
                </p>
                <TextField ui=ui lens=lens!(which, conn.login_url) label="Login URL" path="/connection/secrets_management/login_url" required=true placeholder="https://vault.example.com/v1/auth/userpass/login/qualytics"/>
                <TextArea ui=ui lens=lens!(which, conn.credentials_payload) label="Credentials payload" path="/connection/secrets_management/credentials_payload" placeholder="{\"password\": \"…\"}"
                    hint=if keep.credentials {
                        "The JSON body of the login request. Stored, never shown: leave it empty to keep it; type it again when the vault or the database moves."
                    } else {
                        "The JSON body of the login request."
                    }/>
                <TextField ui=ui lens=lens!(which, conn.token_jsonpath) label="Token JSONPath" path="/connection/secrets_management/token_jsonpath" required=true/>
                <TextField ui=ui lens=lens!(which, conn.secret_url) label="Secret URL" path="/connection/secrets_management/secret_url" required=true placeholder="https://vault.example.com/v1/secret/data/db"/>
                <TextField ui=ui lens=lens!(which, conn.token_header_name) label="Token header name" path="/connection/secrets_management/token_header_name" required=true/>
                <TextField ui=ui lens=lens!(which, conn.data_jsonpath) label="Data JSONPath" path="/connection/secrets_management/data_jsonpath" required=true hint="$.data.data for KV version 2, $.data for version 1."/>
            </div>
        </Show>
    }
}

/// The CA certificate upload (verify-ca / verify-full).
#[component]
fn CaUpload(ui: Ui, which: Which) -> impl IntoView {
    let id = field_id(which, "/connection/ssl_root_cert");
    let status = RwSignal::new(String::new());
    let file_name = Memo::new(move |_| ui.form.with(|f| f.ds(which).conn.ca_file_name.clone()));
    view! {
        <div class="field">
            <label for=id.clone()>"CA certificate (PEM)"</label>
            <p class="hint" id=format!("{id}-hint")>
                "The certificate of the authority that signed the server's certificate."
            </p>
            <input
                id=id.clone()
                type="file"
                accept=".pem,.crt,.cer,application/x-pem-file"
                aria-describedby=format!("{id}-hint {id}-status")
                on:change=move |ev| {
                    let Some(input) = ev
                        .target()
                        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                    else {
                        return;
                    };
                    let Some(file) = input.files().and_then(|l| l.get(0)) else { return };
                    let name = file.name();
                    let promise = file.text();
                    leptos::task::spawn_local(async move {
                        match wasm_bindgen_futures::JsFuture::from(promise).await {
                            Ok(text) => {
                                let text = text.as_string().unwrap_or_default();
                                if text.contains("-----BEGIN CERTIFICATE-----") {
                                    status.set(String::new());
                                } else {
                                    status.set(format!("{name} is not a PEM certificate (no BEGIN CERTIFICATE line)."));
                                }
                                ui.form.update(|f| {
                                    let c = &mut f.ds_mut(which).conn;
                                    c.ssl_root_cert = text;
                                    c.ca_file_name = name;
                                });
                            }
                            Err(_) => status.set(format!("{name} could not be read.")),
                        }
                    });
                }
            />
            <p class="status" id=format!("{id}-status") role="status">
                {move || {
                    let s = status.get();
                    if !s.is_empty() {
                        s
                    } else if file_name.get().is_empty() {
                        String::new()
                    } else {
                        format!("Loaded {}.", file_name.get())
                    }
                }}
            </p>
        </div>
    }
}

/// "Paste a connection string": a URI, a keyword/value string or a JDBC URL fills the fields.
#[component]
fn PasteBox(ui: Ui, which: Which) -> impl IntoView {
    let id = format!("{}-paste", which.scope());
    let text = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let apply = move || {
        let t = text.get_untracked();
        if t.trim().is_empty() {
            status.set("Paste a connection string first.".to_owned());
            return;
        }
        let mut outcome = None;
        ui.form.update(|f| {
            let d = f.ds_mut(which);
            let mut conn = d.conn.clone();
            match conn.paste(&t) {
                Ok(p) => {
                    d.conn = conn;
                    if let Some(db) = p.database.clone() {
                        d.database = db;
                    }
                    if let Some(s) = p.schema.clone() {
                        d.schema = s;
                    }
                    outcome = Some(Ok(p));
                }
                Err(r) => outcome = Some(Err(r)),
            }
        });
        match outcome {
            Some(Ok(p)) => {
                let mut filled: Vec<&str> = p.filled.clone();
                if p.database.is_some() {
                    filled.push("database");
                }
                if p.schema.is_some() {
                    filled.push("schema");
                }
                status.set(format!("Filled in: {}.", filled.join(", ")));
                text.set(String::new());
            }
            Some(Err(r)) => status.set(
                r.diagnostics
                    .first()
                    .map(|d| format!("{} — {}", crate::fields::capitalise(&d.message), d.help))
                    .unwrap_or_else(|| "That is not a connection string.".to_owned()),
            ),
            None => {}
        }
    };
    view! {
        <details class="paste">
            <summary>"Paste a connection string"</summary>
            <div class="field">
                <label for=id.clone()>"Connection string"</label>
                <p class="hint" id=format!("{id}-hint")>
                    "postgresql://user:password@host:5432/db?sslmode=require, "
                    "host=… port=… dbname=… user=…, or jdbc:postgresql://host/db. "
                    "The password goes into the password field; nothing is sent anywhere."
                </p>
                <div class="inline">
                    <input
                        id=id.clone()
                        type="text"
                        spellcheck="false"
                        autocomplete="off"
                        aria-describedby=format!("{id}-hint {id}-status")
                        prop:value=move || text.get()
                        on:input=move |ev| text.set(event_target_value(&ev))
                        on:keydown=move |ev| {
                            if ev.key() == "Enter" {
                                ev.prevent_default();
                                apply();
                            }
                        }
                    />
                    <button type="button" class="secondary" on:click=move |_| apply()>
                        "Fill in"
                    </button>
                </div>
                <p class="status" id=format!("{id}-status") role="status">
                    {move || status.get()}
                </p>
            </div>
        </details>
    }
}

/// A stored connection: choose one; its details are shown, not editable.
#[component]
fn StoredConnection(ui: Ui, which: Which) -> impl IntoView {
    let id = field_id(which, "/connection_id");
    let chosen = Memo::new(move |_| ui.form.with(|f| f.ds(which).connection_id));
    let (invalid, messages, msg_id) = crate::fields::feedback_for(ui, which, "/connection_id");
    let summary = move || {
        let id = chosen.get()?;
        let c = ui.connections.with(|cs| {
            cs.iter()
                .find(|c| c.get("id").and_then(Value::as_i64) == Some(id))
                .cloned()
        })?;
        Some(view! {
            <dl class="summary">
                <dt>"Host"</dt><dd>{format!("{}:{}", text(&c, "host"), text(&c, "port"))}</dd>
                <dt>"User"</dt><dd>{text(&c, "username")}</dd>
                <dt>"SSL mode"</dt><dd>{let m = text(&c, "ssl_mode"); if m.is_empty() { "default (prefer)".to_owned() } else { m }}</dd>
                <dt>"Password"</dt><dd>{if c.get("password_set") == Some(&Value::Bool(true)) { "set" } else { "not set" }}</dd>
                <dt>"Secrets Management"</dt><dd>{if c.get("secrets_management").is_some_and(|v| !v.is_null()) { "on" } else { "off" }}</dd>
            </dl>
        })
    };
    view! {
        <div class="field" class:invalid=move || invalid.get()>
            <label for=id.clone()>"Stored connection"</label>
            <select
                id=id.clone()
                aria-invalid=move || if invalid.get() { "true" } else { "false" }
                aria-describedby=msg_id
                on:change=move |ev| {
                    let v = event_target_value(&ev).parse::<i64>().ok();
                    ui.form.update(|f| f.ds_mut(which).connection_id = v);
                }
            >
                <option value="" selected=move || chosen.get().is_none()>"Choose a connection…"</option>
                {move || {
                    ui.connections
                        .get()
                        .into_iter()
                        .map(|c| {
                            let cid = c.get("id").and_then(Value::as_i64).unwrap_or_default();
                            let label = format!(
                                "{} — {}@{}:{}",
                                text(&c, "name"),
                                text(&c, "username"),
                                text(&c, "host"),
                                text(&c, "port")
                            );
                            view! {
                                <option value=cid.to_string() selected=move || chosen.get() == Some(cid)>
                                    {label}
                                </option>
                            }
                        })
                        .collect_view()
                }}
            </select>
            {messages}
            {summary}
            <Show when=move || ui.connections.with(Vec::is_empty)>
                <p class="hint">"No connection is stored yet: add a new one."</p>
            </Show>
        </div>
    }
}
