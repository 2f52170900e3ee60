//! The registry API through gloo-net (same origin: the session cookie goes along), and every way
//! a call can fail, said in words with what to do. A 401 from any call also sets the app's
//! signed-out flag (`report_sign_outs_to`), so no caller has to.

use std::cell::Cell;

use gloo_net::http::{Request, RequestBuilder, Response};
use leptos::prelude::{RwSignal, Set};
use pgconnect_core::Diagnostic;
use pgconnect_core::check::{CheckEvent, CheckReport};
use serde::de::DeserializeOwned;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::AbortSignal;

/// Why a call did not give what was asked.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// The request never got an answer.
    Network,
    /// Cancelled by the user.
    Aborted,
    /// 401.
    SignedOut,
    /// 422 with the core's report.
    Invalid(Vec<Diagnostic>),
    /// 429.
    Busy(Option<u32>),
    /// Any other refusal, in the server's words.
    Refused {
        /// HTTP status.
        status: u16,
        /// What is wrong.
        message: String,
        /// What to do.
        help: String,
        /// The request field at fault.
        path: Option<String>,
    },
}

impl Failure {
    /// The errors of a 422 (its warnings refused nothing).
    #[must_use]
    pub fn errors(&self) -> Vec<&Diagnostic> {
        match self {
            Failure::Invalid(d) => d
                .iter()
                .filter(|d| d.severity == pgconnect_core::Severity::Error)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// One paragraph for the person at the form.
    #[must_use]
    pub fn words(&self) -> String {
        match self {
            Failure::Network => {
                "The server did not answer. Check that `pgconnect serve` is running \
                 and reachable, then try again; nothing you typed is lost."
                    .to_owned()
            }
            Failure::Aborted => "Cancelled.".to_owned(),
            Failure::SignedOut => "You are not signed in, or your session has expired. Open the \
                 login link the server printed, or a new one from `pgconnect token login-link`, \
                 then try again here; the form keeps what you typed."
                .to_owned(),
            Failure::Invalid(_) => format!(
                "The server refused what would be sent: {} error(s), listed below and marked on \
                 their fields. Correct them and try again; nothing you typed is lost.",
                self.errors().len()
            ),
            Failure::Busy(after) => match after {
                Some(s) => format!(
                    "The server is running as many checks as it allows. Try again in {s} s."
                ),
                None => "The server is running as many checks as it allows. Try again shortly."
                    .to_owned(),
            },
            Failure::Refused { message, help, .. } => format!("{message} {help}"),
        }
    }
}

thread_local! {
    /// The app's "not signed in" flag, which every 401 sets.
    static SIGNED_OUT: Cell<Option<RwSignal<bool>>> = const { Cell::new(None) };
}

/// From now on, every call answered 401 sets `flag` (the app's signed-out banner), wherever on
/// the page it was made.
pub fn report_sign_outs_to(flag: RwSignal<bool>) {
    SIGNED_OUT.with(|s| s.set(Some(flag)));
}

fn is_abort(e: &gloo_net::Error) -> bool {
    matches!(e, gloo_net::Error::JsError(j) if j.name == "AbortError")
}

async fn failure(response: Response) -> Failure {
    let status = response.status();
    let retry = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.trim().parse::<u32>().ok());
    let body: Value = response.json().await.unwrap_or(Value::Null);
    match status {
        401 => {
            if let Some(flag) = SIGNED_OUT.with(Cell::get) {
                flag.set(true);
            }
            Failure::SignedOut
        }
        429 => Failure::Busy(retry),
        422 if body.get("diagnostics").is_some() => Failure::Invalid(
            serde_json::from_value(body.get("diagnostics").cloned().unwrap_or_default())
                .unwrap_or_default(),
        ),
        _ => {
            let e = body.get("error");
            let text = |k: &str| {
                e.and_then(|e| e.get(k))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            Failure::Refused {
                status,
                message: if text("message").is_empty() {
                    format!("The server answered {status}.")
                } else {
                    text("message")
                },
                help: text("help"),
                path: e
                    .and_then(|e| e.get("path"))
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            }
        }
    }
}

/// Sends `request`; a refusal (not 2xx) becomes its `Failure`.
async fn answered(request: Result<Request, gloo_net::Error>) -> Result<Response, Failure> {
    let request = request.map_err(|_| Failure::Network)?;
    let response = request.send().await.map_err(|e| {
        if is_abort(&e) {
            Failure::Aborted
        } else {
            Failure::Network
        }
    })?;
    if !response.ok() {
        return Err(failure(response).await);
    }
    Ok(response)
}

async fn send<T: DeserializeOwned>(
    request: Result<Request, gloo_net::Error>,
) -> Result<T, Failure> {
    let response = answered(request).await?;
    if response.status() == 204 {
        return serde_json::from_value(Value::Null).map_err(|_| Failure::Network);
    }
    response.json::<T>().await.map_err(|_| Failure::Network)
}

fn with_signal(b: RequestBuilder, signal: Option<&AbortSignal>) -> RequestBuilder {
    b.abort_signal(signal)
}

/// `GET path`.
pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, Failure> {
    send(Request::get(path).build()).await
}

/// `DELETE path`, and what it answers (`()` for a 204).
pub async fn delete<T: DeserializeOwned>(path: &str) -> Result<T, Failure> {
    send(Request::delete(path).build()).await
}

/// `POST path` with a JSON body.
pub async fn post<T: DeserializeOwned>(
    path: &str,
    body: &Value,
    signal: Option<&AbortSignal>,
) -> Result<T, Failure> {
    send(with_signal(Request::post(path), signal).json(body)).await
}

/// A failed promise of the fetch machinery: cancelled, or the network.
fn js_failure(e: &JsValue) -> Failure {
    let name = js_sys::Reflect::get(e, &JsValue::from_str("name"))
        .ok()
        .and_then(|n| n.as_string());
    if name.as_deref() == Some("AbortError") {
        Failure::Aborted
    } else {
        Failure::Network
    }
}

/// `POST path` asking for the check's progress (`Accept: application/x-ndjson`): `on_event` gets
/// each stage as it begins and ends; the answer is the report, the last event. A server that
/// answers plain JSON is read as such.
pub async fn post_check(
    path: &str,
    body: &Value,
    signal: Option<&AbortSignal>,
    mut on_event: impl FnMut(CheckEvent),
) -> Result<CheckReport, Failure> {
    let response = answered(
        with_signal(Request::post(path), signal)
            .header("accept", "application/x-ndjson, application/json")
            .json(body),
    )
    .await?;
    let streamed = response
        .headers()
        .get("content-type")
        .is_some_and(|t| t.starts_with("application/x-ndjson"));
    if !streamed {
        return response.json().await.map_err(|_| Failure::Network);
    }
    let stream = response.body().ok_or(Failure::Network)?;
    let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let chunk = wasm_bindgen_futures::JsFuture::from(reader.read())
            .await
            .map_err(|e| js_failure(&e))?;
        let done = js_sys::Reflect::get(&chunk, &JsValue::from_str("done"))
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            // the stream ended before the report: the server went away mid-check
            return Err(Failure::Network);
        }
        if let Ok(value) = js_sys::Reflect::get(&chunk, &JsValue::from_str("value")) {
            pending.extend(js_sys::Uint8Array::new(&value).to_vec());
        }
        while let Some(end) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            match read_event(&String::from_utf8_lossy(&line)) {
                Some(CheckEvent::Report { report }) => return Ok(*report),
                Some(CheckEvent::Invalid { diagnostics }) => {
                    return Err(Failure::Invalid(diagnostics));
                }
                Some(event) => on_event(event),
                // an event this wizard does not know: a newer server; skip it
                None => {}
            }
        }
    }
}

