//! What a `host` field may hold: a DNS name (labels of 1–63 letters, digits and hyphens, 253 bytes
//! in all), an IPv4 address, or an IPv6 address (bare or in brackets, optionally with a `%zone`).
//!
//! The checks are pure string checks; resolving the name is the server's job (issue: live test).

use core::net::{Ipv4Addr, Ipv6Addr};

use crate::diagnostic::json_str;

/// What kind of host a valid `host` value names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKind {
    /// A DNS name.
    Name,
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address (the brackets, if any, are not part of the address).
    Ipv6(Ipv6Addr),
}

/// Why a `host` value is not a host, with enough detail to say where the stray part belongs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostProblem {
    /// The value is a URL (`postgres://…`); `scheme` is the part before `://`.
    Scheme {
        /// The scheme as written.
        scheme: String,
        /// The host part of the URL, when one can be read out.
        host: Option<String>,
    },
    /// The value ends in `:port`.
    Port {
        /// The host without the port.
        host: String,
        /// The port as written.
        port: String,
    },
    /// The value is an absolute path (or `@name`): libpq reads it as a Unix-domain socket's
    /// directory (or abstract name), which reaches only a server on the machine that connects.
    SocketDirectory,
    /// The value has a `/path` after the host.
    Path {
        /// The host without the path.
        host: String,
        /// The path without its leading `/`.
        path: String,
    },
    /// The value holds whitespace; `trimmed` is what is left without the surrounding whitespace,
    /// `inner` says whether there is whitespace inside too.
    Whitespace {
        /// The value without surrounding whitespace.
        trimmed: String,
        /// Whether whitespace occurs between other characters.
        inner: bool,
    },
    /// A user-info part (`user@host`).
    UserInfo {
        /// The part before `@`.
        user: String,
        /// The part after `@`.
        host: String,
    },
    /// Characters outside ASCII (an internationalised name not in its `xn--` form).
    NonAscii,
    /// Looks like an IPv4 address but is not one (`10.0.0.256`, `010.1.1.1`, `1.2.3`).
    BadIpv4,
    /// Looks like an IPv6 address but is not one.
    BadIpv6,
    /// The whole name is longer than 253 bytes.
    TooLong {
        /// Its length.
        len: usize,
    },
    /// A label (between dots) is empty: leading dot, or `..`.
    EmptyLabel,
    /// A label is longer than 63 bytes.
    LabelTooLong {
        /// The label.
        label: String,
    },
    /// A label starts or ends with `-`.
    LabelHyphen {
        /// The label.
        label: String,
    },
    /// A character that no host name may hold.
    BadChar {
        /// The character.
        found: char,
    },
    /// `0.0.0.0` or `::` — "any address", which one listens on but cannot connect to.
    Unspecified,
}

/// Findings about a valid host that deserve a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostNotes {
    /// A label holds `_`: not a valid DNS host name (RFC 1123), though some resolvers (Docker's)
    /// answer for it.
    pub underscore: bool,
    /// `localhost` or a loopback address: it names the machine that makes the connection.
    pub loopback: bool,
    /// An IPv6 address in brackets, as URLs write it: libpq's `host` setting takes it bare
    /// (`host=[::1]` fails with "could not translate host name").
    pub bracketed: bool,
    /// A link-local address (IPv4 `169.254.0.0/16`, IPv6 `fe80::/10`): it reaches only machines
    /// on the same network link as the one that connects.
    pub link_local: bool,
    /// An IPv6 link-local address without a `%zone`: connecting fails with "Invalid argument",
    /// since the system cannot tell which interface's link is meant.
    pub zone_missing: bool,
    /// A zone that starts with `25` and is not a number, like `%25eth0`: a URI's percent-encoded
    /// `%` copied into the host setting, which takes the zone as written (`25eth0`).
    pub zone_encoded: bool,
}

