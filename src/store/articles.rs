//! Archived articles as rows, for the status page (issue 19): title, published time, authors,
//! section, capture time and URL, and where the article's index line lies (the WARC `metadata`
//! record whose block it is), plus a count of new articles per portal and day.
//!
//! Written once per indexed article by the crawl's run loop, with the URL's state in the same
//! batch, after the index line is durable (issue 17: a transaction of its own per article cost
//! 5% more of a crawl's CPU); after a kill, the session's start writes the rows of the index
//! lines it settles.
//! Read by the status page (`src/web`) through a read-only store, always with a `LIMIT`, so no
//! page ever scans the index files. The rows are a convenience copy: the index and the WARC
//! files stay the record, and a failed write here is logged, never fatal to the crawl. This
//! module never reads WARCs.

use rusqlite::params;

use super::{Doing, Error, Store};
use crate::archive::Placed;
use crate::index::Line;
use crate::schedule::VIETNAM;

/// The migration adding the article rows (issue 19). Kept apart from the other migrations so
/// that a concurrent one merges as a reordering of [`super::schema`]'s list.
pub(super) const ARTICLES: &str = "
-- One row per archived article URL (the newest capture that got an index line).
CREATE TABLE articles (
    url        TEXT PRIMARY KEY,
    portal     TEXT NOT NULL,
    title      TEXT NOT NULL,
    published  TEXT,              -- RFC 3339 in +07:00, as extracted
    authors    TEXT NOT NULL,     -- joined with '; '
    section    TEXT,
    ts         TEXT NOT NULL,     -- capture time, RFC 3339 UTC (the index line's ts)
    warc_file  TEXT NOT NULL,     -- the index line: the metadata record in this WARC file,
    meta_offset INTEGER NOT NULL, --   at this offset,
    meta_length INTEGER NOT NULL, --   this long
    fold       TEXT NOT NULL      -- title and URL lowercased without diacritics, for search
);
CREATE INDEX articles_newest ON articles (portal, ts);
CREATE INDEX articles_ts ON articles (ts);

-- New articles per portal and day (+07:00), for the 30-day chart.
CREATE TABLE article_days (
    portal TEXT NOT NULL,
    day    TEXT NOT NULL,         -- YYYY-MM-DD in +07:00
    n      INTEGER NOT NULL,
    PRIMARY KEY (portal, day)
);
";

/// One archived article as the status page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleRow {
    pub url: String,
    pub portal: String,
    pub title: String,
    pub published: Option<String>,
    pub authors: String,
    pub section: Option<String>,
    pub ts: String,
    pub warc_file: String,
    pub meta_offset: u64,
    pub meta_length: u64,
}

const COLUMNS: &str =
    "url, portal, title, published, authors, section, ts, warc_file, meta_offset, meta_length";

const INSERT: &str = "
    INSERT INTO articles (url, portal, title, published, authors, section, ts, warc_file,
                          meta_offset, meta_length, fold)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
    ON CONFLICT (url) DO UPDATE SET title = ?3, published = ?4, authors = ?5, section = ?6,
        ts = ?7, warc_file = ?8, meta_offset = ?9, meta_length = ?10, fold = ?11";

