//! Bylines and source credits: "Bài, ảnh: TRƯỜNG SƠN" → author, "Theo TTXVN" → cited source.
//!
//! Part of the extract stage, run on the last blocks of a body and on author elements outside
//! it. Vietnamese bodies are full of sentences that start "Theo …" ("Theo Bộ Y tế, …"), so only
//! the last one to three *short* blocks (≤ 130 characters) are ever read as credits
//! (docs/profiles.md), and a source credit is never an author. Pure
//! string work over NFC text.

use std::sync::LazyLock;

use regex::Regex;

use super::blocks::TextBlock;
use super::chars::char_len;

/// Longest block read as a credit line.
pub const MAX_CREDIT_CHARS: usize = 130;
/// How many trailing blocks may hold credits.
const MAX_CREDIT_BLOCKS: usize = 3;

/// Who wrote the article and whom it cites.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Credit {
    pub authors: Vec<String>,
    pub cited: Option<String>,
}

impl Credit {
    /// Adds what `other` found; earlier lines keep precedence for the cited source.
    fn absorb(&mut self, other: Credit) {
        for name in other.authors {
            if !self.authors.contains(&name) {
                self.authors.push(name);
            }
        }
        self.cited = self.cited.take().or(other.cited);
    }
}

/// Words that name a contribution before the colon of a byline ("Bài, ảnh:", "Tin và ảnh:").
const ROLES: &[&str] = &[
    "bài",
    "tin",
    "ảnh",
    "video",
    "clip",
    "thực hiện",
    "ghi chép",
    "ghi",
    "nhóm phóng viên",
    "nhóm pv",
    "pv",
    "ctv",
    "phóng viên",
    "tác giả",
    "biên dịch",
    "lược dịch",
    "dịch",
    "đồ họa",
    "đồ hoạ",
    "thiết kế",
    "trình bày",
    "infographic",
    "nội dung",
    "thể hiện",
    "bài viết",
    "quay",
    "dựng",
];

static ROLE_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[(\[]?\s*([\p{L} ,/&+\-]{2,40}?)\s*[:：]\s*(.+?)\s*[)\]]?\s*\.?$").unwrap()
});
static ROLE_SPLIT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\s*(?:,|/|&|\+|-|\bvà\b)\s*").unwrap());
static CITED_THEO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^[(\[]?\s*theo\s+((?:báo|trang|tạp chí|đài|cổng|kênh)\s+\S[^,;:]{0,60}|\p{Lu}[^,;:]{0,60}?)\s*[)\]]?\s*\.?$")
        .unwrap()
});
static CITED_NGUON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^[(\[]?\s*nguồn\s*[:：]\s*(.{2,80}?)\s*[)\]]?\s*\.?$").unwrap()
});
/// "NAME (TTXVN)", "NAME (tổng hợp)", "NAME (Theo Reuters)".
static PAREN_TAIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(.+?)\s*\(\s*(?i:theo\s+)?([^()]{2,60})\s*\)\s*\.?$").unwrap());
static NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\p{Lu}[\p{L}'’]*(?:(?:\.\s*|\s+|-)\p{Lu}[\p{L}'’]*)*\.?$").unwrap()
});
static NAME_SPLIT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s*(?:,|;|\s[-–—]\s|\s&\s|\svà\s)\s*").unwrap());

/// Compilation notes that trail a name and say nothing about the source ("(tổng hợp)").
const COMPILATION_NOTES: &[&str] = &["tổng hợp", "t/h", "th", "lược dịch", "dịch", "biên dịch"];

/// Removes credit lines from the end of `paragraphs` (at most three, each ≤ 130 characters)
/// and returns what they said.
pub fn take_tail(paragraphs: &mut Vec<TextBlock>) -> Credit {
    let mut credit = Credit::default();
    for _ in 0..MAX_CREDIT_BLOCKS {
        let Some(last) = paragraphs.last() else { break };
        if char_len(&last.text) > MAX_CREDIT_CHARS || last.heading {
            break;
        }
        let Some(line) = classify(&last.text) else {
            break;
        };
        // Lines are read bottom-up; the upper line's authors come first.
        let mut upper = line;
        upper.absorb(credit);
        credit = upper;
        paragraphs.pop();
    }
    credit
}

/// Reads one short line as a credit: a role prefix ("Bài, ảnh: X"), a source ("Theo TTXVN",
/// "Nguồn: …"), "NAME/Báo …", "NAME (TTXVN)", or a bare name ("TRƯỜNG SƠN", "P.Y").
pub fn classify(line: &str) -> Option<Credit> {
    let line = line.trim();
    if char_len(line) > MAX_CREDIT_CHARS {
        return None;
    }
    role_prefixed(line)
        .or_else(|| cited_only(line))
        .or_else(|| names_with_outlet(line))
}

