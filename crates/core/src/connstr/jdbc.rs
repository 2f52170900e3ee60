//! PostgreSQL JDBC URLs, read as pgjdbc reads them (`org.postgresql.Driver.parseURL`):
//! `jdbc:postgresql://host1[:port1][,host2…]/database?key=value&…`, or `jdbc:postgresql:database`
//! (localhost). The database and parameter values are URL-decoded (`+` is a space).

use super::Raw;
use crate::model::SslMode;

const PREFIX: &str = "jdbc:postgresql:";

pub(super) fn parse(url: &str) -> Result<Raw, String> {
    let Some(rest) = url.strip_prefix(PREFIX) else {
        let scheme = url.split("://").next().unwrap_or(url);
        return Err(format!(
            "{scheme:?} is not a PostgreSQL JDBC URL (they start with \"{PREFIX}//\")"
        ));
    };
    let (server, args) = rest.split_once('?').unwrap_or((rest, ""));
    let mut raw = Raw::default();
    if let Some(after) = server.strip_prefix("//") {
        let (hosts, db) = match after.split_once('/') {
            Some((h, d)) => (h, Some(d)),
            None => (after, None),
        };
        if let Some(db) = db.filter(|d| !d.is_empty()) {
            raw.dbname = Some(decode(db)?);
        }
        if hosts.contains(',') {
            // keep the list: the common mapping reports several hosts
            raw.host = Some(hosts.to_owned());
        } else if !hosts.is_empty() {
            let (host, port) = split_host_port(hosts)?;
            raw.host = Some(host.to_owned());
            raw.port = port.map(str::to_owned);
        } else {
            raw.host = Some("localhost".to_owned());
        }
    } else {
        raw.host = Some("localhost".to_owned());
        let db = server.trim_start_matches('/');
        if !db.is_empty() {
            raw.dbname = Some(decode(db)?);
        }
    }
    let mut ssl = false;
    for token in args.split('&').filter(|t| !t.is_empty()) {
        let (key, value) = match token.split_once('=') {
            Some((k, v)) => (k, decode(v)?),
            None => (token, String::new()),
        };
        match key {
            "user" => raw.user = Some(value),
            "password" => raw.password = Some(value),
            "sslmode" => raw.sslmode = Some(value),
            "ssl" => ssl = value.is_empty() || value.eq_ignore_ascii_case("true"),
            "currentSchema" => raw.current_schema = Some(value),
            "options" => raw.options = Some(value),
            "sslrootcert" => raw.sslrootcert = Some(value),
            "sslcert" | "sslkey" => raw.client_cert = true,
            "service" => raw.service = Some(value),
            other => raw.ignored.push(other.to_owned()),
        }
    }
    if ssl {
        // pgjdbc: ssl=true without sslmode means verify-full
        raw.ssl_implies = Some(SslMode::VerifyFull);
    }
    Ok(raw)
}

fn split_host_port(s: &str) -> Result<(&str, Option<&str>), String> {
    if let Some(v6) = s.strip_prefix('[') {
        let (addr, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("unclosed '[' in host {s:?}"))?;
        return match after {
            "" => Ok((addr, None)),
            p => p
                .strip_prefix(':')
                .map(|port| (addr, Some(port)))
                .ok_or_else(|| format!("unexpected {p:?} after the IPv6 address in {s:?}")),
        };
    }
    Ok(match s.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (s, None),
    })
}

/// `java.net.URLDecoder` with UTF-8: `+` is a space, `%XX` a byte.
fn decode(s: &str) -> Result<String, String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = bytes.next().and_then(|d| char::from(d).to_digit(16));
                let lo = bytes.next().and_then(|d| char::from(d).to_digit(16));
                match (hi, lo) {
                    (Some(h), Some(l)) => out.push(u8::try_from(h * 16 + l).unwrap_or(0)),
                    _ => return Err(format!("invalid %-escape in {s:?}")),
                }
            }
            other => out.push(other),
        }
    }
    String::from_utf8(out).map_err(|_| format!("{s:?} does not decode to UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::super::{Format, parse_connection_string};
    use crate::model::SslMode;

    #[test]
    fn jdbc_urls() {
        let p = parse_connection_string(
            "jdbc:postgresql://db.example.com:5433/analytics?user=reader&password=a%26b+c&ssl=true&currentSchema=sales&ApplicationName=x",
        );
        assert_eq!(p.format, Some(Format::Jdbc));
        assert_eq!(p.host.as_deref(), Some("db.example.com"));
        assert_eq!(p.port, Some(5433));
        assert_eq!(p.username.as_deref(), Some("reader"));
        assert_eq!(p.password.as_ref().map(|s| s.expose()), Some("a&b c"));
        assert_eq!(p.schema.as_deref(), Some("sales"));
        assert_eq!(p.ssl_mode, Some(SslMode::VerifyFull));
        assert_eq!(p.report.diagnostics[0].code, "connstr/ignored-options");

        let p = parse_connection_string("jdbc:postgresql://[::1]:5740/accounting?sslmode=require");
        assert_eq!(p.host.as_deref(), Some("::1"));
        assert_eq!(p.port, Some(5740));
        assert_eq!(p.ssl_mode, Some(SslMode::Require));

        let p = parse_connection_string("jdbc:postgresql:mydb");
        assert_eq!(p.host.as_deref(), Some("localhost"));
        assert_eq!(p.database.as_deref(), Some("mydb"));

        let p = parse_connection_string("jdbc:mysql://h/db");
        assert_eq!(p.report.diagnostics[0].code, "connstr/syntax");
        let p = parse_connection_string("jdbc:postgresql://a:1,b:2/db");
        assert_eq!(p.report.diagnostics[0].code, "connstr/multiple-hosts");
        let p = parse_connection_string("jdbc:postgresql://h/db?password=%zz");
        assert_eq!(p.report.diagnostics[0].code, "connstr/syntax");
    }
}
