//! Test Connection: runs the live check on the server, shows the time while it runs (and lets it
//! be cancelled), then each stage, what the server is, the missing privileges with their GRANT
//! SQL, or the explanation of the failure (its fields are marked in the form).

use leptos::prelude::*;
use pgconnect_core::check::{CheckError, CheckEvent, CheckReport, Outcome, StageReport};
use serde_json::Value;

use crate::api::{self, Failure};
use crate::fields::{CopyButton, focus_first_error, refusal_list};
use crate::state::{TestRun, Ui, Which};

fn now() -> f64 {
    window().performance().map_or(0.0, |p| p.now())
}

/// What a check of `which` sends — the form's body, or a stored connection's id and what the
/// form adds to it — or `None` (with every message shown and the first error focused) while the
/// form has errors.
fn form_request(ui: Ui, which: Which) -> Option<(String, Value)> {
    if !ui.report(which).with_untracked(|r| r.is_valid()) {
        ui.show_all.set(true);
        request_animation_frame(|| {
            focus_first_error();
        });
        return None;
    }
    Some(ui.form.with_untracked(|f| {
        let d = f.ds(which);
        match (d.existing, d.connection_id) {
            (true, Some(id)) => (
                format!("/api/connections/{id}/test"),
                d.stored_test_json(which.kind()),
            ),
            _ => (
                format!("/api/datastores/connection?kind={}", which.kind().as_str()),
                f.body(which),
            ),
        }
    }))
}

/// Starts a check: `POST url` with `body`, its stages into `run` as they end.
fn start(
    run: RwSignal<TestRun>,
    abort: StoredValue<Option<web_sys::AbortController>>,
    (url, body): (String, Value),
) {
    let controller = web_sys::AbortController::new().ok();
    let signal = controller.as_ref().map(web_sys::AbortController::signal);
    abort.set_value(controller);
    let started = now();
    run.set(TestRun {
        running: true,
        started,
        elapsed: 0.0,
        report: None,
        failure: None,
        tested: Some(body.clone()),
        live: Vec::new(),
        current: None,
    });
    let ticker = set_interval_with_handle(
        move || run.update(|r| r.elapsed = now() - r.started),
        std::time::Duration::from_millis(100),
    )
    .ok();
    leptos::task::spawn_local(async move {
        let result: Result<CheckReport, Failure> =
            api::post_check(&url, &body, signal.as_ref(), |event| {
                run.update(|r| match event {
                    CheckEvent::Started { stage } => r.current = Some(stage),
                    CheckEvent::Stage { stage } => {
                        if r.current == Some(stage.name) {
                            r.current = None;
                        }
                        r.live.push(stage);
                    }
                    CheckEvent::Report { .. } | CheckEvent::Invalid { .. } => {}
                });
            })
            .await;
        if let Some(t) = ticker {
            t.clear();
        }
        run.update(|r| {
            r.running = false;
            r.current = None;
            r.elapsed = now() - r.started;
            match result {
                Ok(report) => r.report = Some(report),
                Err(f) => r.failure = Some(f),
            }
        });
        abort.set_value(None);
    });
}

/// Test Connection for one of the form's datastores: the button, and what the check said.
#[component]
pub fn TestPanel(ui: Ui, which: Which) -> impl IntoView {
    let run = ui.test(which);
    let scope = which.scope();
    let stale = Signal::derive(move || {
        let current = ui.form.with(|f| {
            let d = f.ds(which);
            if d.existing {
                d.stored_test_json(which.kind())
            } else {
                f.body(which)
            }
        });
        run.with(|r| !r.running && r.tested.as_ref().is_some_and(|t| *t != current))
    });
    view! {
        <div class="test" aria-labelledby=format!("{scope}-test-h")>
            <h3 id=format!("{scope}-test-h")>"Test Connection"</h3>
            <CheckRunner
                scope=scope
                run=run
                stale=stale
                request=Callback::new(move |()| form_request(ui, which))
            />
        </div>
    }
}