/// Does the line start with a role prefix ("Bài, ảnh:")? Such a line is a byline even when it
/// ends like a photo caption ("…ảnh: NAME").
pub fn is_role_prefixed(line: &str) -> bool {
    role_prefixed(line.trim()).is_some()
}

fn role_prefixed(line: &str) -> Option<Credit> {
    if !role_within_reach(line) {
        return None;
    }
    let caps = ROLE_PREFIX.captures(line)?;
    let roles = caps.get(1)?.as_str().to_lowercase();
    let all_roles = ROLE_SPLIT
        .split(roles.trim())
        .filter(|r| !r.is_empty())
        .all(|r| ROLES.contains(&r.trim()));
    if !all_roles {
        return None;
    }
    let rest = caps.get(2)?.as_str();
    names_with_outlet(rest).or_else(|| {
        Some(Credit {
            authors: split_names(rest),
            cited: None,
        })
    })
}

/// Could [`ROLE_PREFIX`] match? Its roles (at most 40 characters, never a colon) end at the
/// line's first colon, so a line whose text before that colon is longer has no role prefix.
/// Asked of every paragraph of a body (`body::is_caption`), where the regex would read each
/// one to its end (issue 17: 2% of a crawl's CPU).
fn role_within_reach(line: &str) -> bool {
    // Two substring searches (memchr), not one search for either character, which decodes
    // every character of the line.
    let Some(colon) = [line.find(':'), line.find('：')]
        .into_iter()
        .flatten()
        .min()
    else {
        return false;
    };
    let roles = line[..colon].trim_start_matches(['(', '[']).trim();
    roles.chars().nth(ROLE_CHARS).is_none()
}

/// The longest role list [`ROLE_PREFIX`] takes, in characters.
const ROLE_CHARS: usize = 40;

fn cited_only(line: &str) -> Option<Credit> {
    let caps = CITED_THEO
        .captures(line)
        .or_else(|| CITED_NGUON.captures(line))?;
    let source = caps
        .get(1)?
        .as_str()
        .trim()
        .trim_end_matches('.')
        .to_string();
    Some(Credit {
        authors: Vec::new(),
        cited: Some(source),
    })
}

/// "Thu Hương/TTXVN", "Minh Hà - Hải Yến (TTXVN)", "Anh Nguyễn (tổng hợp)", "TRƯỜNG SƠN".
fn names_with_outlet(line: &str) -> Option<Credit> {
    if let Some((names, outlet)) = line.split_once('/') {
        let outlet = outlet.trim().trim_end_matches('.');
        let authors = strict_names(names)?;
        let cited = (char_len(outlet) <= 60 && starts_upper(outlet)).then(|| outlet.to_string());
        return cited.map(|cited| Credit {
            authors,
            cited: Some(cited),
        });
    }
    if let Some(caps) = PAREN_TAIL.captures(line) {
        let authors = strict_names(caps.get(1)?.as_str())?;
        let note = caps.get(2)?.as_str().trim();
        let cited =
            (!COMPILATION_NOTES.contains(&note.to_lowercase().as_str())).then(|| note.to_string());
        return Some(Credit { authors, cited });
    }
    strict_names(line).map(|authors| Credit {
        authors,
        cited: None,
    })
}

/// Splits a list of names; every part must look like a name (capitalised words, initials).
fn strict_names(s: &str) -> Option<Vec<String>> {
    let names = split_names(s);
    let all_names = !names.is_empty() && names.iter().all(|n| looks_like_name(n));
    all_names.then_some(names)
}

