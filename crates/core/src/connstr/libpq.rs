//! libpq's two connection-string syntaxes, parsed the way libpq 18 parses them
//! (`src/interfaces/libpq/fe-connect.c`: `conninfo_parse`, `conninfo_uri_parse_options`,
//! `conninfo_uri_parse_params`, `conninfo_uri_decode`), so that every string libpq rejects is
//! rejected here with libpq's own message, and every string it accepts yields the same options.
//!
//! The output is libpq's option list (keyword → value, last one wins); mapping it onto the payload
//! model is the caller's job.

/// libpq 18's connection options (`PQconninfoOptions`). Any other keyword is rejected.
pub(crate) const KEYWORDS: &[&str] = &[
    "service",
    "user",
    "password",
    "passfile",
    "channel_binding",
    "connect_timeout",
    "dbname",
    "host",
    "hostaddr",
    "port",
    "client_encoding",
    "options",
    "application_name",
    "fallback_application_name",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "sslmode",
    "sslnegotiation",
    "sslcompression",
    "sslcert",
    "sslkey",
    "sslcertmode",
    "sslpassword",
    "sslkeylogfile",
    "sslrootcert",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "requirepeer",
    "require_auth",
    "min_protocol_version",
    "max_protocol_version",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "gssencmode",
    "krbsrvname",
    "gsslib",
    "gssdelegation",
    "replication",
    "target_session_attrs",
    "load_balance_hosts",
    "scram_client_key",
    "scram_server_key",
    "oauth_issuer",
    "oauth_client_id",
    "oauth_client_secret",
    "oauth_scope",
];

/// Parsed options in the order libpq stores them; a later value for the same keyword replaces
/// the earlier one.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Options(Vec<(&'static str, String)>);

impl Options {
    pub(crate) fn get(&self, keyword: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| *k == keyword)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn keywords(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().map(|(k, _)| *k)
    }

    /// `conninfo_storeval`: maps `requiressl`, rejects unknown keywords (`None`).
    fn store(&mut self, keyword: &str, value: String) -> Option<()> {
        let (keyword, value) = if keyword == "requiressl" {
            let v = if value.starts_with('1') {
                "require"
            } else {
                "prefer"
            };
            ("sslmode", v.to_owned())
        } else {
            (keyword, value)
        };
        let known = KEYWORDS.iter().find(|k| **k == keyword)?;
        if let Some(slot) = self.0.iter_mut().find(|(k, _)| k == known) {
            slot.1 = value;
        } else {
            self.0.push((known, value));
        }
        Some(())
    }
}

/// The length of a `postgresql://` or `postgres://` prefix, if `s` starts with one.
pub(crate) fn uri_prefix_len(s: &str) -> Option<usize> {
    ["postgresql://", "postgres://"]
        .iter()
        .find(|p| s.starts_with(*p))
        .map(|p| p.len())
}

/// `conninfo_parse`: `keyword = value` pairs separated by whitespace; values may be single-quoted;
/// a backslash escapes the next character.
pub(crate) fn parse_keyword_value(text: &str) -> Result<Options, String> {
    let mut opts = Options::default();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| is_space(*c)).is_some() {}
        if chars.peek().is_none() {
            return Ok(opts);
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' {
                break;
            }
            if is_space(c) {
                while chars.next_if(|c| is_space(*c)).is_some() {}
                break;
            }
            name.push(c);
            chars.next();
        }
        if chars.next_if_eq(&'=').is_none() {
            return Err(format!(
                "missing \"=\" after \"{name}\" in connection info string"
            ));
        }
        while chars.next_if(|c| is_space(*c)).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    None => {
                        return Err(
                            "unterminated quoted string in connection info string".to_owned()
                        );
                    }
                    Some('\\') => {
                        if let Some(c) = chars.next() {
                            value.push(c);
                        }
                    }
                    Some('\'') => break,
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next() {
                if is_space(c) {
                    break;
                }
                if c == '\\' {
                    if let Some(n) = chars.next() {
                        value.push(n);
                    }
                } else {
                    value.push(c);
                }
            }
        }
        if opts.store(&name, value).is_none() {
            return Err(format!("invalid connection option \"{name}\""));
        }
    }
}

