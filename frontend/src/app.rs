//! The page: the wizard — the source datastore (steps 1–3), Next to the enrichment step (4),
//! Finish (5) and the success dialog, with the Permissions panel and the Request preview beside
//! them —, the list of datastores and a datastore's page, one at a time as the URL's fragment
//! says (`route`).

use leptos::prelude::*;
use pgconnect_core::Severity;
use serde_json::Value;

use crate::access::AccessPage;
use crate::api::{self, Failure};
use crate::datastore::DatastoreFields;
use crate::fields::{PREFIX, PrefixField, focus_first_error, refusal_list};
use crate::link::{enrichment_choices, enrichment_details};
use crate::list::DatastoreList;
use crate::model::belongs;
use crate::page::DatastorePage;
use crate::panels::{Permissions, RequestPreview};
use crate::route::Route;
use crate::state::{EnrichMode, Form, TestRun, Ui, Which};

/// Where the wizard is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Steps 1–3.
    Source,
    /// Step 4.
    Enrichment,
}

/// The route in the address bar now.
fn current_route() -> Route {
    Route::parse(&window().location().hash().unwrap_or_default())
}

/// Goes to `route`: the address bar changes, and the page follows on its `hashchange` (so Back
/// and Forward work the same way).
pub fn go(route: Route) {
    let _ = window().location().set_hash(&route.href());
}

/// Empties the wizard for the next datastore (after one is saved).
fn reset(ui: Ui, step: RwSignal<Step>) {
    ui.form.set(Form::default());
    ui.source_test.set(TestRun::default());
    ui.enrichment_test.set(TestRun::default());
    ui.touched.set(Default::default());
    ui.show_all.set(false);
    step.set(Step::Source);
    load(ui);
}

/// "admin, until 09:03" from `GET /api/session` (the end in the browser's local time).
fn who(session: &Value) -> Option<String> {
    let sub = session.get("sub")?.as_str()?;
    let role = session.get("role")?.as_str()?;
    let expires = session.get("expires")?.as_f64()?;
    let end = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(expires * 1000.0));
    let until = format!("{:02}:{:02}", end.get_hours(), end.get_minutes());
    Some(if sub == role {
        format!("Signed in as {role}, until {until}")
    } else {
        format!("Signed in as {sub} ({role}), until {until}")
    })
}

/// Loads who is signed in, teams, connections and enrichment datastores.
fn load(ui: Ui) {
    leptos::task::spawn_local(async move {
        if let Ok(s) = api::get::<Value>("/api/session").await {
            ui.who.set(who(&s));
            ui.role
                .set(s.get("role").and_then(Value::as_str).map(str::to_owned));
        }
        if let Ok(t) = api::get::<Vec<String>>("/api/teams").await {
            ui.signed_out.set(false);
            ui.teams.set(t);
        }
        if let Ok(c) = api::get::<Vec<Value>>("/api/connections").await {
            ui.connections.set(c);
        }
        if let Ok(d) = api::get::<Vec<Value>>("/api/datastores").await {
            ui.enrichments.set(
                d.into_iter()
                    .filter(|d| d.get("enrich_only") == Some(&Value::Bool(true)))
                    .collect(),
            );
        }
    });
}

/// Signs out: the server revokes the session's token and clears its cookie. A 401 means the
/// session had ended already; any other failure leaves the page signed in and says so.
fn sign_out(ui: Ui, failed: RwSignal<Option<String>>) {
    failed.set(None);
    leptos::task::spawn_local(async move {
        match api::delete("/api/session").await {
            Ok(()) | Err(Failure::SignedOut | Failure::Refused { status: 409, .. }) => {
                ui.left.set(true);
                ui.signed_out.set(true);
            }
            Err(f) => failed.set(Some(f.words())),
        }
    });
}

