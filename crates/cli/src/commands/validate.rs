//! `pgconnect validate`: check a datastore payload without sending it anywhere.

use clap::ValueEnum;
use pgconnect_core::{Shape, analyze};

use crate::output::{Format, Outcome, Unreadable, json, parse_json, read_input};

/// Validate a datastore payload (Qualytics `POST /api/datastores` or CRAFT `POST /assets/data`).
///
/// Reports every problem with the JSON Pointer of the field, what is wrong and how to fix it.
/// Exit 0 when valid (warnings allowed), 1 when the payload has errors, 2 when the file cannot be
/// read or is not JSON (with the line and column).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  pgconnect validate datastore.json\n  curl … | pgconnect validate - --format json"
)]
pub struct Args {
    /// The payload file, or `-` for standard input.
    #[arg(default_value = "-")]
    file: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// Read the payload as this shape instead of telling it from its fields.
    #[arg(long, value_enum)]
    shape: Option<ShapeArg>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ShapeArg {
    /// `POST /api/datastores` body.
    Qualytics,
    /// `POST /assets/data` body.
    Craft,
}

pub fn run(args: &Args) -> Result<Outcome, Unreadable> {
    let text = read_input(&args.file)?;
    let payload = parse_json(&args.file, &text)?;
    let shape = args.shape.map(|s| match s {
        ShapeArg::Qualytics => Shape::Qualytics,
        ShapeArg::Craft => Shape::Craft,
    });
    let analysis = analyze(&payload, shape);
    let report = analysis.report;
    let stdout = match args.format {
        Format::Json => json(&report),
        Format::Text => {
            let name = if args.file == "-" {
                "<stdin>"
            } else {
                &args.file
            };
            let shape = analysis
                .shape
                .map(|s| format!(" ({})", s.describe()))
                .unwrap_or_default();
            format!("{name}{shape}\n\n{}", report.render_text())
        }
    };
    Ok(Outcome {
        stdout,
        stderr: String::new(),
        failed: !report.is_valid(),
    })
}
