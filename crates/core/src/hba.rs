//! `pg_hba.conf` lines that let one role reach one database from one network.

use core::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Path, Report};
use crate::grants::Generated;
use crate::ident::name_diagnostic;

/// What the line should allow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HbaOptions {
    /// The role that connects.
    pub role: String,
    /// The database it connects to.
    pub database: String,
    /// The client network: `10.0.0.0/24`, `2001:db8::/48`, or one address (`/32` or `/128` is
    /// added).
    pub cidr: String,
    /// Authentication method; default `scram-sha-256`.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub method: Option<String>,
    /// Require TLS (`hostssl`); set it when the connection's ssl_mode is require or stronger.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    pub ssl: bool,
}

/// Methods a TCP line may name, and whether each is fit for a remote platform.
const METHODS: &[&str] = &[
    "scram-sha-256",
    "md5",
    "password",
    "cert",
    "gss",
    "sspi",
    "ident",
    "ldap",
    "radius",
    "pam",
    "bsd",
    "reject",
    "trust",
    "peer",
];

/// Keywords of pg_hba.conf's database and user columns: a name spelled like one must be quoted.
const HBA_KEYWORDS: &[&str] = &["all", "sameuser", "samerole", "samegroup", "replication"];

/// Writes the line, or says what is wrong with the options.
pub fn hba_line(o: &HbaOptions) -> Result<Generated, Report> {
    let root = Path::ROOT;
    let mut r = Report::new();
    hba_name(&mut r, &root.key("role"), "role", &o.role);
    hba_name(&mut r, &root.key("database"), "database", &o.database);
    let address = cidr(&mut r, &root.key("cidr"), o.cidr.trim());
    let method = o.method.as_deref().unwrap_or("scram-sha-256");
    let method_path = root.key("method");
    let mut ssl = o.ssl;
    if !METHODS.contains(&method) {
        r.push(Diagnostic::error(
            "hba/unknown-method",
            &method_path,
            format!("{method:?} is not a pg_hba.conf authentication method"),
            "use scram-sha-256 (recommended), or one of md5, password, cert, gss, sspi, ident, \
             ldap, radius, pam, bsd, reject",
        ));
    }
    match method {
        "trust" => r.push(Diagnostic::error(
            "hba/trust",
            &method_path,
            "trust lets anyone on that network log in as the role without a password",
            "use scram-sha-256",
        )),
        "peer" => r.push(Diagnostic::error(
            "hba/peer-over-tcp",
            &method_path,
            "peer works only on Unix-socket (local) lines, not for a platform connecting over TCP",
            "use scram-sha-256",
        )),
        "md5" => r.push(Diagnostic::warning(
            "hba/weak-method",
            &method_path,
            "md5 is weaker than scram-sha-256 and deprecated since PostgreSQL 18",
            "use scram-sha-256 (a role with a SCRAM password can still log in under md5 lines)",
        )),
        "password" if !ssl => r.push(Diagnostic::warning(
            "hba/cleartext-password",
            &method_path,
            "password sends the password in clear text, and this line allows unencrypted \
             connections",
            "use scram-sha-256, or require TLS (hostssl)",
        )),
        "cert" if !ssl => {
            ssl = true;
            r.push(Diagnostic::info(
                "hba/cert-needs-ssl",
                &method_path,
                "cert authentication works only over TLS, so the line is hostssl",
                "keep ssl_mode at verify-full on the client",
            ));
        }
        _ => {}
    }
    if !r.is_valid() {
        return Err(r);
    }
    let kind = if ssl { "hostssl" } else { "host" };
    let text = format!(
        "{kind:<8}{:<16}{:<16}{:<24}{method}",
        pad(&hba_quote(&o.database)),
        pad(&hba_quote(&o.role)),
        pad(&address.unwrap_or_default()),
    );
    Ok(Generated { text, report: r })
}

fn pad(s: &str) -> String {
    format!("{s} ")
}

