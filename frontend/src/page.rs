//! A datastore's page: its connection (credentials shown only as set), the linked enrichment
//! datastore, and the catalog once discovered (polled while discovery runs). From here the
//! datastore's own fields are edited (`details`), the stored connection tested again or changed
//! (`edit`), the enrichment datastore linked (`link`), the catalog discovered (again), and the
//! datastore deleted.

use leptos::prelude::*;
use pgconnect_core::catalog::Catalog;
use serde_json::Value;

use crate::api::{self, Failure, joined, text};
use crate::app::go;
use crate::details::ChangeDetails;
use crate::edit::ChangeConnection;
use crate::fields::{Confirm, When};
use crate::link::LinkEnrichment;
use crate::route::Route;
use crate::state::TestRun;
use crate::test::CheckRunner;

/// Tables listed on the page; a bigger catalog is counted, and read whole through the API.
const SHOWN_TABLES: usize = 200;

/// Polls the catalog while it runs (seven minutes at most).
pub(crate) fn poll_catalog(id: i64, state: RwSignal<Option<Value>>, tries: u32) {
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
        // every second for a minute, then every 5 s for 6 minutes more: by then the server has
        // ended the discovery, or reports it interrupted (2 × its catalog timeout + 1 min)
        if running && tries < 60 + 72 {
            let every = if tries < 60 { 1 } else { 5 };
            set_timeout(
                move || poll_catalog(id, state, tries + 1),
                std::time::Duration::from_secs(every),
            );
        }
    });
}

