//! The address guard: which peers a fetch may talk to.
//!
//! A crawler that follows links found on the open web must not be steered into the machine's own
//! network (SSRF): a page can link to `http://10.0.0.1/`, and a hostile or lapsed DNS zone can
//! answer a public-looking name with `127.0.0.1` or `169.254.169.254` (DNS rebinding, issue 13
//! item 6). So every address is checked *after* resolution, by a resolver plugged into the HTTP
//! client, and again on the peer the response actually came from. IP-literal URLs never reach a
//! resolver, so the fetcher checks them itself ([`Guard::check`]).
//!
//! The only exemptions are exact authorities the configuration marks as private
//! ([`crate::config::Config::private_authorities`]): `host:port` as written (a host without
//! port: its scheme's default port only), and only for hosts that are private *by
//! configuration* (an IP literal, `localhost`, or a portal with `allow_private_addresses`).
//! A public name never gets an exemption, whatever DNS answers for it (docs/guard.md).
//! This module never opens connections; it only resolves names and judges addresses.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Url;

/// True for addresses a crawl must not reach unless the configuration exempts the authority:
/// loopback, private (RFC 1918), shared CGNAT space (RFC 6598), link-local, unspecified,
/// broadcast, multicast, reserved, benchmarking and IETF protocol space, IPv6 unique-local
/// (RFC 4193), and every IPv6 form that carries such an IPv4 address (mapped, compatible,
/// NAT64, 6to4, Teredo), since the network delivers those to the IPv4 host.
pub(crate) fn is_restricted(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_restricted_v4(v4),
        IpAddr::V6(v6) => is_restricted_v6(v6),
    }
}

fn is_restricted_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        // 0.0.0.0/8 "this network" (RFC 791): Linux connects 0.x.y.z to the local host.
        || a == 0
        // 100.64.0.0/10, shared address space for carrier-grade NAT (RFC 6598).
        || (a == 100 && (b & 0xC0) == 64)
        // 192.0.0.0/24, IETF protocol assignments (RFC 6890 §2.2.2): DS-Lite, NAT64 discovery.
        || (a == 192 && b == 0 && c == 0)
        // 198.18.0.0/15, benchmarking (RFC 2544): lab networks, often routed internally.
        || (a == 198 && (b & 0xFE) == 18)
        // 240.0.0.0/4 reserved (RFC 1112 §4), 255.255.255.255 broadcast included.
        || a >= 240
}

fn is_restricted_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = translated_v4(ip) {
        return is_restricted_v4(v4);
    }
    if tunnelled_v4(ip).into_iter().any(is_restricted_v4) {
        return true;
    }
    let first = ip.segments()[0];
    ip.is_multicast()
        // fe80::/10 link-local unicast (RFC 4291 §2.5.6).
        || (first & 0xFFC0) == 0xFE80
        // fc00::/7 unique local addresses (RFC 4193).
        || (first & 0xFE00) == 0xFC00
}

/// The IPv4 address an IPv6 address *is*: IPv4-mapped `::ffff:a.b.c.d` (RFC 4291 §2.5.5.2),
/// IPv4-compatible `::a.b.c.d` (§2.5.5.1, deprecated but still routed by some stacks; `::` and
/// `::1` land in 0.0.0.0/8 and stay refused) and the NAT64 well-known prefix `64:ff9b::/96`
/// (RFC 6052 §2.1).
fn translated_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let low = Ipv4Addr::from(((s[6] as u32) << 16) | s[7] as u32);
    let compatible = s[..6].iter().all(|&x| x == 0);
    let nat64 = s[0] == 0x64 && s[1] == 0xFF9B && s[2..6].iter().all(|&x| x == 0);
    (compatible || nat64).then_some(low)
}

/// The IPv4 addresses an IPv6 tunnel address carries, which its relay sends packets to:
/// 6to4 `2002:AABB:CCDD::/48` (RFC 3056 §2) and Teredo `2001:0::/32` (RFC 4380 §4: the server
/// in bits 32-63, the client's mapped address in the last 32 bits, inverted).
fn tunnelled_v4(ip: Ipv6Addr) -> Vec<Ipv4Addr> {
    let s = ip.segments();
    let v4 = |hi: u16, lo: u16| Ipv4Addr::from(((hi as u32) << 16) | lo as u32);
    match (s[0], s[1]) {
        (0x2002, _) => vec![v4(s[1], s[2])],
        (0x2001, 0) => vec![v4(s[2], s[3]), v4(!s[6], !s[7])],
        _ => Vec::new(),
    }
}