/// Lowercase, without diacritics, `đ` as `d`: "Cần Thơ" and "can tho" match (issue 19 search).
pub fn fold(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::canonical_combining_class;
    text.nfd()
        .filter(|c| canonical_combining_class(*c) == 0)
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// The +07:00 day of an RFC 3339 instant, `None` when it does not parse.
fn local_day(ts: &str) -> Option<String> {
    let t = chrono::DateTime::parse_from_rfc3339(ts).ok()?;
    Some(t.with_timezone(&VIETNAM).format("%Y-%m-%d").to_string())
}

impl ArticleRow {
    /// The row of an index line that is the block of the `metadata` record at `meta`.
    pub fn of(line: &Line, meta: &Placed) -> ArticleRow {
        let a = &line.article;
        ArticleRow {
            url: line.url.clone(),
            portal: line.portal.clone(),
            title: a.title.clone(),
            published: a.published.clone(),
            authors: a.authors.join("; "),
            section: a.section.clone(),
            ts: line.ts.clone(),
            warc_file: meta.file.clone(),
            meta_offset: meta.offset,
            meta_length: meta.length,
        }
    }
}

impl Store {
    /// Records an indexed article. A URL seen before (a revisit) updates its row without
    /// counting as a new article. Failures are logged: the index is the record.
    pub fn record_article(&self, row: &ArticleRow) {
        if let Err(err) = self.try_record_article(row) {
            tracing::warn!(url = %row.url, %err, "article_row_not_recorded");
        }
    }

    fn try_record_article(&self, row: &ArticleRow) -> Result<(), Error> {
        let fold = fold(&format!("{} {}", row.title, row.url));
        let mut conn = self.conn();
        let tx = super::write_transaction(&mut conn).doing("begin recording an article")?;
        // Cached statements: compiling these three was most of an article row's cost (issue 17).
        let known = tx
            .prepare_cached("SELECT 1 FROM articles WHERE url = ?1")
            .and_then(|mut stmt| stmt.exists([&row.url]))
            .doing("look up an article")?;
        tx.prepare_cached(INSERT)
            .and_then(|mut stmt| {
                stmt.execute(params![
                    row.url,
                    row.portal,
                    row.title,
                    row.published,
                    row.authors,
                    row.section,
                    row.ts,
                    row.warc_file,
                    row.meta_offset as i64,
                    row.meta_length as i64,
                    fold
                ])
            })
            .doing("record an article")?;
        if let (false, Some(day)) = (known, local_day(&row.ts)) {
            tx.prepare_cached(
                "INSERT INTO article_days (portal, day, n) VALUES (?1, ?2, 1)
                 ON CONFLICT (portal, day) DO UPDATE SET n = n + 1",
            )
            .and_then(|mut stmt| stmt.execute(params![row.portal, day]))
            .doing("count a new article")?;
        }
        tx.commit().doing("commit an article")
    }

    /// Articles archived for `portal` in all (one row per day summed, not per article).
    pub fn articles_total(&self, portal: &str) -> Result<u64, Error> {
        self.conn()
            .query_row(
                "SELECT coalesce(sum(n), 0) FROM article_days WHERE portal = ?1",
                [portal],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n.max(0) as u64)
            .doing("count a portal's articles")
    }

    /// New articles per day (+07:00) from `first_day` (YYYY-MM-DD) on, oldest first.
    pub fn article_days(&self, portal: &str, first_day: &str) -> Result<Vec<(String, u64)>, Error> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT day, n FROM article_days WHERE portal = ?1 AND day >= ?2
                 ORDER BY day LIMIT 400",
            )
            .doing("read new articles per day")?;
        let rows = stmt
            .query_map(params![portal, first_day], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
            })
            .and_then(|rows| rows.collect())
            .doing("read new articles per day")?;
        Ok(rows)
    }

    /// The newest articles of `portal`, `limit` of them after skipping `skip`.
    pub fn newest_articles(
        &self,
        portal: &str,
        limit: u32,
        skip: u32,
    ) -> Result<Vec<ArticleRow>, Error> {
        let sql = format!(
            "SELECT {COLUMNS} FROM articles WHERE portal = ?1 ORDER BY ts DESC, url LIMIT ?2 OFFSET ?3"
        );
        self.article_rows(&sql, params![portal, limit, skip])
    }

    /// The article archived at `url`, if any.
    pub fn article(&self, url: &str) -> Result<Option<ArticleRow>, Error> {
        let sql = format!("SELECT {COLUMNS} FROM articles WHERE url = ?1");
        Ok(self.article_rows(&sql, [url])?.pop())
    }

    /// Newest first, at most `limit` articles whose folded title or URL contains every word
    /// (each folded by the caller with [`fold`]).
    pub fn search_articles(&self, words: &[String], limit: u32) -> Result<Vec<ArticleRow>, Error> {
        let mut sql = format!("SELECT {COLUMNS} FROM articles WHERE 1");
        let mut patterns = Vec::new();
        for word in words.iter().filter(|w| !w.is_empty()).take(8) {
            patterns.push(format!("%{}%", like_escape(word)));
            sql.push_str(&format!(" AND fold LIKE ?{} ESCAPE '\\'", patterns.len()));
        }
        sql.push_str(&format!(" ORDER BY ts DESC LIMIT {limit}"));
        self.article_rows(&sql, rusqlite::params_from_iter(patterns))
    }

    fn article_rows(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<ArticleRow>, Error> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(sql).doing("read articles")?;
        stmt.query_map(params, |r| {
            Ok(ArticleRow {
                url: r.get(0)?,
                portal: r.get(1)?,
                title: r.get(2)?,
                published: r.get(3)?,
                authors: r.get(4)?,
                section: r.get(5)?,
                ts: r.get(6)?,
                warc_file: r.get(7)?,
                meta_offset: r.get::<_, i64>(8)?.max(0) as u64,
                meta_length: r.get::<_, i64>(9)?.max(0) as u64,
            })
        })
        .and_then(|rows| rows.collect())
        .doing("read articles")
    }
}