/// C's `isspace` in the "C" locale.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

/// `conninfo_uri_parse_options`: `postgresql://[user[:password]@][netloc][:port][,...][/dbname]
/// [?param1=value1&...]`.
pub(crate) fn parse_uri(uri: &str) -> Result<Options, String> {
    let mut opts = Options::default();
    let prefix = uri_prefix_len(uri).unwrap_or(0);
    let b = uri.as_bytes();
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let slice = |from: usize, to: usize| uri.get(from..to).unwrap_or_default();
    let start = prefix;
    let mut p = start;

    // user credentials: look ahead for '@' before any '/'
    while at(p) != 0 && at(p) != b'@' && at(p) != b'/' {
        p += 1;
    }
    if at(p) == b'@' {
        let mut q = start;
        while at(q) != 0 && at(q) != b':' && at(q) != b'@' {
            q += 1;
        }
        let user = slice(start, q);
        if !user.is_empty() {
            store_decoded(&mut opts, "user", user)?;
        }
        if at(q) == b':' {
            let pw_start = q + 1;
            let mut r = pw_start;
            while at(r) != 0 && at(r) != b'@' {
                r += 1;
            }
            let password = slice(pw_start, r);
            if !password.is_empty() {
                store_decoded(&mut opts, "password", password)?;
            }
        }
        p += 1; // past '@'
    } else {
        p = start;
    }

    // netloc[:port], comma-separated
    let mut hosts = String::new();
    let mut ports = String::new();
    let mut prevchar;
    loop {
        let host;
        if at(p) == b'[' {
            p += 1;
            let h_start = p;
            while at(p) != 0 && at(p) != b']' {
                p += 1;
            }
            if at(p) == 0 {
                return Err(format!(
                    "end of string reached when looking for matching \"]\" in IPv6 host address \
                     in URI: \"{uri}\""
                ));
            }
            if p == h_start {
                return Err(format!(
                    "IPv6 host address may not be empty in URI: \"{uri}\""
                ));
            }
            host = slice(h_start, p);
            p += 1; // past ']'
            let c = at(p);
            if c != 0 && c != b':' && c != b'/' && c != b'?' && c != b',' {
                let ch = uri.get(p..).and_then(|s| s.chars().next()).unwrap_or('?');
                return Err(format!(
                    "unexpected character \"{ch}\" at position {} in URI (expected \":\" or \
                     \"/\"): \"{uri}\"",
                    p + 1
                ));
            }
        } else {
            let h_start = p;
            while at(p) != 0 && !matches!(at(p), b':' | b'/' | b'?' | b',') {
                p += 1;
            }
            host = slice(h_start, p);
        }
        prevchar = at(p);
        hosts.push_str(host);
        if prevchar == b':' {
            p += 1;
            let port_start = p;
            while at(p) != 0 && !matches!(at(p), b'/' | b'?' | b',') {
                p += 1;
            }
            ports.push_str(slice(port_start, p));
            prevchar = at(p);
        }
        if prevchar != b',' {
            break;
        }
        p += 1;
        hosts.push(',');
        ports.push(',');
    }
    if !hosts.is_empty() {
        store_decoded(&mut opts, "host", &hosts)?;
    }
    if !ports.is_empty() {
        store_decoded(&mut opts, "port", &ports)?;
    }

    if prevchar != 0 && prevchar != b'?' {
        p += 1; // past '/'
        let db_start = p;
        while at(p) != 0 && at(p) != b'?' {
            p += 1;
        }
        prevchar = at(p);
        let dbname = slice(db_start, p);
        if !dbname.is_empty() {
            store_decoded(&mut opts, "dbname", dbname)?;
        }
    }
    if prevchar != 0 {
        p += 1; // past '?'
        parse_params(uri.get(p..).unwrap_or_default(), &mut opts)?;
    }
    Ok(opts)
}

fn store_decoded(opts: &mut Options, keyword: &str, raw: &str) -> Result<(), String> {
    let value = decode(raw)?;
    opts.store(keyword, value)
        .ok_or_else(|| format!("invalid connection option \"{keyword}\""))
}

