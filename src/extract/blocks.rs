//! The block walker: an article container → a flat list of text blocks, images and captions.
//!
//! Second step of body extraction, after the container is chosen and before boilerplate is cut
//! ([`super::body`]). Block-level elements and `<br>` end a block; images and caption elements
//! (`figcaption`, `.PhotoCMS_Caption`, `td.pCaption`, …) become their own items; related-article
//! boxes (link-dense containers) become [`Block::Boundary`] markers so the body can end there.
//! Each text block remembers how it was set (centred, right-aligned, all italic, inside an
//! author element) because captions and bylines are told apart by that. Pure: no I/O.

use scraper::node::Element;
use scraper::{ElementRef, Node};
use url::Url;

use super::text::{
    BLOCK_TAGS, BLOCK_TAGS_WALKER, MAX_DEPTH, is_ad, is_hidden, is_widget, visible_text,
};
use super::words::{clean, has_visible};

/// One item of an article body, in reading order.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Text(TextBlock),
    /// An image (resolved absolute URL); captions are attached later.
    Image(String),
    /// The text of a caption element.
    Caption(String),
    /// A related-articles box was here; `links` counts its links.
    Boundary {
        links: usize,
    },
}

/// A paragraph-like run of text and how it was set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextBlock {
    pub text: String,
    pub centered: bool,
    pub right: bool,
    /// Every visible character sits inside `<em>`/`<i>`.
    pub emphasised: bool,
    /// Inside an element whose class names an author (`div.author`, `.author-make`, …).
    pub author: bool,
    /// An `h2`–`h6` heading.
    pub heading: bool,
    /// Every visible character sits inside a link (`<a href>`): a headline of another article.
    pub linked: bool,
}

/// How the enclosing elements set the text (inherited down the tree).
#[derive(Debug, Clone, Copy, Default)]
struct Setting {
    centered: bool,
    right: bool,
    em: bool,
    link: bool,
    author: bool,
    heading: bool,
}

/// Walks `container` into blocks, skipping the elements in `removed` (matches of the configured
/// `remove` selectors) and resolving image URLs against `base`.
pub fn walk<'a>(container: ElementRef<'a>, base: &Url, removed: &[ElementRef<'a>]) -> Vec<Block> {
    let mut walker = Walker {
        base,
        removed,
        blocks: Vec::new(),
        run: Run::default(),
    };
    let setting = Setting::default();
    walker.children(container, setting, 0);
    walker.flush(setting);
    walker.blocks
}

/// The text gathered since the last block ended, and where its visible characters stood: a
/// block is emphasised (or linked) when it has some and none stood outside emphasis (links).
#[derive(Default)]
struct Run {
    raw: String,
    visible: bool,
    visible_outside_em: bool,
    visible_outside_link: bool,
}

struct Walker<'a, 'd> {
    base: &'a Url,
    removed: &'a [ElementRef<'d>],
    blocks: Vec<Block>,
    run: Run,
}

/// Where text breaks into blocks (the shared list and this step's extras, see
/// [`super::text::BLOCK_TAGS`]).
fn is_block(name: &str) -> bool {
    BLOCK_TAGS.contains(&name) || BLOCK_TAGS_WALKER.contains(&name)
}

/// Elements that never carry body text even when visible (the title, page furniture).
const FURNITURE_TAGS: &[&str] = &["h1", "nav", "aside", "header", "footer"];

/// Containers checked for link density (related boxes are built from these).
const BOX_TAGS: &[&str] = &["div", "section", "ul", "ol", "table", "dl", "article"];

impl Walker<'_, '_> {
    fn children(&mut self, el: ElementRef, setting: Setting, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        for child in el.children() {
            match child.value() {
                Node::Text(text) => self.text(text, setting),
                Node::Element(_) => {
                    if let Some(child) = ElementRef::wrap(child) {
                        self.element(child, setting, depth + 1);
                    }
                }
                _ => {}
            }
        }
    }

    fn text(&mut self, text: &str, setting: Setting) {
        let visible = has_visible(text);
        self.run.raw.push_str(text);
        self.run.visible |= visible;
        self.run.visible_outside_em |= visible && !setting.em;
        self.run.visible_outside_link |= visible && !setting.link;
    }

