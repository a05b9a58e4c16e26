//! The address guard: which peers a fetch may talk to.
//!
//! A crawler that follows links found on the open web must not be steered into the machine's own
//! network (SSRF): a page can link to `http://10.0.0.1/`, and a hostile DNS server can answer a
//! public-looking name with `127.0.0.1` (DNS rebinding). So every address is checked *after*
//! resolution, by a resolver plugged into the HTTP client, and again on the peer the response
//! actually came from. Hosts named in a portal's configuration are exempt: a local test portal or
//! an intranet mirror is the operator's choice. IP-literal URLs never reach a resolver, so the
//! fetcher checks them itself ([`Guard::check`]).
//! This module never opens connections; it only resolves names and judges addresses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// True for addresses a crawl must not reach unless the host is named in the configuration:
/// loopback, private (RFC 1918), shared CGNAT space (RFC 6598), link-local, unspecified,
/// broadcast, multicast, IPv6 unique-local (RFC 4193), and the IPv4-mapped and NAT64 forms of
/// those (RFC 4291 §2.5.5.2, RFC 6052 §2.1), which reach the same IPv4 hosts.
pub(crate) fn is_restricted(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_restricted_v4(v4),
        IpAddr::V6(v6) => is_restricted_v6(v6),
    }
}

fn is_restricted_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        // 0.0.0.0/8 "this network" (RFC 791): Linux connects 0.x.y.z to the local host.
        || a == 0
        // 100.64.0.0/10, shared address space for carrier-grade NAT (RFC 6598).
        || (a == 100 && (b & 0xC0) == 64)
}