/// Splits "A, B và C - D" into names, dropping empty parts and trailing dots.
pub fn split_names(s: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for part in NAME_SPLIT.split(s.trim()) {
        let name = part
            .trim()
            .trim_end_matches(['.', ',', ';'])
            .trim()
            .to_string();
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// One to six capitalised words or initials, at most 40 characters, no digits.
pub fn looks_like_name(s: &str) -> bool {
    let words = s.split_whitespace().count();
    (1..=6).contains(&words) && char_len(s) <= 40 && NAME.is_match(s)
}

fn starts_upper(s: &str) -> bool {
    s.chars().next().is_some_and(char::is_uppercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credit(authors: &[&str], cited: Option<&str>) -> Option<Credit> {
        Some(Credit {
            authors: authors.iter().map(|a| a.to_string()).collect(),
            cited: cited.map(String::from),
        })
    }

    proptest::proptest! {
        /// The shortcut only ever says no where the regex says no (issue 17).
        #[test]
        fn the_shortcut_never_hides_a_role_prefix(
            line in "[(\\[]?[ \t\u{a0}]{0,3}[a-zàả ,/&+-]{0,45}[ ]{0,2}[:：]?[ a-z:]{0,20}[)\\]]?",
        ) {
            if ROLE_PREFIX.is_match(&line) {
                proptest::prop_assert!(role_within_reach(&line), "{line:?}");
            }
        }
    }

    #[test]
    fn role_prefixed_bylines() {
        assert_eq!(
            classify("Bài, ảnh: TRƯỜNG SƠN"),
            credit(&["TRƯỜNG SƠN"], None)
        );
        assert_eq!(classify("Tin, ảnh: P.Y"), credit(&["P.Y"], None));
        assert_eq!(
            classify("Bài và ảnh: Thanh Tâm - Hải Yến"),
            credit(&["Thanh Tâm", "Hải Yến"], None)
        );
        assert_eq!(classify("Bài: Minh Anh"), credit(&["Minh Anh"], None));
        assert_eq!(
            classify("Bài/ảnh: Hà Linh/Báo Tin tức"),
            credit(&["Hà Linh"], Some("Báo Tin tức"))
        );
    }

    #[test]
    fn sources_are_not_authors() {
        assert_eq!(classify("Theo TTXVN"), credit(&[], Some("TTXVN")));
        assert_eq!(
            classify("(Theo Vietnamnet)"),
            credit(&[], Some("Vietnamnet"))
        );
        assert_eq!(
            classify("Theo báo Tiền Phong"),
            credit(&[], Some("báo Tiền Phong"))
        );
        assert_eq!(classify("Nguồn: Bộ Y tế"), credit(&[], Some("Bộ Y tế")));
        assert_eq!(
            classify("Thu Hương/TTXVN"),
            credit(&["Thu Hương"], Some("TTXVN"))
        );
        assert_eq!(
            classify("Minh Hà (TTXVN)"),
            credit(&["Minh Hà"], Some("TTXVN"))
        );
        assert_eq!(
            classify("Anh Nguyễn (tổng hợp)"),
            credit(&["Anh Nguyễn"], None)
        );
        assert_eq!(
            classify("Hà Linh (Theo Reuters)"),
            credit(&["Hà Linh"], Some("Reuters"))
        );
    }

    #[test]
    fn body_sentences_starting_with_theo_are_not_credits() {
        assert_eq!(
            classify("Theo Bộ Y tế, số ca mắc tăng 20% so với cùng kỳ."),
            None
        );
        assert_eq!(
            classify("Theo kế hoạch, công trình hoàn thành trong năm nay."),
            None
        );
        assert_eq!(classify("theo đó, tỉnh sẽ triển khai ngay"), None);
        assert_eq!(classify("Hy vọng mọi việc sẽ tốt đẹp."), None);
    }

    #[test]
    fn bare_names() {
        assert_eq!(classify("Anh Dũng"), credit(&["Anh Dũng"], None));
        assert_eq!(classify("LƯƠNG Ý"), credit(&["LƯƠNG Ý"], None));
        assert_eq!(
            classify("H.Thảo - N.Hương"),
            credit(&["H.Thảo", "N.Hương"], None)
        );
        assert_eq!(classify("Kết luận"), None);
        assert_eq!(classify("Năm 2023"), None);
    }

    fn blocks(lines: &[&str]) -> Vec<TextBlock> {
        lines
            .iter()
            .map(|l| TextBlock {
                text: l.to_string(),
                ..TextBlock::default()
            })
            .collect()
    }

    #[test]
    fn only_short_trailing_blocks_are_read() {
        let long_theo = "Theo Bộ Y tế, trong tuần qua cả nước ghi nhận thêm nhiều ca mắc mới, tập trung ở các tỉnh phía Nam, nhất là TP.HCM và Cần Thơ.";
        let mut paras = blocks(&["Đoạn một.", long_theo]);
        assert_eq!(take_tail(&mut paras), Credit::default());
        assert_eq!(paras.len(), 2);

        let mut paras = blocks(&[
            "Đoạn một.",
            "Theo Bộ Y tế, các ca đều nhẹ.",
            "Bài: Minh Anh",
            "Theo TTXVN",
        ]);
        assert_eq!(
            take_tail(&mut paras),
            credit(&["Minh Anh"], Some("TTXVN")).unwrap()
        );
        assert_eq!(
            paras.len(),
            2,
            "the body sentence that starts with Theo stays"
        );
    }

    #[test]
    fn at_most_three_blocks() {
        let mut paras = blocks(&[
            "Đoạn.",
            "Bài: A Một",
            "Ảnh: B Hai",
            "Video: C Ba",
            "Theo TTXVN",
        ]);
        let found = take_tail(&mut paras);
        assert_eq!(found.authors, ["B Hai", "C Ba"]);
        assert_eq!(paras.len(), 2);
    }
}
