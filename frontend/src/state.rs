//! The wizard's reactive state: the form (one signal over plain data, see `model`), which fields
//! were touched, the live checks, and what came from the server.

use std::collections::HashSet;

use leptos::prelude::*;
use pgconnect_core::Report;
use pgconnect_core::check::{CheckReport, StageName, StageReport};
use serde_json::Value;

use crate::api::Failure;
use crate::model::{DatastoreForm, Kind, check};

/// Which of the two datastores a part of the page edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Which {
    /// The source datastore (steps 1–3).
    Source,
    /// A new enrichment datastore (step 4).
    Enrichment,
    /// A stored connection being changed on a datastore's page: a state of its own, whose
    /// `source` part holds it (the wizard's fields stay mounted, so the ids differ).
    Stored,
    /// A stored datastore's own fields being changed on its page (name, database, schema,
    /// teams): like `Stored`, a state of its own whose `source` part holds them.
    Details,
}

impl Which {
    /// Prefix of element ids.
    #[must_use]
    pub fn scope(self) -> &'static str {
        match self {
            Which::Source => "src",
            Which::Enrichment => "enr",
            Which::Stored => "edit",
            Which::Details => "details",
        }
    }

    /// The datastore kind it is.
    #[must_use]
    pub fn kind(self) -> Kind {
        match self {
            Which::Source | Which::Stored | Which::Details => Kind::Source,
            Which::Enrichment => Kind::Enrichment,
        }
    }
}

/// Step 4's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrichMode {
    /// Finish without enrichment.
    None,
    /// Link a stored enrichment datastore.
    Existing,
    /// Add one.
    New,
}

/// Everything typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    /// Steps 1–3.
    pub source: DatastoreForm,
    /// Enrichment prefix.
    pub prefix: String,
    /// Step 4's choice.
    pub mode: EnrichMode,
    /// The stored enrichment datastore to link.
    pub existing_enrichment: Option<i64>,
    /// A new enrichment datastore.
    pub enrichment: DatastoreForm,
}

impl Default for Form {
    fn default() -> Self {
        Form {
            source: DatastoreForm::default(),
            prefix: String::new(),
            mode: EnrichMode::None,
            existing_enrichment: None,
            enrichment: DatastoreForm {
                trigger_catalog: false,
                ..DatastoreForm::default()
            },
        }
    }
}

impl Form {
    /// One datastore's part.
    #[must_use]
    pub fn ds(&self, w: Which) -> &DatastoreForm {
        match w {
            Which::Source | Which::Stored | Which::Details => &self.source,
            Which::Enrichment => &self.enrichment,
        }
    }

    /// The same, to change.
    pub fn ds_mut(&mut self, w: Which) -> &mut DatastoreForm {
        match w {
            Which::Source | Which::Stored | Which::Details => &mut self.source,
            Which::Enrichment => &mut self.enrichment,
        }
    }

    /// The `POST /api/datastores` body of one datastore.
    #[must_use]
    pub fn body(&self, w: Which) -> Value {
        let prefix =
            (w == Which::Source && self.mode != EnrichMode::None).then_some(self.prefix.as_str());
        self.ds(w).to_json(w.kind(), prefix)
    }
}

/// A live check: running, finished or failed.
#[derive(Debug, Clone, Default)]
pub struct TestRun {
    /// Running now.
    pub running: bool,
    /// `performance.now()` at the start.
    pub started: f64,
    /// Milliseconds so far (ticks while running), or the total.
    pub elapsed: f64,
    /// The report.
    pub report: Option<CheckReport>,
    /// Why there is none.
    pub failure: Option<Failure>,
    /// The form as tested, to say when it changed since.
    pub tested: Option<Value>,
    /// Stages the server told as they ended, while the check runs.
    pub live: Vec<StageReport>,
    /// The stage running now.
    pub current: Option<StageName>,
}

/// The reactive state, `Copy` so every closure can hold it.
#[derive(Clone, Copy)]
pub struct Ui {
    /// The form.
    pub form: RwSignal<Form>,
    /// Fields the user has left or typed in (element ids): their messages show.
    pub touched: RwSignal<HashSet<String>>,
    /// A blocked Next/Finish: every message shows.
    pub show_all: RwSignal<bool>,
    /// The source's check.
    pub source_test: RwSignal<TestRun>,
    /// The new enrichment datastore's check.
    pub enrichment_test: RwSignal<TestRun>,
    /// The core's report on the source body.
    pub source_report: Memo<Report>,
    /// On the enrichment body.
    pub enrichment_report: Memo<Report>,
    /// `GET /api/teams`.
    pub teams: RwSignal<Vec<String>>,
    /// `GET /api/connections`.
    pub connections: RwSignal<Vec<Value>>,
    /// `GET /api/datastores`, enrichment ones.
    pub enrichments: RwSignal<Vec<Value>>,
    /// Not signed in: any call answered 401 sets it (`api::report_sign_outs_to`).
    pub signed_out: RwSignal<bool>,
    /// Signed out here, with Sign out (the session's token is revoked).
    pub left: RwSignal<bool>,
    /// `GET /api/session`: who is signed in and until when, in words.
    pub who: RwSignal<Option<String>>,
    /// `GET /api/session`: the role (`admin`, `developer`, `viewer`); `None` until known.
    pub role: RwSignal<Option<String>>,
}

impl Ui {
    /// A fresh state.
    #[must_use]
    pub fn new() -> Ui {
        let form = RwSignal::new(Form::default());
        Ui {
            form,
            touched: RwSignal::new(HashSet::new()),
            show_all: RwSignal::new(false),
            source_test: RwSignal::new(TestRun::default()),
            enrichment_test: RwSignal::new(TestRun::default()),
            source_report: Memo::new(move |_| form.with(|f| check(&f.body(Which::Source)))),
            enrichment_report: Memo::new(move |_| form.with(|f| check(&f.body(Which::Enrichment)))),
            teams: RwSignal::new(vec!["Public".to_owned()]),
            connections: RwSignal::new(Vec::new()),
            enrichments: RwSignal::new(Vec::new()),
            signed_out: RwSignal::new(false),
            left: RwSignal::new(false),
            who: RwSignal::new(None),
            role: RwSignal::new(None),
        }
    }

    /// Whether the session may create, change and delete (any role but viewer; true while the
    /// role is not known yet, so nothing flickers). The server decides either way: this only
    /// spares a viewer buttons that would be refused.
    #[must_use]
    pub fn may_write(&self) -> bool {
        self.role.with(|r| r.as_deref() != Some("viewer"))
    }

    /// The report of one datastore.
    #[must_use]
    pub fn report(&self, w: Which) -> Memo<Report> {
        match w {
            Which::Source | Which::Stored | Which::Details => self.source_report,
            Which::Enrichment => self.enrichment_report,
        }
    }

    /// The check of one datastore.
    #[must_use]
    pub fn test(&self, w: Which) -> RwSignal<TestRun> {
        match w {
            Which::Source | Which::Stored | Which::Details => self.source_test,
            Which::Enrichment => self.enrichment_test,
        }
    }
}

impl Default for Ui {
    fn default() -> Self {
        Ui::new()
    }
}

/// The element id of a field: `src-connection-host`.
#[must_use]
pub fn field_id(w: Which, path: &str) -> String {
    format!("{}{}", w.scope(), path.replace('/', "-"))
}
