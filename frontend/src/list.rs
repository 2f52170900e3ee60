//! The datastores the signed-in person's teams see (`GET /api/datastores`): each with its kind,
//! where it is, its teams, its linked enrichment datastore and how far its catalog is, and a link
//! to its page; a filter narrows the rows as one types (kept while the other views are looked at).

use leptos::prelude::*;
use serde_json::Value;

use crate::api::{self, joined, text};
use crate::route::Route;

/// The list; `filter` is what the filter box holds (the app keeps it across views).
#[component]
pub fn DatastoreList(filter: RwSignal<String>) -> impl IntoView {
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
                    Some(Ok(ds)) => table(ds, filter).into_any(),
                }}
            </div>
        </section>
    }
}

fn table(ds: Vec<Value>, filter: RwSignal<String>) -> impl IntoView + use<> {
    let total = ds.len();
    let enrichments = ds.iter().filter(|d| is_enrichment(d)).count();
    let all = StoredValue::new(ds);
    let shown = Memo::new(move |_| {
        filter.with(|q| {
            all.with_value(|ds| {
                ds.iter()
                    .filter(|d| matches(d, q))
                    .cloned()
                    .collect::<Vec<_>>()
            })
        })
    });
    let count = move || {
        let n = shown.with(Vec::len);
        match (filter.with(|q| q.trim().is_empty()), enrichments) {
            (false, _) => format!("{n} of {total} datastore(s) match."),
            (true, 0) => format!("{total} datastore(s)."),
            (true, e) => format!("{total} datastore(s), {e} of them for enrichment."),
        }
    };
    view! {
        <div class="filter">
            <label for="list-filter">"Filter"</label>
            <input
                type="search"
                id="list-filter"
                autocomplete="off"
                placeholder="name, host, database, team…"
                aria-describedby="list-count"
                prop:value=move || filter.get()
                on:input=move |ev| filter.set(event_target_value(&ev))
            />
        </div>
        <p class="muted" id="list-count">{count}</p>
        {move || {
            let rows = shown.get();
            if rows.is_empty() {
                return view! {
                    <p class="muted" id="list-none">
                        "No datastore matches “"{filter.get().trim().to_owned()}"”: every word typed must \
                         appear in a row's name, kind, host, database, teams, enrichment or catalog."
                    </p>
                }
                .into_any();
            }
            let rows = rows.iter().map(row).collect_view();
            view! {
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
            .into_any()
        }}
    }
}

/// The row's cells as words: what the filter looks in.
fn cells(d: &Value) -> [String; 7] {
    let host = d.get("connection").filter(|c| !c.is_null()).map_or_else(
        || "(connection gone)".to_owned(),
        |c| format!("{}:{}", text(c, "host"), text(c, "port")),
    );
    let enrichment = d
        .get("enrichment_datastore")
        .filter(|e| !e.is_null())
        .map_or_else(String::new, |e| text(e, "name"));
    let catalog = d
        .get("catalog")
        .filter(|c| !c.is_null())
        .map_or_else(|| "not discovered".to_owned(), |c| text(c, "status"));
    [
        text(d, "name"),
        kind(d).to_owned(),
        host,
        format!("{}.{}", text(d, "database"), text(d, "schema")),
        joined(d.get("teams")),
        enrichment,
        catalog,
    ]
}

/// True when every word of `query` (case ignored) is in one of the row's cells.
fn matches(d: &Value, query: &str) -> bool {
    let cells = cells(d).map(|c| c.to_lowercase());
    query
        .to_lowercase()
        .split_whitespace()
        .all(|word| cells.iter().any(|c| c.contains(word)))
}

fn kind(d: &Value) -> &'static str {
    if is_enrichment(d) {
        "enrichment"
    } else {
        "source"
    }
}

fn is_enrichment(d: &Value) -> bool {
    d.get("enrich_only") == Some(&Value::Bool(true))
}

fn row(d: &Value) -> impl IntoView + use<> {
    let id = d.get("id").and_then(Value::as_i64).unwrap_or_default();
    let [name, kind, host, place, teams, _, catalog] = cells(d);
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
    view! {
        <tr data-id=id>
            <td><a href=Route::Datastore(id).href()>{name}</a></td>
            <td>{kind}</td>
            <td>{host}</td>
            <td>{place}</td>
            <td>{teams}</td>
            <td>{enrichment}</td>
            <td>{catalog}</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_word_must_be_in_some_cell_case_ignored() {
        let d = json!({
            "id": 3, "name": "Orders", "enrich_only": false, "database": "shop", "schema": "sales",
            "teams": ["Finance", "Ops"], "connection": {"host": "db.example.com", "port": 5432},
            "enrichment_datastore": {"id": 4, "name": "orders-results"},
            "catalog": {"status": "done"}
        });
        for (query, hit) in [
            ("", true),
            ("   ", true),
            ("orders", true),
            ("ORDERS", true),
            ("finance", true),
            ("ops orders", true),
            ("shop.sales", true),
            ("example.com:5432", true),
            ("source", true),
            ("results", true),
            ("done", true),
            ("enrichment", false),
            ("orders marketing", false),
            ("5433", false),
        ] {
            assert_eq!(matches(&d, query), hit, "{query:?}");
        }
        let gone = json!({"name": "x", "enrich_only": true, "connection": null, "catalog": null});
        assert!(matches(&gone, "connection gone"));
        assert!(matches(&gone, "enrichment not discovered"));
    }
}