/// Checks `host` and says what it is, or what is wrong with it.
pub fn check_host(host: &str) -> Result<(HostKind, HostNotes), HostProblem> {
    let mut notes = HostNotes {
        underscore: false,
        loopback: false,
        bracketed: false,
        link_local: false,
        zone_missing: false,
        zone_encoded: false,
    };
    if let Some(p) = structural_problem(host) {
        return Err(p);
    }
    // IPv6, bracketed or bare (a bare name never holds ':' once ports are ruled out above)
    let unbracketed = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if unbracketed.contains(':') {
        let (addr, zone) = match unbracketed.split_once('%') {
            Some((a, z)) => (a, Some(z)),
            None => (unbracketed, None),
        };
        if zone.is_some_and(|z| {
            z.is_empty()
                || !z
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        }) {
            return Err(HostProblem::BadIpv6);
        }
        let ip: Ipv6Addr = addr.parse().map_err(|_| HostProblem::BadIpv6)?;
        if ip.is_unspecified() {
            return Err(HostProblem::Unspecified);
        }
        notes.loopback = ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback());
        notes.bracketed = unbracketed.len() < host.len();
        notes.link_local = ip.is_unicast_link_local();
        notes.zone_missing = notes.link_local && zone.is_none();
        notes.zone_encoded = zone.is_some_and(|z| {
            z.len() > 2 && z.starts_with("25") && !z.bytes().all(|b| b.is_ascii_digit())
        });
        return Ok((HostKind::Ipv6(ip), notes));
    }
    if host.starts_with('[') || host.ends_with(']') {
        return Err(HostProblem::BadIpv6);
    }
    // IPv4: every label numeric (a DNS name's last label is never all digits)
    let name = host.strip_suffix('.').unwrap_or(host);
    let last_label = name.rsplit('.').next().unwrap_or_default();
    if !last_label.is_empty() && last_label.bytes().all(|b| b.is_ascii_digit()) {
        let ip: Ipv4Addr = name.parse().map_err(|_| HostProblem::BadIpv4)?;
        if ip.is_unspecified() {
            return Err(HostProblem::Unspecified);
        }
        notes.loopback = ip.is_loopback();
        notes.link_local = ip.is_link_local();
        return Ok((HostKind::Ipv4(ip), notes));
    }
    // DNS name
    if host.len() > 253 {
        return Err(HostProblem::TooLong { len: host.len() });
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err(HostProblem::EmptyLabel);
        }
        if label.len() > 63 {
            return Err(HostProblem::LabelTooLong {
                label: label.to_owned(),
            });
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(HostProblem::LabelHyphen {
                label: label.to_owned(),
            });
        }
        for c in label.chars() {
            if c == '_' {
                notes.underscore = true;
            } else if !(c.is_ascii_alphanumeric() || c == '-') {
                return Err(HostProblem::BadChar { found: c });
            }
        }
    }
    notes.loopback =
        name.eq_ignore_ascii_case("localhost") || name.to_ascii_lowercase().ends_with(".localhost");
    Ok((HostKind::Name, notes))
}

/// Things that are not part of a host at all: URL schemes, user info, ports, paths, whitespace,
/// non-ASCII. Checked first, since the help says where each part belongs.
fn structural_problem(host: &str) -> Option<HostProblem> {
    if let Some((scheme, rest)) = host.split_once("://") {
        let after_user = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
        let host_part = if let Some(bracketed) = after_user.strip_prefix('[') {
            bracketed.split(']').next().unwrap_or_default()
        } else {
            after_user.split([':', '/', '?']).next().unwrap_or_default()
        };
        return Some(HostProblem::Scheme {
            scheme: scheme.to_owned(),
            host: (!host_part.is_empty()).then(|| host_part.to_owned()),
        });
    }
    if host.starts_with('/') || host.starts_with('@') {
        return Some(HostProblem::SocketDirectory);
    }
    if host.chars().any(char::is_whitespace) {
        let trimmed = host.trim();
        return Some(HostProblem::Whitespace {
            trimmed: trimmed.to_owned(),
            inner: trimmed.chars().any(char::is_whitespace),
        });
    }
    if !host.is_ascii() {
        return Some(HostProblem::NonAscii);
    }
    if let Some((user, rest)) = host.rsplit_once('@') {
        return Some(HostProblem::UserInfo {
            user: user.to_owned(),
            host: rest.to_owned(),
        });
    }
    if let Some((before, path)) = host.split_once('/') {
        return Some(HostProblem::Path {
            host: before.to_owned(),
            path: path.to_owned(),
        });
    }
    // `[v6]:port`
    if let Some(rest) = host.strip_prefix('[')
        && let Some((addr, after)) = rest.split_once(']')
        && let Some(port) = after.strip_prefix(':')
    {
        return Some(HostProblem::Port {
            host: addr.to_owned(),
            port: port.to_owned(),
        });
    }
    // `name:port` — exactly one colon, digits after it (more colons is IPv6)
    if host.matches(':').count() == 1
        && let Some((h, port)) = host.split_once(':')
        && (port.is_empty() || port.bytes().all(|b| b.is_ascii_digit()))
    {
        return Some(HostProblem::Port {
            host: h.to_owned(),
            port: port.to_owned(),
        });
    }
    None
}

