//! Character-level reading for the extract stage: Unicode Normalization Form C, words and
//! whitespace, read byte by byte.
//!
//! Real pages hold NFD text (Unikey's combining mode, macOS), even inside the weekday of a date
//! line, so every string the stage matches or returns is made NFC here first and patterns only
//! ever meet NFC (docs/profiles.md). Every article's text goes through these scans several
//! times (issue 17), so they recognise the characters a Vietnamese page is made of by their
//! UTF-8 lead bytes instead of decoding each one; exhaustive tests hold them to the Unicode
//! tables. Pure functions over strings: no I/O, no tree.

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
/// Read byte by byte: the characters most of a Vietnamese page is made of are recognised by
/// their UTF-8 bytes alone, without decoding them (issue 17: this scan runs three times per
/// article and was 6.6% of a crawl's CPU; on one benchmark page, 31 µs decoding each character
/// first, 18 µs now):
/// - ASCII (one byte below 0x80);
/// - U+0080–U+02FF, Latin-1 and Latin Extended-A and B: two bytes led by 0xC2–0xCB (U+0300,
///   the first combining mark, is led by 0xCC);
/// - U+1EA0–U+1EFF, the precomposed Vietnamese letters: E1 BA A0–BF and E1 BB 80–BF;
/// - U+2002–U+206F, general punctuation but U+2000 and U+2001 (NFC maps those to U+2002 and
///   U+2003): E2 80 82–BF and E2 81 80–AF.
///
/// Any other character goes to the tables.
fn first_not_nfc(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    // Continuation bytes exist wherever a lead byte says so: `s` is valid UTF-8.
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let mut i = 0;
    while let Some(&lead) = b.get(i) {
        i += match lead {
            0x00..=0x7F => ascii_run(b, i),
            0xC2..=0xCB => 2,
            0xE1 if at(i + 1) == 0xBB || (at(i + 1) == 0xBA && at(i + 2) >= 0xA0) => 3,
            0xE2 if (at(i + 1) == 0x80 && at(i + 2) >= 0x82)
                || (at(i + 1) == 0x81 && at(i + 2) <= 0xAF) =>
            {
                3
            }
            _ => {
                let c = s[i..].chars().next()?;
                if !nfc_starter(c) {
                    return Some(i);
                }
                c.len_utf8()
            }
        };
    }
    None
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

/// Collapses every run of whitespace (including no-break and zero-width spaces) into one space
/// and trims the ends.
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for_each_word(s, Gaps::AndInvisible, |word, _| {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    });
    out
}

/// What separates words for [`for_each_word`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gaps {
    /// `char::is_whitespace`.
    Whitespace,
    /// Whitespace, and the zero-width and soft-hyphen characters CMS editors leave between
    /// words: what [`clean`] collapses.
    AndInvisible,
}

impl Gaps {
    fn contain(self, c: char) -> bool {
        c.is_whitespace()
            || (self == Gaps::AndInvisible
                && matches!(c, '\u{200b}' | '\u{200c}' | '\u{feff}' | '\u{ad}'))
    }
}

/// Whether the character at byte `i` of `s` is a gap, and its width in bytes; `None` at the end.
/// The lead-byte shortcuts are explained at [`for_each_word`].
#[inline(always)]
pub(super) fn gap_at(s: &str, i: usize, gaps: Gaps) -> Option<(bool, usize)> {
    let b = s.as_bytes();
    let lead = *b.get(i)?;
    Some(match lead {
        // char::is_whitespace on ASCII: tab, line feed, vertical tab, form feed, return, space.
        0x00..=0x7F => (matches!(lead, b'\t'..=b'\r' | b' '), 1),
        0xC3..=0xDF => (false, 2),
        0xE1 if matches!(b.get(i + 1), Some(0xBA | 0xBB)) => (false, 3),
        _ => {
            let c = s[i..].chars().next()?;
            (gaps.contain(c), c.len_utf8())
        }
    })
}

/// Whether `s` has a character that is not whitespace (the lead-byte reading of
/// [`for_each_word`]). Stops at the first one, which in a text node is nearly always the first
/// or second character (issue 17: counting them all was 3.4% of a crawl's CPU).
pub fn has_visible(s: &str) -> bool {
    let mut i = 0;
    while let Some((space, width)) = gap_at(s, i, Gaps::Whitespace) {
        if !space {
            return true;
        }
        i += width;
    }
    false
}