fn is_restricted_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_restricted_v4(v4);
    }
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // fe80::/10 link-local unicast (RFC 4291 §2.5.6).
        || (first & 0xFFC0) == 0xFE80
        // fc00::/7 unique local addresses (RFC 4193).
        || (first & 0xFE00) == 0xFC00
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`) or NAT64 well-known-prefix
/// (`64:ff9b::a.b.c.d`) address, which the network delivers to that IPv4 host.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let nat64 = s[0] == 0x64 && s[1] == 0xFF9B && s[2..6].iter().all(|&x| x == 0);
    nat64.then(|| Ipv4Addr::from(((s[6] as u32) << 16) | s[7] as u32))
}

/// Judges addresses against the restricted ranges, with the configured exemptions.
#[derive(Debug, Clone)]
pub(crate) struct Guard {
    /// Lowercase hosts without port, as `url::Url::host_str` spells them (`[::1]` for IPv6).
    exempt: Arc<[String]>,
}

impl Guard {
    pub(crate) fn new(private_hosts: &[String]) -> Guard {
        let exempt = private_hosts
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        Guard { exempt }
    }

    fn is_exempt(&self, host: &str) -> bool {
        self.exempt.iter().any(|h| h.eq_ignore_ascii_case(host))
    }

    /// Whether `host` may be reached at `ip`.
    pub(crate) fn allows(&self, host: &str, ip: IpAddr) -> bool {
        !is_restricted(ip) || self.is_exempt(host)
    }

    /// [`Guard::allows`] as a result carrying the refusal.
    pub(crate) fn check(&self, host: &str, ip: IpAddr) -> Result<(), Refused> {
        if self.allows(host, ip) {
            return Ok(());
        }
        Err(Refused {
            host: host.to_ascii_lowercase(),
            ip,
        })
    }

    /// Keeps the addresses `host` may be reached at; refuses when DNS returned only forbidden ones.
    fn filter(&self, host: &str, addrs: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, LookupError> {
        let (kept, dropped): (Vec<_>, Vec<_>) =
            addrs.into_iter().partition(|a| self.allows(host, a.ip()));
        match (kept.is_empty(), dropped.first()) {
            (false, _) => Ok(kept),
            (true, Some(first)) => Err(LookupError::Refused(Refused {
                host: host.to_string(),
                ip: first.ip(),
            })),
            (true, None) => Err(LookupError::Empty {
                host: host.to_string(),
            }),
        }
    }
}

/// A host that resolved only to restricted addresses. Travels through reqwest's error chain
/// from the resolver to the fetcher, which turns it into `fetch::Error::AddressRefused`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{host} resolves only to restricted addresses such as {ip}")]
pub(crate) struct Refused {
    pub(crate) host: String,
    pub(crate) ip: IpAddr,
}

/// Why the guarded resolver gave no address; found again in reqwest's error chain.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LookupError {
    #[error(transparent)]
    Refused(Refused),
    #[error("the system resolver found no address for {host}")]
    Empty { host: String },
    #[error("the system resolver failed for {host}")]
    Failed {
        host: String,
        #[source]
        source: std::io::Error,
    },
}

impl LookupError {
    /// The resolver's own reason for a failed lookup, for `fetch::Error::Dns`.
    pub(crate) fn detail(&self) -> String {
        match self {
            LookupError::Refused(r) => r.to_string(),
            LookupError::Empty { .. } => "no address records".to_string(),
            LookupError::Failed { source, .. } => source.to_string(),
        }
    }

    pub(crate) fn host(&self) -> &str {
        match self {
            LookupError::Refused(r) => &r.host,
            LookupError::Empty { host } | LookupError::Failed { host, .. } => host,
        }
    }
}

/// The resolver plugged into reqwest: the system resolver, then the guard.
#[derive(Debug, Clone)]
pub(crate) struct GuardedResolver {
    guard: Guard,
}

impl GuardedResolver {
    pub(crate) fn new(guard: Guard) -> GuardedResolver {
        GuardedResolver { guard }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.guard.clone();
        let host = name.as_str().to_ascii_lowercase();
        Box::pin(async move {
            // Port 0: reqwest substitutes the URL's port (reqwest::dns::Resolve docs).
            let found = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|source| LookupError::Failed {
                    host: host.clone(),
                    source,
                })?;
            let kept = guard.filter(&host, found.collect())?;
            Ok(Box::new(kept.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn restricted_ranges_are_refused() {
        for s in [
            "127.0.0.1",
            "127.9.9.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "100.64.0.1",
            "100.127.255.255",
            "::1",
            "::",
            "fe80::1",
            "febf::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::7f00:1",
            "64:ff9b::a00:1",
        ] {
            assert!(is_restricted(ip(s)), "{s} should be restricted");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for s in [
            "8.8.8.8",
            "172.15.255.255",
            "172.32.0.1",
            "192.169.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "14.225.0.1",
            "2001:db8::1",
            "2404:6800::1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "fec0::1",
        ] {
            assert!(!is_restricted(ip(s)), "{s} should pass");
        }
    }

    #[test]
    fn named_hosts_are_exempt_case_insensitively() {
        let guard = Guard::new(&["LocalHost".to_string(), "[::1]".to_string()]);
        assert!(guard.allows("localhost", ip("127.0.0.1")));
        assert!(guard.allows("[::1]", ip("::1")));
        assert!(!guard.allows("example.org", ip("127.0.0.1")));
        let refused = guard.check("Example.org", ip("10.0.0.1")).unwrap_err();
        assert_eq!(
            refused,
            Refused {
                host: "example.org".into(),
                ip: ip("10.0.0.1")
            }
        );
    }

    #[test]
    fn filter_keeps_public_addresses_and_refuses_when_none_remain() {
        let guard = Guard::new(&[]);
        let a: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let b: SocketAddr = "93.184.215.14:0".parse().unwrap();
        assert_eq!(guard.filter("x.vn", vec![a, b]).unwrap(), vec![b]);
        match guard.filter("x.vn", vec![a]) {
            Err(LookupError::Refused(r)) => assert_eq!(r.ip, a.ip()),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(matches!(
            guard.filter("x.vn", vec![]),
            Err(LookupError::Empty { .. })
        ));
    }
}