/// The page.
#[component]
pub fn App() -> impl IntoView {
    let ui = Ui::new();
    api::report_sign_outs_to(ui.signed_out);
    let route = RwSignal::new(current_route());
    // the list's filter, kept while a datastore's page is looked at and Back is pressed
    let list_filter = RwSignal::new(String::new());
    // the listener lives as long as the page
    let _ = window_event_listener_untyped("hashchange", move |_| route.set(current_route()));
    let step = RwSignal::new(Step::Source);
    let sign_out_failed = RwSignal::new(None::<String>);
    load(ui);
    // steps 1–3 go on whatever the prefix (step 4's field, checked there) says
    let source_errors = Memo::new(move |_| {
        ui.source_report.with(|r| {
            r.diagnostics
                .iter()
                .any(|d| d.severity == Severity::Error && !belongs(&d.path, PREFIX))
        })
    });
    let next = move |_| {
        if source_errors.get_untracked() {
            ui.show_all.set(true);
            request_animation_frame(|| {
                focus_first_error();
            });
            return;
        }
        ui.show_all.set(false);
        step.set(Step::Enrichment);
        request_animation_frame(|| focus_heading("step-enrichment"));
    };
    let adding = Memo::new(move |_| route.get() == Route::Add);
    let current = move |r: Route| {
        let on = match r {
            Route::List => matches!(route.get(), Route::List | Route::Datastore(_)),
            _ => route.get() == r,
        };
        on.then_some("page")
    };
    view! {
        <header class="top">
            <div>
                <h1>"pgconnect"</h1>
                <nav class="views" aria-label="Views">
                    <a href=Route::Add.href() id="nav-add" aria-current=move || current(Route::Add)>"Add a datastore"</a>
                    <a href=Route::List.href() id="nav-list" aria-current=move || current(Route::List)>"Datastores"</a>
                    <Show when=move || ui.role.with(|r| r.as_deref() == Some("admin"))>
                        <a href=Route::Access.href() id="nav-access" aria-current=move || current(Route::Access)>"Access"</a>
                    </Show>
                </nav>
            </div>
            <Show when=move || !ui.signed_out.get()>
                <div class="session">
                    {move || ui.who.get().map(|w| view! { <span class="muted" id="who">{w}</span> " " })}
                    <button
                        type="button"
                        id="sign-out"
                        class="secondary"
                        on:click=move |_| sign_out(ui, sign_out_failed)
                    >
                        "Sign out"
                    </button>
                    {move || sign_out_failed.get().map(|words| view! {
                        <p class="msg error" role="alert">{words}</p>
                    })}
                </div>
            </Show>
        </header>
        <Show when=move || ui.signed_out.get()>
            <div class="banner error" role="alert" id="signed-out">
                <p>
                    {move || if ui.left.get() {
                        "You signed out: this session's token is revoked, so a copy of it no \
                         longer works either. To sign in again, open a new login link from "
                    } else {
                        "You are not signed in. Open the one-time login link the server printed, \
                         or a new one from "
                    }}
                    <code>"pgconnect token login-link"</code>
                    {move || if ui.left.get() {
                        "."
                    } else {
                        ", then reload this page. Nothing you typed is lost while this page stays \
                         open."
                    }}
                </p>
            </div>
        </Show>
        <Show when=move || adding.get() && !ui.may_write()>
            <div class="banner note" id="viewer-note">
                <p>
                    "You are signed in as a viewer: you can fill in this form and test the \
                     connection, but saving a datastore takes the developer role. Ask an admin \
                     for a developer's login link (their Access page, or "
                    <code>"pgconnect token login-link --role developer --team …"</code>
                    ")."
                </p>
            </div>
        </Show>
        <Show when=move || adding.get()>
            <ol class="steps" aria-label="Progress">
                <li aria-current=move || (step.get() == Step::Source).then_some("step")>"1–3 Datastore and connection"</li>
                <li aria-current=move || (step.get() == Step::Enrichment).then_some("step")>"4 Enrichment"</li>
                <li>"5 Finish"</li>
            </ol>
        </Show>
        <main class:single=move || !adding.get()>
            <div class="wizard">
                // the wizard stays in the page (hidden) while another view shows: nothing typed
                // is lost by a look at the list
                <div class:hidden=move || !adding.get() || step.get() != Step::Source>
                    <form on:submit=|ev| ev.prevent_default() novalidate>
                        <DatastoreFields ui=ui which=Which::Source/>
                        <div class="nav">
                            <button
                                type="button"
                                id="next"
                                aria-disabled=move || if source_errors.get() { "true" } else { "false" }
                                on:click=next
                            >
                                "Next"
                            </button>
                            <Show when=move || source_errors.get()>
                                <span class="muted">"Fix the marked fields to go on."</span>
                            </Show>
                        </div>
                    </form>
                </div>
                <div class:hidden=move || !adding.get()>
                    <Show when=move || step.get() == Step::Enrichment>
                        <EnrichmentStep ui=ui step=step/>
                    </Show>
                </div>
                {move || match route.get() {
                    Route::Add => ().into_any(),
                    Route::List => view! { <DatastoreList filter=list_filter/> }.into_any(),
                    Route::Datastore(id) => view! { <DatastorePage id=id may_write=Signal::derive(move || ui.may_write()) teams=ui.teams.into()/> }.into_any(),
                    Route::Access => view! { <AccessPage/> }.into_any(),
                }}
            </div>
            <Show when=move || adding.get()>
                <aside class="side">
                    <Permissions ui=ui/>
                    <RequestPreview ui=ui/>
                </aside>
            </Show>
        </main>
    }
}

