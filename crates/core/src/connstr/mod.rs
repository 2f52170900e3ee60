//! Connection strings: libpq URIs (`postgresql://`), libpq keyword/value strings
//! (`host=… dbname=…`) and JDBC URLs (`jdbc:postgresql://…`) parsed into the payload's fields, and
//! a URI built back from a payload.
//!
//! The model holds one TCP host, one port, one database and one schema. What it cannot express
//! (several hosts, Unix-domain sockets, `hostaddr` beside `host`, client certificates) gets a
//! diagnostic, never a silently wrong value.

mod jdbc;
pub(crate) mod libpq;

use std::fmt::Write as _;

use serde::{Deserialize, Serialize, Serializer};

use crate::diagnostic::{Diagnostic, Path, Report};
use crate::host::{HostProblem, check_host, note_texts, problem_text};
use crate::ident::{NameProblem, check_name, quote_ident};
use crate::model::{ConnectionRef, DatastoreRequest, PortSpec, SslMode};
use crate::placeholder::mentions_placeholder;
use crate::secret::Secret;

/// Which syntax a connection string was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Format {
    /// `postgresql://user@host:5432/db?sslmode=require`
    Uri,
    /// `host=db port=5432 dbname=analytics`
    KeywordValue,
    /// `jdbc:postgresql://host:5432/db?user=…`
    Jdbc,
}

/// The payload fields read out of a connection string, each `None` when the string does not give
/// it, plus what was found along the way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedConnectionString {
    /// The syntax, when one was recognised.
    pub format: Option<Format>,
    /// Host name or address.
    pub host: Option<String>,
    /// Port.
    pub port: Option<u16>,
    /// Role name.
    pub username: Option<String>,
    /// Password. Returned to the caller (the wizard moves it into the password field).
    pub password: Option<Secret>,
    /// Database.
    pub database: Option<String>,
    /// Schema, from `options=-c search_path=…` (libpq) or `currentSchema` (JDBC).
    pub schema: Option<String>,
    /// TLS mode.
    pub ssl_mode: Option<SslMode>,
    /// Errors (the string is rejected, or holds what the model cannot express), warnings, notes.
    pub report: Report,
}

impl ParsedConnectionString {
    /// True when no diagnostic is an error.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.report.is_valid()
    }
}

/// The JSON form of a [`ParsedConnectionString`]: each field present only when given, the password
/// in clear (the caller asked for it: the wizard moves it into the password field), `diagnostics`
/// always.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(rename = "ParsedConnectionString", optional_fields)
)]
pub struct ParsedConnectionStringJson {
    /// The syntax recognised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<Format>,
    /// Host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Password, in clear.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Database.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// Schema.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// TLS mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssl_mode: Option<SslMode>,
    /// What was found.
    #[cfg_attr(feature = "ts", ts(optional = false))]
    pub diagnostics: Vec<crate::diagnostic::Diagnostic>,
}

impl ParsedConnectionString {
    /// The JSON form (password exposed on purpose).
    #[must_use]
    pub fn to_json(&self) -> ParsedConnectionStringJson {
        ParsedConnectionStringJson {
            format: self.format,
            host: self.host.clone(),
            port: self.port,
            username: self.username.clone(),
            password: self.password.as_ref().map(|p| p.expose().to_owned()),
            database: self.database.clone(),
            schema: self.schema.clone(),
            ssl_mode: self.ssl_mode,
            diagnostics: self.report.diagnostics.clone(),
        }
    }
}

impl Serialize for ParsedConnectionString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

/// The options of a string in any syntax, before they are mapped onto the model.
#[derive(Debug, Default)]
struct Raw {
    host: Option<String>,
    hostaddr: Option<String>,
    port: Option<String>,
    user: Option<String>,
    password: Option<String>,
    dbname: Option<String>,
    sslmode: Option<String>,
    /// JDBC `ssl=true` without `sslmode`: pgjdbc then verifies fully.
    ssl_implies: Option<SslMode>,
    /// libpq `options` (may carry `-c search_path=…`).
    options: Option<String>,
    /// JDBC `currentSchema`.
    current_schema: Option<String>,
    sslrootcert: Option<String>,
    client_cert: bool,
    service: Option<String>,
    /// Options kept by the syntax but not by the model.
    ignored: Vec<String>,
}

