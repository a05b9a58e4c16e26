//! The article body: what of the walked containers is article text.
//!
//! Part of the extract stage, after the containers are found ([`super::locate`]) and walked
//! into blocks ([`super::blocks`]). The blocks are cut at the portals' boilerplate markers
//! ("Viết bình luận mới", "Xem thêm", "THÔNG TIN CẦN BIẾT", …, and comment sections of
//! English-language sites) and at a trailing related-articles box; ad labels, box titles and
//! link-only headline blocks are dropped; captions are moved out of the text onto their
//! images. Bylines are taken off afterwards ([`super::byline`]). Pure: no I/O.

use std::sync::LazyLock;

use regex::Regex;

use super::Image;
use super::blocks::{Block, TextBlock};
use super::byline;
use super::chars::char_len;

/// Block texts (lower case, without a trailing colon or count) after which nothing is article
/// text: comments, related lists, most-read, weather, share and tag bars (docs/profiles.md
/// "Boilerplate markers").
const STOP_MARKERS: &[&str] = &[
    "viết bình luận mới",
    "bình luận",
    "ý kiến bạn đọc",
    "gửi bình luận",
    "ý kiến của bạn",
    "tin liên quan",
    "bài liên quan",
    "bài viết liên quan",
    "cùng chuyên mục",
    "tin cùng chuyên mục",
    "tin khác",
    "các tin khác",
    "đọc thêm",
    "xem thêm",
    "đọc nhiều",
    "xem nhiều",
    "tin mới nhất",
    "tin mới",
    "thông tin cần biết",
    "chia sẻ",
    "cỡ chữ",
    "từ khóa",
    "từ khoá",
    "tags",
    "thông tin quảng cáo",
    // Comment sections of English-language sites (scrapinghub's benchmark, issue 4).
    "comments",
    "leave a comment",
    "leave a reply",
    "tell us what you think",
    "join the conversation",
    "like this story? share it with a friend!",
    "you may like these posts",
    "about the author",
];

/// Prefixes of single blocks that are links to other articles or ad labels, not text
/// ("Xem thêm: …", "READ MORE: …", "Advertisement").
const DROP_PREFIXES: &[&str] = &[
    "xem thêm:",
    "đọc thêm:",
    "tin liên quan:",
    "bài liên quan:",
    "mời quý độc giả",
    "mời bạn đọc",
    "mời độc giả",
    "read more:",
    "see more:",
    "related:",
    "click here",
    "this slideshow requires javascript",
];

/// Whole blocks that label an ad slot or a box of links (compared as marker keys, so
/// "Advertisement:" too). English-language sites put such boxes in the middle of the text
/// ("Most read in world news", "DON'T MISS"), so they are dropped, not ends; the links under
/// them are dropped as link-only blocks.
const DROP_LINES: &[&str] = &[
    "advertisement",
    "advert",
    "quảng cáo",
    "sponsored",
    "you may also like",
    "you might also like",
    "related",
    "related articles",
    "related stories",
    "related posts",
    "related content",
    "more stories",
    "recommended",
    "recommended for you",
    "most read",
    "most popular",
    "trending",
    "share this",
    "share this article",
    "share this story",
    "don't miss",
    "see also",
];

/// Prefixes of such box titles (≤ 40 characters): "Most read in world news".
const DROP_LINE_PREFIXES: &[&str] = &["most read in ", "more from ", "more in "];

/// A caption's photo credit at its end: "… Ảnh: NAME", "(Ảnh minh họa)".
static PHOTO_CREDIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:(?:ảnh|nguồn ảnh|nguồn|photo)\s*:\s*[^.:]{1,60}?|ảnh\s+(?:minh\s+họa|minh\s+hoạ|tư\s+liệu|chụp\s+màn\s+hình|internet))\s*[)\]]?\s*\.?\s*$",
    )
    .unwrap()
});

/// The extracted body: paragraphs (bylines still at the end) and images with captions.
#[derive(Debug, Default)]
pub struct Body {
    pub paragraphs: Vec<TextBlock>,
    pub images: Vec<Image>,
}

/// Walked blocks → body: cut at markers and trailing related boxes, captions onto images.
pub fn assemble(blocks: Vec<Block>) -> Body {
    let blocks = cut_at_markers(blocks);
    let blocks = cut_at_related(blocks);
    place_captions(blocks)
}

/// Lower case, without a trailing colon, arrow or "(12)" count: "Bình luận (0):" → "bình luận".
fn marker_key(text: &str) -> String {
    let lower = text.to_lowercase();
    let trimmed = lower.trim_end_matches(|c: char| c.is_ascii_digit() || "():»>›.… ".contains(c));
    trimmed
        .trim_start_matches(|c: char| "»>›#- ".contains(c))
        .to_string()
}