/// The page.
#[component]
pub fn DatastorePage(
    id: i64,
    may_write: Signal<bool>,
    // the caller's teams (`GET /api/teams`), offered by Edit details
    teams: Signal<Vec<String>>,
) -> impl IntoView {
    let datastore = RwSignal::new(None::<Result<Value, String>>);
    let catalog = RwSignal::new(None::<Value>);
    let check = RwSignal::new(TestRun::default());
    // what the last action (discovery, deletion) was refused with
    let refused = RwSignal::new(None::<String>);
    let confirm = RwSignal::new(false);
    let busy = RwSignal::new(false);
    leptos::task::spawn_local(async move {
        let v: Result<Value, _> = api::get(&format!("/api/datastores/{id}")).await;
        let has_catalog = v
            .as_ref()
            .ok()
            .is_some_and(|v| v.get("catalog").is_some_and(|c| !c.is_null()));
        datastore.set(Some(v.map_err(|f| match f {
            Failure::Refused { status: 404, .. } => format!(
                "There is no datastore {id}: it was deleted, or only another team sees it. \
                 The Datastores list has those you can open."
            ),
            f => f.words(),
        })));
        if has_catalog {
            poll_catalog(id, catalog, 0);
        }
    });
    request_animation_frame(|| crate::app::focus_heading("page-title"));
    // one action at a time: busy while it runs, and what refused it said on the page
    let act = move |work: std::pin::Pin<Box<dyn Future<Output = Result<(), Failure>>>>| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        refused.set(None);
        leptos::task::spawn_local(async move {
            let r = work.await;
            busy.set(false);
            if let Err(f) = r {
                refused.set(Some(f.words()));
            }
        });
    };
    let discover = move |_| {
        act(Box::pin(async move {
            let _: Value =
                api::post(&format!("/api/datastores/{id}/catalog"), &Value::Null, None).await?;
            catalog.set(Some(serde_json::json!({ "status": "running" })));
            poll_catalog(id, catalog, 0);
            Ok(())
        }));
    };
    let delete = move |()| {
        act(Box::pin(async move {
            let r: Result<(), _> = api::delete(&format!("/api/datastores/{id}")).await;
            confirm.set(false);
            r?;
            go(Route::List);
            Ok(())
        }));
    };
    let loaded = Memo::new(move |_| datastore.with(|d| matches!(d, Some(Ok(_)))));
    let name = move || {
        datastore.with(|d| match d {
            Some(Ok(d)) => text(d, "name"),
            _ => String::new(),
        })
    };
    let enrichment = move || {
        datastore
            .with(|d| matches!(d, Some(Ok(d)) if d.get("enrich_only") == Some(&Value::Bool(true))))
    };
    view! {
        <section class="card" aria-labelledby="page-title">
            {move || match datastore.get() {
                None => view! { <h2 id="page-title" tabindex="-1">"Loading…"</h2> }.into_any(),
                Some(Err(words)) => view! {
                    <h2 id="page-title" tabindex="-1">"The datastore could not be loaded"</h2>
                    <p class="banner error">{words}</p>
                }
                .into_any(),
                Some(Ok(d)) => heading(&d).into_any(),
            }}
            {move || datastore.with(|d| match d {
                Some(Ok(d)) => Some(details_summary(d)),
                _ => None,
            })}
            <Show when=move || loaded.get() && may_write.get()>
                <ChangeDetails id=id datastore=datastore teams=teams page_check=check catalog=catalog/>
            </Show>
            {move || datastore.with(|d| match d {
                Some(Ok(d)) => Some(connection_summary(d)),
                _ => None,
            })}
            <Show when=move || loaded.get() && may_write.get()>
                <ChangeConnection datastore=datastore page_check=check/>
            </Show>
            {move || datastore.with(|d| match d {
                Some(Ok(d)) => Some(enrichment_summary(d)),
                _ => None,
            })}
            <Show when=move || loaded.get() && !enrichment() && may_write.get()>
                <LinkEnrichment id=id datastore=datastore/>
            </Show>
            <Show when=move || loaded.get()>
                <h3 id="page-test-h">"Test Connection"</h3>
                <p class="hint">"Checks the stored connection live, as the platform will use it."</p>
                <CheckRunner
                    scope="page"
                    run=check
                    stale=Signal::derive(|| false)
                    request=Callback::new(move |()| {
                        Some((format!("/api/datastores/{id}/connection"), Value::Null))
                    })
                />
                <h3>"Catalog"</h3>
                <div id="catalog" role="status" aria-live="polite">
                    {move || catalog_view(id, catalog.get())}
                </div>
                <div class="actions" class:hidden=move || !may_write.get()>
                    <button
                        type="button"
                        class="secondary"
                        id="page-discover"
                        aria-disabled=move || if busy.get() { "true" } else { "false" }
                        on:click=discover
                    >
                        {move || if catalog.with(Option::is_some) { "Discover again" } else { "Discover the catalog" }}
                    </button>
                </div>
            </Show>
            {move || refused.get().map(|words| view! { <p class="banner error" role="alert" id="page-refused">{words}</p> })}
            <div class="nav">
                <a class="button secondary" href=Route::Add.href() id="page-add">"Add another datastore"</a>
                <a href=Route::List.href()>"All datastores"</a>
                <Show when=move || loaded.get() && !may_write.get()>
                    <p class="hint" id="page-viewer">
                        "You are signed in as a viewer: Test Connection works; editing the details, \
                         changing the connection, discovering, linking and deleting take the \
                         developer role."
                    </p>
                </Show>
                <Show when=move || loaded.get() && may_write.get()>
                    <button type="button" class="danger" id="page-delete" on:click=move |_| confirm.set(true)>
                        "Delete…"
                    </button>
                </Show>
            </div>
        </section>
        {move || confirm.get().then(|| view! {
            <Confirm
                scope="delete"
                title=format!("Delete {}?", name())
                keep="Keep it"
                act="Delete"
                acting="Deleting…"
                busy=busy.into()
                on_keep=Callback::new(move |()| {
                    confirm.set(false);
                    crate::app::focus_heading("page-delete");
                })
                on_act=Callback::new(delete)
            >
                "The datastore and its catalog are removed from the registry; its connection \
                 stays, for other datastores. Nothing in the database changes."
                {enrichment().then_some(" Datastores that write their results here are unlinked from it.")}
            </Confirm>
        })}
    }
}

/// The datastore's name and kind.
fn heading(d: &Value) -> impl IntoView + use<> {
    view! {
        <h2 id="page-title" tabindex="-1">{text(d, "name")}</h2>
        <p class="muted">
            {if d.get("enrich_only") == Some(&Value::Bool(true)) { "Enrichment datastore" } else { "Source datastore" }}
            {format!(" · id {}", text(d, "id"))}
        </p>
    }
}

/// What the datastore reads (or writes) and who sees it: what Edit details changes; and when and
/// by whom it was created and last changed.
fn details_summary(d: &Value) -> impl IntoView + use<> {
    view! {
        <h3>"Datastore"</h3>
        <dl class="summary" id="page-details">
            <dt>"Database"</dt><dd>{text(d, "database")}</dd>
            <dt>"Schema"</dt><dd>{text(d, "schema")}</dd>
            <dt>"Teams"</dt><dd>{joined(d.get("teams"))}</dd>
            <dt>"Created"</dt><dd id="page-created">{stamp(d, "created", "created_by")}</dd>
            <dt>"Changed"</dt><dd id="page-updated">{stamp(d, "updated", "updated_by")}</dd>
        </dl>
    }
}