/// Calls `word` for every run of characters between gaps, in order, with whether the gap
/// before it held a blank line (`"\n\n"`, history's paragraph break). Words are slices of `s`,
/// so callers copy whole runs rather than one character at a time (issue 17: `clean` pushing
/// character by character was 4% of a crawl's CPU).
///
/// Read byte by byte, like [`first_not_nfc`]: ASCII is judged by its byte, and two kinds of
/// letters are known by their lead bytes to be no gap of either kind, without decoding them:
/// U+00C0–U+07FF (lead 0xC3–0xDF; U+0085, U+00A0 and U+00AD are led by 0xC2) and U+1E80–U+1EFF
/// (E1 BA and E1 BB: the Vietnamese letters; U+1680 is E1 9A 80).
pub fn for_each_word(s: &str, gaps: Gaps, mut word: impl FnMut(&str, bool)) {
    let b = s.as_bytes();
    let mut start = None;
    let mut blank_line = false;
    let mut i = 0;
    while let Some((is_gap, width)) = gap_at(s, i, gaps) {
        let lead = b[i];
        match (is_gap, start) {
            (true, Some(from)) => {
                word(&s[from..i], blank_line);
                (start, blank_line) = (None, false);
            }
            (false, None) => start = Some(i),
            _ => {}
        }
        if is_gap && lead == b'\n' && i > 0 && b[i - 1] == b'\n' {
            blank_line = true;
        }
        i += width;
    }
    if let Some(from) = start {
        word(&s[from..], blank_line);
    }
}

/// Length in characters (not bytes: Vietnamese letters take 2–3 bytes in UTF-8).
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// `clean` copies whole words now; what it returns is what the character-by-character
        /// version returned (issue 17).
        #[test]
        fn clean_joins_the_words_with_single_spaces(
            s in "[a-zđươ ếộ\t\r\n\u{a0}\u{200b}\u{feff}\u{ad}\u{3000}]{0,40}",
        ) {
            let gap = |c| Gaps::AndInvisible.contain(c);
            let words: Vec<&str> = s.split(gap).filter(|w| !w.is_empty()).collect();
            proptest::prop_assert_eq!(clean(&s), words.join(" "));
        }
    }

    /// The lead-byte shortcuts of `for_each_word` agree with `Gaps::contain` for every Unicode
    /// scalar value and both kinds of gaps.
    #[test]
    fn word_gaps_agree_with_the_character_classes() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            for gaps in [Gaps::Whitespace, Gaps::AndInvisible] {
                let mut words = 0;
                for_each_word(&format!("a{c}b"), gaps, |_, _| words += 1);
                let expected = if gaps.contain(c) { 2 } else { 1 };
                assert_eq!(words, expected, "U+{:04X} {gaps:?}", c as u32);
            }
        }
    }

    #[test]
    fn visible_characters_are_those_that_are_not_whitespace() {
        let texts = [
            "",
            "  ",
            "\u{a0}\n\u{3000}\u{1680}\t",
            "\u{200b}",
            " \n Cần Thơ\u{a0}– đổi mới\n",
            "\u{3000}ệ",
        ];
        for text in texts {
            let expected = text.chars().any(|c| !c.is_whitespace());
            assert_eq!(has_visible(text), expected, "{text:?}");
        }
    }

    /// The byte-level fast path may skip only characters the tables call NFC starters, and must
    /// flag every other one: checked for every Unicode scalar value, between two letters and
    /// at the end of the text (where a lead byte has no room for look-ahead).
    #[test]
    fn scan_agrees_with_the_tables_for_every_character() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let inside = format!("a{c}b");
            let expected = (!nfc_starter(c)).then_some(1);
            assert_eq!(first_not_nfc(&inside), expected, "U+{:04X}", c as u32);
            let last = format!("a{c}");
            assert_eq!(first_not_nfc(&last), expected, "U+{:04X} last", c as u32);
        }
    }

    /// ASCII is skipped eight bytes at a time: a character to check is found wherever it
    /// stands after a run of any length, and Vietnamese letters after a run are still read as
    /// whole characters.
    #[test]
    fn the_scan_stops_after_ascii_runs_of_any_length() {
        for run in 0..27 {
            let ascii = "<p a=\"x\">".repeat(3)[..run].to_string();
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

    #[test]
    fn clean_collapses_all_kinds_of_space() {
        assert_eq!(clean("  a\u{a0}\u{a0}b\n\t c\u{200b} "), "a b c");
        assert_eq!(clean("\u{feff}"), "");
    }
}