/// Parses a libpq URI, a libpq keyword/value string or a JDBC URL. Never fails: a string libpq
/// (or pgjdbc) rejects gives a `connstr/syntax` error with its message. Leading whitespace and
/// trailing line breaks (from pasting) are ignored; trailing spaces are left to the parser, which
/// ignores them as libpq does.
#[must_use]
pub fn parse_connection_string(text: &str) -> ParsedConnectionString {
    let text = text.trim_start().trim_end_matches(['\n', '\r', '\t']);
    let root = Path::ROOT;
    let mut out = ParsedConnectionString::default();
    let (format, raw) = if libpq::uri_prefix_len(text).is_some() {
        (Format::Uri, libpq::parse_uri(text).map(from_libpq))
    } else if text
        .get(..5)
        .is_some_and(|p| p.eq_ignore_ascii_case("jdbc:"))
    {
        (Format::Jdbc, jdbc::parse(text))
    } else {
        (
            Format::KeywordValue,
            libpq::parse_keyword_value(text).map(from_libpq),
        )
    };
    out.format = Some(format);
    match raw {
        Ok(raw) => map_raw(raw, &mut out),
        Err(message) => out.report.push(Diagnostic::error(
            "connstr/syntax",
            &root,
            redact(format, text, &message),
            match format {
                Format::Uri => {
                    "write postgresql://user:password@host:5432/database?sslmode=verify-full, \
                     percent-encoding special characters (a space is %20, @ is %40)"
                }
                Format::KeywordValue => {
                    "write keyword=value pairs separated by spaces, e.g. host=db.example.com \
                     port=5432 dbname=analytics user=reader sslmode=verify-full; quote values \
                     with spaces in single quotes"
                }
                Format::Jdbc => {
                    "write jdbc:postgresql://host:5432/database?user=reader&sslmode=verify-full"
                }
            },
        )),
    }
    out
}

/// The parsers' messages quote the input, as libpq's do; the quoted text may hold the password.
/// Replace every password fragment with `****` (and, in a keyword/value string that mentions a
/// password, every quoted fragment: a broken quote can spill password words into "keywords").
fn redact(format: Format, text: &str, message: &str) -> String {
    const MASK: &str = "****";
    let mut fragments: Vec<&str> = Vec::new();
    match format {
        Format::Uri | Format::Jdbc => {
            if let Some(prefix) = libpq::uri_prefix_len(text)
                && let Some(rest) = text.get(prefix..)
                && let Some((userinfo, _)) = rest.split_once('@')
                && let Some((_, password)) = userinfo.split_once(':')
            {
                fragments.push(password);
            }
            for part in text.split(['?', '&']) {
                if let Some(value) = part.trim_start().strip_prefix("password=") {
                    fragments.push(value);
                }
            }
        }
        Format::KeywordValue => {
            if text.contains("password") {
                let mut out = String::new();
                for (i, piece) in message.split('"').enumerate() {
                    if i > 0 {
                        out.push('"');
                    }
                    out.push_str(if i % 2 == 1 { MASK } else { piece });
                }
                return out;
            }
        }
    }
    let mut out = message.to_owned();
    for f in fragments.into_iter().filter(|f| !f.is_empty()) {
        out = out.replace(f, MASK);
    }
    out
}

fn from_libpq(o: libpq::Options) -> Raw {
    let owned = |k: &str| o.get(k).map(str::to_owned);
    let ignored = o
        .keywords()
        .filter(|k| {
            !matches!(
                *k,
                "host"
                    | "hostaddr"
                    | "port"
                    | "user"
                    | "password"
                    | "dbname"
                    | "sslmode"
                    | "options"
                    | "sslrootcert"
                    | "sslcert"
                    | "sslkey"
                    | "service"
            )
        })
        .map(str::to_owned)
        .collect();
    Raw {
        host: owned("host"),
        hostaddr: owned("hostaddr"),
        port: owned("port"),
        user: owned("user"),
        password: owned("password"),
        dbname: owned("dbname"),
        sslmode: owned("sslmode"),
        ssl_implies: None,
        options: owned("options"),
        current_schema: None,
        sslrootcert: owned("sslrootcert"),
        client_cert: o.get("sslcert").is_some() || o.get("sslkey").is_some(),
        service: owned("service"),
        ignored,
    }
}

