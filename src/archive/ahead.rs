//! The bulk of a record made ahead of the writer thread (issue 17, sixth step).
//!
//! Part of the archive stage, between fetch and the writer. A response's block (the HTTP head
//! and the body) and a `metadata` record's block do not depend on where the record will land,
//! so their digests and their compressed [`Tail`] are made by the task that holds them, on
//! tokio's blocking pool and so on either core; the writer thread then only compresses each
//! record's short head, joins the two and appends (it was the crawl's busiest thread, 40% of
//! it gzip, and every host's next fetch waited behind it). [`Deflaters`] keeps deflate states
//! for reuse: a new one costs more than a short record. This module never touches files.

use std::io;
use std::sync::Mutex;

use sha1::{Digest, Sha1};

use super::gzip::{Gzip, Tail};
use super::http::response_head;
use super::record::{GZIP_LEVEL, METADATA_GZIP_LEVEL, RECORD_END, sha1_digest, sha1_text};
use crate::fetch::Exchange;

/// Most idle deflate states a [`Deflaters`] keeps (some 300 KB each); a busier moment makes
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
pub(crate) fn response(ex: &Exchange, gzip: &mut Gzip) -> io::Result<Response> {
    let head = response_head(ex);
    let mut hash = Sha1::new();
    hash.update(&head);
    hash.update(&ex.body);
    let block = Block {
        tail: gzip.tail(&[&head, &ex.body, RECORD_END])?,
        digest: sha1_text(&hash.finalize()),
        len: head.len() + ex.body.len(),
    };
    Ok(Response {
        block,
        payload_digest: sha1_digest(&ex.body),
    })
}

/// `bytes` as a record's block made ahead (a `metadata` record's JSON).
pub(crate) fn block(bytes: &[u8], gzip: &mut Gzip) -> io::Result<Block> {
    Ok(Block {
        tail: gzip.tail(&[bytes, RECORD_END])?,
        digest: sha1_digest(bytes),
        len: bytes.len(),
    })
}

/// Deflate states at one level, lent out one at a time to whichever thread compresses.
pub(crate) struct Deflaters {
    level: u32,
    idle: Mutex<Vec<Gzip>>,
}

impl Deflaters {
    pub(crate) fn new(level: u32) -> Deflaters {
        Deflaters {
            level,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` with an idle state (a new one when none is idle), then keeps the state.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Gzip) -> R) -> R {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let mut gzip = idle.unwrap_or_else(|| Gzip::new(self.level));
        let result = f(&mut gzip);
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < KEPT
        {
            idle.push(gzip);
        }
        result
    }
}

/// Deflate states at the two levels the archive writes (records about captures, `metadata`
/// records), shared by every task of a process.
pub(crate) struct Levels {
    captures: Deflaters,
    metadata: Deflaters,
}

impl Levels {
    pub(crate) fn new() -> Levels {
        Levels {
            captures: Deflaters::new(GZIP_LEVEL),
            metadata: Deflaters::new(METADATA_GZIP_LEVEL),
        }
    }

    /// [`response`] at the captures' level.
    pub(crate) fn response(&self, ex: &Exchange) -> io::Result<Response> {
        self.captures.with(|gzip| response(ex, gzip))
    }

    /// [`block`] at the `metadata` records' level.
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
            deflaters.with(|gzip| {
                assert_eq!(gzip.level(), 3);
                nest(deflaters, depth - 1)
            });
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
        let made = response(&ex, &mut Gzip::new(3)).unwrap();
        let whole = crate::archive::http::response_block(&ex);
        assert_eq!(made.block.digest, sha1_digest(&whole));
        assert_eq!(made.block.len, whole.len());
        assert_eq!(made.payload_digest, sha1_digest(&ex.body));
    }
}