fn is_stop_marker(text: &str) -> bool {
    char_len(text) <= 40 && STOP_MARKERS.contains(&marker_key(text).as_str())
}

fn is_dropped_line(text: &str) -> bool {
    let len = char_len(text);
    // Lower-casing every paragraph of every page was ~5% of a crawl's CPU (issue 17, perf):
    // only short lines can be dropped, so longer ones are never lower-cased.
    if len > 300 {
        return false;
    }
    let lower = text.to_lowercase();
    if len <= 40 {
        let key = marker_key(text);
        if DROP_LINES.contains(&key.as_str())
            || DROP_LINE_PREFIXES.iter().any(|p| key.starts_with(p))
        {
            return true;
        }
    }
    DROP_PREFIXES.iter().any(|p| lower.starts_with(p))
}

/// Most words a link-only block may have and still be kept as a possible credit ("Anh Dũng",
/// "TTXVN" linked to their pages).
const MAX_LINKED_NAME_WORDS: usize = 4;

/// A block that is nothing but a link: another article's headline (English-language sites put
/// them between paragraphs: "Dave Matthews Band takes over Rock Hall Fan Vote"). Author
/// elements, right-aligned lines and name-like or byline-like texts stay for the credit step.
fn is_headline_link(tb: &TextBlock) -> bool {
    // Most blocks are not links: they are let go before the credit tests, which read the whole
    // text (issue 17: counting every paragraph's words was 3% of a crawl's CPU).
    if !tb.linked || tb.author || tb.right {
        return false;
    }
    let name_like = tb
        .text
        .split_whitespace()
        .nth(MAX_LINKED_NAME_WORDS)
        .is_none()
        && !tb.text.chars().any(|c| c.is_ascii_digit());
    !name_like && byline::classify(&tb.text).is_none()
}

/// Ends the body at the first boilerplate marker that follows some text; a marker before any
/// text (a share bar above the article) is only dropped.
fn cut_at_markers(blocks: Vec<Block>) -> Vec<Block> {
    let mut kept = Vec::with_capacity(blocks.len());
    let mut seen_text = false;
    for block in blocks {
        if let Block::Text(tb) = &block {
            if is_stop_marker(&tb.text) {
                if seen_text {
                    break;
                }
                continue;
            }
            if is_dropped_line(&tb.text) || is_headline_link(tb) {
                continue;
            }
            seen_text = true;
        }
        kept.push(block);
    }
    kept
}

/// Where a strong related box starts: one box with several links, or boxes in a row.
fn strong_boundary(blocks: &[Block]) -> Option<usize> {
    let mut run_start: Option<usize> = None;
    for (i, block) in blocks.iter().enumerate() {
        match block {
            Block::Boundary { links } if *links >= 2 => return Some(run_start.unwrap_or(i)),
            Block::Boundary { .. } if run_start.is_some() => return run_start,
            Block::Boundary { .. } => run_start = Some(i),
            Block::Text(_) => run_start = None,
            Block::Image(_) | Block::Caption(_) => {}
        }
    }
    None
}

fn text_chars(blocks: &[Block]) -> usize {
    blocks
        .iter()
        .map(|b| {
            if let Block::Text(t) = b {
                char_len(&t.text)
            } else {
                0
            }
        })
        .sum()
}

/// A related box near the end closes the article (docs/profiles.md, form 5): drop what
/// follows it when that is under a third of the text before it, keeping trailing credit lines.
fn cut_at_related(mut blocks: Vec<Block>) -> Vec<Block> {
    if let Some(at) = strong_boundary(&blocks) {
        let before = text_chars(&blocks[..at]);
        let after = text_chars(&blocks[at..]);
        if before > 0 && after * 3 < before {
            let tail = trailing_credits(&blocks[at..]);
            blocks.truncate(at);
            blocks.extend(tail);
        }
    }
    blocks.retain(|b| !matches!(b, Block::Boundary { .. }));
    blocks
}

fn trailing_credits(blocks: &[Block]) -> Vec<Block> {
    let texts: Vec<&Block> = blocks
        .iter()
        .filter(|b| matches!(b, Block::Text(_)))
        .collect();
    let mut credits: Vec<Block> = texts
        .iter()
        .rev()
        .take(2)
        .take_while(|b| matches!(b, Block::Text(t) if byline::classify(&t.text).is_some()))
        .map(|b| (*b).clone())
        .collect();
    credits.reverse();
    credits
}

