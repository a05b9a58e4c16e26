//! The bulk of a record made ahead of the writer thread (issue 17, sixth step).
//!
//! Part of the archive stage, between fetch and the writer. A response's block (the HTTP head
//! and the body) and a `metadata` record's block do not depend on where the record will land,
//! so their digests and their compressed [`Tail`] are made by the task that holds them, on
//! tokio's blocking pool and so on either core; the writer thread then only compresses each
//! record's short head, joins the two and appends (it was the crawl's busiest thread, 40% of
//! it gzip, and every host's next fetch waited behind it). [`Deflaters`] keeps the bulk
//! compressors (libdeflate) for reuse: a new one costs more than a short record. This module
//! never touches files.

use std::io;
use std::sync::Mutex;

use sha1::{Digest, Sha1};

use super::gzip::{Bulk, Tail};
use super::http::response_head;
use super::record::{CAPTURE_BULK_LEVEL, METADATA_BULK_LEVEL, RECORD_END, sha1_digest, sha1_text};
use crate::fetch::Exchange;

/// Most idle compressors a [`Deflaters`] keeps (some 300 KB each); a busier moment makes
/// more and drops them after.
const KEPT: usize = 8;

/// A record's block, ready for its head: the compressed tail, the block's digest and length.
pub(crate) struct Block {
    pub(crate) tail: Tail,
    /// `sha1:` + base32 of the block (`WARC-Block-Digest`).
    pub(crate) digest: String,
    /// Bytes in the block (`Content-Length`).
    pub(crate) len: usize,
}

/// A `response` record's block made ahead, with the digest of its payload (the body).
pub struct Response {
    pub(crate) block: Block,
    pub(crate) payload_digest: String,
}

/// The response block of `ex` (the re-serialised HTTP head, then the body) made ahead.
pub(crate) fn response(ex: &Exchange, bulk: &mut Bulk) -> io::Result<Response> {
    let head = response_head(ex);
    let mut hash = Sha1::new();
    hash.update(&head);
    hash.update(&ex.body);
    let block = Block {
        tail: bulk.tail(&[&head, &ex.body, RECORD_END])?,
        digest: sha1_text(&hash.finalize()),
        len: head.len() + ex.body.len(),
    };
    Ok(Response {
        block,
        payload_digest: sha1_digest(&ex.body),
    })
}

/// `bytes` as a record's block made ahead (a `metadata` record's JSON).
pub(crate) fn block(bytes: &[u8], bulk: &mut Bulk) -> io::Result<Block> {
    Ok(Block {
        tail: bulk.tail(&[bytes, RECORD_END])?,
        digest: sha1_digest(bytes),
        len: bytes.len(),
    })
}

/// Bulk compressors at one level, lent out one at a time to whichever thread compresses.
pub(crate) struct Deflaters {
    level: i32,
    idle: Mutex<Vec<Bulk>>,
}

impl Deflaters {
    pub(crate) fn new(level: i32) -> Deflaters {
        Deflaters {
            level,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` with an idle compressor (a new one when none is idle), then keeps it.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Bulk) -> R) -> R {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let mut bulk = idle.unwrap_or_else(|| Bulk::new(self.level));
        let result = f(&mut bulk);
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < KEPT
        {
            idle.push(bulk);
        }
        result
    }
}

/// Bulk compressors at the two levels the archive writes (records about captures, `metadata`
/// records), shared by every task of a process.
pub(crate) struct Levels {
    captures: Deflaters,
    metadata: Deflaters,
}

impl Levels {
    pub(crate) fn new() -> Levels {
        Levels {
            captures: Deflaters::new(CAPTURE_BULK_LEVEL),
            metadata: Deflaters::new(METADATA_BULK_LEVEL),
        }
    }

    /// [`response`] at the captures' bulk level.
    pub(crate) fn response(&self, ex: &Exchange) -> io::Result<Response> {
        self.captures.with(|gzip| response(ex, gzip))
    }

    /// [`block`] at the `metadata` records' bulk level.
    pub(crate) fn metadata(&self, bytes: &[u8]) -> io::Result<Block> {
        self.metadata.with(|gzip| block(bytes, gzip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Holds `depth` states at once.
    fn nest(deflaters: &Deflaters, depth: usize) {
        if depth > 0 {
            deflaters.with(|_| nest(deflaters, depth - 1));
        }
    }

    #[test]
    fn idle_states_are_lent_again_and_at_most_kept() {
        let deflaters = Deflaters::new(3);
        let idle = || deflaters.idle.lock().unwrap().len();
        nest(&deflaters, 1);
        nest(&deflaters, 1);
        assert_eq!(idle(), 1, "the second use borrowed the first's state");
        nest(&deflaters, 3);
        assert_eq!(idle(), 3);
        nest(&deflaters, KEPT + 5);
        assert_eq!(idle(), KEPT);
    }

    #[test]
    fn a_response_block_states_the_digests_of_the_whole_record() {
        let ex = crate::archive::tests::html();
        let made = response(&ex, &mut Bulk::new(3)).unwrap();
        let whole = crate::archive::http::response_block(&ex);
        assert_eq!(made.block.digest, sha1_digest(&whole));
        assert_eq!(made.block.len, whole.len());
        assert_eq!(made.payload_digest, sha1_digest(&ex.body));
    }
}