    fn element(&mut self, el: ElementRef, outer: Setting, depth: usize) {
        let value = el.value();
        if self.removed.iter().any(|r| r.id() == el.id()) || skipped(value) {
            return;
        }
        let name = value.name();
        match name {
            "br" => return self.flush(outer),
            "img" => return self.image(value, outer),
            _ => {}
        }
        if is_caption(value) {
            self.flush(outer);
            let text = visible_text(el, &|_| false);
            if !text.is_empty() {
                self.blocks.push(Block::Caption(text));
            }
            return;
        }
        if BOX_TAGS.contains(&name)
            && let Some(links) = related_box(el)
        {
            self.flush(outer);
            self.blocks.push(Block::Boundary { links });
            return;
        }
        let setting = setting_of(value, outer);
        if is_block(name) {
            self.flush(outer);
            self.children(el, setting, depth);
            self.flush(setting);
        } else {
            self.children(el, setting, depth);
        }
    }

    fn image(&mut self, img: &Element, setting: Setting) {
        self.flush(setting);
        if let Some(url) = image_url(img, self.base) {
            self.blocks.push(Block::Image(url));
        }
    }

    /// Ends the current run as a text block set as `setting` says.
    fn flush(&mut self, setting: Setting) {
        let run = std::mem::take(&mut self.run);
        let text = clean(&run.raw);
        if text.is_empty() {
            return;
        }
        self.blocks.push(Block::Text(TextBlock {
            text,
            centered: setting.centered,
            right: setting.right,
            emphasised: run.visible && !run.visible_outside_em,
            linked: run.visible && !run.visible_outside_link,
            author: setting.author,
            heading: setting.heading,
        }));
    }
}

fn skipped(el: &Element) -> bool {
    is_hidden(el) || is_ad(el) || is_widget(el) || FURNITURE_TAGS.contains(&el.name())
}

/// Caption elements: `figcaption` and any class naming a caption (`PhotoCMS_Caption`,
/// `pCaption`, `image_caption`, …).
fn is_caption(el: &Element) -> bool {
    el.name() == "figcaption"
        || el
            .classes()
            .any(|c| c.to_ascii_lowercase().contains("caption"))
}

fn setting_of(el: &Element, outer: Setting) -> Setting {
    let mut setting = outer;
    match alignment(el) {
        Some("center") => (setting.centered, setting.right) = (true, false),
        Some("right") => (setting.centered, setting.right) = (false, true),
        Some(_) => (setting.centered, setting.right) = (false, false),
        None => {}
    }
    let name = el.name();
    setting.em |= matches!(name, "em" | "i");
    setting.link |= name == "a" && el.attr("href").is_some();
    setting.heading |= matches!(name, "h2" | "h3" | "h4" | "h5" | "h6");
    setting.author |= el.classes().any(|c| {
        let c = c.to_ascii_lowercase();
        c.contains("author") || c.contains("byline") || c.contains("tac-gia")
    });
    setting
}

/// `text-align` from the style attribute, or the old `align` attribute.
fn alignment(el: &Element) -> Option<&'static str> {
    let declared = el
        .attr("style")
        .map(|s| s.to_ascii_lowercase())
        .and_then(|s| {
            s.split(';')
                .find_map(|d| d.trim().strip_prefix("text-align").map(str::to_string))
        })
        .map(|v| v.trim_start_matches([':', ' ']).trim().to_string())
        .or_else(|| el.attr("align").map(|a| a.trim().to_ascii_lowercase()))?;
    Some(match declared.as_str() {
        "center" | "middle" => "center",
        "right" | "end" => "right",
        _ => "left",
    })
}