/// Moves focus to a heading (made focusable) after a step change.
pub fn focus_heading(id: &str) {
    use wasm_bindgen::JsCast;
    if let Some(el) = document()
        .get_element_by_id(id)
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}

/// What Finish has done so far (a retry does not create the source twice).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Saved {
    source: Option<i64>,
    enrichment: Option<i64>,
}

/// Step 4 and Finish.
#[component]
fn EnrichmentStep(ui: Ui, step: RwSignal<Step>) -> impl IntoView {
    let mode = Memo::new(move |_| ui.form.with(|f| f.mode));
    let saving = RwSignal::new(false);
    let saved = RwSignal::new(Saved::default());
    let error = RwSignal::new(None::<(String, Failure)>);
    let dialog = RwSignal::new(None::<i64>);
    let blocked = Memo::new(move |_| {
        let src = ui.source_report.with(|r| !r.is_valid());
        let enr = match mode.get() {
            EnrichMode::None => false,
            EnrichMode::Existing => ui.form.with(|f| f.existing_enrichment.is_none()),
            EnrichMode::New => ui.enrichment_report.with(|r| !r.is_valid()),
        };
        src || enr
    });
    let finish = move |_| {
        // a viewer's Finish says why beside it; the server would refuse the save anyway
        if saving.get_untracked() || !ui.may_write() {
            return;
        }
        if blocked.get_untracked() {
            ui.show_all.set(true);
            request_animation_frame(|| {
                if !focus_first_error() {
                    focus_heading("enr-existing");
                }
            });
            return;
        }
        saving.set(true);
        error.set(None);
        let form = ui.form.get_untracked();
        leptos::task::spawn_local(async move {
            let result = save(&form, saved).await;
            saving.set(false);
            match result {
                Ok(id) => dialog.set(Some(id)),
                Err((what, f)) => error.set(Some((what, f))),
            }
        });
    };
    view! {
        <form on:submit=|ev| ev.prevent_default() novalidate>
            <section class="card">
                <h2 id="step-enrichment" tabindex="-1">"Link Enrichment Datastore"</h2>
                <p class="muted">
                    "An enrichment datastore receives the results (anomalies, profiles, scores). "
                    "Optional: Finish without one and link it later, from the datastore's page."
                </p>
                <fieldset class="field segmented">
                    <legend>"Enrichment datastore"</legend>
                    <div class="choices">
                        {[
                            (EnrichMode::None, "enr-none", "None"),
                            (EnrichMode::Existing, "enr-existing", "Use an existing enrichment datastore"),
                            (EnrichMode::New, "enr-new", "Add a new enrichment datastore"),
                        ]
                            .into_iter()
                            .map(|(m, id, label)| {
                                view! {
                                    <label>
                                        <input
                                            type="radio"
                                            name="enr-mode"
                                            id=id
                                            prop:checked=move || mode.get() == m
                                            on:change=move |_| ui.form.update(|f| f.mode = m)
                                        />
                                        {label}
                                    </label>
                                }
                            })
                            .collect_view()}
                    </div>
                </fieldset>
                // the prefix names the tables written there: it has a meaning once there is one
                <Show when=move || mode.get() != EnrichMode::None>
                    <PrefixField ui=ui/>
                </Show>
                <Show when=move || mode.get() == EnrichMode::Existing>
                    <ExistingEnrichment ui=ui/>
                </Show>
            </section>
            <Show when=move || mode.get() == EnrichMode::New>
                <DatastoreFields ui=ui which=Which::Enrichment/>
            </Show>
            {move || {
                error.get().map(|(what, f)| {
                    view! {
                        <div class="banner error" role="alert">
                            <p><strong>{what}</strong> " " {f.words()}</p>
                            {refusal_list(&f)}
                        </div>
                    }
                })
            }}
            <div class="nav">
                <button type="button" class="secondary" on:click=move |_| step.set(Step::Source)>
                    "Back"
                </button>
                <button
                    type="button"
                    id="finish"
                    aria-disabled=move || if blocked.get() || saving.get() || !ui.may_write() { "true" } else { "false" }
                    aria-busy=move || if saving.get() { "true" } else { "false" }
                    aria-describedby=move || (!ui.may_write()).then_some("finish-why")
                    on:click=finish
                >
                    {move || if saving.get() { "Saving…" } else { "Finish" }}
                </button>
                <Show when=move || !ui.may_write()>
                    <span class="muted" id="finish-why">"Saving takes the developer role; you are signed in as a viewer."</span>
                </Show>
            </div>
        </form>
        {move || {
            dialog.get().map(|id| {
                let name = ui.form.with_untracked(|f| f.source.name.clone());
                request_animation_frame(|| focus_heading("done-open"));
                view! {
                    <div class="backdrop">
                        <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="done-title">
                            <h2 id="done-title">"Datastore added"</h2>
                            <p>{format!("{name} is saved.")}</p>
                            <button
                                type="button"
                                id="done-open"
                                on:click=move |_| {
                                    dialog.set(None);
                                    // saved: the wizard starts afresh for the next one, so Back
                                    // from the datastore's page cannot save it twice
                                    reset(ui, step);
                                    go(Route::Datastore(id));
                                }
                            >
                                "Open the datastore"
                            </button>
                        </div>
                    </div>
                }
            })
        }}
    }
}

