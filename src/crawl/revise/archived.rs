//! The fingerprint of an article archived before the history migration (issue 15, item 2),
//! read back from its WARC response record on its first revisit. Reads one record; never
//! writes.

use std::path::Path;

use url::Url;

use crate::archive::reader;
use crate::config::Selectors;
use crate::crawl::task::PortalRun;
use crate::extract::Article;
use crate::history::Fingerprint;
use crate::store::Known;

/// An article archived before the history migration has no fingerprint in the store: its
/// first revisit takes one from its archived response record (issue 15, item 2), so an edit
/// since is judged as one instead of being adopted silently. `changes_dir` is
/// `archive_dir/changes`; the WARCs are in `archive_dir/warc`. A record that cannot be read
/// leaves the fingerprint unknown (the revisit then adopts the new one, as before).
pub(in crate::crawl) async fn with_fingerprint(
    mut known: Known,
    portal: &PortalRun,
    changes_dir: &Path,
) -> Known {
    let (None, Some(pointer)) = (&known.fingerprint, &known.pointer) else {
        return known;
    };
    let Some(warc_dir) = changes_dir.parent().map(|a| a.join("warc")) else {
        return known;
    };
    let path = warc_dir.join(&pointer.filename);
    let offset = pointer.offset;
    let selectors = portal.portal.selectors.clone();
    // A file read and an extraction: off the runtime's threads, like every other extraction.
    let read = tokio::task::spawn_blocking(move || {
        let article = archived_article(&path, offset, selectors.as_ref());
        (path, article)
    })
    .await;
    match read {
        Ok((_, Ok(article))) => known.fingerprint = Some(Fingerprint::of(&article).to_json()),
        Ok((path, Err(reason))) => {
            tracing::warn!(file = %path.display(), offset, %reason, "fingerprint_unreadable")
        }
        Err(err) => tracing::warn!(%err, "fingerprint_unreadable"),
    }
    known
}

/// The article extracted from the response record at `offset` of the WARC file `path`.
fn archived_article(
    path: &Path,
    offset: u64,
    selectors: Option<&Selectors>,
) -> Result<Article, String> {
    let record = reader::read_at(path, offset).map_err(|e| e.to_string())?;
    let url = record
        .header("WARC-Target-URI")
        .and_then(|u| Url::parse(u).ok())
        .ok_or("no WARC-Target-URI")?;
    let header = |name: &str| record.http_header(name);
    let body = record.http_body().ok_or("not an HTTP response")?;
    crate::extract::extract_payload(
        body,
        header("content-type").as_deref(),
        header("content-encoding").as_deref(),
        &url,
        selectors,
        crate::extract::MAX_DECODED,
    )
    .map_err(|e| e.to_string())
}
