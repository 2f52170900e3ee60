//! The `pgconnect` binary as a user runs it: exit codes, stdin, text and JSON output, and parity of
//! its JSON with the core's.

// Test code: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use pgconnect_core::explain::{ErrorContext, ErrorInput, explain};

fn pgconnect(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pgconnect"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    if let Some(input) = stdin {
        pipe.write_all(input.as_bytes()).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/data")
}

fn corpus() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ["valid", "invalid"]
        .iter()
        .flat_map(|d| std::fs::read_dir(data().join(d)).unwrap())
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn validate_json_is_the_core_report_for_every_corpus_file() {
    for file in corpus() {
        let o = pgconnect(
            &["validate", file.to_str().unwrap(), "--format", "json"],
            None,
        );
        let payload: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let report = pgconnect_core::validate(&payload);
        let got: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert_eq!(
            got,
            serde_json::to_value(&report).unwrap(),
            "{}",
            file.display()
        );
        let want_code = if report.is_valid() { 0 } else { 1 };
        assert_eq!(o.status.code(), Some(want_code), "{}", file.display());
    }
}

#[test]
fn validate_exit_codes_and_messages() {
    let valid = data().join("valid/qualytics-source.json");
    let o = pgconnect(&["validate", valid.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).ends_with("valid\n"), "{}", stdout(&o));

    let invalid = data().join("invalid/port-out-of-range.json");
    let o = pgconnect(&["validate", invalid.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    assert!(text.contains("error[connection/port-out-of-range]: port 70000 is outside 1–65535"));
    assert!(text.contains("  --> /connection/port"));
    assert!(text.contains("  help: "));

    // stdin, and JSON that breaks: line and column
    let o = pgconnect(
        &["validate", "-"],
        Some("{\n  \"name\": \"x\",\n  \"teams\": [\"a\" \"b\"]\n}"),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("<stdin>:3:17: not valid JSON"),
        "{}",
        stderr(&o)
    );

    // a UTF-8 byte-order mark, as Windows editors write, is skipped (it was "1:1: expected value")
    let minimal =
        std::fs::read_to_string(data().join("valid/craft-minimal-defaults.json")).unwrap();
    let o = pgconnect(&["validate", "-"], Some(&format!("\u{feff}{minimal}")));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    let o = pgconnect(&["validate", "/definitely/not/here.json"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot read /definitely/not/here.json"));

    // --shape forces the reading
    let o = pgconnect(
        &["validate", "-", "--shape", "craft", "--format", "json"],
        Some(r#"{"name": "x"}"#),
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(
        v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["path"] == "/config")
    );
}

#[test]
fn grants_with_password_stdin_write_a_verifier_not_the_password() {
    let o = pgconnect(
        &[
            "grants",
            "--kind",
            "source",
            "--role",
            "Reader",
            "--database",
            "analytics",
            "--schema",
            "public",
            "--schema",
            "Sales",
            "--create-role",
            "--password-stdin",
        ],
        Some("correct horse battery staple\nsecond line is ignored\n"),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let sql = stdout(&o);
    assert!(!sql.contains("correct horse"), "{sql}");
    assert!(sql.contains("ALTER ROLE \"Reader\" WITH LOGIN PASSWORD 'SCRAM-SHA-256$4096:"));
    assert!(sql.contains("GRANT USAGE ON SCHEMA \"Sales\" TO \"Reader\";"));
    // two runs draw different salts
    let again = pgconnect(
        &[
            "grants",
            "--kind",
            "source",
            "--role",
            "Reader",
            "--database",
            "a",
            "--schema",
            "s",
            "--password-stdin",
        ],
        Some("correct horse battery staple\n"),
    );
    let verifier = |s: &str| {
        s.lines()
            .find(|l| l.contains("SCRAM-SHA-256$"))
            .unwrap()
            .to_owned()
    };
    assert_ne!(verifier(&sql), verifier(&stdout(&again)));

    let o = pgconnect(
        &[
            "grants",
            "--kind",
            "source",
            "--role",
            "r",
            "--database",
            "d",
            "--schema",
            "s",
            "--password-stdin",
        ],
        Some("\n"),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("empty line"));
}

#[test]
fn grants_revoke_and_rejections() {
    let o = pgconnect(
        &[
            "grants",
            "--kind",
            "enrichment",
            "--role",
            "w",
            "--database",
            "d",
            "--schema",
            "s",
            "--revoke",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("REVOKE USAGE, CREATE ON SCHEMA s FROM w;"));

    let o = pgconnect(
        &[
            "grants",
            "--kind",
            "source",
            "--role",
            "public",
            "--database",
            "d",
            "--schema",
            "s",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    assert!(stderr(&o).contains("error[grants/role-reserved]"));
    assert!(stderr(&o).contains("--> --role"));
}

#[test]
fn hba_lines() {
    let o = pgconnect(
        &[
            "hba",
            "--role",
            "reader",
            "--database",
            "analytics",
            "--cidr",
            "192.0.2.0/24",
            "--ssl",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        "hostssl analytics       reader          192.0.2.0/24            scram-sha-256\n"
    );
    let o = pgconnect(
        &[
            "hba",
            "--role",
            "r",
            "--database",
            "d",
            "--cidr",
            "10.0.0.0/8",
            "--method",
            "trust",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("hba/trust"));
}

#[test]
fn uri_parse_and_build() {
    let o = pgconnect(
        &[
            "uri",
            "parse",
            "postgresql://reader:s%3Fcret@db.example.com:5433/analytics?sslmode=verify-full",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"format": "uri", "host": "db.example.com", "port": 5433,
            "username": "reader", "password": "s?cret", "database": "analytics",
            "ssl_mode": "verify-full", "diagnostics": []})
    );
    // text output hides the password
    let o = pgconnect(
        &["uri", "parse", "postgresql://reader:s%3Fcret@db/analytics"],
        None,
    );
    assert!(!stdout(&o).contains("s?cret"));
    assert!(stdout(&o).contains("password  ********"));

    // rejected as libpq rejects it
    let o = pgconnect(
        &["uri", "parse", "postgresql://host?zzz", "--format", "json"],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("missing key/value separator"));

    let payload = data().join("valid/craft-reference-example.json");
    let o = pgconnect(&["uri", "build", payload.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        "postgresql://emergence_reader@db.example.com:5432/analytics?sslmode=require\n"
    );
    let o = pgconnect(
        &["uri", "build", payload.to_str().unwrap(), "--show-password"],
        None,
    );
    assert!(stdout(&o).contains("emergence_reader:your-secure-password@"));

    let o = pgconnect(
        &[
            "uri",
            "build",
            data()
                .join("invalid/port-out-of-range.json")
                .to_str()
                .unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("port-out-of-range"));
}

#[test]
fn explain_json_is_the_core_explanation() {
    let message = "permission denied for schema sales";
    let o = pgconnect(
        &[
            "explain",
            "--sqlstate",
            "42501",
            "--message",
            message,
            "--user",
            "Reader",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0));
    let got: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let want = explain(&ErrorInput {
        sqlstate: Some("42501".into()),
        message: message.into(),
        context: ErrorContext {
            username: Some("Reader".into()),
            ..ErrorContext::default()
        },
        ..ErrorInput::default()
    });
    assert_eq!(got, serde_json::to_value(&want).unwrap());
    assert_eq!(got["fix_sql"], "GRANT USAGE ON SCHEMA sales TO \"Reader\";");

    let o = pgconnect(
        &[
            "explain",
            "--message",
            "could not connect: Connection refused",
        ],
        None,
    );
    assert!(stdout(&o).starts_with("Connection refused [network/refused]"));
    assert!(stdout(&o).contains("Check: host, port"));

    // the message alone, as one would paste it, and --host naming the server
    let o = pgconnect(
        &["explain", "Connection refused", "--host", "db.internal"],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains(r#"TCP connections at "db.internal""#));
    let o = pgconnect(&["explain"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("<--message <MESSAGE>|MESSAGE>"),
        "{}",
        stderr(&o)
    );
    let o = pgconnect(&["explain", "a", "--message", "b"], None);
    assert_eq!(o.status.code(), Some(2), "two messages are a usage error");
}

#[test]
fn help_everywhere() {
    for args in [
        vec!["--help"],
        vec!["validate", "--help"],
        vec!["grants", "--help"],
        vec!["hba", "--help"],
        vec!["uri", "--help"],
        vec!["uri", "parse", "--help"],
        vec!["uri", "build", "--help"],
        vec!["explain", "--help"],
    ] {
        let o = pgconnect(&args, None);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        assert!(stdout(&o).contains("Usage: pgconnect"), "{args:?}");
    }
    let o = pgconnect(&["grants", "--kind", "source"], None);
    assert_eq!(o.status.code(), Some(2), "missing flags are a usage error");
    // every command in the top-level list says what it does
    let o = pgconnect(&["--help"], None);
    let help = stdout(&o);
    let commands = help
        .split("Commands:\n")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .unwrap();
    for line in commands
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
    {
        let mut words = line.split_whitespace();
        let name = words.next().unwrap();
        assert!(
            words.next().is_some(),
            "`pgconnect {name}` has no description in --help"
        );
    }
    assert!(
        commands.contains("uri ") && commands.contains("secrets "),
        "{commands}"
    );
}

#[test]
fn serve_refuses_unusable_limits_before_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    for (flag, value, says) in [
        (
            "--max-concurrent-catalogs",
            "0",
            "--max-concurrent-catalogs must be at least 1",
        ),
        (
            "--catalog-timeout",
            "0",
            "--catalog-timeout takes a positive number of seconds",
        ),
        (
            "--catalog-queue-timeout",
            "nan",
            "--catalog-queue-timeout takes a positive number of seconds",
        ),
        (
            "--catalog-statement-timeout",
            "-5",
            "--catalog-statement-timeout takes a positive number of seconds",
        ),
    ] {
        let o = pgconnect(
            &[
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--data-dir",
                data,
                &format!("{flag}={value}"),
            ],
            None,
        );
        assert_eq!(o.status.code(), Some(2), "{flag}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{flag}: {}", stderr(&o));
        assert_eq!(stdout(&o), "", "{flag}: nothing served");
    }
    let o = pgconnect(&["serve", "--help"], None);
    for flag in [
        "--max-concurrent-catalogs",
        "--catalog-timeout",
        "--catalog-queue-timeout",
        "--catalog-statement-timeout",
    ] {
        assert!(stdout(&o).contains(flag), "{flag} in serve --help");
    }
}

/// `pgconnect completions bash`, sourced in a real bash, completes commands, subcommands and
/// flags.
#[test]
fn bash_completes_commands_subcommands_and_flags() {
    let script = pgconnect(&["completions", "bash"], None);
    assert!(script.status.success());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pgconnect.bash");
    std::fs::write(&file, &script.stdout).unwrap();
    let complete = |words: &[&str]| {
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "source {}; COMP_WORDS=({}); COMP_CWORD={}; _pgconnect pgconnect {} {}; \
                 echo \"${{COMPREPLY[@]}}\"",
                file.display(),
                words.join(" "),
                words.len() - 1,
                words[words.len() - 1],
                words[words.len() - 2],
            ))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    assert_eq!(complete(&["pgconnect", "sto"]), "store");
    assert_eq!(complete(&["pgconnect", "store", "re"]), "restore");
    assert_eq!(
        complete(&["pgconnect", "serve", "--tls"]),
        "--tls-cert --tls-key"
    );
    let bad = pgconnect(&["completions", "tcsh"], None);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("possible values: bash"));
}