/// Moves captions onto the image they follow: caption elements, and text right after an image
/// that is centred, all italic (`p[style*=center] em`) or ends with a photo credit; any short
/// line ending "Ảnh: NAME" is a caption even when no image precedes it.
fn place_captions(blocks: Vec<Block>) -> Body {
    let mut body = Body::default();
    let mut open: Option<usize> = None;
    for block in blocks {
        match block {
            Block::Image(url) => open = add_image(&mut body.images, url),
            Block::Caption(text) => attach(&mut body.images, open.take(), text),
            Block::Text(tb) if is_caption(&tb, open.is_some()) => {
                attach(&mut body.images, open.take(), tb.text)
            }
            Block::Text(tb) => {
                open = None;
                body.paragraphs.push(tb);
            }
            Block::Boundary { .. } => {}
        }
    }
    body
}

/// Adds an image unless already present; returns its index if it still lacks a caption.
fn add_image(images: &mut Vec<Image>, url: String) -> Option<usize> {
    if let Some(i) = images.iter().position(|im| im.url == url) {
        return images[i].caption.is_none().then_some(i);
    }
    images.push(Image { url, caption: None });
    Some(images.len() - 1)
}

/// Puts a caption on the open image; a caption with no image to hold it is simply not body text.
fn attach(images: &mut [Image], open: Option<usize>, text: String) {
    if let Some(image) = open.and_then(|i| images.get_mut(i)) {
        image.caption = Some(text);
    }
}

fn is_caption(tb: &TextBlock, right_after_image: bool) -> bool {
    if byline::is_role_prefixed(&tb.text) {
        return false;
    }
    let longest = if right_after_image {
        CAPTION_UNDER_IMAGE_CHARS
    } else {
        CAPTION_CHARS
    };
    // Judged before the credit regex, which would read every paragraph of the text to its end
    // (issue 17).
    if char_len(&tb.text) > longest {
        return false;
    }
    let credit_at_end = PHOTO_CREDIT
        .find(&tb.text)
        .filter(|m| char_len(&tb.text[..m.start()]) >= 10);
    credit_at_end.is_some() || (right_after_image && (tb.centered || tb.emphasised))
}

/// The longest caption right under an image, and elsewhere (where only a photo credit at its end
/// makes a paragraph a caption), in characters.
const CAPTION_UNDER_IMAGE_CHARS: usize = 400;
const CAPTION_CHARS: usize = 300;

/// How many leading paragraphs may be page furniture rather than text.
const HEAD_FURNITURE: usize = 3;
/// A furniture line is short: a section name, "Thanh Bình • 28/01/2026 - 06:52".
const FURNITURE_CHARS: usize = 100;

/// A byline-and-date line: a date, and besides it at most a name (no sentence). "Ngày
/// 28/01/2026, UBND tỉnh họp." is the text's first sentence, not furniture.
fn is_date_line(text: &str) -> bool {
    let words = text
        .split(|c: char| c.is_whitespace() || "•|-–,:()".contains(c))
        .filter(|w| !w.is_empty() && !w.chars().any(|c| c.is_ascii_digit()))
        .count();
    words <= 5 && !text.trim_end().ends_with('.') && super::dates::visible_stamp(text).is_some()
}

