//! What runs learn beyond a portal's profile (issue 14, part 3): URL shapes confirmed as
//! articles by their content, and the article candidates the portal's own sitemaps and feeds
//! listed (coverage). Keyed by a hash of the profile's patterns, so an operator's edit drops
//! the shapes learned under the old profile. It never decides what is an article: the crawl
//! does, and records here.

use chrono::Utc;
use rusqlite::params;

use super::{Doing, Error, Store};

/// Counts one more confirmation; sets `learned_at` the first time `threshold` is reached.
const CONFIRM: &str = "
    INSERT INTO learned_shapes (portal, profile, shape, confirmed, learned_at)
    VALUES (?1, ?2, ?3, 1, CASE WHEN ?4 <= 1 THEN ?5 END)
    ON CONFLICT (portal, profile, shape) DO UPDATE SET confirmed = confirmed + 1,
        learned_at = COALESCE(learned_at, CASE WHEN confirmed + 1 >= ?4 THEN ?5 END)
    RETURNING learned_at IS NOT NULL";

const LISTED: &str = "
    INSERT INTO listed (portal, url, run_id) VALUES (?1, ?2, ?3)
    ON CONFLICT (portal, url) DO UPDATE SET run_id = excluded.run_id";

/// Of the URLs run ?2 saw listed for portal ?1: how many, and how many have a capture.
const COVERAGE: &str = "
    SELECT COUNT(*), COUNT(u.warc_file) FROM listed l LEFT JOIN urls u ON u.url = l.url
    WHERE l.portal = ?1 AND l.run_id = ?2";

/// A sitemap's or feed's article candidates against what the archive holds of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Coverage {
    pub listed: u64,
    pub archived: u64,
}

impl Store {
    /// The shapes of `portal` learned under the profile `profile`.
    pub fn learned_shapes(&self, portal: &str, profile: &str) -> Result<Vec<String>, Error> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT shape FROM learned_shapes WHERE portal = ?1 AND profile = ?2
                 AND learned_at IS NOT NULL ORDER BY shape",
            )
            .doing("read learned shapes")?;
        let rows = stmt.query_map([portal, profile], |row| row.get(0));
        rows.and_then(|rows| rows.collect())
            .doing("read learned shapes")
    }

    /// One more page of `shape` confirmed an article by its content; true once the shape has
    /// `threshold` confirmations (it is learned).
    pub fn confirm_shape(
        &self,
        (portal, profile): (&str, &str),
        shape: &str,
        threshold: u32,
    ) -> Result<bool, Error> {
        let now = super::stamp(Utc::now());
        self.conn()
            .prepare_cached(CONFIRM)
            .and_then(|mut stmt| {
                stmt.query_row(params![portal, profile, shape, threshold, now], |row| {
                    row.get(0)
                })
            })
            .doing("record a confirmed shape")
    }

    /// Records that `run`'s sitemaps or feeds listed `urls` as article candidates of `portal`.
    pub fn record_listed(&self, portal: &str, run: i64, urls: &[&str]) -> Result<(), Error> {
        let mut conn = self.conn();
        let tx = super::write_transaction(&mut conn).doing("begin recording listed URLs")?;
        for url in urls {
            tx.prepare_cached(LISTED)
                .and_then(|mut stmt| stmt.execute(params![portal, url, run]))
                .doing("record a listed URL")?;
        }
        tx.commit().doing("commit listed URLs")
    }

    /// How many article candidates `run`'s sitemaps and feeds listed for `portal`, and how
    /// many of them the archive holds (from this run or an earlier one).
    pub fn coverage(&self, portal: &str, run: i64) -> Result<Coverage, Error> {
        self.conn()
            .prepare_cached(COVERAGE)
            .and_then(|mut stmt| {
                stmt.query_row(params![portal, run], |row| {
                    Ok(Coverage {
                        listed: row.get::<_, i64>(0)? as u64,
                        archived: row.get::<_, i64>(1)? as u64,
                    })
                })
            })
            .doing("count listed URLs")
    }

    /// Seed and listing URLs of `portal` the crawl fetched (at most `limit`): what a suggested
    /// article pattern must not match.
    pub fn listing_urls(&self, portal: &str, limit: u32) -> Result<Vec<String>, Error> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT url FROM urls WHERE portal = ?1 AND kind IN ('seed', 'listing')
                 AND warc_file IS NOT NULL ORDER BY id LIMIT ?2",
            )
            .doing("read listing URLs")?;
        let rows = stmt.query_map(params![portal, limit], |row| row.get(0));
        rows.and_then(|rows| rows.collect())
            .doing("read listing URLs")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shape_is_learned_at_the_threshold_and_only_under_its_profile() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.sqlite")).unwrap();
        let key = ("p", "h1");
        assert!(!store.confirm_shape(key, "s", 3).unwrap());
        assert!(!store.confirm_shape(key, "s", 3).unwrap());
        assert!(store.learned_shapes("p", "h1").unwrap().is_empty());
        assert!(store.confirm_shape(key, "s", 3).unwrap());
        assert!(store.confirm_shape(key, "s", 3).unwrap());
        assert_eq!(store.learned_shapes("p", "h1").unwrap(), vec!["s"]);
        assert!(store.learned_shapes("p", "h2").unwrap().is_empty());
    }
}