/// The code, message and help of each warning `notes` calls for (payload fields and connection
/// strings), in a fixed order.
pub fn note_texts(host: &str, notes: &HostNotes) -> Vec<(&'static str, String, String)> {
    let shown = json_str(host);
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let mut out = Vec::new();
    if notes.underscore {
        out.push((
            "connection/host-underscore",
            format!("host {shown} holds `_`, which DNS host names may not (RFC 1123)"),
            "most resolvers will not find it; use the server's DNS name or IP address (container \
             service names with `_` resolve only inside their network)"
                .to_owned(),
        ));
    }
    if notes.bracketed {
        out.push((
            "connection/host-brackets",
            format!(
                "host {shown} is an IPv6 address in brackets, as URLs write it; libpq's host \
                 setting takes the address alone"
            ),
            format!(
                "write {} (a driver given the brackets answers \"could not translate host \
                 name\")",
                json_str(bare)
            ),
        ));
    }
    if notes.zone_encoded {
        let (addr, zone) = bare.split_once("%25").unwrap_or((bare, ""));
        out.push((
            "connection/host-zone-encoded",
            format!(
                "host {shown} names the network interface {}; `%25` is how a URI writes `%`, and \
                 the host setting takes the zone as written",
                json_str(&format!("25{zone}"))
            ),
            format!(
                "write {} (a driver given `%25` answers \"could not translate host name\")",
                json_str(&format!("{addr}%{zone}"))
            ),
        ));
    } else if notes.zone_missing {
        out.push((
            "connection/host-link-local",
            format!(
                "host {shown} is an IPv6 link-local address without a zone; connecting to it \
                 fails with \"Invalid argument\""
            ),
            "use the database server's DNS name or a routable address; a link-local address \
             needs the platform's own network interface as its zone (e.g. fe80::1%eth0) and \
             reaches only machines on the platform's network link"
                .to_owned(),
        ));
    } else if notes.link_local {
        out.push((
            "connection/host-link-local",
            format!(
                "host {shown} is a link-local address: it reaches only machines on the same \
                 network link as the platform"
            ),
            "use the database server's DNS name or a routable address".to_owned(),
        ));
    }
    if notes.loopback {
        out.push((
            "connection/host-loopback",
            format!(
                "host {shown} is the loopback address of the machine that connects, not of your \
                 database server"
            ),
            "use the database server's DNS name or IP address as the platform can reach it; \
             keep localhost only if the database runs on the platform's own machine"
                .to_owned(),
        ));
    }
    out
}