fn map_raw(raw: Raw, out: &mut ParsedConnectionString) {
    let root = Path::ROOT;
    let r = &mut out.report;

    // host (and hostaddr)
    let host_path = root.key("host");
    let host = raw.host.filter(|h| !h.is_empty());
    let hostaddr = raw.hostaddr.filter(|h| !h.is_empty());
    match (host, hostaddr) {
        (Some(h), Some(a)) => r.push(Diagnostic::error(
            "connstr/hostaddr",
            &host_path,
            format!(
                "the string gives both host {h:?} and hostaddr {a:?}: libpq connects to the \
                 address and checks TLS against the name, which pgconnect's single host field \
                 cannot express"
            ),
            format!(
                "put {h:?} in host if it resolves to {a:?}; or put {a:?} in host and use an \
                 ssl_mode below verify-full"
            ),
        )),
        (None, Some(a)) => {
            r.push(Diagnostic::info(
                "connstr/hostaddr-as-host",
                &host_path,
                format!("hostaddr {a:?} is used as the host"),
                "a numeric address cannot be checked against a certificate's host name; use a DNS \
                 name with verify-full",
            ));
            out.host = host_field(r, &host_path, a);
        }
        (Some(h), None) => out.host = host_field(r, &host_path, h),
        (None, None) => r.push(Diagnostic::info(
            "connstr/no-host",
            &host_path,
            "the string names no host; libpq would connect through a local Unix-domain socket",
            "add the server's host name (pgconnect connects over TCP)",
        )),
    }

    // port
    if let Some(p) = raw.port.filter(|p| !p.is_empty()) {
        let port_path = root.key("port");
        if p.contains(',') {
            r.push(Diagnostic::error(
                "connstr/multiple-ports",
                &port_path,
                format!("the string lists several ports ({p})"),
                "give the port of the one server to connect to",
            ));
        } else {
            match p.parse::<u16>() {
                Ok(n) if n > 0 => out.port = Some(n),
                _ => r.push(Diagnostic::error(
                    "connstr/invalid-port",
                    &port_path,
                    format!("port {p:?} is not a port number (1–65535)"),
                    "use the port the server listens on; PostgreSQL's default is 5432",
                )),
            }
        }
    }

    out.username = raw
        .user
        .filter(|u| !u.is_empty())
        .and_then(|u| name_field(r, &root.key("username"), "user name", u));
    out.password = raw.password.filter(|p| !p.is_empty()).map(Secret::from);
    out.database = raw
        .dbname
        .filter(|d| !d.is_empty())
        .and_then(|d| name_field(r, &root.key("database"), "database name", d));

    // ssl mode
    let ssl_path = root.key("ssl_mode");
    match raw.sslmode {
        Some(m) => match SslMode::parse(&m) {
            Some(mode) => out.ssl_mode = Some(mode),
            None => r.push(Diagnostic::error(
                "connstr/invalid-sslmode",
                &ssl_path,
                format!("invalid sslmode value: {m:?}"),
                "use one of disable, allow, prefer, require, verify-ca, verify-full",
            )),
        },
        None => out.ssl_mode = raw.ssl_implies,
    }

    // schema
    let schema_path = root.key("schema");
    let schema_list = match (&raw.current_schema, &raw.options) {
        (Some(s), _) => Some(s.clone()),
        (None, Some(opts)) => search_path_from_options(opts),
        _ => None,
    };
    if let Some(list) = schema_list {
        match split_search_path(&list) {
            Some(schemas) => {
                let usable: Vec<&String> = schemas.iter().filter(|s| *s != "$user").collect();
                if let Some(first) = usable.first() {
                    if schemas.len() > 1 {
                        r.push(Diagnostic::info(
                            "connstr/search-path-list",
                            &schema_path,
                            format!(
                                "the search path lists {} schemas; the first, {}, is used",
                                schemas.len(),
                                quote_ident(first)
                            ),
                            "the datastore reads one schema; add others as further datastores",
                        ));
                    }
                    out.schema = name_field(r, &schema_path, "schema name", (*first).clone());
                }
            }
            None => r.push(Diagnostic::warning(
                "connstr/search-path-unreadable",
                &schema_path,
                format!("the search path {list:?} cannot be read as a list of schema names"),
                "fill in the schema by hand",
            )),
        }
    }

    // what the model does not keep
    if let Some(cert) = raw.sslrootcert {
        r.push(Diagnostic::info(
            "connstr/sslrootcert-file",
            &root.key("ssl_root_cert"),
            if cert == "system" {
                "sslrootcert=system: the system's trusted CAs are used, as they are by default"
                    .to_owned()
            } else {
                format!(
                    "sslrootcert names a file on a client ({cert:?}), which pgconnect cannot read"
                )
            },
            "paste the CA certificate's PEM text into ssl_root_cert if the server's certificate \
             comes from a private CA",
        ));
    }
    if raw.client_cert {
        r.push(Diagnostic::warning(
            "connstr/client-certificate",
            &root,
            "the string names a client certificate (sslcert/sslkey), which pgconnect does not \
             support; it is ignored",
            "log in with a password instead, or ask for client-certificate support",
        ));
    }
    if let Some(service) = raw.service {
        r.push(Diagnostic::warning(
            "connstr/service",
            &root,
            format!(
                "service {service:?} refers to a pg_service.conf entry, which pgconnect cannot \
                 read; it is ignored"
            ),
            "copy the host, port, database and user from the service file",
        ));
    }
    if !raw.ignored.is_empty() {
        r.push(Diagnostic::info(
            "connstr/ignored-options",
            &root,
            format!(
                "options not kept by the datastore form: {}",
                raw.ignored.join(", ")
            ),
            "they do not affect the connection test; set them elsewhere if you rely on them",
        ));
    }
}