/// A database or user name as pg_hba.conf reads it: bare when it is plain, otherwise in double
/// quotes with `"` doubled (quoting also strips keywords and `+`/`@` of their special meaning).
#[must_use]
pub fn hba_quote(name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        && !HBA_KEYWORDS.contains(&name);
    if plain {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

fn hba_name(r: &mut Report, path: &Path<'_>, what: &str, value: &str) {
    if let Some(d) = name_diagnostic(path, what, value) {
        r.push(d);
    }
    if value.contains(['\n', '\r']) {
        r.push(Diagnostic::error(
            "hba/line-break-in-name",
            path,
            format!("the {what} name holds a line break, which pg_hba.conf cannot express"),
            "pg_hba.conf is read line by line; use a name without line breaks",
        ));
    }
}

fn cidr(r: &mut Report, path: &Path<'_>, text: &str) -> Option<String> {
    let (addr, prefix) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text, None),
    };
    let Ok(ip) = addr.parse::<IpAddr>() else {
        r.push(Diagnostic::error(
            "hba/invalid-cidr",
            path,
            format!("{text:?} is not an IP address or CIDR range"),
            "write the platform's network as address/prefix, e.g. 192.0.2.0/24 or 2001:db8::/48",
        ));
        return None;
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let bits = match prefix {
        None => {
            r.push(Diagnostic::info(
                "hba/single-address",
                path,
                format!("{addr} is one address; the line allows exactly it (/{max})"),
                "give a CIDR range if the platform connects from several addresses",
            ));
            max
        }
        Some(p) => match p.parse::<u8>() {
            Ok(b) if b <= max && (p == "0" || !p.starts_with('0')) => b,
            _ => {
                r.push(Diagnostic::error(
                    "hba/invalid-cidr",
                    path,
                    format!("prefix length {p:?} is not 0–{max}"),
                    format!("write the number of network bits, 0–{max}"),
                ));
                return None;
            }
        },
    };
    let network = mask(ip, bits);
    if network != ip {
        r.push(Diagnostic::warning(
            "hba/host-bits-set",
            path,
            format!("{text} has host bits set; it matches the whole network {network}/{bits}"),
            format!("write {network}/{bits}, or /{max} for just {ip}"),
        ));
    }
    if bits == 0 {
        r.push(Diagnostic::warning(
            "hba/matches-everything",
            path,
            format!(
                "/{bits} matches every {} address",
                if ip.is_ipv4() { "IPv4" } else { "IPv6" }
            ),
            "narrow it to the platform's network",
        ));
    }
    Some(format!("{network}/{bits}"))
}

fn mask(ip: IpAddr, bits: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let m = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            IpAddr::V4((u32::from(v4) & m).into())
        }
        IpAddr::V6(v6) => {
            let m = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            IpAddr::V6((u128::from(v6) & m).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(
        role: &str,
        db: &str,
        cidr: &str,
        method: Option<&str>,
        ssl: bool,
    ) -> Result<Generated, Report> {
        hba_line(&HbaOptions {
            role: role.into(),
            database: db.into(),
            cidr: cidr.into(),
            method: method.map(Into::into),
            ssl,
        })
    }

    #[test]
    fn writes_aligned_lines() {
        let g = line(
            "emergence_reader",
            "your_database",
            "192.0.2.0/24",
            None,
            false,
        )
        .unwrap();
        assert_eq!(
            g.text,
            "host    your_database   emergence_reader 192.0.2.0/24            scram-sha-256"
        );
        let g = line("My Role", "all", "2001:db8::1", None, true).unwrap();
        assert_eq!(
            g.text,
            "hostssl \"all\"           \"My Role\"       2001:db8::1/128         scram-sha-256"
        );
        assert_eq!(g.report.diagnostics[0].code, "hba/single-address");
    }

    #[test]
    fn quoting() {
        assert_eq!(hba_quote("app"), "app");
        assert_eq!(hba_quote("+group"), "\"+group\"");
        assert_eq!(hba_quote("@file"), "\"@file\"");
        assert_eq!(hba_quote("a\"b"), "\"a\"\"b\"");
        assert_eq!(hba_quote("a,b"), "\"a,b\"");
        assert_eq!(hba_quote("/regex"), "\"/regex\"");
        assert_eq!(hba_quote("sameuser"), "\"sameuser\"");
        assert_eq!(hba_quote("a#b"), "\"a#b\"");
    }

    #[test]
    fn cidr_checks() {
        let g = line("r", "d", "10.1.2.3/24", None, false).unwrap();
        assert!(g.text.contains("10.1.2.0/24"));
        assert_eq!(g.report.diagnostics[0].code, "hba/host-bits-set");
        for bad in [
            "10.0.0.0/33",
            "10.0.0/24",
            "host.example",
            "10.0.0.0/x",
            "::1/129",
            "10.0.0.0/08",
        ] {
            let e = line("r", "d", bad, None, false).unwrap_err();
            assert_eq!(e.diagnostics[0].code, "hba/invalid-cidr", "{bad}");
            assert_eq!(e.diagnostics[0].path, "/cidr");
        }
        let g = line("r", "d", "0.0.0.0/0", None, false).unwrap();
        assert_eq!(g.report.diagnostics[0].code, "hba/matches-everything");
    }

    #[test]
    fn methods() {
        assert_eq!(
            line("r", "d", "10.0.0.0/8", Some("trust"), false)
                .unwrap_err()
                .diagnostics[0]
                .code,
            "hba/trust"
        );
        assert_eq!(
            line("r", "d", "10.0.0.0/8", Some("peer"), false)
                .unwrap_err()
                .diagnostics[0]
                .code,
            "hba/peer-over-tcp"
        );
        assert_eq!(
            line("r", "d", "10.0.0.0/8", Some("scram"), false)
                .unwrap_err()
                .diagnostics[0]
                .code,
            "hba/unknown-method"
        );
        let g = line("r", "d", "10.0.0.0/8", Some("cert"), false).unwrap();
        assert!(g.text.starts_with("hostssl "));
        let e = line("r\nx", "d", "10.0.0.0/8", None, false).unwrap_err();
        assert_eq!(e.diagnostics[0].code, "hba/line-break-in-name");
    }
}
