//! Access (admins): a one-time login link for a colleague — their name, role and teams —
//! (`POST /api/login-links`), and the sessions and tokens the server issued, each revocable
//! (`GET /api/tokens`, `DELETE /api/tokens/{id}`). What `pgconnect token login-link`, `token list`
//! and `token revoke` do from a shell.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use serde_json::{Value, json};

use crate::api::{self, Failure, joined, local_time, text};
use crate::fields::{Confirm, CopyButton, When, refusal_list};

/// The page.
#[component]
pub fn AccessPage() -> impl IntoView {
    // the teams in use, offered for the link: read on each visit, so a team given to a datastore
    // since the wizard loaded is among them
    let teams = RwSignal::new(Vec::<String>::new());
    leptos::task::spawn_local(async move {
        if let Ok(t) = api::get::<Vec<String>>("/api/teams").await {
            teams.set(t);
        }
    });
    let subject = RwSignal::new(String::new());
    let role = RwSignal::new("developer".to_owned());
    let chosen = RwSignal::new(Vec::<String>::new());
    let link = RwSignal::new(None::<Value>);
    let failure = RwSignal::new(None::<Failure>);
    let busy = RwSignal::new(false);
    let tokens = RwSignal::new(None::<Result<Vec<Value>, String>>);
    // this session's token id: its row says so, as revoking it signs this page out
    let mine = RwSignal::new(None::<String>);
    leptos::task::spawn_local(async move {
        if let Ok(s) = api::get::<Value>("/api/session").await {
            mine.set(s.get("id").and_then(Value::as_str).map(str::to_owned));
        }
    });
    let links = RwSignal::new(Vec::<Value>::new());
    let load = move || {
        leptos::task::spawn_local(async move {
            let v = api::get::<Vec<Value>>("/api/tokens").await;
            tokens.set(Some(v.map_err(|f| f.words())));
            if let Ok(l) = api::get::<Vec<Value>>("/api/login-links").await {
                links.set(l);
            }
        });
    };
    load();
    request_animation_frame(|| crate::app::focus_heading("access-title"));
    let make = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        failure.set(None);
        link.set(None);
        let body = json!({
            "subject": subject.get_untracked(),
            "role": role.get_untracked(),
            "teams": chosen.get_untracked(),
        });
        leptos::task::spawn_local(async move {
            let r = api::post::<Value>("/api/login-links", &body, None).await;
            busy.set(false);
            match r {
                Ok(v) => {
                    link.set(Some(v));
                    // the next link is for someone else: a second click does not make another
                    subject.set(String::new());
                    load();
                }
                Err(f) => failure.set(Some(f)),
            }
        });
    };
    // the token a Revoke asks about: its id, who holds it, its kind, and whether it is this session
    let asking = RwSignal::new(None::<Asked>);
    let revoking = RwSignal::new(false);
    let revoke = move |()| {
        let Some(a) = asking.get_untracked() else {
            return;
        };
        if revoking.get_untracked() {
            return;
        }
        revoking.set(true);
        leptos::task::spawn_local(async move {
            let r = api::delete::<()>(&format!("/api/tokens/{}", a.id)).await;
            revoking.set(false);
            asking.set(None);
            match r {
                Ok(()) => load(),
                Err(f) => failure.set(Some(f)),
            }
        });
    };
    let withdraw = move |id: String| {
        leptos::task::spawn_local(async move {
            match api::delete::<()>(&format!("/api/login-links/{id}")).await {
                Ok(()) => {
                    // the link just shown may be the one withdrawn
                    link.set(None);
                    load();
                }
                Err(f) => failure.set(Some(f)),
            }
        });
    };
    let url = Signal::derive(move || {
        link.with(|l| {
            l.as_ref().map_or_else(String::new, |l| {
                let origin = window().location().origin().unwrap_or_default();
                format!("{origin}{}", text(l, "path"))
            })
        })
    });
    view! {
        <section class="card" aria-labelledby="access-title">
            <h2 id="access-title" tabindex="-1">"Access"</h2>
            <h3>"Invite someone"</h3>
            <p class="hint">
                "A one-time link that signs its opener in with the role and teams chosen here, for \
                 12 hours. It works once, within 24 hours: send it privately."
            </p>
            <form on:submit=make novalidate>
                <div class="row">
                    <div class="field">
                        <label for="access-subject">"Name"</label>
                        <input
                            id="access-subject"
                            type="text"
                            autocomplete="off"
                            placeholder="alice"
                            prop:value=move || subject.get()
                            on:input=move |ev| subject.set(event_target_value(&ev))
                        />
                    </div>
                    <div class="field">
                        <label for="access-role">"Role"</label>
                        <select id="access-role" on:change=move |ev| role.set(event_target_value(&ev))>
                            <option value="viewer">"viewer — reads and tests"</option>
                            <option value="developer" selected>"developer — also adds and changes"</option>
                            <option value="admin">"admin — everything, every team"</option>
                        </select>
                    </div>
                </div>
                <fieldset class="field teams" id="access-teams">
                    <legend>"Teams"</legend>
                    <div class="chips">
                        {move || teams.get().into_iter().enumerate().map(|(i, team)| {
                            let t1 = team.clone();
                            let t2 = team.clone();
                            view! {
                                <label class="chip" for=format!("access-team-{i}")>
                                    <input
                                        type="checkbox"
                                        id=format!("access-team-{i}")
                                        prop:checked=move || chosen.with(|c| c.contains(&t1))
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            let t = t2.clone();
                                            chosen.update(|c| {
                                                c.retain(|x| *x != t);
                                                if on {
                                                    c.push(t);
                                                }
                                            });
                                        }
                                    />
                                    {team}
                                </label>
                            }
                        }).collect_view()}
                    </div>
                    <p class="hint">"None: Public datastores only. An admin sees every team's."</p>
                </fieldset>
                {move || failure.get().map(|f| view! {
                    <div class="banner error" role="alert" id="access-refused">
                        <p>{f.words()}</p>
                        {refusal_list(&f)}
                    </div>
                })}
                <div class="actions">
                    <button type="submit" id="access-make" aria-busy=move || if busy.get() { "true" } else { "false" }>
                        {move || if busy.get() { "Making…" } else { "Make a login link" }}
                    </button>
                </div>
            </form>
            {move || link.get().map(|l| view! {
                <div class="banner success" id="access-link" role="status">
                    <p>
                        {format!(
                            "For {} ({}{}), until {}:",
                            text(&l, "subject"),
                            text(&l, "role"),
                            match joined(l.get("teams")) {
                                t if t.is_empty() => String::new(),
                                t => format!(", teams {t}"),
                            },
                            local_time(&text(&l, "expires")),
                        )}
                    </p>
                    <p><code id="access-url">{move || url.get()}</code></p>
                    <CopyButton text=url label="Copy the link"/>
                </div>
            })}
            <Show when=move || links.with(|l| !l.is_empty())>
                <h3>"Links not used yet"</h3>
                <div class="table-wrap" id="access-links">
                    <table>
                        <thead><tr>
                            <th scope="col">"For"</th><th scope="col">"Role"</th><th scope="col">"Teams"</th>
                            <th scope="col">"Made"</th><th scope="col">"Expires"</th>
                            <th scope="col"><span class="sr-only">"Action"</span></th>
                        </tr></thead>
                        <tbody>
                            {move || links.get().into_iter().map(|l| {
                                let id = text(&l, "id");
                                let button_id = format!("withdraw-{id}");
                                view! {
                                    <tr>
                                        <td>{text(&l, "subject")}</td>
                                        <td>{text(&l, "role")}</td>
                                        <td>{teams_text(&l)}</td>
                                        <td><When at=text(&l, "created")/></td>
                                        <td><When at=text(&l, "expires")/></td>
                                        <td>
                                            <button type="button" class="secondary small" id=button_id on:click=move |_| withdraw(id.clone())>
                                                "Withdraw"
                                            </button>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </Show>
            <h3>"Sessions and tokens"</h3>
            <p class="hint">
                "Every token the server issued: browser sessions opened by login links, and tokens \
                 from pgconnect token create. Revoking one ends it on every server sharing the \
                 store, from its next request."
            </p>
            <div id="access-tokens" aria-live="polite">
                {move || match tokens.get() {
                    None => view! { <p><span class="spinner" aria-hidden="true"></span>" Loading…"</p> }.into_any(),
                    Some(Err(words)) => view! { <p class="banner error">{words}</p> }.into_any(),
                    Some(Ok(rows)) => view! {
                        <div class="table-wrap">
                            <table>
                                <thead><tr>
                                    <th scope="col">"Who"</th><th scope="col">"Kind"</th><th scope="col">"Role"</th>
                                    <th scope="col">"Teams"</th><th scope="col">"Expires"</th><th scope="col">"Status"</th>
                                    <th scope="col"><span class="sr-only">"Action"</span></th>
                                </tr></thead>
                                <tbody>
                                    {rows.into_iter().rev().map(|t| {
                                        let id = text(&t, "id");
                                        let active = text(&t, "status") == "active";
                                        let this = mine.with(|m| m.as_deref() == Some(id.as_str()));
                                        let status = match t.get("revoked_at").and_then(Value::as_str) {
                                            Some(at) => format!("revoked {}", local_time(at)),
                                            None if this => format!("{} (this session)", text(&t, "status")),
                                            None => text(&t, "status"),
                                        };
                                        let button_id = format!("revoke-{id}");
                                        let row_id = id.clone();
                                        let asked = Asked {
                                            id: id.clone(),
                                            subject: text(&t, "subject"),
                                            kind: text(&t, "kind"),
                                            this,
                                        };
                                        view! {
                                            <tr data-id=row_id>
                                                <td>{text(&t, "subject")}</td>
                                                <td>{text(&t, "kind")}</td>
                                                <td>{text(&t, "role")}</td>
                                                <td>{teams_text(&t)}</td>
                                                <td><When at=text(&t, "expires_at")/></td>
                                                <td>{status}</td>
                                                <td>{active.then(|| view! {
                                                    <button type="button" class="secondary small" id=button_id on:click=move |_| asking.set(Some(asked.clone()))>
                                                        {if this { "Revoke (signs you out)" } else { "Revoke" }}
                                                    </button>
                                                })}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                }}
            </div>
        </section>
        {move || asking.get().map(|a| {
            let opener = format!("revoke-{}", a.id);
            let what = if a.kind == "session" { "session" } else { "token" };
            view! {
                <Confirm
                    scope="revoke"
                    title=format!("Revoke {}'s {what}?", a.subject)
                    keep="Keep it"
                    act="Revoke"
                    acting="Revoking…"
                    busy=revoking.into()
                    on_keep=Callback::new(move |()| {
                        asking.set(None);
                        crate::app::focus_heading(&opener);
                    })
                    on_act=Callback::new(revoke)
                >
                    {if a.this {
                        "This is your own session: you are signed out at once, and need a new \
                         login link to come back.".to_owned()
                    } else if a.kind == "session" {
                        format!(
                            "It stops working on every server sharing the store, from its next \
                             request. There is no undo: {} needs a new login link.",
                            a.subject
                        )
                    } else {
                        "It stops working on every server sharing the store, from its next \
                         request. There is no undo: whatever uses it needs a new one from \
                         pgconnect token create.".to_owned()
                    }}
                </Confirm>
            }
        })}
    }
}

/// The token a Revoke asks about.
#[derive(Debug, Clone)]
struct Asked {
    id: String,
    subject: String,
    kind: String,
    /// This page's own session.
    this: bool,
}

/// A token's teams as what it sees: an admin sees every team's datastores; anyone else with no
/// team, the Public ones.
fn teams_text(t: &Value) -> String {
    match joined(t.get("teams")) {
        teams if !teams.is_empty() => teams,
        _ if text(t, "role") == "admin" => "every team".to_owned(),
        _ => "none (Public only)".to_owned(),
    }
}
