//! Words and whitespace for the extract stage: collapsing whitespace ([`clean`]), reading the
//! words of a text ([`for_each_word`]) and counting them ([`Tally`]).
//!
//! Every text node of an article is read here at least twice: once to measure containers, once
//! to build paragraphs. Characters are judged by their UTF-8 bytes instead of being decoded,
//! and text made of words and single spaces, most of an article's prose, is passed over a lane
//! of bytes at a time (issue 17: read character by character, these walks were 8% of a crawl's
//! CPU). Exhaustive tests hold the byte rules to `char::is_whitespace`. Pure functions over
//! strings: no I/O, no tree. NFC is [`super::chars`].

use super::chars::LANE;

/// Collapses every run of whitespace (including no-break and zero-width spaces) into one space
/// and trims the ends.
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for_each_word(s, Gaps::AndInvisible, |words, _| {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(words);
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
///
/// ASCII is judged by its byte, and two kinds of letters are known by their lead bytes to be no
/// gap of either kind, without decoding them: U+00C0–U+07FF (lead 0xC3–0xDF; U+0085, U+00A0
/// and U+00AD are led by 0xC2) and U+1E80–U+1EFF (E1 BA and E1 BB: the Vietnamese letters;
/// U+1680 is E1 9A 80).
#[inline(always)]
fn gap_at(s: &str, i: usize, gaps: Gaps) -> Option<(bool, usize)> {
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

/// Whether `s` has a character that is not whitespace. Stops at the first one, which in a text
/// node is nearly always the first or second character (issue 17: counting them all was 3.4%
/// of a crawl's CPU).
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

/// The run of words [`for_each_word`] is reading.
struct Run {
    start: usize,
    /// Whether the gap before it held a blank line.
    blank_line: bool,
    /// Where its last word ended; `None` inside a word.
    end: Option<usize>,
}

/// Calls `run` for every run of words, in order: words separated by exactly one space `' '`
/// come as one slice of `s`, and any other gap ends a run. With each run comes whether the gap
/// before it held a blank line (`"\n\n"`, history's paragraph break). Joining the runs with
/// single spaces gives what joining the words would: the callers ([`clean`], history's
/// fingerprints) copy whole slices rather than one word or character at a time, and prose
/// made of words and single spaces is passed over in lanes ([`plain_lanes`]).
pub fn for_each_word(s: &str, gaps: Gaps, mut run: impl FnMut(&str, bool)) {
    let b = s.as_bytes();
    let mut current: Option<Run> = None;
    let mut blank_line = false;
    let mut skip = Skip::default();
    let mut i = 0;
    while let Some((is_gap, width)) = gap_at(s, i, gaps) {
        if is_gap {
            if let Some(r) = current.as_mut() {
                r.end.get_or_insert(i);
            }
            if b[i] == b'\n' && i > 0 && b[i - 1] == b'\n' {
                blank_line = true;
            }
            i += width;
            continue;
        }
        match current.as_mut() {
            // One space since the last word: the run goes on.
            Some(r) if r.end.is_some_and(|end| i == end + 1 && b[end] == b' ') => r.end = None,
            Some(Run { end: None, .. }) => {}
            _ => {
                if let Some(done) = current.take() {
                    run(&s[done.start..done.end.unwrap_or(i)], done.blank_line);
                }
                current = Some(Run {
                    start: i,
                    blank_line,
                    end: None,
                });
                blank_line = false;
            }
        }
        i = skip.lanes(b, i + width).end;
    }
    if let Some(done) = current {
        run(&s[done.start..done.end.unwrap_or(s.len())], done.blank_line);
    }
}

/// Characters of text with whitespace collapsed (non-space characters plus one per gap between
/// words), counted across the text nodes of an element: a word may go on from one node into
/// the next (`Cần<b>Thơ</b>`).
#[derive(Default)]
pub struct Tally {
    chars: usize,
    words: usize,
    in_word: bool,
}

impl Tally {
    /// Counts the next text node.
    pub fn text(&mut self, text: &str) {
        let b = text.as_bytes();
        let mut skip = Skip::default();
        let mut i = 0;
        while let Some((space, width)) = gap_at(text, i, Gaps::Whitespace) {
            i += width;
            if space {
                self.in_word = false;
                continue;
            }
            self.words += usize::from(!self.in_word);
            self.in_word = true;
            self.chars += 1;
            let lanes = skip.lanes(b, i);
            // Each space in plain lanes starts a word.
            self.chars += lanes.chars;
            self.words += lanes.spaces;
            i = lanes.end;
        }
    }

    /// A `<br>`: the word before it has ended.
    pub fn break_word(&mut self) {
        self.in_word = false;
    }

    pub fn len(&self) -> usize {
        self.chars + self.words.saturating_sub(1)
    }
}

/// When a reader inside a word tries [`plain_lanes`]: at once after lanes passed, one lane
/// on after they did not (so prose that is not plain costs one failed lane per lane, not one
/// per character).
#[derive(Default)]
struct Skip {
    retry_at: usize,
}

impl Skip {
    /// The plain lanes from `i` (a character boundary inside a word), if it is time to try.
    fn lanes(&mut self, b: &[u8], i: usize) -> Lanes {
        if i < self.retry_at {
            return Lanes {
                end: i,
                spaces: 0,
                chars: 0,
            };
        }
        let lanes = plain_lanes(b, i);
        self.retry_at = if lanes.end > i { 0 } else { i + LANE };
        lanes
    }
}

/// What [`plain_lanes`] passed over.
struct Lanes {
    /// Where reading goes on: after the last plain lane and the character it ends inside.
    end: usize,
    /// Single spaces passed, each followed by a word.
    spaces: usize,
    /// Characters passed that are not spaces.
    chars: usize,
}

/// Passes over the lanes from `i` that hold nothing but word characters and single spaces and
/// do not end on a space, for a reader inside a word at `i` (a character boundary): there,
/// every space separates two words and nothing else is a gap of either kind.
fn plain_lanes(b: &[u8], mut i: usize) -> Lanes {
    let (mut spaces, mut chars) = (0, 0);
    // Each lane looks two bytes past its end, at the continuation bytes of its last lead.
    while let Some(window) = b.get(i..).and_then(<[u8]>::first_chunk::<{ LANE + 2 }>) {
        let Some((lane_spaces, lane_chars)) = plain_lane(window) else {
            break;
        };
        spaces += lane_spaces;
        chars += lane_chars;
        i += LANE;
    }
    // The rest of a character the last lane ends inside: a word character, by its lead byte.
    while b.get(i).is_some_and(|x| x & 0xC0 == 0x80) {
        i += 1;
    }
    Lanes {
        end: i,
        spaces,
        chars,
    }
}

/// The spaces and the other characters starting in the first [`LANE`] bytes of `window`, or
/// `None` when the lane holds a gap other than a single space or ends on a space.
/// Branch-free, so the compiler judges it with vector instructions.
#[inline(always)]
fn plain_lane(window: &[u8; LANE + 2]) -> Option<(usize, usize)> {
    let (mut odd, mut spaces, mut starts) = (false, 0u8, 0u8);
    for k in 0..LANE {
        let (x, y, z) = (window[k], window[k + 1], window[k + 2]);
        let space = x == b' ';
        odd |= (b'\t'..=b'\r').contains(&x) | (space & (y == b' ')) | unusual_gap(x, y, z);
        spaces += u8::from(space);
        starts += u8::from(x & 0xC0 != 0x80);
    }
    odd |= window[LANE - 1] == b' ';
    (!odd).then_some((usize::from(spaces), usize::from(starts - spaces)))
}

/// Whether a character whose UTF-8 starts `lead, next, after` may be a gap of either kind that
/// is not ASCII: U+0085, U+00A0, U+00AD (C2 85, A0, AD), U+1680 (E1 9A), U+2000–U+200C, U+2028,
/// U+2029, U+202F (E2 80), U+205F (E2 81 9F), U+3000 (E3 80 80) and U+FEFF (EF BB BF).
#[inline(always)]
fn unusual_gap(lead: u8, next: u8, after: u8) -> bool {
    ((lead == 0xC2) & ((next == 0x85) | (next == 0xA0) | (next == 0xAD)))
        | ((lead == 0xE1) & (next == 0x9A))
        | ((lead == 0xE2)
            & (((next == 0x80)
                & ((after <= 0x8C) | (after == 0xA8) | (after == 0xA9) | (after == 0xAF)))
                | ((next == 0x81) & (after == 0x9F))))
        | ((lead == 0xE3) & (next == 0x80) & (after == 0x80))
        | ((lead == 0xEF) & (next == 0xBB) & (after == 0xBF))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words of `s` as the character-by-character reading found them before runs and
    /// lanes, with whether a blank line came before each.
    fn words_one_by_one(s: &str, gaps: Gaps) -> Vec<(String, bool)> {
        let mut words = Vec::new();
        let (mut word, mut blank_line, mut newlines) = (String::new(), false, 0);
        for c in s.chars() {
            if gaps.contain(c) {
                if !word.is_empty() {
                    words.push((std::mem::take(&mut word), blank_line));
                    blank_line = false;
                }
                newlines = if c == '\n' { newlines + 1 } else { 0 };
                blank_line |= newlines >= 2;
            } else {
                newlines = 0;
                word.push(c);
            }
        }
        if !word.is_empty() {
            words.push((word, blank_line));
        }
        words
    }

    /// Joined as history joins them: a newline before a word after a blank line.
    fn joined<'a>(pieces: impl IntoIterator<Item = (&'a str, bool)>) -> String {
        let mut out = String::new();
        for (piece, blank_line) in pieces {
            if !out.is_empty() {
                out.push(if blank_line { '\n' } else { ' ' });
            }
            out.push_str(piece);
        }
        out
    }

    fn runs(s: &str, gaps: Gaps) -> Vec<(String, bool)> {
        let mut runs = Vec::new();
        for_each_word(s, gaps, |run, blank_line| {
            runs.push((run.to_string(), blank_line))
        });
        runs
    }

    /// What [`Tally`] counts, from the words.
    fn tally_one_by_one(s: &str) -> usize {
        let words = words_one_by_one(s, Gaps::Whitespace);
        let chars: usize = words.iter().map(|(w, _)| w.chars().count()).sum();
        chars + words.len().saturating_sub(1)
    }

    fn tally(nodes: &[&str]) -> usize {
        let mut tally = Tally::default();
        nodes.iter().for_each(|node| tally.text(node));
        tally.len()
    }

    /// Runs agree with the words read one by one, and the tally with their count, for `s`.
    fn check(s: &str) {
        for gaps in [Gaps::Whitespace, Gaps::AndInvisible] {
            let expected = words_one_by_one(s, gaps);
            let got = runs(s, gaps);
            assert_eq!(
                joined(got.iter().map(|(r, b)| (r.as_str(), *b))),
                joined(expected.iter().map(|(w, b)| (w.as_str(), *b))),
                "{s:?} {gaps:?}"
            );
            // A run is words joined by single spaces.
            for (run, _) in &got {
                let word = |w: &str| !w.is_empty() && !w.chars().any(|c| gaps.contain(c));
                assert!(run.split(' ').all(word), "{run:?} in {s:?}");
            }
        }
        assert_eq!(tally(&[s]), tally_one_by_one(s), "{s:?}");
    }

    /// The byte rules agree with `char::is_whitespace` for every Unicode scalar value. In
    /// prose long enough for lanes, at every offset from a lane's start, runs and tallies agree
    /// with the words read one by one for every character up to U+3100 and from U+FE00 to
    /// U+FFFF, where all the gaps are, and for every 61st beyond.
    #[test]
    fn word_gaps_agree_with_the_character_classes() {
        let prose = "Cần Thơ đổi mới, ấp Sóc Trăng và sông Hậu; ".repeat(3);
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            for gaps in [Gaps::Whitespace, Gaps::AndInvisible] {
                let mut words = 0;
                for_each_word(&format!("a{c}b"), gaps, |_, _| words += 1);
                let expected = if gaps.contain(c) && c != ' ' { 2 } else { 1 };
                assert_eq!(words, expected, "U+{:04X} {gaps:?}", c as u32);
            }
            let code = c as u32;
            if code > 0x3100 && !(0xFE00..=0xFFFF).contains(&code) && !code.is_multiple_of(61) {
                continue;
            }
            let cut = (c as usize % (LANE + 3)..)
                .find(|at| prose.is_char_boundary(*at))
                .unwrap_or(0);
            let (before, after) = prose.split_at(cut);
            check(&format!("{before}{c}{after}"));
            check(&format!("{before}{c}{c}{after}x"));
        }
    }

    proptest::proptest! {
        /// Joined, the runs are the words read one by one, blank lines included, and the tally
        /// counts them, across any split into text nodes.
        #[test]
        fn runs_and_tallies_agree_with_words_read_one_by_one(
            s in "([a-zđươếộ]{1,6}[ ]){0,30}[a-zđươ ếộ,.\t\r\n\u{a0}\u{200b}\u{feff}\u{ad}\u{3000}–“]{0,20}([a-zđươếộ]{1,6}[ ]{1,2}){0,30}",
            split in 0usize..400,
        ) {
            check(&s);
            let at = (split.min(s.len())..=s.len()).find(|at| s.is_char_boundary(*at)).unwrap_or(0);
            let (a, b) = s.split_at(at);
            proptest::prop_assert_eq!(tally(&[a, b]), tally_one_by_one(&s));
            let gap = |c| Gaps::AndInvisible.contain(c);
            let words: Vec<&str> = s.split(gap).filter(|w| !w.is_empty()).collect();
            proptest::prop_assert_eq!(clean(&s), words.join(" "));
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

    #[test]
    fn clean_collapses_all_kinds_of_space() {
        assert_eq!(clean("  a\u{a0}\u{a0}b\n\t c\u{200b} "), "a b c");
        assert_eq!(clean("\u{feff}"), "");
    }

    #[test]
    fn runs_break_at_every_gap_but_a_single_space() {
        let text = "Một hai  ba\nbốn\n\nnăm sáu\u{a0}bảy";
        let expected = [
            ("Một hai", false),
            ("ba", false),
            ("bốn", false),
            ("năm sáu", true),
            ("bảy", false),
        ];
        let got = runs(text, Gaps::Whitespace);
        let got: Vec<(&str, bool)> = got.iter().map(|(r, b)| (r.as_str(), *b)).collect();
        assert_eq!(got, expected);
        assert_eq!(tally(&["Cần ", "Thơ"]), tally(&["Cần", " Thơ"]));
        assert_eq!(tally(&["Cần", "Thơ"]), 6);
    }
}
