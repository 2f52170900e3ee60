//! Form fields: a real `<label>`, the input, and under it the core's messages for that field
//! (`aria-invalid`, `aria-describedby`), errors and warnings told apart, plus what the last
//! Test Connection said about it.

use leptos::prelude::*;
use pgconnect_core::check::CheckError;
use pgconnect_core::{Diagnostic, Severity};
use wasm_bindgen::JsCast;

use crate::api::Failure;
use crate::model::{DatastoreForm, belongs, field_path};
use crate::state::{Ui, Which, field_id};

/// Reads and writes one text of a datastore's form.
#[derive(Clone, Copy)]
pub struct Lens {
    /// Which datastore.
    pub which: Which,
    /// Read.
    pub get: fn(&DatastoreForm) -> &String,
    /// Write.
    pub set: fn(&mut DatastoreForm) -> &mut String,
}

impl Lens {
    fn read(self, ui: Ui) -> String {
        ui.form.with(|f| (self.get)(f.ds(self.which)).clone())
    }

    fn write(self, ui: Ui, value: String) {
        ui.form
            .update(|f| *(self.set)(f.ds_mut(self.which)) = value);
    }
}

/// A message under a field.
#[derive(Clone, PartialEq)]
pub struct Message {
    /// Error, warning or note.
    pub severity: Severity,
    /// What is wrong and how to fix it.
    pub text: String,
}

impl Message {
    /// A diagnostic in words, `lead` (e.g. "Server: ") before it.
    #[must_use]
    pub fn of(d: &Diagnostic, lead: &str) -> Message {
        Message {
            severity: d.severity,
            text: format!("{lead}{} — {}", capitalise(&d.message), d.help),
        }
    }
}

/// What shows under the field at `path`: the core's diagnostics once the field is touched (or a
/// submit was blocked), and the last check's explanation when it implicates the field.
fn messages(ui: Ui, which: Which, path: &'static str) -> Vec<Message> {
    let id = field_id(which, path);
    let shown = ui.show_all.get() || ui.touched.with(|t| t.contains(&id));
    let mut out = Vec::new();
    if shown {
        ui.report(which).with(|r| {
            for d in r.diagnostics.iter().filter(|d| belongs(&d.path, path)) {
                out.push(Message::of(d, ""));
            }
        });
    }
    ui.test(which).with(|t| {
        // the server's 422: what only it could see (e.g. a stored connection's settings)
        if let Some(f) = &t.failure {
            for d in f.errors().into_iter().filter(|d| belongs(&d.path, path)) {
                out.push(Message::of(d, "Server: "));
            }
        }
        let Some(report) = &t.report else { return };
        let Some(error) = &report.error else { return };
        let e = error.explanation();
        if e.fields.iter().any(|f| field_path(*f) == path) {
            let what = match error {
                CheckError::Vault(_) => "Vault",
                CheckError::Connection(_) => "Test Connection",
            };
            out.push(Message {
                severity: Severity::Error,
                text: format!("{what}: {} {}", e.title, e.fix),
            });
        }
    });
    out
}

/// The errors of a refusal, each at its field's JSON Pointer (nothing for other failures).
pub fn refusal_list(f: &Failure) -> impl IntoView + use<> {
    let items = f
        .errors()
        .into_iter()
        .map(|d| {
            let text = format!("{} — {}", capitalise(&d.message), d.help);
            view! { <li><code>{d.path.clone()}</code> " " {text}</li> }
        })
        .collect_view();
    view! { <ul>{items}</ul> }
}

/// First letter up.
#[must_use]
pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn touch(ui: Ui, id: &str) {
    if !ui.touched.with_untracked(|t| t.contains(id)) {
        ui.touched.update(|t| {
            t.insert(id.to_owned());
        });
    }
}

/// The messages block and the `aria-invalid` state of a field.
pub fn feedback_for(
    ui: Ui,
    which: Which,
    path: &'static str,
) -> (Signal<bool>, impl IntoView + use<>, String) {
    let id = field_id(which, path);
    let msg_id = format!("{id}-msg");
    let msgs = Memo::new(move |_| messages(ui, which, path));
    let (invalid, view) = message_list(msg_id.clone(), msgs);
    (invalid, view, msg_id)
}

