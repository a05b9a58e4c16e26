//! Reading a response body under the fetch's limits.
//!
//! The body is read chunk by chunk (already de-chunked by the client, still content-encoded) until
//! it ends, passes the size cap, the total deadline runs out, the read timeout fires or the
//! connection breaks. Whatever arrived is kept and the cut is named with the `WARC-Truncated`
//! reason (WARC 1.1 §5.13), so the archive can store a partial capture honestly instead of
//! losing it. This module never decides whether a short body is acceptable; the caller does.

use tokio::time::{Instant, timeout_at};

use super::Truncation;

/// Never pre-allocate more than this on the strength of a `Content-Length` header.
const MAX_PREALLOCATION: u64 = 1 << 20;

/// Reads the rest of `response`'s body: at most `max_body` bytes, until `deadline`.
pub(super) async fn read(
    response: &mut reqwest::Response,
    deadline: Instant,
    max_body: u64,
) -> (Vec<u8>, Option<Truncation>) {
    let expected = response.content_length().unwrap_or(0);
    let mut body = Vec::with_capacity(expected.min(max_body).min(MAX_PREALLOCATION) as usize);
    loop {
        let chunk = match timeout_at(deadline, response.chunk()).await {
            Err(_elapsed) => return (body, Some(Truncation::Time)),
            Ok(Ok(Some(chunk))) => chunk,
            Ok(Ok(None)) => return (body, None),
            Ok(Err(err)) => return (body, Some(cut_reason(&err))),
        };
        if !append_capped(&mut body, &chunk, max_body) {
            return (body, Some(Truncation::Length));
        }
    }
}

/// A body error is a read timeout (reqwest's `read_timeout`) or a broken connection: a reset,
/// an early close before `Content-Length` bytes or the last chunk (RFC 9112 §8).
fn cut_reason(err: &reqwest::Error) -> Truncation {
    if err.is_timeout() {
        Truncation::Time
    } else {
        Truncation::Disconnect
    }
}

/// Appends `chunk`, stopping at exactly `max_body` bytes. Returns false when it had to cut.
fn append_capped(body: &mut Vec<u8>, chunk: &[u8], max_body: u64) -> bool {
    let room = max_body.saturating_sub(body.len() as u64);
    if (chunk.len() as u64) <= room {
        body.extend_from_slice(chunk);
        return true;
    }
    body.extend_from_slice(&chunk[..room as usize]);
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_within_the_cap_are_appended_whole() {
        let mut body = b"abc".to_vec();
        assert!(append_capped(&mut body, b"def", 6));
        assert_eq!(body, b"abcdef");
    }

    #[test]
    fn a_chunk_crossing_the_cap_is_cut_at_exactly_the_cap() {
        let mut body = b"abc".to_vec();
        assert!(!append_capped(&mut body, b"defgh", 5));
        assert_eq!(body, b"abcde");
    }

    #[test]
    fn a_full_body_refuses_one_more_byte() {
        let mut body = b"abcde".to_vec();
        assert!(!append_capped(&mut body, b"f", 5));
        assert_eq!(body, b"abcde");
        assert!(append_capped(&mut body, b"", 5));
    }
}
