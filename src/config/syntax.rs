//! The shape of configuration strings: user agents, e-mail addresses, host entries, schedules and
//! portal names.
//!
//! Used by the `config` stage's validation phase. Each check returns a message that says what is
//! wrong and how to write it instead; the caller adds file, line and key. Pure functions.

use regex::Regex;
use url::Url;

/// Checks that a User-Agent names the crawler and says how to reach its operator.
///
/// RFC 9309 §2.2.1: robots.txt groups match the crawler's *product token*, which may contain only
/// letters, `_` and `-`; so the User-Agent starts with that token (optionally `/version`). Site
/// operators who see the archive in their logs need a way to reach it, so a contact is required
/// as well: an `http(s)://` URL, a `mailto:` address or a bare e-mail address.
pub fn check_user_agent(user_agent: &str) -> Result<(), String> {
    let product = user_agent.split_whitespace().next().unwrap_or("");
    let name = product.split('/').next().unwrap_or("");
    let token_ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphabetic() || c == '_' || c == '-');
    if !token_ok {
        return Err("user_agent must start with a product token such as `baoluu/0.1` (letters, `_` and `-`): \
                    robots.txt rules name crawlers by this token (RFC 9309 §2.2.1)"
            .to_string());
    }
    if !has_contact(user_agent) {
        return Err("user_agent must include a contact, an http(s):// URL, a mailto: address or an e-mail address, \
                    such as `baoluu/0.1 (+https://example.org/archive; mailto:archive@example.org)`: \
                    RFC 9309 crawlers identify themselves and site operators need a way to reach the archive"
            .to_string());
    }
    Ok(())
}

/// Whether any word of the User-Agent is a contact URL or address.
fn has_contact(user_agent: &str) -> bool {
    !contacts(user_agent).is_empty()
}

/// The words of `text` that are contacts (an http(s) URL, `mailto:` address or e-mail
/// address), without their leading `+`.
pub fn contacts(text: &str) -> Vec<&str> {
    let words = text.split(|c: char| c.is_whitespace() || "();,<>".contains(c));
    let words = words.map(|w| w.trim_start_matches('+'));
    words.filter(|w| is_contact(w)).collect()
}

/// One contact: `mailto:` + address, an http(s) URL with a host, or a bare e-mail address.
pub fn is_contact(word: &str) -> bool {
    if let Some(address) = word.strip_prefix("mailto:") {
        return is_email(address);
    }
    let web = word.starts_with("http://") || word.starts_with("https://");
    (web && Url::parse(word).is_ok_and(|u| u.host_str().is_some())) || is_email(word)
}

/// A plain `local@domain.tld` address (no display name, no comments).
pub fn is_email(text: &str) -> bool {
    Regex::new(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
        .is_ok_and(|re| re.is_match(text))
}

/// Checks `crawler.from`, which becomes the `From:` header (RFC 9110 §10.1.2: a mailbox).
pub fn check_from(from: &str) -> Result<(), String> {
    if is_email(from) {
        return Ok(());
    }
    Err(format!(
        "`{from}` is not an e-mail address: write a plain address such as `archive@example.org`"
    ))
}

/// Validates a `hosts` / `embed_hosts` entry and returns it normalised: lowercase (IDNA for
/// Vietnamese domain names), brackets around IPv6, the port kept when given.
pub fn host_entry(entry: &str) -> Result<String, String> {
    if entry.contains("://") {
        return Err(format!(
            "`{entry}` has a scheme: write only the host, such as `example.org` or `example.org:8080`"
        ));
    }
    if entry.is_empty() || entry.contains(|c: char| c.is_whitespace() || "/?#@\\".contains(c)) {
        return Err(format!(
            "`{entry}` is not a host: write `host` or `host:port`, without path, query or user"
        ));
    }
    let (host, port) = split_host_port(entry)?;
    let host = url::Host::parse(host)
        .map_err(|_| format!("`{host}` is not a valid host name or IP address"))?;
    match port {
        Some(port) => Ok(format!("{host}:{port}")),
        None => Ok(host.to_string()),
    }
}

fn split_host_port(entry: &str) -> Result<(&str, Option<u16>), String> {
    let (host, port) = match entry.strip_prefix('[') {
        Some(rest) => {
            let end = rest
                .find(']')
                .ok_or_else(|| format!("`{entry}` has no closing `]`"))?;
            let port = rest[end + 1..].strip_prefix(':');
            (&entry[..end + 2], port)
        }
        None if entry.matches(':').count() > 1 => {
            return Err(format!(
                "`{entry}` looks like an IPv6 address: put it in brackets, such as `[::1]:8080`"
            ));
        }
        None => match entry.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (entry, None),
        },
    };
    let port = port
        .map(|p| {
            p.parse::<u16>()
                .map_err(|_| format!("`{p}` in `{entry}` is not a port number (1-65535)"))
        })
        .transpose()?;
    Ok((host, port))
}

