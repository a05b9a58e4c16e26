//! The operator's contact (issue 13 item 13): `BAOLUU_CONTACT` and placeholder contacts.
//!
//! Last step of loading, after every portal is validated: site operators read the User-Agent
//! (and `From:`) in their logs to reach whoever runs the crawler (RFC 9309 §2.2.1; RFC 9110
//! §10.1.2), so a placeholder contact — an example domain, a reserved `.invalid`/`.test` name,
//! the shipped project URL — is refused whenever a portal is fetched over the internet, i.e. is
//! not private by configuration ([`super::Portal::is_private`]). Loopback test portals may keep
//! one. The operator may give the contact without editing the file, in `BAOLUU_CONTACT`:
//!
//! * the User-Agent's first parenthesised comment that holds a contact becomes `(+CONTACT)`;
//!   with no such comment, ` (+CONTACT)` is appended;
//! * when CONTACT is an e-mail address (`mailto:a@b.vn` or `a@b.vn`), it replaces `from`.
//!
//! Pure functions apart from reading that one variable; never touches the network.

use std::path::Path;

use url::Url;

use super::document::Document;
use super::raw::RawCrawler;
use super::syntax::{contacts, is_email};
use super::{Crawler, Error, Portal};

/// The environment variable holding the operator's contact.
pub const ENV: &str = "BAOLUU_CONTACT";

/// The project URL the example configuration shipped with; no such page exists.
const SHIPPED_URLS: &[&str] = &["https://github.com/baoluu/baoluu"];

/// `BAOLUU_CONTACT` from the environment; empty counts as unset (`Environment=BAOLUU_CONTACT=`
/// in a systemd drop-in clears it).
pub fn from_env(config: &Path) -> Result<Option<String>, Error> {
    let Some(value) = std::env::var_os(ENV) else {
        return Ok(None);
    };
    let value = value
        .into_string()
        .map_err(|_| env_error(config, "is not UTF-8: write an ASCII contact"))?;
    Ok(Some(value).filter(|v| !v.trim().is_empty()))
}

/// Applies `contact` to `crawler`, then refuses a placeholder contact if a portal is public.
pub fn settle(
    doc: &Document,
    raw: &RawCrawler,
    crawler: &mut Crawler,
    portals: &[Portal],
    contact: Option<&str>,
    fetching: bool,
) -> Result<(), Error> {
    if let Some(contact) = contact.map(str::trim).filter(|c| !c.is_empty()) {
        check_env(&doc.path, contact)?;
        crawler.user_agent = with_contact(&crawler.user_agent, contact);
        if let Some(address) = email_of(contact) {
            crawler.from = Some(address.to_string());
        }
        crawler.contact = Some(contact.to_string());
    }
    // A command that never fetches (extract, status, verify, wacz) reaches no site operator.
    let public = portals.iter().find(|p| !p.is_private());
    let Some(public) = public.filter(|_| fetching) else {
        return Ok(());
    };
    let agent = contacts(&crawler.user_agent);
    if let Some(bad) = agent.into_iter().find(|c| is_placeholder(c)) {
        let message = placeholder_message("user_agent", bad, public, crawler.contact.is_some());
        return Err(doc.at(&raw.user_agent, "crawler.user_agent", message));
    }
    let from = crawler.from.as_deref().filter(|f| is_placeholder(f));
    if let (Some(bad), Some(written)) = (from, &raw.from) {
        let message = placeholder_message("from", bad, public, false);
        return Err(doc.at(written, "crawler.from", message));
    }
    Ok(())
}

/// The User-Agent with `contact` in place of the contact comment (see the module docs).
pub fn with_contact(user_agent: &str, contact: &str) -> String {
    let mut start = 0;
    while let Some(open) = user_agent[start..].find('(').map(|i| i + start) {
        let Some(close) = user_agent[open..].find(')').map(|i| i + open) else {
            break;
        };
        if !contacts(&user_agent[open + 1..close]).is_empty() {
            let (before, after) = (&user_agent[..open], &user_agent[close + 1..]);
            return format!("{before}(+{contact}){after}");
        }
        start = close + 1;
    }
    format!("{user_agent} (+{contact})")
}