fn host_field(r: &mut Report, path: &Path<'_>, host: String) -> Option<String> {
    if host.contains(',') {
        r.push(Diagnostic::error(
            "connstr/multiple-hosts",
            path,
            format!("the string lists several hosts ({host}) for failover or load balancing"),
            "a datastore connects to one server: give the primary's host name",
        ));
        return None;
    }
    match check_host(&host) {
        Ok((_, notes)) => {
            // the same warnings as the host field gets: the string fills that field
            for (code, message, help) in note_texts(&host, &notes) {
                r.push(Diagnostic::warning(code, path, message, help));
            }
        }
        Err(p) => {
            // a socket is a form of libpq host the platform cannot use: the host is left out
            let socket = p == HostProblem::SocketDirectory;
            let (_, message, help) = problem_text(&host, &p);
            let code = if socket {
                "connstr/unix-socket"
            } else {
                "connstr/invalid-host"
            };
            r.push(Diagnostic::error(code, path, message, help));
            if socket {
                return None;
            }
        }
    }
    Some(host)
}

fn name_field(r: &mut Report, path: &Path<'_>, what: &str, value: String) -> Option<String> {
    match check_name(&value) {
        Ok(()) | Err(NameProblem::Empty) => {}
        Err(p) => r.push(Diagnostic::error(
            "name/too-long",
            path,
            format!("{what} {p}"),
            "use the name exactly as it exists on the server",
        )),
    }
    Some(value)
}

/// The value of `search_path` in a libpq `options` string (`-c search_path=x`,
/// `-csearch_path=x`, `--search_path=x`), split the way the server splits `options`.
fn search_path_from_options(options: &str) -> Option<String> {
    let args = split_backend_options(options);
    let mut found = None;
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        let setting = if arg == "-c" {
            i += 1;
            args.get(i).map(String::as_str)
        } else if let Some(rest) = arg.strip_prefix("--") {
            Some(rest)
        } else {
            arg.strip_prefix("-c")
        };
        if let Some((name, value)) = setting.and_then(|s| s.split_once('='))
            && name.replace('-', "_").eq_ignore_ascii_case("search_path")
        {
            found = Some(value.to_owned());
        }
        i += 1;
    }
    found
}

/// `pg_split_opts`: whitespace separates arguments unless escaped with a backslash.
fn split_backend_options(s: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_ascii_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return args;
        }
        let mut arg = String::new();
        let mut escaped = false;
        while let Some(&c) = chars.peek() {
            if c.is_ascii_whitespace() && !escaped {
                break;
            }
            if !escaped && c == '\\' {
                escaped = true;
            } else {
                escaped = false;
                arg.push(c);
            }
            chars.next();
        }
        args.push(arg);
    }
}