/// A time and who (when the server recorded it): "2026-11-22 10:04 by alice".
fn stamp(d: &Value, at: &str, by: &str) -> impl IntoView + use<> {
    let who = d
        .get(by)
        .and_then(Value::as_str)
        .map(|who| format!(" by {who}"));
    view! { <When at=text(d, at)/>{who} }
}

/// The connection it goes through (shared with other datastores): what Change the connection
/// changes.
fn connection_summary(d: &Value) -> impl IntoView + use<> {
    let c = d.get("connection").cloned().unwrap_or(Value::Null);
    let set = |v: Option<&Value>| {
        if v == Some(&Value::Bool(true)) {
            "set"
        } else {
            "not set"
        }
    };
    let ssl = text(&c, "ssl_mode");
    let vault = c
        .get("secrets_management")
        .filter(|v| !v.is_null())
        .cloned();
    let users = c.get("datastore_count").and_then(Value::as_i64);
    view! {
        <h3>"Connection"</h3>
        <dl class="summary" id="page-connection">
            <dt>"Name"</dt><dd>{text(&c, "name")}</dd>
            <dt>"Host"</dt><dd>{format!("{}:{}", text(&c, "host"), text(&c, "port"))}</dd>
            <dt>"User"</dt><dd>{text(&c, "username")}</dd>
            <dt>"Password"</dt><dd>{set(c.get("password_set"))}</dd>
            <dt>"SSL mode"</dt><dd>{if ssl.is_empty() { "default (prefer)".to_owned() } else { ssl }}</dd>
            {vault.map(|v| view! {
                <dt>"Secrets Management"</dt>
                <dd>{format!("{} (credentials {})", text(&v, "secret_url"), set(v.get("credentials_payload_set")))}</dd>
            })}
            {users.map(|n| view! {
                <dt>"Used by"</dt>
                <dd>{if n == 1 { "this datastore only".to_owned() } else { format!("{n} datastores: a change applies to all of them") }}</dd>
            })}
        </dl>
    }
}

/// The linked enrichment datastore and the prefix of its tables.
fn enrichment_summary(d: &Value) -> impl IntoView + use<> {
    let enrichment = d
        .get("enrichment_datastore")
        .filter(|e| !e.is_null())
        .cloned();
    view! {
        <h3>"Enrichment"</h3>
        {match enrichment {
            Some(e) => view! {
                <dl class="summary" id="page-enrichment">
                    <dt>"Datastore"</dt><dd><a href=Route::Datastore(e.get("id").and_then(Value::as_i64).unwrap_or_default()).href()>{text(&e, "name")}</a></dd>
                    <dt>"Host"</dt><dd>{text(&e, "host")}</dd>
                    <dt>"Database"</dt><dd>{text(&e, "database")}</dd>
                    <dt>"Schema"</dt><dd>{text(&e, "schema")}</dd>
                    <dt>"Prefix"</dt><dd>{Some(text(d, "enrichment_prefix")).filter(|p| !p.is_empty()).unwrap_or_else(|| "none".to_owned())}</dd>
                </dl>
            }
            .into_any(),
            None => view! { <p class="muted" id="page-enrichment">"No enrichment datastore linked."</p> }.into_any(),
        }}
    }
}

fn catalog_view(id: i64, v: Option<Value>) -> impl IntoView + use<> {
    let Some(v) = v else {
        return view! { <p class="muted">"Not discovered yet: Initiate sync was off, or the database or schema changed since."</p> }
            .into_any();
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
                .take(SHOWN_TABLES)
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
            let more = (c.tables.len() > SHOWN_TABLES).then(|| {
                view! {
                    <p class="hint">{format!(
                        "The first {SHOWN_TABLES} are listed; GET /api/datastores/{id}/catalog has all {}.",
                        c.tables.len()
                    )}</p>
                }
            });
            let unknown = c.tables.iter().any(|t| t.estimated_rows.is_none()).then(|| {
                view! {
                    <p class="hint">"? — PostgreSQL has no row estimate yet: the table was never \
                        analyzed or vacuumed (a view has none)."</p>
                }
            });
            view! {
                <p>{format!("{} table(s), {} column(s) in {}.{}", c.tables.len(), c.column_count, c.database, c.schema)}</p>
                <div class="table-wrap">
                    <table>
                        <thead><tr><th scope="col">"Table"</th><th scope="col">"Columns"</th><th scope="col">"Rows (est.)"</th><th scope="col">"Primary key"</th><th scope="col">"Incremental"</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
                {unknown}
                {more}
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
