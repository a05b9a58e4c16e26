//! Which IP addresses a crawl must not reach: the address guard's ranges (issue 13 item 6).
//!
//! A leaf of the module map (docs/architecture.md): the fetch stage's address guard judges every
//! resolved peer with [`is_restricted`], and the configuration uses the same ranges to tell a
//! `hosts` entry that is private by its spelling (an IP literal) from a public name, so both
//! share this one definition without depending on each other. This module only classifies
//! addresses; it never resolves names or opens connections.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

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
