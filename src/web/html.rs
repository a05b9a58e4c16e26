//! HTML for the status page (issue 19): escaping, the page frame, and the labels in Vietnamese
//! and English. Every text that reaches a page goes through [`esc`] (article titles are
//! untrusted input). No JavaScript, no external resource: the page works offline.

use crate::config::UiLanguage;

/// `&`, `<`, `>`, `"` and `'` as character references: safe in text and in quoted attributes.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A query-string value, percent-encoded (then still [`esc`]aped inside an attribute).
pub fn enc(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The labels of one language.
pub struct Labels {
    pub lang: &'static str,
    pub title: &'static str,
    pub overview: &'static str,
    pub search: &'static str,
    pub changes: &'static str,
    pub portal: &'static str,
    pub health: &'static str,
    pub last_run: &'static str,
    pub next_run: &'static str,
    pub total: &'static str,
    pub per_day: &'static str,
    pub pages: &'static str,
    pub new_articles: &'static str,
    pub errors: &'static str,
    pub interrupted: &'static str,
    pub never: &'static str,
    pub no_state: &'static str,
    pub due_now: &'static str,
    pub ok: &'static str,
    pub headline: &'static str,
    pub published: &'static str,
    pub authors: &'static str,
    pub section: &'static str,
    pub index_line: &'static str,
    pub replay: &'static str,
    pub newer: &'static str,
    pub older: &'static str,
    pub page: &'static str,
    pub results: &'static str,
    pub nothing: &'static str,
    pub not_found: &'static str,
    pub not_available: &'static str,
    pub read_only: &'static str,
    pub failed: &'static str,
}

const VI: Labels = Labels {
    lang: "vi",
    title: "Trạng thái lưu trữ baoluu",
    overview: "Tổng quan",
    search: "Tìm kiếm",
    changes: "Sửa đổi và gỡ bài",
    portal: "Cổng tin",
    health: "Tình trạng",
    last_run: "Lần chạy gần nhất",
    next_run: "Lần chạy tới",
    total: "Bài đã lưu",
    per_day: "Bài mới mỗi ngày (30 ngày)",
    pages: "trang",
    new_articles: "bài mới",
    errors: "lỗi",
    interrupted: "bị dừng giữa chừng",
    never: "chưa chạy lần nào",
    no_state: "chưa có dữ liệu",
    due_now: "đến hạn",
    ok: "ổn",
    headline: "Tiêu đề",
    published: "Đăng lúc (+07:00)",
    authors: "Tác giả",
    section: "Chuyên mục",
    index_line: "Dòng chỉ mục",
    replay: "xem bản lưu",
    newer: "← Mới hơn",
    older: "Cũ hơn →",
    page: "Trang",
    results: "kết quả",
    nothing: "Không có bài nào.",
    not_found: "Không tìm thấy",
    not_available: "Chưa có thay đổi nào: chưa bài nào bị sửa, bị gỡ hay chuyển địa chỉ.",
    read_only: "Trang chỉ đọc: nó không thay đổi kho lưu trữ.",
    failed: "Không đọc được dữ liệu",
};

const EN: Labels = Labels {
    lang: "en",
    title: "baoluu archive status",
    overview: "Overview",
    search: "Search",
    changes: "Edits and takedowns",
    portal: "Portal",
    health: "Health",
    last_run: "Last run",
    next_run: "Next run",
    total: "Articles archived",
    per_day: "New articles per day (30 days)",
    pages: "pages",
    new_articles: "new articles",
    errors: "errors",
    interrupted: "interrupted",
    never: "never ran",
    no_state: "no state yet",
    due_now: "due now",
    ok: "ok",
    headline: "Title",
    published: "Published (+07:00)",
    authors: "Authors",
    section: "Section",
    index_line: "Index line",
    replay: "replay",
    newer: "← Newer",
    older: "Older →",
    page: "Page",
    results: "results",
    nothing: "No article.",
    not_found: "Not found",
    not_available: "No changes yet: no article was edited, removed or moved.",
    read_only: "Read-only page: it never changes the archive.",
    failed: "Could not read the data",
};

pub fn labels(language: UiLanguage) -> &'static Labels {
    match language {
        UiLanguage::Vi => &VI,
        UiLanguage::En => &EN,
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}\
table{border-collapse:collapse;margin:1rem 0}th,td{border-bottom:1px solid #ddd;padding:.35rem .6rem;text-align:left;vertical-align:top}\
nav a{margin-right:1rem}.bad{color:#a40000}.ok{color:#2a6e00}small{color:#666}svg rect{fill:#3b6ea5}";

/// The whole document: `<head>`, the navigation, `body` (already escaped HTML) and a footer.
pub fn page(l: &Labels, heading: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width\"><link rel=\"icon\" href=\"data:,\">\
<title>{heading} · baoluu</title><style>{STYLE}</style></head><body>\
<nav><a href=\"/\">{overview}</a><a href=\"/changes\">{changes}</a><a href=\"/metrics\">metrics</a>\
<form action=\"/search\" method=\"get\" style=\"display:inline\"><input name=\"q\" aria-label=\"{search}\"> \
<button>{search}</button></form></nav><h1>{heading}</h1>\n{body}\n<footer><small>{read_only}</small></footer></body></html>\n",
        lang = l.lang,
        heading = esc(heading),
        overview = l.overview,
        changes = l.changes,
        search = l.search,
        read_only = l.read_only,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<script>alert('x\")</script>&"),
            "&lt;script&gt;alert(&#39;x&quot;)&lt;/script&gt;&amp;"
        );
    }
}
