//! Changing a datastore's own fields from its page ("Edit details…": name, database, schema,
//! teams, and Initiate sync — what Qualytics lets you edit on a datastore). The wizard's fields,
//! filled with what is stored (`model::DetailsEdit`); the core checks the change as it is typed
//! (`analyze_datastore_patch`). Test Connection tries the stored connection on the database and
//! schema as typed before anything is saved; Save sends only the changed fields
//! (`PATCH /api/datastores/{id}`). A new database or schema drops the stored catalog, which the
//! page then shows, and clears the page's now-stale test result.

use leptos::prelude::*;
use pgconnect_core::Report;
use serde_json::{Map, Value};

use crate::api::{self, Failure, text};
use crate::app::focus_heading;
use crate::fields::{Check, Lens, SaveBar, TeamsField, TextField, focus_first_error};
use crate::model::DetailsEdit;
use crate::page::poll_catalog;
use crate::state::{Form, TestRun, Ui, Which};
use crate::test::CheckRunner;

const WHICH: Which = Which::Details;

/// What Save said, from the datastore as the server answered.
fn saved_words(d: &Value, moved: bool, discovering: bool) -> String {
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
    let catalog = match (moved, discovering) {
        (_, true) => " The catalog is being discovered.",
        (true, false) => {
            " The old catalog was dropped: its tables are not this datastore's any more. \
             Discover the catalog below when you are ready."
        }
        (false, false) => "",
    };
    format!(
        "Saved: {} reads {}.{}, seen by {teams}.{catalog}",
        text(d, "name"),
        text(d, "database"),
        text(d, "schema"),
    )
}

