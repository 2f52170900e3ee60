//! What a request looks like before it is sent: the body with its secrets masked, the equivalent
//! `pgconnect` commands and the `curl` command. The wizard's Request preview and the CLI's
//! `--dry-run` show these; nothing here ever holds a secret's value.

use serde_json::{Map, Value};

use crate::secret::MASK;

/// The fields whose values are secrets wherever they appear.
const SECRET_FIELDS: [&str; 2] = ["password", "credentials_payload"];

/// The body with every `password` and `credentials_payload` replaced by a mask (a `${key}`
/// placeholder is kept: it names a vault key, not a value).
#[must_use]
pub fn masked(body: &Value) -> Value {
    let mut b = body.clone();
    mask_in(&mut b);
    b
}

fn mask_in(v: &mut Value) {
    match v {
        Value::Object(o) => {
            for (k, val) in o.iter_mut() {
                if SECRET_FIELDS.contains(&k.as_str()) && !val.is_null() {
                    if !is_placeholder(val) {
                        *val = Value::from(MASK);
                    }
                } else {
                    mask_in(val);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_in),
        _ => {}
    }
}

fn is_placeholder(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        let t = s.trim();
        t.starts_with("${") && t.ends_with('}') && t.matches("${").count() == 1
    })
}

/// `text` as one POSIX shell word: bare when it is safe, else single-quoted.
#[must_use]
pub fn shell_quote(text: &str) -> String {
    let safe = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:@%+=,".contains(&b));
    if safe {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// `curl` sending `body` (masked) to `base_url` + `path` with the token from `$PGCONNECT_TOKEN`.
/// The body goes through a quoted here-document, so nothing in it is expanded by the shell.
#[must_use]
pub fn curl_command(base_url: &str, path: &str, body: &Value) -> String {
    let url = format!("{}{path}", base_url.trim_end_matches('/'));
    let json = serde_json::to_string_pretty(&masked(body)).unwrap_or_default();
    format!(
        "curl -sS -X POST {} \\\n  -H \"Authorization: Bearer $PGCONNECT_TOKEN\" \\\n  -H 'Content-Type: application/json' \\\n  --data-binary @- <<'JSON'\n{json}\nJSON",
        shell_quote(&url)
    )
}

/// The `pgconnect` commands that create what a Qualytics `POST /api/datastores` body describes:
/// `connections create` for a new connection (password from standard input, never a flag), then
/// `datastores create`. A CA certificate or vault credentials become files the user saves
/// (`ca.pem`, `vault-credentials.json`); the commands say so in a comment.
#[must_use]
pub fn cli_commands(body: &Value, server: &str) -> String {
    let empty = Map::new();
    let o = body.as_object().unwrap_or(&empty);
    let text = |m: &Map<String, Value>, k: &str| -> Option<String> {
        match m.get(k) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        }
    };
    let flag = |out: &mut Vec<String>, name: &str, value: Option<String>| {
        if let Some(v) = value {
            out.push(format!("--{name} {}", shell_quote(&v)));
        }
    };
    let mut lines = vec![format!("export PGCONNECT_SERVER={}", shell_quote(server))];
    let name = text(o, "name").unwrap_or_default();
    let connection_name = match (o.get("connection"), o.get("connection_id")) {
        (Some(Value::Object(c)), _) => {
            let cname = text(c, "name").unwrap_or_else(|| name.clone());
            let mut args = vec!["pgconnect connections create".to_owned()];
            flag(&mut args, "name", Some(cname.clone()));
            flag(&mut args, "host", text(c, "host"));
            flag(&mut args, "port", text(c, "port"));
            flag(&mut args, "username", text(c, "username"));
            args.push("--password-stdin".to_owned());
            flag(&mut args, "ssl-mode", text(c, "ssl_mode"));
            if text(c, "ssl_root_cert").is_some() {
                lines.push("# save the CA certificate as ca.pem".to_owned());
                args.push("--ssl-root-cert ca.pem".to_owned());
            }
            if let Some(Value::Object(sm)) = c.get("secrets_management") {
                flag(&mut args, "vault-login-url", text(sm, "login_url"));
                if sm.get("credentials_payload").is_some_and(|v| !v.is_null()) {
                    lines.push(
                        "# save the vault credentials payload as vault-credentials.json".to_owned(),
                    );
                    args.push("--vault-credentials-file vault-credentials.json".to_owned());
                }
                flag(
                    &mut args,
                    "vault-token-jsonpath",
                    text(sm, "token_jsonpath"),
                );
                flag(&mut args, "vault-secret-url", text(sm, "secret_url"));
                flag(
                    &mut args,
                    "vault-token-header",
                    text(sm, "token_header_name"),
                );
                flag(&mut args, "vault-data-jsonpath", text(sm, "data_jsonpath"));
                flag(&mut args, "vault-namespace", text(sm, "namespace"));
                if text(sm, "ca_cert").is_some() {
                    args.push("--vault-ca-cert vault-ca.pem".to_owned());
                }
            }
            lines.push(
                "# the password is read from standard input (type it, then Ctrl-D)".to_owned(),
            );
            lines.push(args.join(" \\\n    "));
            Some(("connection-name", cname))
        }
        (_, Some(id)) => text(o, "connection_id")
            .or_else(|| id.as_u64().map(|n| n.to_string()))
            .map(|id| ("connection-id", id)),
        _ => None,
    };
    let mut args = vec!["pgconnect datastores create".to_owned()];
    flag(&mut args, "name", Some(name));
    if let Some((k, v)) = connection_name {
        flag(&mut args, k, Some(v));
    }
    flag(&mut args, "database", text(o, "database"));
    flag(&mut args, "schema", text(o, "schema"));
    let teams: Vec<&str> = o
        .get("teams")
        .and_then(Value::as_array)
        .map(|t| t.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !teams.is_empty() {
        flag(&mut args, "teams", Some(teams.join(",")));
    }
    let on = |k: &str| o.get(k).and_then(Value::as_bool).unwrap_or(false);
    if on("enrich_only") || on("enrichment_only") {
        args.push("--enrichment-only".to_owned());
    }
    flag(&mut args, "enrichment-prefix", text(o, "enrichment_prefix"));
    if on("trigger_catalog") || on("trigger_sync") {
        args.push("--trigger-catalog".to_owned());
    }
    lines.push(args.join(" \\\n    "));
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn body() -> Value {
        json!({"name": "sales", "teams": ["Finance", "Public"], "database": "shop",
               "schema": "public", "trigger_catalog": true, "enrichment_prefix": "dq_",
               "connection": {"name": "shop db", "type": "postgresql", "host": "db.example.com",
                   "port": 5432, "username": "qualytics_ro", "password": "s3cr'et",
                   "ssl_mode": "verify-full", "ssl_root_cert": "-----BEGIN CERTIFICATE-----",
                   "secrets_management": {"login_url": "https://vault/v1/auth/userpass/login/x",
                       "credentials_payload": "{\"password\": \"vault-pw\"}",
                       "token_jsonpath": "$.auth.client_token", "secret_url": "https://vault/v1/kv/data/db",
                       "token_header_name": "X-Vault-Token", "data_jsonpath": "$.data.data"}}})
    }

    #[test]
    fn masks_every_secret_and_keeps_placeholders() {
        let m = masked(&body()).to_string();
        assert!(!m.contains("s3cr"), "{m}");
        assert!(!m.contains("vault-pw"), "{m}");
        assert_eq!(m.matches(MASK).count(), 2);
        let p = masked(&json!({"connection": {"password": "${db_password}"}}));
        assert_eq!(p["connection"]["password"], "${db_password}");
        let p = masked(&json!({"connection": {"password": "x${a}y${b}"}}));
        assert_eq!(p["connection"]["password"], MASK);
    }

    #[test]
    fn commands_carry_no_secret_and_quote_what_needs_it() {
        let cli = cli_commands(&body(), "http://127.0.0.1:8080");
        assert!(!cli.contains("s3cr") && !cli.contains("vault-pw"), "{cli}");
        assert!(cli.contains("--name 'shop db'"), "{cli}");
        assert!(cli.contains("--connection-name 'shop db'"), "{cli}");
        assert!(cli.contains("--password-stdin"), "{cli}");
        assert!(cli.contains("--ssl-root-cert ca.pem"), "{cli}");
        assert!(
            cli.contains("--vault-token-jsonpath '$.auth.client_token'"),
            "{cli}"
        );
        assert!(cli.contains("--teams Finance,Public"), "{cli}");
        assert!(cli.contains("--trigger-catalog"), "{cli}");
        assert!(cli.contains("--enrichment-prefix dq_"), "{cli}");
        let curl = curl_command("http://127.0.0.1:8080/", "/api/datastores", &body());
        assert!(
            !curl.contains("s3cr") && !curl.contains("vault-pw"),
            "{curl}"
        );
        assert!(curl.starts_with("curl -sS -X POST http://127.0.0.1:8080/api/datastores"));
        assert!(curl.contains("<<'JSON'"), "{curl}");
    }

    #[test]
    fn a_stored_connection_is_named_by_id() {
        let cli = cli_commands(
            &json!({"name": "x", "connection_id": 7, "database": "d", "schema": "s", "teams": ["Public"], "enrich_only": true}),
            "http://h",
        );
        assert!(!cli.contains("connections create"), "{cli}");
        assert!(cli.contains("--connection-id 7"), "{cli}");
        assert!(cli.contains("--enrichment-only"), "{cli}");
    }

    #[test]
    fn shell_words() {
        assert_eq!(shell_quote("abc-1.2"), "abc-1.2");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("$HOME"), "'$HOME'");
    }
}