/// Drops the page furniture some CMSs print inside the body's container, above the text: the
/// section name, the headline again, a byline-and-date line (issue 14, hanoimoi: the body
/// opened with "Chống lãng phí" and "Thanh Bình • 28/01/2026 - 06:52"). Only short lines among
/// the first few, and only while they are furniture: the first real paragraph ends the scan.
pub fn drop_head_furniture(paragraphs: &mut Vec<TextBlock>, title: &str, section: Option<&str>) {
    let same = |a: &str, b: &str| a.trim().to_lowercase() == b.trim().to_lowercase();
    let furniture = |text: &str| {
        char_len(text) <= FURNITURE_CHARS
            && (same(text, title) || section.is_some_and(|s| same(text, s)) || is_date_line(text))
    };
    let cut = paragraphs
        .iter()
        .take(HEAD_FURNITURE)
        .take_while(|p| furniture(&p.text))
        .count();
    if cut < paragraphs.len() {
        paragraphs.drain(..cut);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn para(text: &str) -> Block {
        Block::Text(TextBlock {
            text: text.into(),
            ..TextBlock::default()
        })
    }

    fn texts(body: &Body) -> Vec<&str> {
        body.paragraphs.iter().map(|p| p.text.as_str()).collect()
    }

    const LONG: &str =
        "Đoạn văn dài của bài báo, có đủ chữ để được tính là nội dung chính của trang tin tức.";

    #[test]
    fn markers_end_the_body_but_not_before_any_text() {
        let body = assemble(vec![
            para("Chia sẻ"),
            para(LONG),
            para("Xem thêm: Một bài khác"),
            Block::Text(TextBlock {
                text: "Dave Matthews Band takes over Rock Hall Fan Vote".into(),
                linked: true,
                ..TextBlock::default()
            }),
            para("Advertisement"),
            para("Most read in world news"),
            para("DON'T MISS"),
            para("READ MORE: Another story"),
            para("Advertisers say the market is cooling."),
            para("Bài, ảnh: TRƯỜNG SƠN"),
            Block::Text(TextBlock {
                text: "Anh Dũng".into(),
                linked: true,
                ..TextBlock::default()
            }),
            para("Viết bình luận mới"),
            para("Tin sau dấu hiệu"),
        ]);
        assert_eq!(
            texts(&body),
            [
                LONG,
                "Advertisers say the market is cooling.",
                "Bài, ảnh: TRƯỜNG SƠN",
                "Anh Dũng"
            ]
        );
        for marker in [
            "Xem thêm",
            "THÔNG TIN CẦN BIẾT",
            "Tin liên quan:",
            "BÌNH LUẬN (3)",
            "Đọc nhiều",
            "Comments (12)",
            "Leave a Reply",
        ] {
            let body = assemble(vec![para(LONG), para(marker), para("sau")]);
            assert_eq!(texts(&body), [LONG], "{marker}");
        }
    }

    #[test]
    fn captions_leave_the_text() {
        let centered_em = TextBlock {
            text: "Hội nghị tổng kết.".into(),
            centered: true,
            emphasised: true,
            ..Default::default()
        };
        let body = assemble(vec![
            Block::Image("https://x/1.jpg".into()),
            Block::Text(centered_em),
            para(LONG),
            Block::Image("https://x/2.jpg".into()),
            para("Ông A phát biểu tại hội nghị. Ảnh: TRƯỜNG SƠN"),
            para("Một dòng chú thích lạc chỗ. (Ảnh minh họa)"),
            Block::Image("https://x/3.jpg".into()),
            Block::Caption("Chú thích phần tử".into()),
            para("Anh ấy thích chụp ảnh."),
            para("Bài, ảnh: TRƯỜNG SƠN"),
        ]);
        assert_eq!(
            texts(&body),
            [LONG, "Anh ấy thích chụp ảnh.", "Bài, ảnh: TRƯỜNG SƠN"]
        );
        let captions: Vec<Option<&str>> =
            body.images.iter().map(|i| i.caption.as_deref()).collect();
        assert_eq!(
            captions,
            [
                Some("Hội nghị tổng kết."),
                Some("Ông A phát biểu tại hội nghị. Ảnh: TRƯỜNG SƠN"),
                Some("Chú thích phần tử")
            ]
        );
    }

    #[test]
    fn a_trailing_related_box_closes_the_body() {
        let body = assemble(vec![
            para(LONG),
            para(LONG),
            Block::Boundary { links: 1 },
            Block::Boundary { links: 1 },
            para("Quảng bá tủ sách."),
            para("Minh Anh"),
        ]);
        assert_eq!(texts(&body), [LONG, LONG, "Minh Anh"]);
        // A single-link box mid-article is dropped but does not end the body.
        let body = assemble(vec![
            para(LONG),
            Block::Boundary { links: 1 },
            para("Tiếp tục bài."),
        ]);
        assert_eq!(texts(&body), [LONG, "Tiếp tục bài."]);
    }

    #[test]
    fn head_furniture_goes_but_a_dated_first_sentence_stays() {
        let para = |t: &str| TextBlock {
            text: t.to_string(),
            centered: false,
            right: false,
            emphasised: false,
            author: false,
            heading: false,
            linked: false,
        };
        let mut paragraphs = vec![
            para("Chống lãng phí"),
            para("Thanh Bình • 28/01/2026 - 06:52"),
            para("Ngày 28/01/2026, UBND phường họp bàn về khu đất."),
            para("Đoạn hai."),
        ];
        drop_head_furniture(&mut paragraphs, "Tiêu đề", Some("Chống lãng phí"));
        let texts: Vec<&str> = paragraphs.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Ngày 28/01/2026, UBND phường họp bàn về khu đất.",
                "Đoạn hai."
            ]
        );
        // A body that is nothing but short lines is left alone.
        let mut only = vec![para("Chống lãng phí")];
        drop_head_furniture(&mut only, "Tiêu đề", Some("Chống lãng phí"));
        assert_eq!(only.len(), 1);
    }
}
