//! Shared pieces of the property tests: the case-count policy and small generators that
//! several modules use (Vietnamese text, NFD forms, arbitrary-but-printable strings).

use proptest::prelude::*;
use proptest::test_runner::Config;
use unicode_normalization::UnicodeNormalization;

/// Raises every property's case count for long local runs (docs/fuzzing.md).
const CASES_VAR: &str = "BAOLUU_PROPTEST_CASES";

/// The configuration of a property that runs `default` cases in CI, or more when
/// `BAOLUU_PROPTEST_CASES` asks for more (never fewer: the CI count is the floor).
pub fn cases(default: u32) -> Config {
    let asked = std::env::var(CASES_VAR)
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok())
        .unwrap_or(0);
    Config {
        cases: default.max(asked),
        ..Config::default()
    }
}

/// Vietnamese words with every diacritic family, plus a few ASCII ones.
pub const WORDS: &[&str] = &[
    "Thứ",
    "Năm",
    "ngày",
    "Cập",
    "nhật",
    "Đảng",
    "tỉnh",
    "Hậu",
    "Giang",
    "Cần",
    "Thơ",
    "xây",
    "dựng",
    "kết",
    "quả",
    "quan",
    "trọng",
    "Bài",
    "ảnh",
    "TRƯỜNG",
    "SƠN",
    "Theo",
    "TTXVN",
    "Xem",
    "thêm",
    "tiếp",
    "Chủ",
    "Nhật",
    "ồ",
    "ỹ",
    "news",
    "a",
    "1",
    "2023",
];

/// A word from [`WORDS`].
pub fn word() -> impl Strategy<Value = String> {
    prop::sample::select(WORDS).prop_map(str::to_string)
}

/// `text` in NFC or NFD, at random: real pages carry both (docs/profiles.md).
pub fn maybe_nfd(text: String) -> impl Strategy<Value = String> {
    let nfd: String = text.nfd().collect();
    prop_oneof![Just(text), Just(nfd)]
}

/// A short run of Vietnamese words, sometimes decomposed.
pub fn phrase() -> impl Strategy<Value = String> {
    prop::collection::vec(word(), 0..6)
        .prop_map(|w| w.join(" "))
        .prop_flat_map(maybe_nfd)
}

/// Any string, biased toward short ones with unusual characters (the regex `\PC` excludes
/// control characters, so a second arm adds them back).
pub fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<String>(),
        2 => "\\PC{0,80}",
        1 => "[\\x00-\\x1f %#?/:@\\[\\]]{0,20}",
    ]
}

/// A gzip stream of `bytes` (fast: the properties compress many cases).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).expect("gzip into memory");
    encoder.finish().expect("gzip into memory")
}
