//! Beside the form: the Permissions panel (GRANT SQL, the pg_hba.conf line and the revoke script
//! for the role, written by the core) and the Request preview (the JSON to be sent with the
//! password masked, the equivalent `pgconnect` commands and the `curl` command).

use leptos::prelude::*;
use pgconnect_core::grants::{GrantOptions, grant_sql, revoke_sql};
use pgconnect_core::hba::{HbaOptions, hba_line};
use pgconnect_core::preview::{cli_commands, curl_command, masked};
use pgconnect_core::{DatastoreKind, Report};

use crate::fields::CopyButton;
use crate::state::{EnrichMode, Ui, Which};

fn first_message(r: &Report) -> String {
    r.diagnostics
        .iter()
        .find(|d| d.severity == pgconnect_core::Severity::Error)
        .map(|d| format!("{} — {}", crate::fields::capitalise(&d.message), d.help))
        .unwrap_or_default()
}

/// A generated text with its copy button, or why there is none.
#[component]
fn Generated(
    title: &'static str,
    id: &'static str,
    text: Memo<Result<String, String>>,
) -> impl IntoView {
    let copy = Signal::derive(move || text.get().unwrap_or_default());
    view! {
        <div class="generated">
            <h4 id=format!("{id}-h")>{title}</h4>
            {move || match text.get() {
                Ok(t) => view! {
                    <pre class="sql" id=id aria-labelledby=format!("{id}-h")><code>{t}</code></pre>
                    <CopyButton text=copy label="Copy"/>
                }
                .into_any(),
                Err(why) => view! { <p class="muted">{why}</p> }.into_any(),
            }}
        </div>
    }
}

/// The role's GRANT SQL, pg_hba.conf line and revoke script.
#[component]
pub fn Permissions(ui: Ui) -> impl IntoView {
    let kind = RwSignal::new(DatastoreKind::Source);
    let owner = RwSignal::new(String::new());
    let cidr = RwSignal::new(String::new());
    let extra_schemas = RwSignal::new(String::new());
    let options = Memo::new(move |_| {
        let (role, database, schema) = ui.form.with(|f| {
            let d = f.ds(match kind.get() {
                DatastoreKind::Enrichment if f.mode == EnrichMode::New => Which::Enrichment,
                _ => Which::Source,
            });
            (
                d.conn.username.trim().to_owned(),
                d.database.trim().to_owned(),
                d.schema.trim().to_owned(),
            )
        });
        let mut schemas = vec![schema];
        schemas.extend(
            extra_schemas
                .get()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        );
        schemas.dedup();
        GrantOptions {
            kind: kind.get(),
            role,
            database,
            schemas,
            owner: Some(owner.get().trim().to_owned()).filter(|o| !o.is_empty()),
            create_role: false,
            password: None,
        }
    });
    let grant = Memo::new(move |_| {
        options.with(|o| grant_sql(o).map(|g| g.text).map_err(|r| first_message(&r)))
    });
    let revoke = Memo::new(move |_| {
        options.with(|o| revoke_sql(o).map(|g| g.text).map_err(|r| first_message(&r)))
    });
    let hba = Memo::new(move |_| {
        let c = cidr.get();
        if c.trim().is_empty() {
            return Err(
                "Give the platform's address (CIDR) to write the pg_hba.conf line.".to_owned(),
            );
        }
        let ssl = ui.form.with(|f| {
            !matches!(
                f.source.conn.ssl_mode.as_str(),
                "" | "disable" | "allow" | "prefer"
            )
        });
        options.with(|o| {
            hba_line(&HbaOptions {
                role: o.role.clone(),
                database: o.database.clone(),
                cidr: c.trim().to_owned(),
                method: None,
                ssl,
            })
            .map(|g| g.text)
            .map_err(|r| first_message(&r))
        })
    });
    view! {
        <section class="card panel" aria-labelledby="perm-h">
            <h2 id="perm-h">"Permissions"</h2>
            <p class="muted">"Least-privilege SQL for the role in the form, to run as a superuser or the schema owner."</p>
            <div class="field">
                <label for="perm-kind">"Role for"</label>
                <select
                    id="perm-kind"
                    on:change=move |ev| {
                        kind.set(if event_target_value(&ev) == "enrichment" {
                            DatastoreKind::Enrichment
                        } else {
                            DatastoreKind::Source
                        })
                    }
                >
                    <option value="source">"a source datastore (read-only)"</option>
                    <option value="enrichment">"an enrichment datastore (writes results)"</option>
                </select>
            </div>
            <div class="field">
                <label for="perm-schemas">"More schemas (optional)"</label>
                <input id="perm-schemas" type="text" placeholder="sales, staging" prop:value=move || extra_schemas.get() on:input=move |ev| extra_schemas.set(event_target_value(&ev))/>
            </div>
            <div class="field">
                <label for="perm-owner">"Owner of the tables (optional)"</label>
                <p class="hint" id="perm-owner-hint">"Default privileges are set for tables this role creates later."</p>
                <input id="perm-owner" type="text" aria-describedby="perm-owner-hint" prop:value=move || owner.get() on:input=move |ev| owner.set(event_target_value(&ev))/>
            </div>
            <div class="field">
                <label for="perm-cidr">"Platform address (CIDR)"</label>
                <input id="perm-cidr" type="text" placeholder="10.20.0.0/16" prop:value=move || cidr.get() on:input=move |ev| cidr.set(event_target_value(&ev))/>
            </div>
            <Generated title="GRANT SQL" id="perm-grant" text=grant/>
            <Generated title="pg_hba.conf line" id="perm-hba" text=hba/>
            <Generated title="Revoke script" id="perm-revoke" text=revoke/>
        </section>
    }
}

/// The request the wizard will send.
#[component]
pub fn RequestPreview(ui: Ui) -> impl IntoView {
    let origin = window().location().origin().unwrap_or_default();
    let body = Memo::new(move |_| ui.form.with(|f| f.body(Which::Source)));
    let json = Memo::new(move |_| {
        Ok(serde_json::to_string_pretty(&masked(&body.get())).unwrap_or_default())
    });
    let server = origin.clone();
    let cli = Memo::new(move |_| Ok(cli_commands(&body.get(), &server)));
    let curl = Memo::new(move |_| Ok(curl_command(&origin, "/api/datastores", &body.get())));
    view! {
        <section class="card panel" aria-labelledby="preview-h">
            <h2 id="preview-h">"Request preview"</h2>
            <p class="muted">"What Finish sends for the datastore (the password is masked)."</p>
            <Generated title="POST /api/datastores" id="preview-json" text=json/>
            <Generated title="pgconnect CLI" id="preview-cli" text=cli/>
            <Generated title="curl" id="preview-curl" text=curl/>
        </section>
    }
}