/// The messages block under a field (errors and warnings told apart, announced politely) and
/// whether any of them is an error.
pub fn message_list(
    msg_id: String,
    msgs: Memo<Vec<Message>>,
) -> (Signal<bool>, impl IntoView + use<>) {
    let invalid =
        Signal::derive(move || msgs.with(|m| m.iter().any(|m| m.severity == Severity::Error)));
    let view = view! {
        <div class="messages" id=msg_id aria-live="polite">
            {move || {
                msgs.get()
                    .into_iter()
                    .map(|m| {
                        let (class, label) = match m.severity {
                            Severity::Error => ("msg error", "Error"),
                            Severity::Warning => ("msg warning", "Warning"),
                            _ => ("msg note", "Note"),
                        };
                        view! {
                            <p class=class>
                                <span class="badge">{label}</span>
                                " "
                                {m.text}
                            </p>
                        }
                    })
                    .collect_view()
            }}
        </div>
    };
    (invalid, view)
}

/// What a labelled field is made of: its id, its hint's id, what describes it (the hint, then
/// the messages), whether it is invalid, and its messages.
struct Parts<V> {
    id: String,
    hint_id: String,
    described: String,
    invalid: Signal<bool>,
    messages: V,
}

fn parts(ui: Ui, which: Which, path: &'static str, has_hint: bool) -> Parts<impl IntoView + use<>> {
    let id = field_id(which, path);
    let (invalid, messages, msg_id) = feedback_for(ui, which, path);
    let hint_id = format!("{id}-hint");
    let described = if has_hint {
        format!("{hint_id} {msg_id}")
    } else {
        msg_id
    };
    Parts {
        id,
        hint_id,
        described,
        invalid,
        messages,
    }
}

/// A text input.
#[component]
pub fn TextField(
    ui: Ui,
    lens: Lens,
    label: &'static str,
    path: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = None, into)] hint: Option<&'static str>,
    #[prop(optional)] placeholder: Option<&'static str>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let Parts {
        id,
        hint_id,
        described,
        invalid,
        messages,
    } = parts(ui, lens.which, path, hint.is_some());
    let touch_id = id.clone();
    let blur_id = id.clone();
    view! {
        <div class="field" class:invalid=move || invalid.get()>
            <label for=id.clone()>
                {label}
                {required.then(|| view! { <span class="req" aria-hidden="true">" *"</span> })}
            </label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <input
                id=id.clone()
                name=id.clone()
                type=kind
                placeholder=placeholder
                autocomplete=autocomplete.unwrap_or("off")
                spellcheck="false"
                aria-required=required.then_some("true")
                aria-invalid=move || if invalid.get() { "true" } else { "false" }
                aria-describedby=described
                prop:value=move || lens.read(ui)
                on:input=move |ev| {
                    lens.write(ui, event_target_value(&ev));
                    touch(ui, &touch_id);
                }
                on:blur=move |_| touch(ui, &blur_id)
            />
            {messages}
        </div>
    }
}

/// The source's enrichment prefix (step 4), with the core's messages on it like any field: its
/// rules are checked as the source body's `/enrichment_prefix`.
#[component]
pub fn PrefixField(ui: Ui) -> impl IntoView {
    let Parts {
        id,
        hint_id,
        described,
        invalid,
        messages,
    } = parts(ui, Which::Source, PREFIX, true);
    let touch_id = id.clone();
    let blur_id = id.clone();
    view! {
        <div class="field" class:invalid=move || invalid.get()>
            <label for=id.clone()>"Enrichment prefix"</label>
            <p class="hint" id=hint_id>"Prefix of the tables written for this datastore, e.g. sales_."</p>
            <input
                id=id
                type="text"
                autocomplete="off"
                spellcheck="false"
                aria-invalid=move || if invalid.get() { "true" } else { "false" }
                aria-describedby=described
                prop:value=move || ui.form.with(|f| f.prefix.clone())
                on:input=move |ev| {
                    ui.form.update(|f| f.prefix = event_target_value(&ev));
                    touch(ui, &touch_id);
                }
                on:blur=move |_| touch(ui, &blur_id)
            />
            {messages}
        </div>
    }
}

/// Where a source body (and a link body) keeps the enrichment prefix: step 4's field, not
/// steps 1–3's.
pub const PREFIX: &str = "/enrichment_prefix";

/// A multi-line text input (certificates, credentials payloads).
#[component]
pub fn TextArea(
    ui: Ui,
    lens: Lens,
    label: &'static str,
    path: &'static str,
    #[prop(default = None, into)] hint: Option<&'static str>,
    #[prop(optional)] placeholder: Option<&'static str>,
) -> impl IntoView {
    let Parts {
        id,
        hint_id,
        described,
        invalid,
        messages,
    } = parts(ui, lens.which, path, hint.is_some());
    let touch_id = id.clone();
    view! {
        <div class="field" class:invalid=move || invalid.get()>
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <textarea
                id=id.clone()
                rows="3"
                spellcheck="false"
                placeholder=placeholder
                aria-invalid=move || if invalid.get() { "true" } else { "false" }
                aria-describedby=described
                prop:value=move || lens.read(ui)
                on:input=move |ev| {
                    lens.write(ui, event_target_value(&ev));
                    touch(ui, &touch_id);
                }
            ></textarea>
            {messages}
        </div>
    }
}