/// `%`, `_` and `\` taken literally in a LIKE pattern with `ESCAPE '\'`.
fn like_escape(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing;

    fn line(url: &str, title: &str, ts: &str) -> Line {
        let mut article = crate::extract::Article {
            title: title.to_string(),
            ..Default::default()
        };
        article.authors = vec!["Minh Anh".into()];
        Line {
            url: url.into(),
            portal: "p".into(),
            host: "p.vn".into(),
            ts: ts.into(),
            article,
            status: 200,
            mime: "text/html".into(),
            digest: "sha1:X".into(),
            filename: "p-1.warc.gz".into(),
            offset: 0,
            length: 1,
            version: 1,
            previous: None,
        }
    }

    fn placed(offset: u64, length: u64) -> Placed {
        let file = "p-1.warc.gz".to_string();
        Placed {
            file,
            offset,
            length,
        }
    }

    #[test]
    fn fold_drops_diacritics_and_case() {
        assert_eq!(fold("Đường về Cần Thơ"), "duong ve can tho");
    }

    #[test]
    fn rows_days_and_search() {
        let (_dir, store) = testing::store();
        store.record_article(&ArticleRow::of(
            &line("http://p.vn/1", "Lúa mùa", "2026-03-01T18:00:00Z"),
            &placed(5, 6),
        ));
        store.record_article(&ArticleRow::of(
            &line("http://p.vn/2", "Cá 100%", "2026-03-01T16:00:00Z"),
            &placed(7, 8),
        ));
        // A revisit updates the row and is not a new article.
        store.record_article(&ArticleRow::of(
            &line("http://p.vn/1", "Lúa mùa mới", "2026-03-02T01:00:00Z"),
            &placed(9, 9),
        ));
        assert_eq!(store.articles_total("p").unwrap(), 2);
        let days = store.article_days("p", "2026-01-01").unwrap();
        assert_eq!(
            days,
            vec![("2026-03-01".into(), 1), ("2026-03-02".into(), 1)]
        );
        let newest = store.newest_articles("p", 10, 0).unwrap();
        assert_eq!(newest[0].title, "Lúa mùa mới");
        assert_eq!((newest[0].meta_offset, newest[0].meta_length), (9, 9));
        let found = store.search_articles(&[fold("LUA")], 10).unwrap();
        assert_eq!(found.len(), 1);
        assert!(
            store.search_articles(&["%".into()], 10).unwrap()[0]
                .title
                .contains('%')
        );
        assert_eq!(store.search_articles(&["x_y".into()], 10).unwrap(), vec![]);
    }
}