/// One exempt authority: a host and the one port it is exempt on.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Exempt {
    /// Lowercase, as `url::Url::host_str` spells it (`[::1]` for IPv6).
    host: String,
    /// `None`: the URL's scheme's default port (the entry was written without a port).
    port: Option<u16>,
}

impl Exempt {
    fn parse(entry: &str) -> Option<Exempt> {
        let entry = entry.trim().to_ascii_lowercase();
        let host = crate::config::host_without_port(&entry);
        let port = match entry[host.len()..].strip_prefix(':') {
            Some(port) => Some(port.parse().ok()?),
            None => None,
        };
        Some(Exempt {
            host: host.to_string(),
            port,
        })
    }

    /// Whether `url` is served from exactly this authority.
    fn covers(&self, url: &Url) -> bool {
        let port_matches = match self.port {
            Some(port) => url.port_or_known_default() == Some(port),
            None => url.port().is_none(),
        };
        port_matches
            && url
                .host_str()
                .is_some_and(|h| h.eq_ignore_ascii_case(&self.host))
    }
}

/// Judges addresses against the restricted ranges, with the configured exact exemptions.
#[derive(Debug, Clone)]
pub(crate) struct Guard {
    exempt: Arc<[Exempt]>,
}

impl Guard {
    /// `entries` are `host` or `host:port` ([`super::Settings::private_hosts`]); an entry that
    /// does not parse exempts nothing.
    pub(crate) fn new(entries: &[String]) -> Guard {
        let exempt = entries.iter().filter_map(|e| Exempt::parse(e)).collect();
        Guard { exempt }
    }

    /// Whether `url`'s exact authority may be reached at a restricted address.
    pub(crate) fn exempts(&self, url: &Url) -> bool {
        self.exempt.iter().any(|e| e.covers(url))
    }

    /// The exempt host names, whatever their port: the resolver of the client that fetches
    /// only exempt authorities keeps their restricted addresses.
    fn names(&self) -> Arc<[String]> {
        self.exempt.iter().map(|e| e.host.clone()).collect()
    }

    /// Whether `url` may be fetched from `ip`, as a result carrying the refusal.
    pub(crate) fn check(&self, url: &Url, ip: IpAddr) -> Result<(), Refused> {
        if !is_restricted(ip) || self.exempts(url) {
            return Ok(());
        }
        Err(Refused {
            host: url.host_str().unwrap_or("").to_ascii_lowercase(),
            ip,
        })
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

/// Fixed answers that replace the system resolver for some names (tests: a public-looking
/// name that resolves to 127.0.0.5 without /etc/hosts or a DNS server).
pub(crate) type Table = Arc<HashMap<String, Vec<IpAddr>>>;

/// The resolver plugged into reqwest: the system resolver (or the fixed table), then the guard.
/// reqwest does not tell a resolver the port, so the port-exact check is the fetcher's: it sends
/// only exempt authorities through the client whose resolver keeps the `exempt` names'
/// restricted addresses; every other URL goes through a resolver with no exemption at all.
#[derive(Debug, Clone)]
pub(crate) struct GuardedResolver {
    exempt: Arc<[String]>,
    table: Table,
}

impl GuardedResolver {
    /// Keeps no restricted address for any name.
    pub(crate) fn strict(table: Table) -> GuardedResolver {
        GuardedResolver {
            exempt: Arc::from([]),
            table,
        }
    }

    /// Keeps the restricted addresses of the guard's exempt names.
    pub(crate) fn exempting(guard: &Guard, table: Table) -> GuardedResolver {
        GuardedResolver {
            exempt: guard.names(),
            table,
        }
    }

    fn allows(&self, host: &str, ip: IpAddr) -> bool {
        !is_restricted(ip) || self.exempt.iter().any(|h| h == host)
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

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let resolver = self.clone();
        let host = name.as_str().to_ascii_lowercase();
        Box::pin(async move {
            // Port 0: reqwest substitutes the URL's port (reqwest::dns::Resolve docs).
            let found: Vec<SocketAddr> = match resolver.table.get(&host) {
                Some(ips) => ips.iter().map(|ip| SocketAddr::new(*ip, 0)).collect(),
                None => tokio::net::lookup_host((host.as_str(), 0))
                    .await
                    .map_err(|source| LookupError::Failed {
                        host: host.clone(),
                        source,
                    })?
                    .collect(),
            };
            let kept = resolver.filter(&host, found)?;
            Ok(Box::new(kept.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests;
