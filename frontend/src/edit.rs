//! Changing a datastore's stored connection from its page: a rotated password, a moved host, a
//! stricter TLS mode. The wizard's connection fields, filled with what is stored; the secrets
//! start empty and empty keeps them (`model::ConnEdit`). The core checks the fields as they are
//! typed, with the server's rule that a stored secret is never sent to a new address. Test
//! Connection runs the change before it is saved (`POST /api/connections/{id}/test` with the
//! changed fields), Save sends only them (`PATCH /api/connections/{id}`).

use leptos::prelude::*;
use pgconnect_core::Report;
use serde_json::{Map, Value};

use crate::api::{self, Failure, text};
use crate::app::focus_heading;
use crate::datastore::{Kept, NewConnection};
use crate::fields::{SaveBar, focus_first_error};
use crate::model::{ConnEdit, DatastoreForm, Kind};
use crate::state::{Form, TestRun, Ui, Which};
use crate::test::CheckRunner;

/// The datastore's kind, as its page's copy says.
fn kind_of(d: &Value) -> Kind {
    if d.get("enrich_only") == Some(&Value::Bool(true)) {
        Kind::Enrichment
    } else {
        Kind::Source
    }
}

/// The change as typed: its `PATCH` body, and the core's report on it.
fn judge(edit: &ConnEdit, f: &Form, kind: Kind) -> (Map<String, Value>, Report) {
    let d = &f.source;
    let patch = edit.patch(&d.conn, &d.connection_name, &d.name);
    let report = edit.report(&d.to_json(kind, None), &patch);
    (patch, report)
}

/// The body of a test of the change: the changed fields, where the data is, and which
/// privileges to audit.
fn test_body(mut patch: Map<String, Value>, d: &DatastoreForm, kind: Kind) -> Value {
    patch.insert("database".into(), Value::String(d.database.clone()));
    patch.insert("schema".into(), Value::String(d.schema.clone()));
    patch.insert("kind".into(), Value::String(kind.as_str().to_owned()));
    Value::Object(patch)
}