/// A `search_path` value as the server reads it: comma-separated, double-quoted names kept as
/// written (`""` is a quote), bare names folded to lower case. `None` if malformed.
fn split_search_path(s: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut name = String::new();
        if chars.next_if_eq(&'"').is_some() {
            loop {
                match chars.next()? {
                    '"' if chars.next_if_eq(&'"').is_some() => name.push('"'),
                    '"' => break,
                    c => name.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' || c.is_whitespace() {
                    break;
                }
                name.extend(c.to_lowercase());
                chars.next();
            }
            if name.is_empty() {
                return None;
            }
        }
        out.push(name);
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        match chars.next() {
            None => return Some(out),
            Some(',') => {}
            Some(_) => return None,
        }
    }
}

/// Builds a libpq URI from a payload: `postgresql://user[:password]@host:port/database` with
/// `sslmode` and, for a schema other than `public`, `options=-csearch_path=…`. Every part is
/// percent-encoded. The password is left out unless `include_password`.
pub fn build_uri(request: &DatastoreRequest, include_password: bool) -> Result<String, Report> {
    let root = Path::ROOT;
    let mut r = Report::new();
    let ConnectionRef::New(c) = &request.connection else {
        r.push(Diagnostic::error(
            "connstr/needs-connection",
            &root.key("connection_id"),
            "the payload reuses a stored connection (connection_id), so it holds no host or \
             credentials to build a URI from",
            "build the URI from a payload with a `connection` object",
        ));
        return Err(r);
    };
    let fields: [(&str, &str); 4] = [
        ("host", &c.host),
        ("username", &c.username),
        ("database", &request.database),
        ("schema", &request.schema),
    ];
    for (name, value) in fields {
        if mentions_placeholder(value) {
            unresolved(&mut r, name);
        }
    }
    let port = match &c.port {
        PortSpec::Number(n) => *n,
        PortSpec::Template(_) => {
            unresolved(&mut r, "port");
            0
        }
    };
    if include_password
        && c.password
            .as_ref()
            .is_some_and(|p| mentions_placeholder(p.expose()))
    {
        unresolved(&mut r, "password");
    }
    if !r.is_valid() {
        return Err(r);
    }
    let mut uri = String::from("postgresql://");
    uri.push_str(&encode(&c.username));
    if include_password && let Some(pw) = &c.password {
        uri.push(':');
        uri.push_str(&encode(pw.expose()));
    }
    uri.push('@');
    // An IPv6 address goes in brackets (the payload may hold it with or without them); its
    // `%zone` is percent-encoded like everything else, since libpq decodes the host too.
    let host = c
        .host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(&c.host);
    if host.contains(':') {
        let _ = write!(uri, "[{}]", encode(host).replace("%3A", ":"));
    } else {
        uri.push_str(&encode(host));
    }
    let _ = write!(uri, ":{port}/{}", encode(&request.database));
    let mut params = Vec::new();
    if let Some(mode) = c.ssl_mode {
        params.push(format!("sslmode={mode}"));
    }
    if request.schema != "public" {
        params.push(format!(
            "options={}",
            encode(&search_path_option(&request.schema))
        ));
    }
    if !params.is_empty() {
        uri.push('?');
        uri.push_str(&params.join("&"));
    }
    Ok(uri)
}

fn unresolved(r: &mut Report, field: &str) {
    r.push(Diagnostic::error(
        "connstr/unresolved-placeholder",
        &Path::ROOT.key(field),
        format!("{field} holds a ${{key}} placeholder, which a URI cannot carry"),
        "resolve the placeholders from the secret first (pgconnect secrets check), or fill in the \
         value",
    ));
}

