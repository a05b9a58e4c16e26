//! The robots.txt cache, one row per authority. The robots module decides freshness (24 h,
//! RFC 9309 §2.4) and what the state labels mean; the store only keeps them across runs.

use rusqlite::{OptionalExtension, params};

use super::{Doing, Error, Store};

/// A cached robots.txt, as the robots module left it.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedRobots {
    /// When it was fetched, in unix seconds.
    pub fetched_at: f64,
    /// The robots module's state label.
    pub state: String,
    /// The robots module's cache bytes.
    pub body: Vec<u8>,
}

impl Store {
    /// The cached robots.txt for `authority` (e.g. `https://baocantho.com.vn:443`), if any.
    pub fn robots_get(&self, authority: &str) -> Result<Option<CachedRobots>, Error> {
        self.conn()
            .prepare_cached("SELECT fetched_at, state, body FROM robots WHERE authority = ?1")
            .and_then(|mut stmt| {
                stmt.query_row([authority], |row| {
                    Ok(CachedRobots {
                        fetched_at: row.get(0)?,
                        state: row.get(1)?,
                        body: row.get(2)?,
                    })
                })
                .optional()
            })
            .doing("read the robots.txt cache")
    }

    /// Stores (or replaces) the robots.txt of `authority`.
    pub fn robots_put(
        &self,
        authority: &str,
        fetched_at: f64,
        state: &str,
        body: &[u8],
    ) -> Result<(), Error> {
        self.conn()
            .prepare_cached(
                "INSERT INTO robots (authority, fetched_at, state, body) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (authority) DO UPDATE SET
                     fetched_at = excluded.fetched_at, state = excluded.state, body = excluded.body",
            )
            .and_then(|mut stmt| stmt.execute(params![authority, fetched_at, state, body]))
            .doing("write the robots.txt cache")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::CachedRobots;
    use crate::store::testing::store;

    fn cached(fetched_at: f64, state: &str, body: &[u8]) -> CachedRobots {
        CachedRobots {
            fetched_at,
            state: state.to_string(),
            body: body.to_vec(),
        }
    }

    #[test]
    fn robots_cache_roundtrips_and_replaces() {
        let (_dir, store) = store();
        let authority = "https://baocantho.com.vn:443";
        assert_eq!(store.robots_get(authority).unwrap(), None);
        let body = b"User-agent: *\nDisallow: /admin\n\xff".to_vec();
        store
            .robots_put(authority, 1_700_000_000.5, "parsed", &body)
            .unwrap();
        let got = store.robots_get(authority).unwrap().unwrap();
        assert_eq!(got, cached(1_700_000_000.5, "parsed", &body));
        store
            .robots_put(authority, 1_700_086_400.0, "unavailable", b"")
            .unwrap();
        let got = store.robots_get(authority).unwrap().unwrap();
        assert_eq!(got, cached(1_700_086_400.0, "unavailable", b""));
        assert_eq!(
            store.robots_get("http://baocantho.com.vn:80").unwrap(),
            None
        );
    }
}