/// "Change the connection…" on a datastore's page (`datastore` is the page's copy of it).
#[component]
pub fn ChangeConnection(
    datastore: RwSignal<Option<Result<Value, String>>>,
    // the page's own check, which a saved change makes stale: cleared then
    page_check: RwSignal<TestRun>,
) -> impl IntoView {
    let edit = RwSignal::new(None::<ConnEdit>);
    let kind = Memo::new(move |_| {
        datastore.with(|d| match d {
            Some(Ok(d)) => kind_of(d),
            _ => Kind::Source,
        })
    });
    // the wizard's state, for the wizard's fields; its report is the change's
    let base = Ui::new();
    let form = base.form;
    let ui = Ui {
        source_report: Memo::new(move |_| {
            edit.with(|e| match e {
                Some(e) => form.with(|f| judge(e, f, kind.get()).1),
                None => Report::new(),
            })
        }),
        ..base
    };
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<Failure>);
    let done = RwSignal::new(None::<String>);
    let start = move |_| {
        let Some(Ok(d)) = datastore.get_untracked() else {
            return;
        };
        let e = ConnEdit::new(d.get("connection").cloned().unwrap_or(Value::Null));
        let (conn, connection_name) = e.form();
        form.set(Form {
            source: DatastoreForm {
                name: text(&d, "name"),
                database: text(&d, "database"),
                schema: text(&d, "schema"),
                connection_name,
                conn,
                trigger_catalog: false,
                ..DatastoreForm::default()
            },
            ..Form::default()
        });
        // what is stored is filled in, so every message shows from the start (a stored weak
        // TLS mode, a password to type again as soon as the host changes)
        ui.show_all.set(true);
        ui.source_test.set(TestRun::default());
        failure.set(None);
        done.set(None);
        edit.set(Some(e));
        request_animation_frame(|| focus_heading("conn-edit-legend"));
    };
    let close = move || {
        edit.set(None);
        request_animation_frame(|| focus_heading("conn-open"));
    };
    // what Test Connection and Save send, or `None` (every message shown, focus on the first)
    let change = move || {
        let (patch, report) = edit.with_untracked(|e| {
            e.as_ref()
                .map(|e| form.with_untracked(|f| judge(e, f, kind.get_untracked())))
        })?;
        if report.is_valid() {
            return Some(patch);
        }
        ui.show_all.set(true);
        request_animation_frame(|| {
            focus_first_error();
        });
        None
    };
    let connection_id = move || edit.with_untracked(|e| e.as_ref().and_then(ConnEdit::id));
    let test_request = Callback::new(move |()| {
        let patch = change()?;
        let id = connection_id()?;
        let body = form.with_untracked(|f| test_body(patch, &f.source, kind.get_untracked()));
        Some((format!("/api/connections/{id}/test"), body))
    });
    let stale = Signal::derive(move || {
        let current = edit.with(|e| {
            e.as_ref()
                .map(|e| form.with(|f| test_body(judge(e, f, kind.get()).0, &f.source, kind.get())))
        });
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
                "Nothing changed: the connection is as stored.".to_owned(),
            ));
            close();
            return;
        }
        let Some(id) = connection_id() else { return };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let r: Result<Value, Failure> =
                api::patch(&format!("/api/connections/{id}"), &Value::Object(patch)).await;
            busy.set(false);
            match r {
                Ok(c) => {
                    let users = c
                        .get("datastore_count")
                        .and_then(Value::as_i64)
                        .unwrap_or(1);
                    done.set(Some(format!(
                        "Saved: connection {} now reaches {}:{} as {}{}. Test Connection below \
                         checks it as stored.",
                        text(&c, "name"),
                        text(&c, "host"),
                        text(&c, "port"),
                        text(&c, "username"),
                        if users > 1 {
                            format!(", for its {users} datastores")
                        } else {
                            String::new()
                        }
                    )));
                    page_check.set(TestRun::default());
                    datastore.update(|d| {
                        if let Some(Ok(Value::Object(d))) = d {
                            d.insert("connection".into(), c);
                        }
                    });
                    close();
                }
                Err(f) => failure.set(Some(f)),
            }
        });
    };
    let shared = move || {
        edit.with(|e| {
            let n = e.as_ref().map_or(1, ConnEdit::datastores);
            (n > 1).then(|| {
                format!("{n} datastores use this connection: the change applies to all of them.")
            })
        })
    };
    view! {
        <Show when=move || edit.with(Option::is_none)>
            <div class="actions">
                <button type="button" class="secondary" id="conn-open" on:click=start>
                    "Change the connection…"
                </button>
            </div>
        </Show>
        {move || {
            let e = edit.get()?;
            let kept = Kept {
                password: e.password_set(),
                credentials: e.credentials_set(),
            };
            Some(view! {
                <fieldset class="conn-edit" aria-describedby="conn-edit-what">
                    <legend id="conn-edit-legend" tabindex="-1">"Change the connection"</legend>
                    <p class="hint" id="conn-edit-what">
                        "Secrets are never shown: an empty password keeps the stored one. Test \
                         Connection checks the change before it is saved."
                        {shared().map(|s| view! { " " <strong>{s}</strong> })}
                    </p>
                    <NewConnection ui=ui which=Which::Stored kept=kept/>
                    <div class="test">
                        <h3>"Test Connection"</h3>
                        <CheckRunner
                            scope="edit"
                            run=ui.source_test
                            stale=stale
                            request=test_request
                        />
                    </div>
                    <SaveBar
                        scope="conn"
                        busy=busy
                        failure=failure
                        on_save=Callback::new(save)
                        on_cancel=Callback::new(move |()| close())
                    />
                </fieldset>
            })
        }}
        <p class="status" role="status" id="conn-status">{move || done.get()}</p>
    }
}
