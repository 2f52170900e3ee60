//! The saved datastore's page: its connection (credentials shown only as set), the linked
//! enrichment datastore, and the catalog once discovered (polled while discovery runs).

use leptos::prelude::*;
use pgconnect_core::catalog::Catalog;
use serde_json::Value;

use crate::api::{self, text};

/// Polls the catalog while it runs (every second, two minutes at most).
fn poll_catalog(id: i64, state: RwSignal<Option<Value>>, tries: u32) {
    leptos::task::spawn_local(async move {
        let v: Result<Value, _> = api::get(&format!("/api/datastores/{id}/catalog")).await;
        let running = v
            .as_ref()
            .ok()
            .and_then(|v| v.get("status"))
            .and_then(Value::as_str)
            == Some("running");
        if let Ok(v) = v {
            state.set(Some(v));
        }
        if running && tries < 120 {
            set_timeout(
                move || poll_catalog(id, state, tries + 1),
                std::time::Duration::from_secs(1),
            );
        }
    });
}

/// The page.
#[component]
pub fn DatastorePage(id: i64, on_again: Callback<()>) -> impl IntoView {
    let datastore = RwSignal::new(None::<Result<Value, String>>);
    let catalog = RwSignal::new(None::<Value>);
    leptos::task::spawn_local(async move {
        let v: Result<Value, _> = api::get(&format!("/api/datastores/{id}")).await;
        let has_catalog = v
            .as_ref()
            .ok()
            .is_some_and(|v| v.get("catalog").is_some_and(|c| !c.is_null()));
        datastore.set(Some(v.map_err(|f| f.words())));
        if has_catalog {
            poll_catalog(id, catalog, 0);
        }
    });
    request_animation_frame(|| crate::app::focus_heading("page-title"));
    view! {
        <section class="card" aria-labelledby="page-title">
            {move || match datastore.get() {
                None => view! { <h2 id="page-title" tabindex="-1">"Loading…"</h2> }.into_any(),
                Some(Err(words)) => view! {
                    <h2 id="page-title" tabindex="-1">"The datastore could not be loaded"</h2>
                    <p class="banner error">{words}</p>
                }
                .into_any(),
                Some(Ok(d)) => summary(&d).into_any(),
            }}
            <h3>"Catalog"</h3>
            <div id="catalog" role="status" aria-live="polite">
                {move || catalog_view(catalog.get())}
            </div>
            <div class="nav">
                <button type="button" class="secondary" on:click=move |_| on_again.run(())>
                    "Add another datastore"
                </button>
            </div>
        </section>
    }
}

fn summary(d: &Value) -> impl IntoView + use<> {
    let c = d.get("connection").cloned().unwrap_or(Value::Null);
    let teams = d
        .get("teams")
        .and_then(Value::as_array)
        .map(|t| {
            t.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let set = |v: Option<&Value>| {
        if v == Some(&Value::Bool(true)) {
            "set"
        } else {
            "not set"
        }
    };
    let ssl = text(&c, "ssl_mode");
    let enrichment = d
        .get("enrichment_datastore")
        .filter(|e| !e.is_null())
        .cloned();
    let vault = c
        .get("secrets_management")
        .filter(|v| !v.is_null())
        .cloned();
    view! {
        <h2 id="page-title" tabindex="-1">{text(d, "name")}</h2>
        <p class="muted">
            {if d.get("enrich_only") == Some(&Value::Bool(true)) { "Enrichment datastore" } else { "Source datastore" }}
            {format!(" · id {} · teams {teams}", text(d, "id"))}
        </p>
        <h3>"Connection"</h3>
        <dl class="summary" id="page-connection">
            <dt>"Name"</dt><dd>{text(&c, "name")}</dd>
            <dt>"Host"</dt><dd>{format!("{}:{}", text(&c, "host"), text(&c, "port"))}</dd>
            <dt>"User"</dt><dd>{text(&c, "username")}</dd>
            <dt>"Password"</dt><dd>{set(c.get("password_set"))}</dd>
            <dt>"SSL mode"</dt><dd>{if ssl.is_empty() { "default (prefer)".to_owned() } else { ssl }}</dd>
            <dt>"Database"</dt><dd>{text(d, "database")}</dd>
            <dt>"Schema"</dt><dd>{text(d, "schema")}</dd>
            {vault.map(|v| view! {
                <dt>"Secrets Management"</dt>
                <dd>{format!("{} (credentials {})", text(&v, "secret_url"), set(v.get("credentials_payload_set")))}</dd>
            })}
        </dl>
        <h3>"Enrichment"</h3>
        {match enrichment {
            Some(e) => view! {
                <dl class="summary" id="page-enrichment">
                    <dt>"Datastore"</dt><dd>{text(&e, "name")}</dd>
                    <dt>"Host"</dt><dd>{text(&e, "host")}</dd>
                    <dt>"Database"</dt><dd>{text(&e, "database")}</dd>
                    <dt>"Schema"</dt><dd>{text(&e, "schema")}</dd>
                    <dt>"Prefix"</dt><dd>{text(d, "enrichment_prefix")}</dd>
                </dl>
            }
            .into_any(),
            None => view! { <p class="muted" id="page-enrichment">"No enrichment datastore linked."</p> }.into_any(),
        }}
    }
}

fn catalog_view(v: Option<Value>) -> impl IntoView {
    let Some(v) = v else {
        return view! { <p class="muted">"Not discovered (Initiate sync was off)."</p> }.into_any();
    };
    match v.get("status").and_then(Value::as_str) {
        Some("running") => {
            view! { <p><span class="spinner" aria-hidden="true"></span>" Discovering tables…"</p> }
                .into_any()
        }
        Some("done") => {
            let Some(c) = v
                .get("catalog")
                .cloned()
                .and_then(|c| serde_json::from_value::<Catalog>(c).ok())
            else {
                return view! { <p class="muted">"The catalog could not be read."</p> }.into_any();
            };
            let rows = c
                .tables
                .iter()
                .take(200)
                .map(|t| {
                    view! {
                        <tr>
                            <td>{t.name.clone()}</td>
                            <td>{t.columns.len()}</td>
                            <td>{t.estimated_rows.map(|r| r.to_string()).unwrap_or_else(|| "?".to_owned())}</td>
                            <td>{if t.primary_key.is_empty() { "none".to_owned() } else { t.primary_key.join(", ") }}</td>
                            <td>{t.incremental_candidates.iter().map(|i| i.column.clone()).collect::<Vec<_>>().join(", ")}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <p>{format!("{} table(s), {} column(s) in {}.{}", c.tables.len(), c.column_count, c.database, c.schema)}</p>
                <div class="table-wrap">
                    <table>
                        <thead><tr><th scope="col">"Table"</th><th scope="col">"Columns"</th><th scope="col">"Rows (est.)"</th><th scope="col">"Primary key"</th><th scope="col">"Incremental"</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            }
            .into_any()
        }
        _ => {
            let why = v
                .get("failure")
                .and_then(|f| f.get("error"))
                .map(|e| format!("{} {}", text(e, "message"), text(e, "help")))
                .unwrap_or_else(|| "Discovery failed.".to_owned());
            view! { <p class="banner error">{why}</p> }.into_any()
        }
    }
}
