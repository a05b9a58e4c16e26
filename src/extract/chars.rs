//! Character-level reading for the extract stage: Unicode Normalization Form C, and lengths in
//! characters. Words and whitespace are [`super::words`].
//!
//! Real pages hold NFD text (Unikey's combining mode, macOS), even inside the weekday of a date
//! line, so every string the stage matches or returns is made NFC here first and patterns only
//! ever meet NFC (docs/profiles.md). Every page and every article text goes through the scan
//! (issue 17), so it recognises the characters a Vietnamese page is made of by their UTF-8
//! bytes, a lane of bytes at a time, instead of decoding each one; exhaustive tests hold it to
//! the Unicode tables. Pure functions over strings: no I/O, no tree.

use std::borrow::Cow;

use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// Returns `s` in Unicode Normalization Form C. Scans for the first character that NFC might
/// change, then works piece by piece from the piece holding it (pieces end at `>`, so in HTML a
/// piece is a tag or a text run), normalising only pieces that need it: a page with a few NFD
/// words pays for those words only. Nothing composes across a `>` except the symbol "≯",
/// which no extractor pattern looks for.
pub fn nfc(s: &str) -> Cow<'_, str> {
    let Some(suspect) = first_not_nfc(s) else {
        return Cow::Borrowed(s);
    };
    let start = s[..suspect].rfind('>').map_or(0, |i| i + 1);
    let mut out = String::with_capacity(s.len() + s.len() / 16);
    out.push_str(&s[..start]);
    for piece in s[start..].split_inclusive('>') {
        if first_not_nfc(piece).is_none() {
            out.push_str(piece);
        } else {
            out.extend(piece.nfc());
        }
    }
    Cow::Owned(out)
}

/// Where the first character stands that is not a starter NFC leaves alone; `None` when the
/// text is NFC. A combining mark or a character NFC changes makes its piece normalised (which
/// leaves NFC text as it is, so erring that way is only slower).
///
/// Two speeds. [`cleared_lanes`] passes over [`LANE`] bytes at a time while every character
/// starting in them is one the byte rules of [`step_at`] know to be safe; a lane it
/// stops at is read character by character, the tables settling what the rules do not know,
/// and the wide pass resumes after it. (Issue 17: this scan runs on every page and every
/// article text; read character by character it was 5.4% of a crawl's CPU.)
fn first_not_nfc(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        i = cleared_lanes(b, i);
        // The wide pass may stop inside a character whose lead byte it has judged already.
        while i < b.len() && !s.is_char_boundary(i) {
            i += 1;
        }
        let end = (i + LANE).min(b.len());
        while i < end {
            match step_at(b, i) {
                Step::Safe(width) => i += width,
                Step::Ask => {
                    let c = s[i..].chars().next()?;
                    if !nfc_starter(c) {
                        return Some(i);
                    }
                    i += c.len_utf8();
                }
            }
        }
    }
    None
}

/// Bytes the wide pass of [`first_not_nfc`] judges at once.
pub(super) const LANE: usize = 32;

/// The first position from `i` (a multiple of [`LANE`] on from it) whose lane holds a lead
/// byte the byte rules do not clear, or the start of the last lane too short to judge whole.
/// Branch-free within a lane, so the compiler judges it with vector instructions.
fn cleared_lanes(b: &[u8], mut i: usize) -> usize {
    // Each lane looks two bytes past its end, at the continuation bytes of its last lead.
    while let Some(window) = b.get(i..).and_then(<[u8]>::first_chunk::<{ LANE + 2 }>) {
        let mut doubtful = false;
        for k in 0..LANE {
            doubtful |= !cleared(window[k], window[k + 1], window[k + 2]);
        }
        if doubtful {
            return i;
        }
        i += LANE;
    }
    i
}

/// Whether a character whose UTF-8 starts with `lead, next, after` (or a byte that starts no
/// character) is an NFC starter by the byte rules of [`step_at`]; `false` is "ask the
/// tables". Non-short-circuit operators: this is the body of a vector loop.
#[inline(always)]
fn cleared(lead: u8, next: u8, after: u8) -> bool {
    // ASCII, continuation bytes (judged with their lead) and the two-byte leads up to 0xCB.
    let low = lead < 0xCC;
    let vietnamese = (lead == 0xE1) & ((next == 0xBB) | ((next == 0xBA) & (after >= 0xA0)));
    let punctuation =
        (lead == 0xE2) & (((next == 0x80) & (after >= 0x82)) | ((next == 0x81) & (after <= 0xAF)));
    low | vietnamese | punctuation
}

/// What the byte rules say of the character at `i`.
enum Step {
    /// An NFC starter this many bytes long.
    Safe(usize),
    /// Not known by its bytes: the tables decide.
    Ask,
}