/// A `<select>` over fixed options.
#[component]
pub fn SelectField(
    ui: Ui,
    lens: Lens,
    label: &'static str,
    path: &'static str,
    options: &'static [(&'static str, &'static str)],
    #[prop(default = None, into)] hint: Option<&'static str>,
) -> impl IntoView {
    let Parts {
        id,
        hint_id,
        described,
        invalid,
        messages,
    } = parts(ui, lens.which, path, hint.is_some());
    let touch_id = id.clone();
    view! {
        <div class="field" class:invalid=move || invalid.get()>
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <select
                id=id.clone()
                aria-invalid=move || if invalid.get() { "true" } else { "false" }
                aria-describedby=described
                prop:value=move || lens.read(ui)
                on:change=move |ev| {
                    lens.write(ui, event_target_value(&ev));
                    touch(ui, &touch_id);
                }
            >
                {options
                    .iter()
                    .map(|(value, text)| {
                        let selected = move || lens.read(ui) == *value;
                        view! { <option value=*value selected=selected>{*text}</option> }
                    })
                    .collect_view()}
            </select>
            {messages}
        </div>
    }
}

/// The teams, as checkboxes in a fieldset (a multi-select that works with the keyboard alone).
#[component]
pub fn TeamsField(
    ui: Ui,
    which: Which,
    // teams shown ticked that the caller may not untick (another team's, on a stored datastore)
    #[prop(optional, into)] locked: Signal<Vec<String>>,
) -> impl IntoView {
    let path = "/teams";
    let id = field_id(which, path);
    let (invalid, messages, msg_id) = feedback_for(ui, which, path);
    let legend_id = format!("{id}-legend");
    let fieldset_id = id.clone();
    let labelledby = legend_id.clone();
    view! {
        <fieldset
            class="field teams"
            class:invalid=move || invalid.get()
            id=fieldset_id
            aria-describedby=msg_id
            aria-labelledby=labelledby
        >
            <legend id=legend_id>"Teams"</legend>
            <div class="chips">
                {move || {
                    let id = id.clone();
                    ui.teams
                        .get()
                        .into_iter()
                        .enumerate()
                        .map(|(i, team)| {
                            let box_id = format!("{id}-{i}");
                            let for_id = box_id.clone();
                            let t1 = team.clone();
                            let t2 = team.clone();
                            let is_locked = locked.with(|l| l.contains(&team));
                            let touch_id = id.clone();
                            view! {
                                <label class="chip" class:locked=is_locked for=for_id>
                                    <input
                                        type="checkbox"
                                        id=box_id
                                        disabled=is_locked
                                        aria-invalid=move || if invalid.get() { "true" } else { "false" }
                                        prop:checked=move || {
                                            ui.form.with(|f| f.ds(which).teams.contains(&t1))
                                        }
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            let t = t2.clone();
                                            ui.form.update(|f| {
                                                let teams = &mut f.ds_mut(which).teams;
                                                teams.retain(|x| *x != t);
                                                if on {
                                                    teams.push(t);
                                                }
                                            });
                                            touch(ui, &touch_id);
                                        }
                                    />
                                    {team}
                                </label>
                            }
                        })
                        .collect_view()
                }}
            </div>
            {move || {
                let l = locked.get();
                (!l.is_empty()).then(|| view! {
                    <p class="hint" id=format!("{}-locked", field_id(which, path))>
                        {format!(
                            "{} stays: you are not in {}, so only {} or an admin can take the \
                             datastore away from {}.",
                            l.join(", "),
                            if l.len() == 1 { "that team" } else { "those teams" },
                            if l.len() == 1 { "its members" } else { "their members" },
                            if l.len() == 1 { "it" } else { "them" },
                        )}
                    </p>
                })
            }}
            {messages}
        </fieldset>
    }
}

/// A checkbox over a boolean of the form.
#[component]
pub fn Check(
    id: String,
    label: &'static str,
    #[prop(default = None, into)] hint: Option<&'static str>,
    checked: Signal<bool>,
    on_change: Callback<bool>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    view! {
        <div class="check">
            <input
                type="checkbox"
                id=id.clone()
                aria-describedby=hint.map(|_| hint_id.clone())
                prop:checked=move || checked.get()
                on:change=move |ev| on_change.run(event_target_checked(&ev))
            />
            <label for=id>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
        </div>
    }
}

