//! Pagination chains walked by `crawl --backfill` (issue 5, part 6): how deep each chain got,
//! so the next backfill run starts at that page and walks further, instead of re-walking the
//! pages it already has.

use chrono::{SecondsFormat, Utc};
use rusqlite::params;

use super::{Doing, Error, Store};

/// Raises a chain's reached page (never lowers it).
const REACHED: &str = "
    INSERT INTO chains (portal, chain, reached, edge_url, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
    ON CONFLICT (portal, chain) DO UPDATE SET reached = excluded.reached,
        edge_url = excluded.edge_url, updated_at = excluded.updated_at
    WHERE excluded.reached > chains.reached";

/// How far a backfill walked one pagination chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    /// The listing URL without its page number: the chain's identity.
    pub chain: String,
    /// The deepest page number fetched.
    pub reached: u32,
    /// That page's URL: where the next backfill run picks the chain up.
    pub edge_url: String,
}

impl Store {
    /// The chains of `portal` a backfill has walked.
    pub fn chains(&self, portal: &str) -> Result<Vec<Chain>, Error> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT chain, reached, edge_url FROM chains WHERE portal = ?1")
            .doing("read backfill chains")?;
        let rows = stmt.query_map([portal], |row| {
            Ok(Chain {
                chain: row.get(0)?,
                reached: row.get(1)?,
                edge_url: row.get(2)?,
            })
        });
        rows.and_then(Iterator::collect)
            .doing("read backfill chains")
    }

    /// Records that a backfill fetched page `page` (at `url`) of `portal`'s `chain`.
    pub fn chain_reached(
        &self,
        portal: &str,
        chain: &str,
        page: u32,
        url: &str,
    ) -> Result<(), Error> {
        let now = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
        self.conn()
            .prepare_cached(REACHED)
            .and_then(|mut stmt| stmt.execute(params![portal, chain, page, url, now]))
            .doing("record a backfill chain")
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::testing::store;

    #[test]
    fn a_chain_only_ever_gets_deeper_and_survives_a_reopen() {
        let (dir, store) = store();
        store
            .chain_reached("p", "https://a.vn/thoi-su/", 3, "https://a.vn/thoi-su/?p=3")
            .unwrap();
        store
            .chain_reached("p", "https://a.vn/thoi-su/", 2, "https://a.vn/thoi-su/?p=2")
            .unwrap();
        store
            .chain_reached("q", "https://b.vn/x/", 9, "https://b.vn/x/?p=9")
            .unwrap();
        drop(store);
        let store = crate::store::Store::open(&dir.path().join("state.sqlite")).unwrap();
        let chains = store.chains("p").unwrap();
        assert_eq!(chains.len(), 1);
        assert_eq!(
            (chains[0].reached, chains[0].edge_url.as_str()),
            (3, "https://a.vn/thoi-su/?p=3")
        );
        store
            .chain_reached("p", "https://a.vn/thoi-su/", 6, "https://a.vn/thoi-su/?p=6")
            .unwrap();
        assert_eq!(store.chains("p").unwrap()[0].reached, 6);
    }
}