/// "Edit details…" on a datastore's page (`datastore` is the page's copy of it; `teams` the
/// caller's teams; `page_check` and `catalog` the page's, which a move makes stale).
#[component]
pub fn ChangeDetails(
    id: i64,
    datastore: RwSignal<Option<Result<Value, String>>>,
    teams: Signal<Vec<String>>,
    page_check: RwSignal<TestRun>,
    catalog: RwSignal<Option<Value>>,
) -> impl IntoView {
    let edit = RwSignal::new(None::<DetailsEdit>);
    let base = Ui::new();
    let form = base.form;
    let ui = Ui {
        source_report: Memo::new(move |_| {
            edit.with(|e| match e {
                Some(e) => form.with(|f| teams.with(|mine| e.report(&e.patch(&f.source), mine))),
                None => Report::new(),
            })
        }),
        ..base
    };
    // another team's: it stays (the server refuses to take the datastore away from it)
    let locked = Signal::derive(move || {
        edit.with(|e| {
            e.as_ref()
                .map(|e| teams.with(|mine| e.locked_teams(mine)))
                .unwrap_or_default()
        })
    });
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<Failure>);
    let done = RwSignal::new(None::<String>);
    let start = move |_| {
        let Some(Ok(d)) = datastore.get_untracked() else {
            return;
        };
        let e = DetailsEdit::new(d);
        ui.teams.set(e.team_choices(&teams.get_untracked()));
        form.set(Form {
            source: e.form(),
            ..Form::default()
        });
        ui.show_all.set(true);
        ui.source_test.set(TestRun::default());
        failure.set(None);
        done.set(None);
        edit.set(Some(e));
        request_animation_frame(|| focus_heading("details-legend"));
    };
    let close = move || {
        edit.set(None);
        request_animation_frame(|| focus_heading("details-open"));
    };
    // the change as typed, or `None` (every message shown, focus on the first)
    let change = move || -> Option<Map<String, Value>> {
        let patch = edit.with_untracked(|e| {
            e.as_ref()
                .map(|e| form.with_untracked(|f| e.patch(&f.source)))
        })?;
        if ui.source_report.with_untracked(Report::is_valid) {
            return Some(patch);
        }
        ui.show_all.set(true);
        request_animation_frame(|| {
            focus_first_error();
        });
        None
    };
    let test_request = Callback::new(move |()| {
        change()?;
        let (cid, body) = edit.with_untracked(|e| {
            let e = e.as_ref()?;
            Some((
                e.connection_id()?,
                form.with_untracked(|f| e.test_body(&f.source)),
            ))
        })?;
        Some((format!("/api/connections/{cid}/test"), body))
    });
    let stale = Signal::derive(move || {
        let current = edit.with(|e| e.as_ref().map(|e| form.with(|f| e.test_body(&f.source))));
        ui.source_test
            .with(|r| !r.running && r.tested.is_some() && r.tested != current)
    });
    let save = move |()| {
        if busy.get_untracked() {
            return;
        }
        failure.set(None);
        let Some(patch) = change() else { return };
        if patch.is_empty() {
            done.set(Some(
                "Nothing changed: the datastore is as stored.".to_owned(),
            ));
            close();
            return;
        }
        let moved = patch.contains_key("database") || patch.contains_key("schema");
        let discovering = patch.contains_key("trigger_catalog");
        busy.set(true);
        leptos::task::spawn_local(async move {
            let r: Result<Value, Failure> =
                api::patch(&format!("/api/datastores/{id}"), &Value::Object(patch)).await;
            busy.set(false);
            match r {
                Ok(d) => {
                    done.set(Some(saved_words(&d, moved, discovering)));
                    if moved {
                        page_check.set(TestRun::default());
                        catalog.set(None);
                    }
                    if discovering {
                        catalog.set(Some(serde_json::json!({ "status": "running" })));
                        poll_catalog(id, catalog, 0);
                    }
                    datastore.set(Some(Ok(d)));
                    close();
                }
                Err(f) => failure.set(Some(f)),
            }
        });
    };
    view! {
        <Show when=move || edit.with(Option::is_none)>
            <div class="actions">
                <button type="button" class="secondary" id="details-open" on:click=start>
                    "Edit details…"
                </button>
            </div>
        </Show>
        {move || {
            edit.with(Option::is_some).then(|| view! {
                <fieldset class="conn-edit" aria-describedby="details-what">
                    <legend id="details-legend" tabindex="-1">"Edit details"</legend>
                    <p class="hint" id="details-what">
                        "The name, where the data is, and who sees it. The connection is changed \
                         on its own, below. A new database or schema drops the stored catalog."
                    </p>
                    <TextField
                        ui=ui
                        lens=Lens { which: WHICH, get: |d| &d.name, set: |d| &mut d.name }
                        label="Name"
                        path="/name"
                        required=true
                    />
                    <div class="row">
                        <TextField
                            ui=ui
                            lens=Lens { which: WHICH, get: |d| &d.database, set: |d| &mut d.database }
                            label="Database"
                            path="/database"
                            required=true
                        />
                        <TextField
                            ui=ui
                            lens=Lens { which: WHICH, get: |d| &d.schema, set: |d| &mut d.schema }
                            label="Schema"
                            path="/schema"
                            required=true
                        />
                    </div>
                    <TeamsField ui=ui which=WHICH locked=locked/>
                    <Check
                        id="details-trigger-catalog".to_owned()
                        label="Initiate sync"
                        hint="Discover the schema's tables, columns and keys again once saved."
                        checked=Signal::derive(move || form.with(|f| f.source.trigger_catalog))
                        on_change=Callback::new(move |on| form.update(|f| f.source.trigger_catalog = on))
                    />
                    <div class="test">
                        <h3>"Test Connection"</h3>
                        <p class="hint">"Tries the stored connection on the database and schema as typed; nothing is saved."</p>
                        <CheckRunner
                            scope="details"
                            run=ui.source_test
                            stale=stale
                            request=test_request
                        />
                    </div>
                    <SaveBar
                        scope="details"
                        busy=busy
                        failure=failure
                        on_save=Callback::new(save)
                        on_cancel=Callback::new(move |()| close())
                    />
                </fieldset>
            })
        }}
        <p class="status" role="status" id="details-status">{move || done.get()}</p>
    }
}