/// `conninfo_uri_parse_params`: `key=value` pairs separated by `&`.
fn parse_params(params: &str, opts: &mut Options) -> Result<(), String> {
    let mut rest = params;
    while !rest.is_empty() {
        let (pair, next) = match rest.find('&') {
            Some(i) => (
                rest.get(..i).unwrap_or_default(),
                rest.get(i + 1..).unwrap_or_default(),
            ),
            None => (rest, ""),
        };
        let mut parts = pair.splitn(2, '=');
        let keyword = parts.next().unwrap_or_default();
        let Some(value) = parts.next() else {
            return Err(format!(
                "missing key/value separator \"=\" in URI query parameter: \"{keyword}\""
            ));
        };
        if value.contains('=') {
            return Err(format!(
                "extra key/value separator \"=\" in URI query parameter: \"{keyword}\""
            ));
        }
        let keyword = decode(keyword)?;
        let value = decode(value)?;
        let (keyword, value) = if keyword == "ssl" && value == "true" {
            ("sslmode".to_owned(), "require".to_owned())
        } else {
            (keyword, value)
        };
        if opts.store(&keyword, value).is_none() {
            return Err(format!("invalid URI query parameter: \"{keyword}\""));
        }
        rest = next;
    }
    Ok(())
}

/// `conninfo_uri_decode`: percent-decoding; leading and trailing spaces are dropped, inner ones
/// rejected; `%00` and malformed escapes rejected.
fn decode(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    while let Some(&c) = b.get(i) {
        if c == b' ' {
            break;
        }
        if c != b'%' {
            out.push(c);
            i += 1;
            continue;
        }
        let hi = b.get(i + 1).and_then(|d| hex(*d));
        let lo = hi.and_then(|_| b.get(i + 2).and_then(|d| hex(*d)));
        let (Some(hi), Some(lo)) = (hi, lo) else {
            return Err(format!("invalid percent-encoded token: \"{s}\""));
        };
        let v = (hi << 4) | lo;
        if v == 0 {
            return Err(format!(
                "forbidden value %00 in percent-encoded value: \"{s}\""
            ));
        }
        out.push(v);
        i += 3;
    }
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    if i < b.len() {
        return Err(format!(
            "unexpected spaces found in \"{s}\", use percent-encoded spaces (%20) instead"
        ));
    }
    // libpq keeps raw bytes; a payload holds text. Say so rather than keep a mangled value.
    String::from_utf8(out).map_err(|_| {
        format!("percent-encoded value \"{s}\" decodes to bytes that are not UTF-8 text, which a datastore payload cannot hold")
    })
}

fn hex(d: u8) -> Option<u8> {
    match d {
        b'0'..=b'9' => Some(d - b'0'),
        b'a'..=b'f' => Some(d - b'a' + 10),
        b'A'..=b'F' => Some(d - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_value_quoting() {
        let o = parse_keyword_value(
            r"host=db port = 5433 password='it\'s a \\ secret' user=a\ b dbname=''",
        )
        .unwrap();
        assert_eq!(o.get("host"), Some("db"));
        assert_eq!(o.get("port"), Some("5433"));
        assert_eq!(o.get("password"), Some(r"it's a \ secret"));
        assert_eq!(o.get("user"), Some("a b"));
        assert_eq!(o.get("dbname"), Some(""));
        assert_eq!(
            parse_keyword_value("host"),
            Err("missing \"=\" after \"host\" in connection info string".to_owned())
        );
        assert_eq!(
            parse_keyword_value("password='x"),
            Err("unterminated quoted string in connection info string".to_owned())
        );
        assert_eq!(
            parse_keyword_value("hots=x"),
            Err("invalid connection option \"hots\"".to_owned())
        );
        assert_eq!(
            parse_keyword_value("requiressl=1").unwrap().get("sslmode"),
            Some("require")
        );
    }

    #[test]
    fn uri_decoding() {
        assert_eq!(decode("%41b%2f").unwrap(), "Ab/");
        assert_eq!(decode("  x  ").unwrap(), "x");
        assert!(decode("a b").is_err());
        assert!(decode("%4").is_err());
        assert!(decode("%00").is_err());
        assert!(decode("%FF").unwrap_err().contains("not UTF-8"));
        assert_eq!(decode("%C3%A9").unwrap(), "é");
    }
}
