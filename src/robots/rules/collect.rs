//! The parser callbacks that build a [`super::Rules`]: which groups apply to our token, their
//! rules, their Crawl-delay, and every Sitemap line. Group tracking follows Google's reference
//! `RobotsMatcher` step for step (RFC 9309 §2.2.1), so the table holds exactly the rules that
//! matcher would have consulted. Never matches a URL.

use std::time::Duration;

use robotstxt::RobotsParseHandler;

use super::{Rule, parse_crawl_delay, token_prefix};

/// Rules, delays and sitemaps gathered while the crate's parser walks the file once.
pub(super) struct Collector<'a> {
    token: &'a str,
    in_ours: bool,
    in_global: bool,
    /// A rule line has been seen since the last `User-agent:` line: the next one starts a group.
    seen_rule: bool,
    /// Some group named our token: only our groups apply, even where they say nothing.
    ever_ours: bool,
    ours: Vec<Rule>,
    global: Vec<Rule>,
    ours_delay: Option<Duration>,
    global_delay: Option<Duration>,
    pub(super) sitemaps: Vec<String>,
}

impl<'a> Collector<'a> {
    pub(super) fn new(token: &'a str) -> Collector<'a> {
        Collector {
            token,
            in_ours: false,
            in_global: false,
            seen_rule: false,
            ever_ours: false,
            ours: Vec::new(),
            global: Vec::new(),
            ours_delay: None,
            global_delay: None,
            sitemaps: Vec::new(),
        }
    }

    /// Our merged groups' rules when any group names us (even an empty one: allow all),
    /// else the `*` groups' rules.
    pub(super) fn rules(&mut self) -> Vec<Rule> {
        if self.ever_ours {
            std::mem::take(&mut self.ours)
        } else {
            std::mem::take(&mut self.global)
        }
    }

    /// Merged groups keep the longest delay: the site asked for it in at least one of them.
    pub(super) fn crawl_delay(&self) -> Option<Duration> {
        if self.ever_ours {
            self.ours_delay
        } else {
            self.global_delay
        }
    }

    fn record_delay(&mut self, delay: Duration) {
        let longer = |old: Option<Duration>| Some(old.map_or(delay, |o| o.max(delay)));
        if self.in_ours {
            self.ours_delay = longer(self.ours_delay);
        }
        if self.in_global {
            self.global_delay = longer(self.global_delay);
        }
    }

    /// Files a rule under the group it belongs to: ours first (a group naming both us and `*`
    /// is ours, as in the reference matcher). Rules outside any group of interest are dropped,
    /// and do not end a group (the reference matcher ignores them entirely).
    fn record_rule(&mut self, allow: bool, pattern: &str) {
        if !(self.in_ours || self.in_global) {
            return;
        }
        self.seen_rule = true;
        // An empty pattern matches with priority 0, which never decides (RFC 9309 §2.2.2:
        // `Disallow:` with no path disallows nothing).
        if pattern.is_empty() {
            return;
        }
        let rules = if self.in_ours {
            &mut self.ours
        } else {
            &mut self.global
        };
        rules.push(Rule {
            allow,
            pattern: pattern.to_string(),
        });
    }
}

/// `*` (optionally followed by whitespace and anything) is the global group, as in the matcher.
fn is_global_agent(value: &str) -> bool {
    value
        .strip_prefix('*')
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(char::is_whitespace))
}

/// Google's reading of an allowed `…/index.htm(l)…`: the directory itself (`…/$`) is allowed
/// too. Only the last path segment counts; the variant is shorter, so it never outranks the
/// original where both match.
fn index_directory(pattern: &str) -> Option<String> {
    let slash = pattern.rfind('/')?;
    pattern[slash..]
        .starts_with("/index.htm")
        .then(|| format!("{}$", &pattern[..=slash]))
}

impl RobotsParseHandler for Collector<'_> {
    fn handle_robots_start(&mut self) {}

    fn handle_robots_end(&mut self) {}

    fn handle_user_agent(&mut self, _line: u32, value: &str) {
        if self.seen_rule {
            (self.in_ours, self.in_global, self.seen_rule) = (false, false, false);
        }
        if is_global_agent(value) {
            self.in_global = true;
        } else if token_prefix(value).eq_ignore_ascii_case(self.token) {
            self.in_ours = true;
            self.ever_ours = true;
        }
    }

    fn handle_allow(&mut self, _line: u32, value: &str) {
        self.record_rule(true, value);
        if let Some(directory) = index_directory(value) {
            self.record_rule(true, &directory);
        }
    }

    fn handle_disallow(&mut self, _line: u32, value: &str) {
        self.record_rule(false, value);
    }

    fn handle_sitemap(&mut self, _line: u32, value: &str) {
        self.seen_rule = true;
        if !value.is_empty() {
            self.sitemaps.push(value.to_string());
        }
    }

    fn handle_unknown_action(&mut self, _line: u32, action: &str, value: &str) {
        self.seen_rule = true;
        if action.eq_ignore_ascii_case("crawl-delay")
            && let Some(delay) = parse_crawl_delay(value)
        {
            self.record_delay(delay);
        }
    }
}
