//! The status page's settings in `[crawler]` (issue 19): `replay_url`, the replay server an
//! archived article links to (a pywb collection such as `http://127.0.0.1:8080/news/`, to which
//! `{ts}/{url}` is appended), and `ui_language`, the labels' language. Validation only.

use toml::Spanned;
use url::Url;

use super::Error;
use super::raw::Text;
use super::validate::Table;

/// The language of the status page's labels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UiLanguage {
    /// Vietnamese, the default: the archivists' language.
    #[default]
    Vi,
    En,
}

/// An http(s) URL ending in `/`, so `{ts}/{url}` can be appended.
pub(super) fn replay_url(t: &Table, value: Option<&Text>) -> Result<Option<Url>, Error> {
    let Some(v) = value else {
        return Ok(None);
    };
    let mut text = v.get_ref().trim().to_string();
    if !text.ends_with('/') {
        text.push('/');
    }
    match Url::parse(&text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(Some(url)),
        _ => Err(t.error(
            v,
            "replay_url",
            "replay_url must be an http(s) URL of a replay collection, such as \"http://127.0.0.1:8080/news/\"",
        )),
    }
}

/// `"vi"` (default) or `"en"`.
pub(super) fn ui_language(t: &Table, value: Option<&Spanned<String>>) -> Result<UiLanguage, Error> {
    match value.map(|v| (v, v.get_ref().as_str())) {
        None | Some((_, "vi")) => Ok(UiLanguage::Vi),
        Some((_, "en")) => Ok(UiLanguage::En),
        Some((v, _)) => Err(t.error(v, "ui_language", "ui_language must be \"vi\" or \"en\"")),
    }
}
