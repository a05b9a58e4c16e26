//! `--shard K/N` (issue 18 item 5): which portals one of N instances runs.
//!
//! A portal belongs to shard `1 + hash(family root) mod N`, where the family root is the end
//! of its `merged_into` chain, so a paper and the papers merged into it are always crawled by
//! the same instance (their history is one story). The hash is FNV-1a 64 of the root's name:
//! stable across releases, machines and configuration order. Pure; applied after loading.

use super::{Config, Portal};

/// `K/N` with 1 ≤ K ≤ N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub k: u32,
    pub n: u32,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Shard, String> {
        let bad = || format!("`{text}` is not a shard: write K/N with 1 ≤ K ≤ N, such as 1/3");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (k, n) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        match 1 <= k && k <= n {
            true => Ok(Shard { k, n }),
            false => Err(bad()),
        }
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

impl Shard {
    /// The shard (1-based) a family root's name falls in.
    pub fn of(root: &str, n: u32) -> u32 {
        (fnv1a(root.as_bytes()) % u64::from(n.max(1))) as u32 + 1
    }
}

/// FNV-1a, 64 bits: a fixed, documented hash (std's `DefaultHasher` may change between Rust
/// releases, which would move portals between instances).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The end of `portal`'s `merged_into` chain (itself when it has none).
pub fn family_root<'a>(portals: &'a [Portal], portal: &'a Portal) -> &'a str {
    let mut name = portal.name.as_str();
    // Bounded: a chain cannot be longer than the portal list (loading refuses circles).
    for _ in 0..portals.len() {
        let next = portals
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.merged_into.as_deref());
        match next {
            Some(parent) if parent != name => name = parent,
            _ => break,
        }
    }
    name
}

impl Config {
    /// Keeps only the portals of `shard` (all of them when `None`) and remembers the shard, so
    /// a SIGHUP reload keeps the same share.
    pub fn keep_shard(&mut self, shard: Option<Shard>) {
        self.shard = shard;
        let Some(shard) = shard else { return };
        let all = self.portals.clone();
        self.portals
            .retain(|p| Shard::of(family_root(&all, p), shard.n) == shard.k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_refuse_nonsense() {
        assert_eq!("2/3".parse(), Ok(Shard { k: 2, n: 3 }));
        for bad in ["0/3", "4/3", "3", "a/b", "1/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_hash_is_fixed() {
        // FNV-1a test vectors: a change here moves portals between running instances.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(Shard::of("cantho", 4), 3);
        assert_eq!(Shard::of("cantho", 7), 6);
    }
}