/// Focuses the first field marked invalid; `true` when there was one.
pub fn focus_first_error() -> bool {
    let Some(el) = document()
        .query_selector("[aria-invalid='true']")
        .ok()
        .flatten()
    else {
        return false;
    };
    if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
        let _ = el.focus();
        return true;
    }
    false
}

/// A copy-to-clipboard button for `text`, with a polite status.
#[component]
pub fn CopyButton(text: Signal<String>, label: &'static str) -> impl IntoView {
    let status = RwSignal::new("");
    view! {
        <span class="copy">
            <button
                type="button"
                class="secondary small"
                on:click=move |_| {
                    let t = text.get_untracked();
                    let clipboard = window().navigator().clipboard();
                    let promise = clipboard.write_text(&t);
                    leptos::task::spawn_local(async move {
                        let ok = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
                        status.set(if ok { "Copied." } else { "Copy failed: select the text and copy it." });
                    });
                }
            >
                {label}
            </button>
            <span class="status" role="status">{move || status.get()}</span>
        </span>
    }
}

/// A question before an action that cannot be undone: a modal dialog with ids `{scope}-title`,
/// `{scope}-what` (the children: what the action does), `{scope}-keep` (focused when it opens;
/// Escape does the same) and `{scope}-confirm` (`acting` while `busy`). Tab keeps the focus on
/// its two buttons.
#[component]
pub fn Confirm(
    scope: &'static str,
    title: String,
    keep: &'static str,
    act: &'static str,
    acting: &'static str,
    busy: Signal<bool>,
    on_keep: Callback<()>,
    on_act: Callback<()>,
    children: Children,
) -> impl IntoView {
    let keep_id = format!("{scope}-keep");
    let confirm_id = format!("{scope}-confirm");
    let focus = keep_id.clone();
    request_animation_frame(move || crate::app::focus_heading(&focus));
    // the focus stays in the dialog: Tab and Shift+Tab go between its two buttons
    let (keep_tab, confirm_tab) = (keep_id.clone(), confirm_id.clone());
    view! {
        <div
            class="backdrop"
            on:keydown=move |ev| match ev.key().as_str() {
                "Escape" => {
                    ev.prevent_default();
                    on_keep.run(());
                }
                "Tab" => {
                    ev.prevent_default();
                    let on_keep_button = document()
                        .active_element()
                        .is_some_and(|e| e.id() == keep_tab);
                    crate::app::focus_heading(if on_keep_button { &confirm_tab } else { &keep_tab });
                }
                _ => {}
            }
        >
            <div
                class="dialog"
                role="dialog"
                aria-modal="true"
                aria-labelledby=format!("{scope}-title")
                aria-describedby=format!("{scope}-what")
            >
                <h2 id=format!("{scope}-title")>{title}</h2>
                <p id=format!("{scope}-what")>{children()}</p>
                <div class="nav">
                    <button type="button" class="secondary" id=keep_id on:click=move |_| on_keep.run(())>
                        {keep}
                    </button>
                    <button
                        type="button"
                        class="danger"
                        id=confirm_id
                        aria-busy=move || if busy.get() { "true" } else { "false" }
                        on:click=move |_| on_act.run(())
                    >
                        {move || if busy.get() { acting } else { act }}
                    </button>
                </div>
            </div>
        </div>
    }
}

/// A page form's refusal (the server's words and the fields it named) and its Save and Cancel,
/// with ids `{scope}-refused`, `{scope}-save` and `{scope}-cancel`.
#[component]
pub fn SaveBar(
    scope: &'static str,
    busy: RwSignal<bool>,
    failure: RwSignal<Option<crate::api::Failure>>,
    on_save: Callback<()>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    view! {
        {move || failure.get().map(|f| view! {
            <div class="banner error" role="alert" id=format!("{scope}-refused")>
                <p>{f.words()}</p>
                {refusal_list(&f)}
            </div>
        })}
        <div class="nav">
            <button
                type="button"
                id=format!("{scope}-save")
                aria-busy=move || if busy.get() { "true" } else { "false" }
                on:click=move |_| on_save.run(())
            >
                {move || if busy.get() { "Saving…" } else { "Save" }}
            </button>
            <button type="button" class="secondary" id=format!("{scope}-cancel") on:click=move |_| on_cancel.run(())>
                "Cancel"
            </button>
        </div>
    }
}

/// A time from the server, in local time, with the exact UTC instant as its `datetime` and title.
#[component]
pub fn When(at: String) -> impl IntoView {
    view! { <time datetime=at.clone() title=format!("{at} (UTC)")>{crate::api::local_time(&at)}</time> }
}