/// A container whose visible text is mostly link text: a related-articles box (docs/profiles.md,
/// "Xem thêm" form 5). Returns its link count. Image-only links (a photo opening full size) do
/// not count: they have no text.
fn related_box(el: ElementRef) -> Option<usize> {
    let total = visible_text(el, &|_| false);
    let total_len = total.chars().count();
    if total_len == 0 {
        return None;
    }
    let anchors: Vec<ElementRef> = el
        .descendent_elements()
        .filter(|d| d.value().name() == "a" && d.value().attr("href").is_some())
        .collect();
    let link_len: usize = anchors
        .iter()
        .map(|a| visible_text(*a, &|_| false).chars().count())
        .sum();
    let dense = link_len * 10 >= total_len * 6;
    (dense && !anchors.is_empty()).then_some(anchors.len())
}

/// The image's real address: lazy-loading attributes first, never a `data:` placeholder.
pub fn image_url(img: &Element, base: &Url) -> Option<String> {
    let candidates = [
        "data-src",
        "data-original",
        "data-lazy-src",
        "data-srcset",
        "src",
    ];
    candidates
        .iter()
        .filter_map(|name| img.attr(name))
        .map(|v| v.split_whitespace().next().unwrap_or(""))
        .filter(|v| !v.is_empty() && !v.starts_with("data:"))
        .find_map(|v| base.join(v).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::{Html, Selector};

    fn blocks_of(html: &str) -> Vec<Block> {
        let doc = Html::parse_document(html);
        let sel = Selector::parse("#body").unwrap();
        let base = Url::parse("https://baohaugiang.com.vn/a/b-1.html").unwrap();
        walk(doc.select(&sel).next().unwrap(), &base, &[])
    }

    fn text(b: &Block) -> &str {
        match b {
            Block::Text(t) => &t.text,
            Block::Caption(c) => c,
            Block::Image(u) => u,
            Block::Boundary { .. } => "<boundary>",
        }
    }

    #[test]
    fn paragraphs_breaks_and_inline_markup() {
        let blocks = blocks_of(
            r#"<div id="body"><p>Một <b>hai</b> ba.</p>bốn<br>năm<div>sáu <a href="/x">bảy</a> tám chín mười mười một</div></div>"#,
        );
        let texts: Vec<&str> = blocks.iter().map(text).collect();
        assert_eq!(
            texts,
            [
                "Một hai ba.",
                "bốn",
                "năm",
                "sáu bảy tám chín mười mười một"
            ]
        );
    }

    #[test]
    fn images_captions_and_settings() {
        let blocks = blocks_of(
            r#"<div id="body"><p style="text-align:center"><img data-src="/i/1.jpg" src="data:image/gif;base64,AA"></p>
            <p style="text-align: center;"><em>Chú thích ảnh.</em></p>
            <figure><img src="https://cdn.example/2.jpg"><figcaption>Ảnh hai</figcaption></figure>
            <p style="text-align: right;"><strong>Tin, ảnh: P.Y</strong></p></div>"#,
        );
        assert_eq!(
            blocks[0],
            Block::Image("https://baohaugiang.com.vn/i/1.jpg".into())
        );
        let Block::Text(caption) = &blocks[1] else {
            panic!("{blocks:?}")
        };
        assert!(caption.centered && caption.emphasised);
        assert_eq!(blocks[2], Block::Image("https://cdn.example/2.jpg".into()));
        assert_eq!(blocks[3], Block::Caption("Ảnh hai".into()));
        let Block::Text(byline) = &blocks[4] else {
            panic!("{blocks:?}")
        };
        assert!(byline.right && !byline.emphasised && !byline.centered);
    }

    #[test]
    fn related_boxes_become_boundaries_and_widgets_vanish() {
        let blocks = blocks_of(
            r##"<div id="body"><div class="social-share"><a href="#">Chia sẻ</a></div>
            <p>Nội dung bài viết dài.</p>
            <div class="box"><a href="/a-1.html">Tin một</a><a href="/a-2.html">Tin hai</a></div>
            <p>Xem thêm: <a href="/a-3.html">một bài khác rất dài tên</a></p></div>"##,
        );
        let texts: Vec<&str> = blocks.iter().map(text).collect();
        assert_eq!(
            texts,
            [
                "Nội dung bài viết dài.",
                "<boundary>",
                "Xem thêm: một bài khác rất dài tên"
            ]
        );
        assert_eq!(blocks[1], Block::Boundary { links: 2 });
    }
}