/// A check's button (with Cancel and the time while it runs) and its answer: each stage, what the
/// server is, the missing privileges with their GRANT SQL, or the explanation of the failure.
/// `request` gives what to send, or `None` to not start. The element ids start with `scope`.
#[component]
pub fn CheckRunner(
    scope: &'static str,
    run: RwSignal<TestRun>,
    stale: Signal<bool>,
    request: Callback<(), Option<(String, Value)>>,
) -> impl IntoView {
    let abort = StoredValue::new(None::<web_sys::AbortController>);
    let running = Memo::new(move |_| run.with(|r| r.running));
    let on_start = move |_| {
        if run.with_untracked(|r| r.running) {
            return;
        }
        if let Some(req) = request.run(()) {
            start(run, abort, req);
        }
    };
    view! {
            <div class="actions">
                <button
                    type="button"
                    id=format!("{scope}-test")
                    disabled=move || running.get()
                    aria-busy=move || if running.get() { "true" } else { "false" }
                    on:click=on_start
                >
                    {move || if running.get() { "Testing…" } else { "Test Connection" }}
                </button>
                <Show when=move || running.get()>
                    <button
                        type="button"
                        class="secondary"
                        id=format!("{scope}-cancel")
                        on:click=move |_| {
                            abort.with_value(|c| {
                                if let Some(c) = c {
                                    c.abort();
                                }
                            });
                        }
                    >
                        "Cancel"
                    </button>
                    <span class="spinner" aria-hidden="true"></span>
                </Show>
                <span class="elapsed" role="timer" aria-live="off">
                    {move || {
                        let r = run.get();
                        if r.running || r.report.is_some() || r.failure.is_some() {
                            format!("{:.1} s", r.elapsed / 1000.0)
                        } else {
                            String::new()
                        }
                    }}
                </span>
            </div>
            <Show when=move || stale.get()>
                <p class="msg note">"The form changed since this test: test again to check what will be saved."</p>
            </Show>
        <div class="result" id=format!("{scope}-result") role="status" aria-live="polite">
                {move || {
                    let r = run.get();
                    if r.running {
                        return live_view(&r.live, r.current).into_any();
                    }
                    if let Some(f) = r.failure {
                        return failure_view(&f).into_any();
                    }
                    match r.report {
                        Some(report) => report_view(report).into_any(),
                        None => ().into_any(),
                    }
                }}
        </div>
    }
}

fn failure_view(f: &Failure) -> impl IntoView + use<> {
    let class = if *f == Failure::Aborted {
        "banner note"
    } else {
        "banner error"
    };
    view! {
        <div class=class>
            <p>{f.words()}</p>
            {refusal_list(f)}
        </div>
    }
}

fn outcome_mark(o: Outcome) -> (&'static str, &'static str) {
    match o {
        Outcome::Ok => ("ok", "✓"),
        Outcome::Failed => ("failed", "✗"),
        Outcome::Skipped => ("skipped", "–"),
    }
}

fn stage_item(s: &StageReport) -> impl IntoView + use<> {
    let (class, mark) = outcome_mark(s.outcome);
    view! {
        <li class=format!("stage {class}")>
            <span class="mark" aria-hidden="true">{mark}</span>
            <span class="name">{s.name.as_str()}</span>
            <span class="detail">{s.detail.clone()}</span>
            <span class="ms">{format!("{:.0} ms", s.elapsed_ms)}</span>
        </li>
    }
}

/// The stages so far, and the one running with a spinner.
fn live_view(
    told: &[StageReport],
    current: Option<pgconnect_core::check::StageName>,
) -> impl IntoView + use<> {
    let done = told.iter().map(stage_item).collect_view();
    let running = match current {
        Some(s) => view! {
            <li class="stage running">
                <span class="spinner" aria-hidden="true"></span>
                <span class="name">{s.as_str()}</span>
                <span class="detail">"running…"</span>
            </li>
        }
        .into_any(),
        None if told.is_empty() => view! { <li class="stage running"><span class="spinner" aria-hidden="true"></span><span class="name">"Connecting…"</span></li> }.into_any(),
        None => ().into_any(),
    };
    view! { <ol class="stages live" aria-label="Stages so far">{done}{running}</ol> }
}