/// `-csearch_path=<schema>` with the schema quoted as an identifier and spaces and backslashes
/// escaped for the server's option splitting.
fn search_path_option(schema: &str) -> String {
    let mut out = String::from("-csearch_path=");
    for c in quote_ident(schema).chars() {
        if c == '\\' || c.is_ascii_whitespace() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::analyze;

    fn parse(s: &str) -> ParsedConnectionString {
        parse_connection_string(s)
    }

    #[test]
    fn uri_fields() {
        let p = parse(
            "postgresql://reader:p%40ss@db.example.com:5433/analytics?sslmode=verify-full&options=-c%20search_path%3D%22Sales%22,public",
        );
        assert_eq!(p.format, Some(Format::Uri));
        assert_eq!(p.host.as_deref(), Some("db.example.com"));
        assert_eq!(p.port, Some(5433));
        assert_eq!(p.username.as_deref(), Some("reader"));
        assert_eq!(p.password.as_ref().map(Secret::expose), Some("p@ss"));
        assert_eq!(p.database.as_deref(), Some("analytics"));
        assert_eq!(p.schema.as_deref(), Some("Sales"));
        assert_eq!(p.ssl_mode, Some(SslMode::VerifyFull));
        let codes: Vec<_> = p
            .report
            .diagnostics
            .iter()
            .map(|d| d.code.as_ref())
            .collect();
        assert_eq!(codes, ["connstr/search-path-list"]);
    }

    #[test]
    fn keyword_value_fields() {
        let p = parse(
            "host=db port=5432 dbname='my db' user=u password='a b' sslmode=require connect_timeout=5",
        );
        assert_eq!(p.format, Some(Format::KeywordValue));
        assert_eq!(p.database.as_deref(), Some("my db"));
        assert_eq!(p.password.as_ref().map(Secret::expose), Some("a b"));
        assert_eq!(p.ssl_mode, Some(SslMode::Require));
        assert_eq!(p.report.diagnostics[0].code, "connstr/ignored-options");
    }

    #[test]
    fn unsupported_cases_get_errors_not_values() {
        let p = parse("postgresql://h1:5432,h2:5433/db");
        assert_eq!(p.host, None);
        assert!(!p.is_ok());
        let p = parse("host=/var/run/postgresql dbname=x");
        assert_eq!(p.host, None);
        assert_eq!(p.report.diagnostics[0].code, "connstr/unix-socket");
        let p = parse("host=a.example hostaddr=10.0.0.1");
        assert_eq!(p.host, None);
        assert_eq!(p.report.diagnostics[0].code, "connstr/hostaddr");
        let p = parse("postgresql://h/db?sslmode=bogus");
        assert_eq!(p.ssl_mode, None);
        assert_eq!(p.report.diagnostics[0].code, "connstr/invalid-sslmode");
    }

    #[test]
    fn syntax_errors_do_not_quote_passwords() {
        for (input, secret) in [
            ("postgresql://u:hunter2x@[::1", "hunter2x"),
            ("postgresql://u@h/db?password=hunter2x%zz", "hunter2x"),
            ("host=h password=hunter2x bad", "bad"),
            ("host=h password=hunter 2x", "2x"),
            ("jdbc:postgresql://h/db?password=hunter2x%zz", "hunter2x"),
        ] {
            let p = parse(input);
            let text = serde_json::to_string(&p).unwrap();
            assert_eq!(p.report.diagnostics[0].code, "connstr/syntax", "{input}");
            assert!(!text.contains(secret), "{input}: {text}");
        }
    }

    #[test]
    fn json_shape() {
        let v = serde_json::to_value(parse("postgresql://u:pw@h/db")).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"format": "uri", "host": "h", "username": "u", "password": "pw",
                "database": "db", "diagnostics": []})
        );
    }

    #[test]
    fn build_round_trips_every_kind_of_host() {
        // (host as the payload holds it, host as libpq reads it back from the URI)
        for (host, back) in [
            ("db.example.com", "db.example.com"),
            ("db_1.internal", "db_1.internal"),
            ("10.0.0.5", "10.0.0.5"),
            ("2001:db8::5", "2001:db8::5"),
            ("[2001:db8::5]", "2001:db8::5"),
            ("::ffff:10.0.0.5", "::ffff:10.0.0.5"),
            ("fe80::1%eth0", "fe80::1%eth0"),
            ("[fe80::1%eth0]", "fe80::1%eth0"),
        ] {
            let payload = serde_json::json!({
                "name": "n", "teams": ["Public"], "database": "d", "schema": "public",
                "connection": {"type": "postgresql", "host": host, "port": 5432,
                    "username": "u", "password": "p", "ssl_mode": "verify-full"}
            });
            let analysis = analyze(&payload, None);
            let req = analysis
                .request
                .unwrap_or_else(|| panic!("{host}: {:?}", analysis.report));
            let uri = build_uri(&req, false).unwrap();
            let p = parse(&uri);
            assert!(p.is_ok(), "{host} → {uri}: {:?}", p.report);
            assert_eq!(p.host.as_deref(), Some(back), "{host} → {uri}");
        }
    }

    #[test]
    fn build_round_trips() {
        let payload = serde_json::json!({
            "name": "n", "teams": ["Public"], "database": "my db/1", "schema": "My Schema\\x",
            "connection": {"type": "postgresql", "host": "2001:db8::5", "port": 6543,
                "username": "r@der", "password": "p:ss w/rd", "ssl_mode": "verify-full"}
        });
        let req = analyze(&payload, None).request.unwrap();
        let without = build_uri(&req, false).unwrap();
        assert!(!without.contains("p%3Ass"), "{without}");
        let uri = build_uri(&req, true).unwrap();
        let p = parse(&uri);
        assert!(p.is_ok(), "{uri}: {:?}", p.report);
        assert_eq!(p.host.as_deref(), Some("2001:db8::5"));
        assert_eq!(p.port, Some(6543));
        assert_eq!(p.username.as_deref(), Some("r@der"));
        assert_eq!(p.password.as_ref().map(Secret::expose), Some("p:ss w/rd"));
        assert_eq!(p.database.as_deref(), Some("my db/1"));
        assert_eq!(p.schema.as_deref(), Some("My Schema\\x"));
        assert_eq!(p.ssl_mode, Some(SslMode::VerifyFull));
    }

    #[test]
    fn an_invalid_host_is_told_in_words() {
        // it read `(Whitespace { trimmed: "my host", inner: true })`, Rust's debug output
        for (input, says) in [
            ("host='my host' user=u", "holds whitespace"),
            ("postgresql://u@10.0.0.256/d", "not a valid IPv4 address"),
            (
                "jdbc:postgresql://db-.example.com/d",
                "starts or ends with `-`",
            ),
        ] {
            let d = &parse(input).report.diagnostics[0];
            assert_eq!(d.code, "connstr/invalid-host", "{input}");
            assert!(d.message.contains(says), "{input}: {}", d.message);
            assert!(!d.message.contains('{'), "{input}: {}", d.message);
        }
    }

    #[test]
    fn a_pasted_host_gets_the_host_fields_warnings() {
        for (input, code, host) in [
            // pgJDBC does not decode the host: Java would look for interface "25eth0"
            (
                "jdbc:postgresql://[fe80::1%25eth0]:5432/db",
                "connection/host-zone-encoded",
                "fe80::1%25eth0",
            ),
            // a URI decodes it: the zone is eth0, and the address is link-local
            (
                "postgresql://u@[fe80::1%25eth0]/db",
                "connection/host-link-local",
                "fe80::1%eth0",
            ),
            (
                "host=localhost dbname=d",
                "connection/host-loopback",
                "localhost",
            ),
            (
                "host=[2001:db8::1] dbname=d",
                "connection/host-brackets",
                "[2001:db8::1]",
            ),
        ] {
            let p = parse(input);
            assert!(p.is_ok(), "{input}: {:?}", p.report);
            assert_eq!(p.host.as_deref(), Some(host), "{input}");
            let d = &p.report.diagnostics;
            assert_eq!(d.len(), 1, "{input}: {d:?}");
            assert_eq!(
                (d[0].code.as_ref(), d[0].path.as_str()),
                (code, "/host"),
                "{input}"
            );
            assert_eq!(d[0].severity, crate::diagnostic::Severity::Warning);
        }
        assert_eq!(
            parse("postgresql://u@db.example.com/d").report.diagnostics,
            vec![]
        );
    }

    #[test]
    fn search_path_parsing() {
        assert_eq!(
            split_search_path("a, \"B c\",D"),
            Some(vec!["a".into(), "B c".into(), "d".into()])
        );
        assert_eq!(split_search_path("\"a\"\"b\""), Some(vec!["a\"b".into()]));
        assert_eq!(split_search_path("a b"), None);
        assert_eq!(split_search_path("\"open"), None);
        assert_eq!(
            search_path_from_options("-c geqo=off --search-path=x"),
            Some("x".into())
        );
        assert_eq!(
            search_path_from_options("-c search_path=a\\ b"),
            Some("a b".into())
        );
    }
}
