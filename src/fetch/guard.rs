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
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Url;

use crate::addresses::is_restricted;

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
