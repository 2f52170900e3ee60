//! Absolute http(s) URLs as the vault fields need them: `scheme://host[:port][/path][?query]`.
//!
//! Hand-written rather than the `url` crate on purpose: the core ships to WebAssembly under a size
//! budget, and a vault URL needs only these checks (the native executor parses it again with a
//! full URL parser before connecting).

use crate::host::{HostProblem, check_host};

/// The parts of a checked URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    /// `http` or `https`.
    pub scheme: String,
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// Port, when given.
    pub port: Option<u16>,
    /// Path and query, starting with `/` (empty when absent).
    pub path: String,
}

impl HttpUrl {
    /// True for `https`.
    #[must_use]
    pub fn is_https(&self) -> bool {
        self.scheme == "https"
    }
}

/// Why a URL is not usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlProblem {
    /// No `scheme://` at the start.
    NotAbsolute,
    /// A scheme other than http or https.
    Scheme(String),
    /// `user:password@` in the URL.
    UserInfo,
    /// The host part is missing or invalid.
    Host(Option<HostProblem>),
    /// The port is not 1–65535.
    Port(String),
    /// Whitespace or control characters.
    Whitespace,
    /// A `#fragment`, which is never sent to a server.
    Fragment,
}

/// Parses and checks an absolute http(s) URL.
pub fn parse_http_url(text: &str) -> Result<HttpUrl, UrlProblem> {
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(UrlProblem::Whitespace);
    }
    let Some((scheme, rest)) = text.split_once("://") else {
        return Err(UrlProblem::NotAbsolute);
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(UrlProblem::Scheme(scheme));
    }
    if rest.contains('#') {
        return Err(UrlProblem::Fragment);
    }
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    if authority.contains('@') {
        return Err(UrlProblem::UserInfo);
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (addr, after) = v6.split_once(']').ok_or(UrlProblem::Host(None))?;
        match after {
            "" => (addr, None),
            p => (
                addr,
                Some(p.strip_prefix(':').ok_or(UrlProblem::Host(None))?),
            ),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(UrlProblem::Host(None));
    }
    check_host(host).map_err(|p| UrlProblem::Host(Some(p)))?;
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Some(n),
            _ => return Err(UrlProblem::Port(p.to_owned())),
        },
    };
    Ok(HttpUrl {
        scheme,
        host: host.to_owned(),
        port,
        path: path.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_urls() {
        let u =
            parse_http_url("https://vault.example.com:8200/v1/auth/userpass/login/alice").unwrap();
        assert_eq!(u.host, "vault.example.com");
        assert_eq!(u.port, Some(8200));
        assert_eq!(u.path, "/v1/auth/userpass/login/alice");
        let u = parse_http_url("http://[::1]:8200/v1/kv/data/db?version=2").unwrap();
        assert_eq!(u.host, "::1");
        assert!(!u.is_https());
        assert_eq!(parse_http_url("HTTPS://v").unwrap().scheme, "https");
    }

    #[test]
    fn bad_urls() {
        assert_eq!(
            parse_http_url("vault.example.com/v1"),
            Err(UrlProblem::NotAbsolute)
        );
        assert_eq!(
            parse_http_url("ftp://v/x"),
            Err(UrlProblem::Scheme("ftp".into()))
        );
        assert_eq!(parse_http_url("https://u:p@v/x"), Err(UrlProblem::UserInfo));
        assert_eq!(
            parse_http_url("https://v:99999/x"),
            Err(UrlProblem::Port("99999".into()))
        );
        assert_eq!(parse_http_url("https:///x"), Err(UrlProblem::Host(None)));
        assert_eq!(parse_http_url("https://v/x y"), Err(UrlProblem::Whitespace));
        assert_eq!(parse_http_url("https://v/x#f"), Err(UrlProblem::Fragment));
        assert!(matches!(
            parse_http_url("https://bad_host!/x"),
            Err(UrlProblem::Host(Some(_)))
        ));
    }
}