/// Whether `contact` (URL, `mailto:` or e-mail address) reaches nobody: RFC 2606/6761 reserved
/// names (`.invalid`, `.test`, `.example`, `.localhost`), any `example` label (`example.org`,
/// `example.vn`), or the project URL the example configuration shipped with.
pub fn is_placeholder(contact: &str) -> bool {
    let contact = contact.trim().trim_start_matches('+');
    let trimmed = contact.trim_end_matches('/');
    if SHIPPED_URLS.iter().any(|u| trimmed.eq_ignore_ascii_case(u)) {
        return true;
    }
    let domain = match email_of(contact) {
        Some(address) => address.rsplit('@').next().map(str::to_string),
        None => Url::parse(contact)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string)),
    };
    domain.is_none_or(|d| is_placeholder_domain(&d))
}

fn is_placeholder_domain(domain: &str) -> bool {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = domain.split('.').collect();
    let reserved = matches!(labels.last(), Some(&("invalid" | "test" | "localhost")));
    reserved || labels.contains(&"example")
}

/// The address of an e-mail contact (`mailto:a@b.vn` or `a@b.vn`).
fn email_of(contact: &str) -> Option<&str> {
    let address = contact.strip_prefix("mailto:").unwrap_or(contact);
    is_email(address).then_some(address)
}

/// `BAOLUU_CONTACT` must be one real contact, sendable as part of an HTTP header.
fn check_env(config: &Path, contact: &str) -> Result<(), Error> {
    let one = contacts(contact) == [contact] && contact.is_ascii();
    if !one {
        return Err(env_error(
            config,
            &format!(
                "`{contact}` is not one contact: write `mailto:you@your.org`, `you@your.org` or an https:// URL about your archive"
            ),
        ));
    }
    if is_placeholder(contact) {
        return Err(env_error(
            config,
            &format!("`{contact}` is a placeholder that reaches nobody: give an address you read"),
        ));
    }
    Ok(())
}

fn env_error(config: &Path, message: &str) -> Error {
    Error {
        file: config.to_path_buf(),
        line: None,
        key: Some(format!("{ENV} (environment)")),
        message: message.to_string(),
    }
}

fn placeholder_message(key: &str, bad: &str, public: &Portal, from_env: bool) -> String {
    let why = format!(
        "`{bad}` is a placeholder contact that reaches nobody, and portal `{}` is fetched over the internet, where site operators read it to reach you (RFC 9309 §2.2.1)",
        public.name
    );
    match from_env {
        true => format!(
            "{why}: {ENV} replaced only the contact in the first (…) comment; remove `{bad}` from {key}"
        ),
        false => format!(
            "{why}: set {ENV}=mailto:you@your.org in the environment (it fills the User-Agent's contact and the From: header), or write your own contact in {key}"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_recognised() {
        for c in [
            "mailto:archive@baoluu.invalid",
            "archive@example.org",
            "https://example.com/bot",
            "https://www.example.net/",
            "mailto:a@example.vn",
            "https://crawler.test/",
            "https://github.com/baoluu/baoluu",
            "+https://github.com/baoluu/baoluu/",
        ] {
            assert!(is_placeholder(c), "{c}");
        }
        for c in [
            "mailto:x@y.vn",
            "https://thuvien.cantho.gov.vn/luu-tru",
            "a@b.vn",
        ] {
            assert!(!is_placeholder(c), "{c}");
        }
    }

    #[test]
    fn the_contact_comment_is_replaced_or_one_is_appended() {
        let shipped =
            "baoluu/0.1 (+https://github.com/baoluu/baoluu; mailto:archive@baoluu.invalid)";
        assert_eq!(
            with_contact(shipped, "mailto:x@y.vn"),
            "baoluu/0.1 (+mailto:x@y.vn)"
        );
        assert_eq!(
            with_contact("baoluu/0.1 (linux) (+a@b.vn) x", "c@d.vn"),
            "baoluu/0.1 (linux) (+c@d.vn) x"
        );
        assert_eq!(
            with_contact("baoluu/0.1 mailto:a@b.vn", "c@d.vn"),
            "baoluu/0.1 mailto:a@b.vn (+c@d.vn)"
        );
    }

    #[test]
    fn the_environment_contact_is_checked() {
        let p = Path::new("baoluu.toml");
        assert!(check_env(p, "mailto:x@y.vn").is_ok());
        assert!(check_env(p, "https://y.vn/about").is_ok());
        let err = check_env(p, "x@y.vn (me)").unwrap_err().to_string();
        assert!(
            err.contains("BAOLUU_CONTACT") && err.contains("one contact"),
            "{err}"
        );
        let err = check_env(p, "mailto:a@example.org")
            .unwrap_err()
            .to_string();
        assert!(err.contains("placeholder"), "{err}");
    }
}