/// The byte rules, one character at a time: the characters most of a Vietnamese page is made
/// of are recognised by their UTF-8 bytes alone, without decoding them:
/// - ASCII (one byte below 0x80);
/// - U+0080–U+02FF, Latin-1 and Latin Extended-A and B: two bytes led by 0xC2–0xCB (U+0300,
///   the first combining mark, is led by 0xCC);
/// - U+1EA0–U+1EFF, the precomposed Vietnamese letters: E1 BA A0–BF and E1 BB 80–BF;
/// - U+2002–U+206F, general punctuation but U+2000 and U+2001 (NFC maps those to U+2002 and
///   U+2003): E2 80 82–BF and E2 81 80–AF.
///
/// [`cleared`] is the same rules, judged a byte at a time.
#[inline(always)]
fn step_at(b: &[u8], i: usize) -> Step {
    // Continuation bytes exist wherever a lead byte says so: `b` is valid UTF-8.
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let lead = at(i);
    match lead {
        0x00..=0x7F => Step::Safe(ascii_run(b, i)),
        0xC2..=0xCB => Step::Safe(2),
        0xE1 | 0xE2 if cleared(lead, at(i + 1), at(i + 2)) => Step::Safe(3),
        _ => Step::Ask,
    }
}

/// How many of the (up to) eight bytes from `i` are ASCII before the first that is not; at least
/// one, for `b[i]` is ASCII. Eight bytes are judged at once, without a branch (issue 17: most of
/// a page is ASCII markup, and a run of ASCII letters between two Vietnamese ones is common).
#[inline(always)]
fn ascii_run(b: &[u8], i: usize) -> usize {
    let Some(chunk) = b.get(i..).and_then(<[u8]>::first_chunk::<8>) else {
        return 1;
    };
    let high = u64::from_le_bytes(*chunk) & 0x8080_8080_8080_8080;
    // No high bit: 64 trailing zeros, all eight.
    (high.trailing_zeros() / 8) as usize
}

/// A character that starts a combining sequence and that NFC keeps (by the tables).
fn nfc_starter(c: char) -> bool {
    canonical_combining_class(c) == 0 && is_nfc_quick(std::iter::once(c)) == IsNormalized::Yes
}

/// Length in characters (not bytes: Vietnamese letters take 2–3 bytes in UTF-8).
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte-level fast path may skip only characters the tables call NFC starters, and must
    /// flag every other one: checked for every Unicode scalar value, between two letters and
    /// at the end of the text (where a lead byte has no room for look-ahead).
    ///
    /// The wide pass is checked too: each character also stands inside a text long enough for
    /// lanes, at every offset from a lane's start (its bytes straddling two lanes included).
    #[test]
    fn scan_agrees_with_the_tables_for_every_character() {
        let pad = "x".repeat(2 * LANE);
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let inside = format!("a{c}b");
            let expected = (!nfc_starter(c)).then_some(1);
            assert_eq!(first_not_nfc(&inside), expected, "U+{:04X}", c as u32);
            let last = format!("a{c}");
            assert_eq!(first_not_nfc(&last), expected, "U+{:04X} last", c as u32);
            let offset = c as usize % (LANE + 3);
            let wide = format!("{}{c}{pad}", &pad[..offset]);
            let expected = (!nfc_starter(c)).then_some(offset);
            assert_eq!(first_not_nfc(&wide), expected, "U+{:04X} wide", c as u32);
        }
    }

    proptest::proptest! {
        /// On text mixing the characters of each rule with marks, symbols and the characters
        /// next to the rules' edges, the scan finds the first character the tables flag.
        #[test]
        fn scan_finds_what_the_tables_find(
            s in "[a-z <>=\"đươếộẠỹ\u{1e9f}\u{2000}\u{2001}\u{2002}–“\u{206f}\u{2070}\u{300}\u{301}\u{340}ⅠＡ가中😀]{0,120}",
        ) {
            let expected = s.char_indices().find(|(_, c)| !nfc_starter(*c)).map(|(i, _)| i);
            proptest::prop_assert_eq!(first_not_nfc(&s), expected);
        }
    }

    /// ASCII is skipped eight bytes at a time: a character to check is found wherever it
    /// stands after a run of any length, and Vietnamese letters after a run are still read as
    /// whole characters.
    #[test]
    fn the_scan_stops_after_ascii_runs_of_any_length() {
        for run in 0..80 {
            let ascii = "<p a=\"x\">".repeat(9)[..run].to_string();
            for (suspect, after) in [("\u{301}", "zzzzzzzzz"), ("\u{2000}", ""), ("\u{340}", "ệ")]
            {
                let text = format!("{ascii}ệ{ascii}{suspect}{after}");
                let at = ascii.len() * 2 + "ệ".len();
                assert_eq!(first_not_nfc(&text), Some(at), "{text:?}");
            }
            assert_eq!(first_not_nfc(&format!("{ascii}ệ{ascii}")), None);
        }
    }

    #[test]
    fn nfc_composes_decomposed_vietnamese() {
        let nfd: String = "Thứ Tư".nfd().collect();
        assert_ne!(nfd, "Thứ Tư");
        assert_eq!(nfc(&nfd), "Thứ Tư");
        assert!(matches!(nfc("đã là NFC"), Cow::Borrowed(_)));
        assert!(matches!(nfc("Thứ Tư “ngày” – 5€"), Cow::Borrowed(_)));
        // Singletons and marks outside the fast path still go through the full check.
        assert_eq!(nfc("a\u{2000}b"), "a\u{2002}b");
        assert_eq!(nfc("e\u{301}"), "é");
        assert_eq!(nfc("\u{1EA1}\u{302}"), "\u{1EAD}");
        let mixed = format!("<p>đã là NFC</p><p>{nfd}</p><p>x</p>");
        assert_eq!(nfc(&mixed), "<p>đã là NFC</p><p>Thứ Tư</p><p>x</p>");
    }
}
