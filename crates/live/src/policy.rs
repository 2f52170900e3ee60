//! The network policy (SSRF guard): which addresses the server may connect to on a user's behalf.
//!
//! Checks run from the server, so a user could aim them at internal services. Every resolved
//! address of a database host and of the vault URLs is checked, and the connection then goes to
//! exactly the address that was checked (no second lookup).
//!
//! Precedence, first match wins: an operator's `--deny-cidr`; an operator's `--allow-cidr`; the
//! built-in denials (link-local 169.254.0.0/16 — cloud metadata — and fe80::/10, "this network"
//! 0.0.0.0/8, multicast, broadcast); otherwise allowed. IPv4-mapped IPv6 addresses
//! (`::ffff:169.254.169.254`) are checked as the IPv4 address they carry. A host with *any* denied
//! address is refused as a whole.

use std::net::IpAddr;

use ipnet::IpNet;

/// The built-in denials, with the reason each is denied.
pub const DEFAULT_DENY: &[(&str, &str)] = &[
    (
        "169.254.0.0/16",
        "IPv4 link-local, where cloud metadata services answer",
    ),
    ("fe80::/10", "IPv6 link-local"),
    ("0.0.0.0/8", "\"this network\", never a server"),
    ("224.0.0.0/4", "IPv4 multicast"),
    ("ff00::/8", "IPv6 multicast"),
    ("255.255.255.255/32", "IPv4 broadcast"),
    ("::/128", "the unspecified IPv6 address"),
];

/// Which addresses may be dialled.
#[derive(Debug, Clone)]
pub struct NetworkPolicy {
    deny: Vec<IpNet>,
    allow: Vec<IpNet>,
    builtin: Vec<(IpNet, &'static str)>,
}

/// Why an address was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    /// The address.
    pub addr: IpAddr,
    /// The range that matched.
    pub range: IpNet,
    /// Why that range is denied.
    pub reason: String,
}

impl std::fmt::Display for Denied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is denied by the network policy ({}: {})",
            self.addr, self.range, self.reason
        )
    }
}

impl Default for NetworkPolicy {
    fn default() -> Self {
        NetworkPolicy::new(Vec::new(), Vec::new())
    }
}

impl NetworkPolicy {
    /// The built-in denials plus the operator's lists.
    #[must_use]
    pub fn new(allow: Vec<IpNet>, deny: Vec<IpNet>) -> Self {
        let builtin = DEFAULT_DENY
            .iter()
            .filter_map(|(net, why)| net.parse().ok().map(|n| (n, *why)))
            .collect();
        NetworkPolicy {
            deny,
            allow,
            builtin,
        }
    }

    /// Parses `--allow-cidr` / `--deny-cidr` values (a bare address means that one address).
    pub fn parse_nets(values: &[String]) -> Result<Vec<IpNet>, String> {
        values
            .iter()
            .map(|v| {
                v.parse::<IpNet>()
                    .or_else(|_| v.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{v:?} is not a CIDR range or an IP address"))
            })
            .collect()
    }

    /// Whether `addr` may be dialled.
    pub fn check(&self, addr: IpAddr) -> Result<(), Denied> {
        let addr = canonical(addr);
        if let Some(net) = self.deny.iter().find(|n| n.contains(&addr)) {
            return Err(Denied {
                addr,
                range: *net,
                reason: "denied by the operator with --deny-cidr".to_owned(),
            });
        }
        if self.allow.iter().any(|n| n.contains(&addr)) {
            return Ok(());
        }
        if let Some((net, why)) = self.builtin.iter().find(|(n, _)| n.contains(&addr)) {
            return Err(Denied {
                addr,
                range: *net,
                reason: (*why).to_owned(),
            });
        }
        Ok(())
    }

    /// Checks every address; the first denial refuses them all.
    pub fn check_all(&self, addrs: &[IpAddr]) -> Result<(), Denied> {
        addrs.iter().try_for_each(|a| self.check(*a))
    }
}

/// IPv4-mapped IPv6 (`::ffff:a.b.c.d`) as the IPv4 address it carries.
fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn defaults() {
        let p = NetworkPolicy::default();
        for denied in [
            "169.254.169.254",
            "::ffff:169.254.169.254",
            "fe80::1",
            "0.0.0.0",
            "0.1.2.3",
            "224.0.0.1",
            "ff02::1",
            "255.255.255.255",
            "::",
        ] {
            assert!(p.check(ip(denied)).is_err(), "{denied}");
        }
        for allowed in [
            "127.0.0.1",
            "::1",
            "10.0.0.5",
            "192.168.1.1",
            "8.8.8.8",
            "2001:db8::1",
        ] {
            assert!(p.check(ip(allowed)).is_ok(), "{allowed}");
        }
    }

    #[test]
    fn operator_lists() {
        let nets = |v: &[&str]| {
            NetworkPolicy::parse_nets(&v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
                .unwrap()
        };
        let p = NetworkPolicy::new(
            nets(&["169.254.10.0/24", "10.0.0.0/8"]),
            nets(&["10.1.0.0/16", "127.0.0.1"]),
        );
        assert!(
            p.check(ip("169.254.10.7")).is_ok(),
            "allow lifts a built-in denial"
        );
        assert!(p.check(ip("169.254.169.254")).is_err());
        assert!(p.check(ip("10.1.2.3")).is_err(), "deny wins over allow");
        assert!(p.check(ip("10.2.0.1")).is_ok());
        assert!(
            p.check(ip("127.0.0.1")).is_err(),
            "a bare address denies just it"
        );
        let e = p.check(ip("::ffff:10.1.0.9")).unwrap_err();
        assert_eq!(e.addr, ip("10.1.0.9"));
        assert!(NetworkPolicy::parse_nets(&["nope".to_owned()]).is_err());
        assert!(
            p.check_all(&[ip("8.8.8.8"), ip("169.254.169.254")])
                .is_err()
        );
    }
}
