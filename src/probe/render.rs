//! The probe as text for people: sections "Families", "Extracted (family X)", "Extracted
//! (generic)" and "Suggested profile".
//!
//! Part of `probe`; `--json` serialises the [`Probe`] instead. Families whose selectors matched
//! nothing take one line each, so the matches stand out. Pure formatting.

use std::fmt::Write as _;

use super::{Extracted, FamilyMatch, Probe, SelectorMatch};

/// The report `baoluu probe` prints.
pub fn render(probe: &Probe) -> String {
    let mut out = format!("Probe of {} ({})\n", probe.url, probe.encoding);
    for note in &probe.notes {
        let _ = writeln!(out, "note: {note}");
    }
    out.push_str("\nFamilies\n");
    for (rank, family) in probe.families.iter().enumerate() {
        out.push_str(&family_block(rank + 1, family));
    }
    if !probe.common.is_empty() {
        out.push_str("  common selectors (no preset):\n");
        for m in &probe.common {
            out.push_str(&selector_line(m));
        }
    }
    let _ = writeln!(
        out,
        "  best: {}",
        probe
            .best_family
            .as_deref()
            .unwrap_or("none (no preset's body selector matched)")
    );
    if let Some(family) = &probe.family_extract {
        out.push_str(&extracted_block(family));
    }
    out.push_str(&extracted_block(&probe.generic));
    out.push_str("\nSuggested profile\n");
    for line in probe.snippet.lines() {
        match line.is_empty() {
            true => out.push('\n'),
            false => {
                let _ = writeln!(out, "  {line}");
            }
        }
    }
    out
}

fn family_block(rank: usize, f: &FamilyMatch) -> String {
    let url = if f.url_matches_article {
        "URL matches its article pattern"
    } else {
        "URL does not match its article pattern"
    };
    let mut out = format!(
        "  {rank}. {} ({})  score {:.2}  body {}  {url}\n",
        f.name,
        f.letter,
        f.score,
        if f.body_matched { "matched" } else { "missed" }
    );
    if f.selectors.iter().all(|m| m.count == 0) {
        out.push_str("       no selector matched\n");
        return out;
    }
    for m in &f.selectors {
        out.push_str(&selector_line(m));
    }
    out
}

fn selector_line(m: &SelectorMatch) -> String {
    let sample = m
        .sample
        .as_deref()
        .map(|s| format!("  «{s}»"))
        .unwrap_or_default();
    let empty = if m.count > 0 && !m.matched {
        "  (no text)"
    } else {
        ""
    };
    format!(
        "       {:<9} {:<40} {:>3}{empty}{sample}\n",
        m.field, m.selector, m.count
    )
}

fn extracted_block(e: &Extracted) -> String {
    let or_none = |v: Option<&str>| v.unwrap_or("(none)").to_string();
    let list = |v: &[String]| {
        if v.is_empty() {
            "(none)".to_string()
        } else {
            v.join(", ")
        }
    };
    let mut out = format!("\nExtracted ({})\n", e.selectors);
    let _ = writeln!(out, "  title:     {}", e.title);
    let _ = writeln!(out, "  published: {}", or_none(e.published.as_deref()));
    let _ = writeln!(out, "  authors:   {}", list(&e.authors));
    let _ = writeln!(out, "  lead:      {}", or_none(e.lead.as_deref()));
    let _ = writeln!(
        out,
        "  body:      {} chars, {} images",
        e.body_chars, e.images
    );
    let _ = writeln!(out, "  starts:    {}", e.body_start.replace("\n\n", " ¶ "));
    let _ = writeln!(out, "  flags:     {}", list(&e.flags));
    out
}

#[cfg(test)]
mod tests {
    use super::super::probe;
    use super::*;

    #[test]
    fn the_report_has_its_four_sections_in_order() {
        let html = r#"<h1 class="article__title">Tiêu đề</h1><div class="article__sapo">Tóm tắt bài viết ngắn gọn ở đây.</div><time datetime="2025-06-17T13:43:02+0700">x</time>
            <div class="article__body cms-body"><p>Đoạn một của bài viết, đủ dài để là một đoạn văn.</p></div>"#;
        let url = url::Url::parse("https://baolaocai.vn/tieu-de-post1.html").unwrap();
        let text = render(&probe(html.as_bytes(), None, &url));
        let at = |s: &str| {
            text.find(s)
                .unwrap_or_else(|| panic!("no {s:?} in\n{text}"))
        };
        assert!(at("Families") < at("Extracted (family cms)"));
        assert!(at("Extracted (family cms)") < at("Extracted (generic)"));
        assert!(at("Extracted (generic)") < at("Suggested profile"));
        assert!(
            text.contains("1. cms (B)  score 1.00  body matched"),
            "{text}"
        );
        assert!(text.contains("«Tiêu đề»"), "{text}");
        assert!(text.contains("  family = \"cms\""), "{text}");
        assert!(
            text.contains("published: 2025-06-17T13:43:02+07:00"),
            "{text}"
        );
    }
}
