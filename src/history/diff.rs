//! A readable word-level diff for `baoluu changes`: removed words in `[-…-]`, added ones in
//! `{+…+}` (the `git diff --word-diff` notation), unchanged runs kept. Words are split on
//! whitespace of NFC text, so Vietnamese diacritics stay whole ("Lũ" is one word, never "Lu" +
//! a combining tilde).

use unicode_normalization::UnicodeNormalization;

/// Longest inputs diffed word by word (the table is words² cells); longer ones are shown whole.
const MAX_WORDS: usize = 4000;

/// The word diff of `old` → `new`.
pub fn words(old: &str, new: &str) -> String {
    let old: String = old.nfc().collect();
    let new: String = new.nfc().collect();
    let a: Vec<&str> = old.split_whitespace().collect();
    let b: Vec<&str> = new.split_whitespace().collect();
    if a.len() > MAX_WORDS || b.len() > MAX_WORDS {
        return format!("[-{old}-] {{+{new}+}}");
    }
    let lcs = table(&a, &b);
    let mut out: Vec<String> = Vec::new();
    let (mut i, mut j) = (0, 0);
    let (mut removed, mut added): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            flush(&mut out, &mut removed, &mut added);
            out.push(a[i].to_string());
            (i, j) = (i + 1, j + 1);
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            added.push(b[j]);
            j += 1;
        } else {
            removed.push(a[i]);
            i += 1;
        }
    }
    flush(&mut out, &mut removed, &mut added);
    out.join(" ")
}

/// `lcs[i][j]`: the longest common subsequence of `a[i..]` and `b[j..]`.
fn table(a: &[&str], b: &[&str]) -> Vec<Vec<u32>> {
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = match a[i] == b[j] {
                true => lcs[i + 1][j + 1] + 1,
                false => lcs[i + 1][j].max(lcs[i][j + 1]),
            };
        }
    }
    lcs
}

fn flush(out: &mut Vec<String>, removed: &mut Vec<&str>, added: &mut Vec<&str>) {
    if !removed.is_empty() {
        out.push(format!("[-{}-]", removed.join(" ")));
        removed.clear();
    }
    if !added.is_empty() {
        out.push(format!("{{+{}+}}", added.join(" ")));
        added.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_words_are_marked_and_diacritics_stay_whole() {
        assert_eq!(
            words("Lũ lớn ở Hậu Giang", "Lũ rất lớn ở Cần Thơ"),
            "Lũ {+rất+} lớn ở [-Hậu Giang-] {+Cần Thơ+}"
        );
        // NFD on one side is the same text.
        let nfd: String = "Lũ lớn".nfd().collect();
        assert_eq!(words(&nfd, "Lũ lớn"), "Lũ lớn");
    }
}