fn report_view(r: CheckReport) -> impl IntoView {
    let ok = r.connected && r.error.is_none() && r.privileges.as_ref().is_none_or(|p| p.ok);
    let banner = if ok {
        "banner success"
    } else if r.connected {
        "banner warning"
    } else {
        "banner error"
    };
    let stages = r.stages.iter().map(stage_item).collect_view();
    let facts = r.connected.then(|| {
        view! {
            <dl class="summary">
                <dt>"Server"</dt><dd>{format!("PostgreSQL {}", r.server_version.clone().unwrap_or_default())}</dd>
                <dt>"Latency"</dt><dd>{r.latency_ms.map(|l| format!("{l} ms")).unwrap_or_default()}</dd>
                <dt>"Logged in as"</dt><dd>{r.current_user.clone().unwrap_or_default()}</dd>
                <dt>"Schemas"</dt><dd>{r.schemas.join(", ")}</dd>
                <dt>"Tables"</dt><dd>{r.table_count.map(|n| n.to_string()).unwrap_or_default()}</dd>
                <dt>"TLS"</dt><dd>{r.tls.as_ref().map_or_else(|| "not encrypted".to_owned(), |t| format!("{}{}", t.protocol, if t.verified { ", verified" } else { ", not verified" }))}</dd>
            </dl>
        }
    });
    let missing = r.privileges.clone().filter(|p| !p.missing.is_empty()).map(|p| {
        let sql = p.fix_sql.clone();
        view! {
            <div class="missing">
                <h4>{format!("Missing privileges of {}", p.role)}</h4>
                <ul>
                    {p.missing
                        .iter()
                        .map(|m| view! { <li><strong>{m.privilege.clone()}</strong> " on " {m.object.clone()}</li> })
                        .collect_view()}
                </ul>
                <p>"Run as a superuser or the objects' owner, then test again:"</p>
                <pre class="sql"><code>{sql.clone()}</code></pre>
                <CopyButton text=Signal::derive(move || sql.clone()) label="Copy GRANT SQL"/>
            </div>
        }
    });
    // the audit's GRANT SQL (below) covers everything missing; the explanation's own SQL fixes
    // only the first refusal, so it is not shown twice
    let has_missing = r.privileges.as_ref().is_some_and(|p| !p.missing.is_empty());
    let explanation = r.error.clone().map(|e| {
        let vault = matches!(e, CheckError::Vault(_));
        let x = e.explanation().clone();
        let fix_sql = x.fix_sql.clone().filter(|_| !has_missing);
        let fix_config = x.fix_config.clone();
        view! {
            <div class="explanation">
                <h4>{if vault { format!("Vault: {}", x.title) } else { x.title.clone() }}</h4>
                <p><strong>"Cause: "</strong>{x.cause.clone()}</p>
                <p><strong>"Fix: "</strong>{x.fix.clone()}</p>
                {has_missing.then(|| view! { <p>"The GRANT SQL below gives the role everything it lacks."</p> })}
                {fix_sql.map(|sql| {
                    let s = sql.clone();
                    view! {
                        <pre class="sql"><code>{sql}</code></pre>
                        <CopyButton text=Signal::derive(move || s.clone()) label="Copy fix SQL"/>
                    }
                })}
                {fix_config.map(|line| {
                    let s = line.clone();
                    view! {
                        <p>"pg_hba.conf:"</p>
                        <pre class="sql"><code>{line}</code></pre>
                        <CopyButton text=Signal::derive(move || s.clone()) label="Copy pg_hba.conf line"/>
                    }
                })}
            </div>
        }
    });
    let secrets = r.secrets.clone().map(|s| {
        view! {
            <div class="secrets">
                <h4>"Secrets Management"</h4>
                <p>"Resolved: " {if s.keys_resolved.is_empty() { "none".to_owned() } else { s.keys_resolved.join(", ") }}</p>
                {(!s.keys_missing.is_empty()).then(|| view! {
                    <p class="msg error">"Missing from the secret: " {s.keys_missing.join(", ")}</p>
                })}
            </div>
        }
    });
    let recommendations = (!r.recommendations.is_empty()).then(|| {
        view! {
            <details class="recommendations">
                <summary>{format!("{} recommendation(s)", r.recommendations.len())}</summary>
                <ul>
                    {r.recommendations.iter().map(|x| view! { <li>{x.message.clone()} {x.fix_sql.clone().map(|s| view! { <pre class="sql"><code>{s}</code></pre> })}</li> }).collect_view()}
                </ul>
            </details>
        }
    });
    view! {
        <div class=banner>
            <p class="headline">{r.message.clone()}</p>
        </div>
        {secrets}
        {explanation}
        {facts}
        {missing}
        <ol class="stages" aria-label="Stages">{stages}</ol>
        {recommendations}
    }
}