/// Saves the source, the enrichment datastore (new or stored) and the link, skipping what a
/// previous attempt already saved.
async fn save(form: &Form, saved: RwSignal<Saved>) -> Result<i64, (String, Failure)> {
    let mut done = saved.get_untracked();
    let source = match done.source {
        Some(id) => id,
        None => {
            let v: Value = api::post("/api/datastores", &form.body(Which::Source), None)
                .await
                .map_err(|f| ("The datastore was not saved.".to_owned(), f))?;
            let id = v.get("id").and_then(Value::as_i64).unwrap_or_default();
            done.source = Some(id);
            saved.set(done);
            id
        }
    };
    let enrichment = match form.mode {
        EnrichMode::None => None,
        EnrichMode::Existing => form.existing_enrichment,
        EnrichMode::New => match done.enrichment {
            Some(id) => Some(id),
            None => {
                let v: Value = api::post("/api/datastores", &form.body(Which::Enrichment), None)
                    .await
                    .map_err(|f| {
                        (
                            "The datastore is saved; the enrichment datastore was not.".to_owned(),
                            f,
                        )
                    })?;
                let id = v.get("id").and_then(Value::as_i64).unwrap_or_default();
                done.enrichment = Some(id);
                saved.set(done);
                Some(id)
            }
        },
    };
    if let Some(eid) = enrichment {
        let _: Value = api::patch(
            &format!("/api/datastores/{source}/enrichment/{eid}"),
            &Value::Null,
        )
        .await
        .map_err(|f| {
            (
                "The datastores are saved, but linking them failed.".to_owned(),
                f,
            )
        })?;
    }
    Ok(source)
}

/// Choose a stored enrichment datastore; its team, host, database and schema are shown.
#[component]
fn ExistingEnrichment(ui: Ui) -> impl IntoView {
    let chosen = Memo::new(move |_| ui.form.with(|f| f.existing_enrichment));
    let invalid = Memo::new(move |_| ui.show_all.get() && chosen.get().is_none());
    let detail = move || {
        let id = chosen.get()?;
        ui.enrichments.with(|ds| {
            ds.iter()
                .find(|d| d.get("id").and_then(Value::as_i64) == Some(id))
                .map(enrichment_details)
        })
    };
    view! {
        <div class="field" class:invalid=move || invalid.get()>
            <label for="enr-existing-select">"Enrichment datastore"</label>
            <select
                id="enr-existing-select"
                aria-invalid=move || if invalid.get() { "true" } else { "false" }
                aria-describedby="enr-existing-msg"
                on:change=move |ev| {
                    let v = event_target_value(&ev).parse::<i64>().ok();
                    ui.form.update(|f| f.existing_enrichment = v);
                }
            >
                {move || enrichment_choices(ui.enrichments.get(), chosen.into())}
            </select>
            <div class="messages" id="enr-existing-msg">
                <Show when=move || invalid.get()>
                    <p class="msg error"><span class="badge">"Error"</span>" Choose an enrichment datastore — or pick None or Add a new one."</p>
                </Show>
                <Show when=move || ui.enrichments.with(Vec::is_empty)>
                    <p class="hint">"No enrichment datastore is stored yet: add a new one."</p>
                </Show>
            </div>
            {detail}
        </div>
    }
}