/// The `host` or `host:port` a URL is served from, as `hosts` entries write it: the port only
/// when it is not the scheme's default.
pub fn authority(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// Checks that a schedule is `every <duration>` or has the shape of a 5- or 6-field cron
/// expression. Only the shape: evaluating cron expressions belongs to the `schedule` stage, which
/// a later issue adds; until then this catches typos early.
pub fn check_schedule(schedule: &str) -> Result<(), String> {
    // The daemon's own parser decides, so what passes here is exactly what it can run.
    crate::schedule::Schedule::parse(schedule)
        .map(drop)
        .map_err(|err| format!("{err}: write `every <duration>` such as \"every 2h\", or a cron expression of 5 or 6 fields such as \"0 */2 * * *\""))
}

/// Portal names become parts of WARC and index file names, so they are `[a-z0-9_-]+`.
pub fn check_portal_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        return Ok(());
    }
    Err(format!(
        "portal name `{name}` may contain only a-z, 0-9, `_` and `-`: it becomes part of file names"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_need_a_token_and_a_contact() {
        assert!(
            check_user_agent("baoluu/0.1 (+https://example.org/about; mailto:a@example.org)")
                .is_ok()
        );
        assert!(check_user_agent("baoluu/0.1 (+https://example.org/about)").is_ok());
        assert!(check_user_agent("baoluu (archive@example.org)").is_ok());
        assert!(check_user_agent("baoluu/0.1 mailto:archive@example.org").is_ok());
        let no_contact = check_user_agent("baoluu/0.1").unwrap_err();
        assert!(
            no_contact.contains("contact") && no_contact.contains("RFC 9309"),
            "{no_contact}"
        );
        assert!(check_user_agent("baoluu/0.1 (+ftp://example.org)").is_err());
        assert!(check_user_agent("baoluu/0.1 (mailto:nobody)").is_err());
        let no_token = check_user_agent("(+https://example.org)").unwrap_err();
        assert!(no_token.contains("product token"), "{no_token}");
        assert!(check_user_agent("").is_err());
    }

    #[test]
    fn emails() {
        assert!(check_from("archive@example.org").is_ok());
        assert!(check_from("Archive <archive@example.org>").is_err());
        assert!(check_from("archive").is_err());
        assert!(check_from("archive@localhost").is_err());
    }

    #[test]
    fn host_entries_are_normalised_or_refused() {
        assert_eq!(
            host_entry("BaoCanTho.com.vn"),
            Ok("baocantho.com.vn".to_string())
        );
        assert_eq!(
            host_entry("127.0.0.2:8080"),
            Ok("127.0.0.2:8080".to_string())
        );
        assert_eq!(host_entry("[::1]:80"), Ok("[::1]:80".to_string()));
        assert_eq!(host_entry("báo.vn"), Ok("xn--bo-mia.vn".to_string()));
        assert!(
            host_entry("https://example.org")
                .unwrap_err()
                .contains("scheme")
        );
        assert!(
            host_entry("example.org/news")
                .unwrap_err()
                .contains("without path")
        );
        assert!(
            host_entry("example.org:99999")
                .unwrap_err()
                .contains("port")
        );
        assert!(host_entry("::1").unwrap_err().contains("brackets"));
        assert!(host_entry("").is_err());
    }

    #[test]
    fn authority_keeps_only_explicit_ports() {
        let url = Url::parse("https://Example.org:443/x").unwrap();
        assert_eq!(authority(&url), "example.org");
        let url = Url::parse("http://127.0.0.2:8080/").unwrap();
        assert_eq!(authority(&url), "127.0.0.2:8080");
    }

    #[test]
    fn schedules_have_the_right_shape() {
        assert!(check_schedule("every 2h").is_ok());
        assert!(check_schedule("every 30m").is_ok());
        assert!(check_schedule("0 */2 * * *").is_ok());
        assert!(check_schedule("0 0 */2 * * MON-FRI").is_ok());
        assert!(check_schedule("every 0s").is_err());
        assert!(check_schedule("every soon").is_err());
        assert!(check_schedule("hourly").is_err());
        assert!(check_schedule("* * * *").is_err());
        assert!(check_schedule("0 * * * * * * *").is_err());
    }

    #[test]
    fn portal_names() {
        assert!(check_portal_name("cantho").is_ok());
        assert!(check_portal_name("bao_lao-cai2").is_ok());
        assert!(check_portal_name("CanTho").is_err());
        assert!(check_portal_name("can tho").is_err());
        assert!(check_portal_name("").is_err());
    }
}
