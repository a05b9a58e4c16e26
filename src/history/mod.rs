//! History: every edit and every takedown of an archived article (issue 15).
//!
//! Sits beside the index at the end of the pipeline (docs/architecture.md): when the crawl revisits an
//! article the store already holds, it hands this module the extracted [`Article`] (or the
//! status and redirect target of the answer) and the per-URL state the store kept, and gets
//! back what changed — an edit (with the fields), a removal, a restoration or a move. An edit
//! is judged on the extracted fields after normalisation ([`Fingerprint`]), never on the HTML,
//! so a view counter or a "most read" box that changed is not an edit. Events go to
//! `archive_dir/changes/{portal}.jsonl` through the WARC recorder (after their `metadata`
//! record is durable, like index lines) and are read back by `baoluu changes`; removals are held
//! until the run's end and judged together ([`is_suspect`]: an outage is not a takedown). The
//! revisit ladder ([`ladder`]) says when an article is due again. This module never fetches, never
//! writes the store and never reads WARCs.
//!
//! [`Article`]: crate::extract::Article

mod diff;
mod events;
mod fingerprint;
pub mod ladder;
mod show;
mod suspect;

pub use crate::index::Pointer;
pub use diff::words;
pub use events::{Change, Event, changes_dir, file_path, read_all, tail};
pub use fingerprint::{Fingerprint, is_soft_404};
pub use show::{Filter, render_json, render_text, select, select_from};
pub use suspect::{Held, is_suspect};

/// The URN prefix of an event's WARC `metadata` record (`WARC-Target-URI`), defined by the
/// archive, which recognises it.
pub use crate::archive::CHANGE_URN;
