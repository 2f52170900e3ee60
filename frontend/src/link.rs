//! Linking an enrichment datastore from a source datastore's page: after a wizard that finished
//! without one ("link it later"), or to change the link. The prefix of the tables written there
//! is checked by the core as it is typed (the wizard's rules, `analyze_link`), the enrichment
//! datastore is chosen from those stored, then `PATCH /api/datastores/{id}/enrichment/{eid}`;
//! unlinking is one `DELETE`. Both answer the datastore as stored, and the page shows that.

use leptos::prelude::*;
use pgconnect_core::{Report, analyze_link};
use serde_json::{Value, json};

use crate::api::{self, Failure, joined, text};
use crate::app::focus_heading;
use crate::fields::{Message, PREFIX, message_list};
use crate::model::belongs;

/// An enrichment datastore's teams, host, database and schema: what tells two apart.
pub fn enrichment_details(d: &Value) -> impl IntoView + use<> {
    let host = d
        .get("connection")
        .map(|c| format!("{}:{}", text(c, "host"), text(c, "port")))
        .unwrap_or_default();
    view! {
        <dl class="summary">
            <dt>"Teams"</dt><dd>{joined(d.get("teams"))}</dd>
            <dt>"Host"</dt><dd>{host}</dd>
            <dt>"Database"</dt><dd>{text(d, "database")}</dd>
            <dt>"Schema"</dt><dd>{text(d, "schema")}</dd>
        </dl>
    }
}

/// The `<option>`s of a choice of enrichment datastores, "Choose…" first; `chosen` is selected.
pub fn enrichment_choices(ds: Vec<Value>, chosen: Signal<Option<i64>>) -> impl IntoView {
    let first =
        view! { <option value="" selected=move || chosen.get().is_none()>"Choose…"</option> };
    let rest = ds
        .into_iter()
        .map(|d| {
            let eid = id_of(&d).unwrap_or_default();
            view! {
                <option value=eid.to_string() selected=move || chosen.get() == Some(eid)>
                    {text(&d, "name")}
                </option>
            }
        })
        .collect_view();
    (first, rest)
}

/// The link's body: the prefix as typed (trimmed), or `null` (no prefix) when it is empty.
fn body(prefix: &str) -> Value {
    match prefix.trim() {
        "" => json!({ "enrichment_prefix": null }),
        p => json!({ "enrichment_prefix": p }),
    }
}

fn id_of(d: &Value) -> Option<i64> {
    d.get("id").and_then(Value::as_i64)
}