/// One line of a streamed check. Read field by field rather than through `CheckEvent`'s
/// internally tagged `Deserialize`: that one buffers into serde's generic `Content` and would
/// compile a second reader of the whole report into the wasm (about 15 KB brotli).
fn read_event(line: &str) -> Option<CheckEvent> {
    #[derive(serde::Deserialize)]
    struct Tag {
        event: String,
    }
    #[derive(serde::Deserialize)]
    struct Started {
        stage: pgconnect_core::check::StageName,
    }
    #[derive(serde::Deserialize)]
    struct Stage {
        stage: pgconnect_core::check::StageReport,
    }
    #[derive(serde::Deserialize)]
    struct Report {
        report: Box<CheckReport>,
    }
    #[derive(serde::Deserialize)]
    struct Invalid {
        diagnostics: Vec<Diagnostic>,
    }
    let tag: Tag = serde_json::from_str(line).ok()?;
    Some(match tag.event.as_str() {
        "started" => CheckEvent::Started {
            stage: serde_json::from_str::<Started>(line).ok()?.stage,
        },
        "stage" => CheckEvent::Stage {
            stage: serde_json::from_str::<Stage>(line).ok()?.stage,
        },
        "report" => CheckEvent::Report {
            report: serde_json::from_str::<Report>(line).ok()?.report,
        },
        "invalid" => CheckEvent::Invalid {
            diagnostics: serde_json::from_str::<Invalid>(line).ok()?.diagnostics,
        },
        _ => return None,
    })
}

/// `PATCH path`, with a JSON body unless `body` is null.
pub async fn patch<T: DeserializeOwned>(path: &str, body: &Value) -> Result<T, Failure> {
    let request = Request::patch(path);
    send(if body.is_null() {
        request.build()
    } else {
        request.json(body)
    })
    .await
}

/// A field of an answer as text: strings as they are, numbers as written, `null` or absent as "".
#[must_use]
pub fn text(v: &Value, k: &str) -> String {
    match v.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// An answer's RFC 3339 time (`2026-11-23T07:01:34Z`) in the browser's local time, to the
/// minute (`2026-11-23 08:01`), as the header's "until 08:01" is; the text as it came if it is not
/// a time.
#[must_use]
pub fn local_time(rfc3339: &str) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(rfc3339));
    if rfc3339.is_empty() || d.get_time().is_nan() {
        return rfc3339.to_owned();
    }
    format!(
        "{}-{:02}-{:02} {:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes()
    )
}

/// The strings of an answer's array (`teams`), joined with commas; "" if it is not one.
#[must_use]
pub fn joined(v: Option<&Value>) -> String {
    v.and_then(Value::as_array)
        .map(|t| {
            t.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}
