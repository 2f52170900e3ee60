//! Any bytes in: a report out, never a panic. JSON that parses is validated as either shape and as
//! the shape its fields suggest; the model is built exactly when the report has no errors.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgconnect_core::{Shape, analyze};

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    for shape in [None, Some(Shape::Qualytics), Some(Shape::Craft)] {
        let a = analyze(&value, shape);
        assert_eq!(a.request.is_some(), a.report.is_valid());
        for d in &a.report.diagnostics {
            assert!(!d.message.is_empty() && !d.help.is_empty());
            assert!(d.path.is_empty() || d.path.starts_with('/'));
        }
        let _ = a.report.render_text();
        if let Some(request) = a.request {
            // a valid payload always yields a URI or a diagnostic, never a panic
            let _ = pgconnect_core::connstr::build_uri(&request, true);
        }
    }
});