/// The link controls of a source datastore's page (`datastore` is the page's copy of it).
#[component]
pub fn LinkEnrichment(
    id: i64,
    datastore: RwSignal<Option<Result<Value, String>>>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let prefix = RwSignal::new(String::new());
    let chosen = RwSignal::new(None::<i64>);
    let options = RwSignal::new(None::<Result<Vec<Value>, String>>);
    let touched = RwSignal::new(false);
    let tried = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<Failure>);
    let done = RwSignal::new(None::<String>);
    let linked = Memo::new(move |_| {
        datastore.with(|d| {
            matches!(d, Some(Ok(d)) if d.get("enrichment_datastore").is_some_and(|e| !e.is_null()))
        })
    });
    let report = Memo::new(move |_| prefix.with(|p| analyze_link(&body(p)).0));
    let prefix_msgs = Memo::new(move |_| {
        let mut out = Vec::new();
        if touched.get() || tried.get() {
            report.with(|r| out.extend(r.diagnostics.iter().map(|d| Message::of(d, ""))));
        }
        failure.with(|f| {
            if let Some(f) = f {
                let server = f.errors().into_iter().filter(|d| belongs(&d.path, PREFIX));
                out.extend(server.map(|d| Message::of(d, "Server: ")));
            }
        });
        out
    });
    let (prefix_invalid, prefix_messages) = message_list("link-prefix-msg".to_owned(), prefix_msgs);
    let choice_invalid = Memo::new(move |_| tried.get() && chosen.get().is_none());
    // the refusal that no field explains (403, 404, 409, the network)
    let refused = Memo::new(move |_| {
        failure.with(|f| match f {
            Some(Failure::Invalid(_)) | None => None,
            Some(f) => Some(f.words()),
        })
    });
    let start = move |_| {
        let (p, e) = datastore.with_untracked(|d| match d {
            Some(Ok(d)) => (
                text(d, "enrichment_prefix"),
                d.get("enrichment_datastore").and_then(id_of),
            ),
            _ => (String::new(), None),
        });
        prefix.set(p);
        chosen.set(e);
        touched.set(false);
        tried.set(false);
        failure.set(None);
        done.set(None);
        open.set(true);
        leptos::task::spawn_local(async move {
            let v = api::get::<Vec<Value>>("/api/datastores").await;
            options.set(Some(
                v.map(|ds| {
                    ds.into_iter()
                        .filter(|d| d.get("enrich_only") == Some(&Value::Bool(true)))
                        .collect()
                })
                .map_err(|f| f.words()),
            ));
        });
        request_animation_frame(|| focus_heading("link-prefix"));
    };
    let save = move |_| {
        if busy.get_untracked() {
            return;
        }
        tried.set(true);
        if !report.with_untracked(Report::is_valid) {
            focus_heading("link-prefix");
            return;
        }
        let Some(eid) = chosen.get_untracked() else {
            focus_heading("link-select");
            return;
        };
        busy.set(true);
        failure.set(None);
        let b = prefix.with_untracked(|p| body(p));
        leptos::task::spawn_local(async move {
            let r: Result<Value, Failure> =
                api::patch(&format!("/api/datastores/{id}/enrichment/{eid}"), &b).await;
            busy.set(false);
            match r {
                Ok(v) => {
                    let name = v
                        .get("enrichment_datastore")
                        .map(|e| text(e, "name"))
                        .unwrap_or_default();
                    let prefix = match text(&v, "enrichment_prefix") {
                        p if p.is_empty() => "without a prefix".to_owned(),
                        p => format!("prefixed {p}"),
                    };
                    done.set(Some(format!(
                        "Linked: results go to {name}, in tables {prefix}."
                    )));
                    datastore.set(Some(Ok(v)));
                    open.set(false);
                    request_animation_frame(|| focus_heading("link-open"));
                }
                Err(f) => failure.set(Some(f)),
            }
        });
    };
    let unlink = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        failure.set(None);
        done.set(None);
        leptos::task::spawn_local(async move {
            let r: Result<Value, Failure> =
                api::delete(&format!("/api/datastores/{id}/enrichment")).await;
            busy.set(false);
            match r {
                Ok(v) => {
                    done.set(Some(
                        "Unlinked: results are no longer written for this datastore. The \
                         tables already written stay where they are, and the prefix is kept \
                         for the next link."
                            .to_owned(),
                    ));
                    datastore.set(Some(Ok(v)));
                    request_animation_frame(|| focus_heading("link-open"));
                }
                Err(f) => failure.set(Some(f)),
            }
        });
    };
    let detail = move || {
        let id = chosen.get()?;
        options.with(|o| match o {
            Some(Ok(ds)) => ds
                .iter()
                .find(|d| id_of(d) == Some(id))
                .map(enrichment_details),
            _ => None,
        })
    };
    view! {
        <Show when=move || !open.get()>
            <div class="actions">
                <button type="button" class="secondary" id="link-open" on:click=start>
                    {move || if linked.get() { "Change the link…" } else { "Link an enrichment datastore…" }}
                </button>
                <Show when=move || linked.get()>
                    <button
                        type="button"
                        class="secondary"
                        id="link-unlink"
                        aria-busy=move || if busy.get() { "true" } else { "false" }
                        on:click=unlink
                    >
                        "Unlink"
                    </button>
                </Show>
            </div>
        </Show>
        // hidden, not unmounted, while closed: one set of fields, filled afresh on each opening
        <fieldset class="link" class:hidden=move || !open.get() aria-describedby="link-what">
            <legend>
                {move || if linked.get() { "Change the enrichment link" } else { "Link an enrichment datastore" }}
            </legend>
            <p class="hint" id="link-what">
                "The platform writes this datastore's results (anomalies, profiles, scores) \
                 into the enrichment datastore, in tables named with the prefix."
            </p>
            <div class="field" class:invalid=move || prefix_invalid.get()>
                <label for="link-prefix">"Enrichment prefix"</label>
                <p class="hint" id="link-prefix-hint">"e.g. sales_ — leave it empty for none."</p>
                <input
                    id="link-prefix"
                    type="text"
                    autocomplete="off"
                    spellcheck="false"
                    aria-invalid=move || if prefix_invalid.get() { "true" } else { "false" }
                    aria-describedby="link-prefix-hint link-prefix-msg"
                    prop:value=move || prefix.get()
                    on:input=move |ev| {
                        prefix.set(event_target_value(&ev));
                        touched.set(true);
                        failure.set(None);
                    }
                    on:blur=move |_| touched.set(true)
                />
                {prefix_messages}
            </div>
            <div class="field" class:invalid=move || choice_invalid.get()>
                <label for="link-select">"Enrichment datastore"</label>
                <select
                    id="link-select"
                    aria-invalid=move || if choice_invalid.get() { "true" } else { "false" }
                    aria-describedby="link-select-msg"
                    on:change=move |ev| {
                        chosen.set(event_target_value(&ev).parse::<i64>().ok());
                        failure.set(None);
                    }
                >
                    {move || {
                        let ds = options.with(|o| match o {
                            Some(Ok(ds)) => ds.clone(),
                            _ => Vec::new(),
                        });
                        enrichment_choices(ds, chosen.into())
                    }}
                </select>
                <div class="messages" id="link-select-msg" aria-live="polite">
                    {move || match options.get() {
                        None => Some(view! { <p class="hint">"Loading the enrichment datastores…"</p> }.into_any()),
                        Some(Err(words)) => Some(view! { <p class="msg error">{words}</p> }.into_any()),
                        Some(Ok(ds)) if ds.is_empty() => Some(view! {
                            <p class="hint">
                                "No enrichment datastore is stored yet, or none your teams see. Add one with "
                                <a href=crate::route::Route::Add.href()>"Add a datastore"</a>
                                " (step 4, Add a new enrichment datastore), then link it here."
                            </p>
                        }.into_any()),
                        Some(Ok(_)) => choice_invalid.get().then(|| view! {
                            <p class="msg error"><span class="badge">"Error"</span>" Choose the enrichment datastore to write to."</p>
                        }.into_any()),
                    }}
                </div>
                {detail}
            </div>
            <div class="nav">
                <button
                    type="button"
                    id="link-save"
                    aria-busy=move || if busy.get() { "true" } else { "false" }
                    on:click=save
                >
                    {move || if busy.get() { "Linking…" } else { "Link" }}
                </button>
                <button type="button" class="secondary" id="link-cancel" on:click=move |_| {
                    open.set(false);
                    request_animation_frame(|| focus_heading("link-open"));
                }>
                    "Cancel"
                </button>
            </div>
        </fieldset>
        {move || refused.get().map(|words| view! { <p class="banner error" role="alert" id="link-refused">{words}</p> })}
        <p class="status" role="status" id="link-status">{move || done.get()}</p>
    }
}