/// The code, message and help for a host that is not one (payload fields and connection strings).
pub fn problem_text(host: &str, p: &HostProblem) -> (&'static str, String, String) {
    let shown = json_str(host);
    match p {
        HostProblem::Scheme { scheme, host: h } => (
            "connection/host-has-scheme",
            format!("host {shown} is a URL ({scheme}://…), not a host name"),
            match h {
                Some(h) => format!(
                    "put only {} in host, and the port, user and database from the URL in their \
                     own fields (or paste the URL into `pgconnect uri parse`)",
                    json_str(h)
                ),
                None => "put only the server's name or IP address in host".to_owned(),
            },
        ),
        HostProblem::Port { host: h, port } => (
            "connection/host-has-port",
            format!("host {shown} includes a port (:{port})"),
            if port.is_empty() {
                format!("remove the trailing `:` and use {}", json_str(h))
            } else {
                format!("put {} in host and {port} in port", json_str(h))
            },
        ),
        HostProblem::SocketDirectory => (
            "connection/host-socket-directory",
            format!(
                "host {shown} names a Unix-domain socket, which reaches only a server on the \
                 machine that connects"
            ),
            "give the database server's DNS name or IP address: the platform connects over the \
             network"
                .to_owned(),
        ),
        HostProblem::Path { host: h, path } => (
            "connection/host-has-path",
            format!("host {shown} includes a path (/{path})"),
            if path.is_empty() {
                format!("remove the trailing `/` and use {}", json_str(h))
            } else {
                format!(
                    "put {} in host; if {} is the database, it belongs in database",
                    json_str(h),
                    json_str(path)
                )
            },
        ),
        HostProblem::Whitespace { trimmed, inner } => (
            "connection/host-has-space",
            format!("host {shown} holds whitespace"),
            if *inner {
                "a host name has no spaces: check that only the server's name or address is in \
                 host"
                    .to_owned()
            } else {
                format!("remove the surrounding spaces: {}", json_str(trimmed))
            },
        ),
        HostProblem::UserInfo { user, host: h } => (
            "connection/host-has-user",
            format!("host {shown} includes a user name ({user}@)"),
            format!(
                "put {} in host and {} in username",
                json_str(h),
                json_str(user)
            ),
        ),
        HostProblem::NonAscii => (
            "connection/host-invalid",
            format!("host {shown} holds characters outside ASCII"),
            "write an internationalised name in its ASCII (xn--…) form".to_owned(),
        ),
        HostProblem::BadIpv4 => (
            "connection/host-invalid",
            format!("host {shown} is not a valid IPv4 address"),
            "write four numbers 0–255 separated by dots, without leading zeros (e.g. 10.0.0.5), \
             or use a DNS name"
                .to_owned(),
        ),
        HostProblem::BadIpv6 => (
            "connection/host-invalid",
            format!("host {shown} is not a valid IPv6 address"),
            "write an IPv6 address such as 2001:db8::5, or use a DNS name".to_owned(),
        ),
        HostProblem::TooLong { len } => (
            "connection/host-invalid",
            format!("host is {len} bytes; a DNS name holds at most 253"),
            "check that only the server's name is in host".to_owned(),
        ),
        HostProblem::EmptyLabel => (
            "connection/host-invalid",
            format!("host {shown} has an empty label (a leading dot or `..`)"),
            "remove the extra dot".to_owned(),
        ),
        HostProblem::LabelTooLong { label } => (
            "connection/host-invalid",
            format!(
                "host label {} is {} bytes; a DNS label holds at most 63",
                json_str(label),
                label.len()
            ),
            "check the host name".to_owned(),
        ),
        HostProblem::LabelHyphen { label } => (
            "connection/host-invalid",
            format!(
                "host label {} starts or ends with `-`, which DNS names may not",
                json_str(label)
            ),
            "check the host name".to_owned(),
        ),
        HostProblem::BadChar { found } => (
            "connection/host-invalid",
            format!("host {shown} holds {found:?}, which host names may not"),
            "a host name holds letters, digits, `-` and dots; an address is IPv4 or IPv6"
                .to_owned(),
        ),
        HostProblem::Unspecified => (
            "connection/host-unspecified",
            format!(
                "host {shown} means \"any address\"; a server listens on it but no one can connect to it"
            ),
            "use the database server's DNS name or IP address".to_owned(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(h: &str) -> HostKind {
        check_host(h).unwrap_or_else(|e| panic!("{h}: {e:?}")).0
    }

    #[test]
    fn accepts_names_and_addresses() {
        assert_eq!(ok("db.example.com"), HostKind::Name);
        assert_eq!(ok("db.example.com."), HostKind::Name);
        assert_eq!(ok("DB-1.Example.COM"), HostKind::Name);
        assert_eq!(ok("postgres"), HostKind::Name);
        assert_eq!(ok("xn--bcher-kva.example"), HostKind::Name);
        assert!(matches!(ok("10.1.2.3"), HostKind::Ipv4(_)));
        assert!(matches!(ok("::1"), HostKind::Ipv6(_)));
        assert!(matches!(ok("[2001:db8::1]"), HostKind::Ipv6(_)));
        assert!(matches!(ok("fe80::1%eth0"), HostKind::Ipv6(_)));
        let long = format!("{}.com", vec!["a".repeat(63); 3].join("."));
        assert!(long.len() <= 253);
        assert_eq!(ok(&long), HostKind::Name);
    }

    #[test]
    fn notes() {
        assert!(check_host("my_db").unwrap().1.underscore);
        assert!(check_host("localhost").unwrap().1.loopback);
        assert!(check_host("127.0.0.1").unwrap().1.loopback);
        assert!(check_host("[::1]").unwrap().1.loopback);
        assert!(check_host("[2001:db8::1]").unwrap().1.bracketed);
        assert!(!check_host("2001:db8::1").unwrap().1.bracketed);
        assert!(!check_host("db.example.com").unwrap().1.loopback);
    }

    #[test]
    fn link_local_and_zones() {
        let notes = |h: &str| check_host(h).unwrap_or_else(|e| panic!("{h}: {e:?}")).1;
        for h in ["fe80::1", "[fe80::1]", "FE80::abcd", "febf::1"] {
            let n = notes(h);
            assert!(
                n.link_local && n.zone_missing && !n.zone_encoded,
                "{h}: {n:?}"
            );
        }
        let n = notes("fe80::1%eth0");
        assert!(n.link_local && !n.zone_missing && !n.zone_encoded, "{n:?}");
        for h in ["fe80::1%25eth0", "[fe80::1%25enp0s3]"] {
            let n = notes(h);
            assert!(
                n.link_local && !n.zone_missing && n.zone_encoded,
                "{h}: {n:?}"
            );
        }
        // a numeric zone is an interface index: 25 and 2517 are indexes, not encodings
        for h in ["fe80::1%25", "fe80::1%2517", "fe80::1%2"] {
            assert!(!notes(h).zone_encoded, "{h}");
        }
        // the zone is looked at on any address, link-local or not
        assert!(notes("2001:db8::1%25eth0").zone_encoded);
        for h in ["169.254.10.1", "169.254.169.254"] {
            let n = notes(h);
            assert!(n.link_local && !n.zone_missing, "{h}: {n:?}");
        }
        for h in [
            "fec0::1",
            "fe7f::1",
            "2001:db8::1",
            "169.255.0.1",
            "10.0.0.1",
            "db.example.com",
        ] {
            let n = notes(h);
            assert!(
                !n.link_local && !n.zone_missing && !n.zone_encoded,
                "{h}: {n:?}"
            );
        }
    }

    #[test]
    fn rejects_with_the_right_problem() {
        use HostProblem as P;
        assert!(matches!(
            check_host("postgres://u@db.example.com:5432/x"),
            Err(P::Scheme { host: Some(h), .. }) if h == "db.example.com"
        ));
        assert!(
            matches!(check_host("db.example.com:5432"), Err(P::Port { port, .. }) if port == "5432")
        );
        assert!(matches!(check_host("[::1]:5432"), Err(P::Port { host, .. }) if host == "::1"));
        assert!(
            matches!(check_host("db.example.com/analytics"), Err(P::Path { path, .. }) if path == "analytics")
        );
        assert!(matches!(
            check_host(" db "),
            Err(P::Whitespace { inner: false, .. })
        ));
        assert!(matches!(
            check_host("db host"),
            Err(P::Whitespace { inner: true, .. })
        ));
        assert!(matches!(check_host("bob@db"), Err(P::UserInfo { .. })));
        assert_eq!(check_host("/var/run/postgresql"), Err(P::SocketDirectory));
        assert_eq!(check_host("/tmp"), Err(P::SocketDirectory));
        assert_eq!(check_host("@pg-abstract"), Err(P::SocketDirectory));
        assert_eq!(check_host("bücher.example"), Err(P::NonAscii));
        assert_eq!(check_host("10.0.0.256"), Err(P::BadIpv4));
        assert_eq!(check_host("010.1.1.1"), Err(P::BadIpv4));
        assert_eq!(check_host("1.2.3"), Err(P::BadIpv4));
        assert_eq!(check_host("12345"), Err(P::BadIpv4));
        assert_eq!(check_host("2001:db8::zz"), Err(P::BadIpv6));
        assert_eq!(check_host("[::1"), Err(P::BadIpv6));
        assert_eq!(check_host("0.0.0.0"), Err(P::Unspecified));
        assert_eq!(check_host("::"), Err(P::Unspecified));
        assert_eq!(check_host("a..b"), Err(P::EmptyLabel));
        assert_eq!(check_host(".a"), Err(P::EmptyLabel));
        assert!(matches!(check_host("-a.b"), Err(P::LabelHyphen { .. })));
        assert!(matches!(
            check_host(&"a".repeat(64)),
            Err(P::LabelTooLong { .. })
        ));
        let too_long = vec!["a".repeat(63); 4].join(".");
        assert!(matches!(
            check_host(&too_long),
            Err(P::TooLong { len: 255 })
        ));
        assert_eq!(check_host("db!.x"), Err(P::BadChar { found: '!' }));
    }
}
