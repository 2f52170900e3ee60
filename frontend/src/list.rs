//! The datastores the signed-in person's teams see (`GET /api/datastores`): each with its kind,
//! where it is, its teams, its linked enrichment datastore and how far its catalog is, and a link
//! to its page.

use leptos::prelude::*;
use serde_json::Value;

use crate::api::{self, joined, text};
use crate::route::Route;

/// The list.
#[component]
pub fn DatastoreList() -> impl IntoView {
    let list = RwSignal::new(None::<Result<Vec<Value>, String>>);
    leptos::task::spawn_local(async move {
        let v = api::get::<Vec<Value>>("/api/datastores").await;
        list.set(Some(v.map_err(|f| f.words())));
    });
    request_animation_frame(|| crate::app::focus_heading("list-title"));
    view! {
        <section class="card" aria-labelledby="list-title">
            <h2 id="list-title" tabindex="-1">"Datastores"</h2>
            <div id="list" aria-live="polite">
                {move || match list.get() {
                    None => view! { <p><span class="spinner" aria-hidden="true"></span>" Loading…"</p> }.into_any(),
                    Some(Err(words)) => view! { <p class="banner error">{words}</p> }.into_any(),
                    Some(Ok(ds)) if ds.is_empty() => view! {
                        <p class="muted">
                            "No datastore is registered yet, or none your teams can see. "
                            <a href=Route::Add.href()>"Add one"</a>"."
                        </p>
                    }
                    .into_any(),
                    Some(Ok(ds)) => table(&ds).into_any(),
                }}
            </div>
        </section>
    }
}

fn table(ds: &[Value]) -> impl IntoView + use<> {
    let count = match ds.iter().filter(|d| is_enrichment(d)).count() {
        0 => format!("{} datastore(s).", ds.len()),
        e => format!("{} datastore(s), {e} of them for enrichment.", ds.len()),
    };
    let rows = ds.iter().map(row).collect_view();
    view! {
        <p class="muted">{count}</p>
        <div class="table-wrap">
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Kind"</th>
                        <th scope="col">"Host"</th>
                        <th scope="col">"Database.schema"</th>
                        <th scope="col">"Teams"</th>
                        <th scope="col">"Enrichment"</th>
                        <th scope="col">"Catalog"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

fn is_enrichment(d: &Value) -> bool {
    d.get("enrich_only") == Some(&Value::Bool(true))
}

fn row(d: &Value) -> impl IntoView + use<> {
    let id = d.get("id").and_then(Value::as_i64).unwrap_or_default();
    let host = d.get("connection").filter(|c| !c.is_null()).map_or_else(
        || "(connection gone)".to_owned(),
        |c| format!("{}:{}", text(c, "host"), text(c, "port")),
    );
    let enrichment = d
        .get("enrichment_datastore")
        .filter(|e| !e.is_null())
        .map(|e| {
            let eid = e.get("id").and_then(Value::as_i64).unwrap_or_default();
            view! { <a href=Route::Datastore(eid).href()>{text(e, "name")}</a> }.into_any()
        })
        .unwrap_or_else(|| {
            let none = if is_enrichment(d) { "" } else { "none" };
            view! { <span class="muted">{none}</span> }.into_any()
        });
    let catalog = d
        .get("catalog")
        .filter(|c| !c.is_null())
        .map_or_else(|| "not discovered".to_owned(), |c| text(c, "status"));
    view! {
        <tr data-id=id>
            <td><a href=Route::Datastore(id).href()>{text(d, "name")}</a></td>
            <td>{if is_enrichment(d) { "enrichment" } else { "source" }}</td>
            <td>{host}</td>
            <td>{format!("{}.{}", text(d, "database"), text(d, "schema"))}</td>
            <td>{joined(d.get("teams"))}</td>
            <td>{enrichment}</td>
            <td>{catalog}</td>
        </tr>
    }
}
