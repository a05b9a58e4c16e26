//! Which robots.txt line refused a URL, for the probe's error message.
//!
//! Part of `probe --fetch`. The decision itself is [`crate::robots::Robots::allowed`]'s; this
//! only finds, best effort, the line to quote so the user sees *why* ("rule `Disallow: /x/`").
//! It follows RFC 9309 §2.2 closely enough for that: groups are consecutive `User-agent` lines
//! and their rules, our product token's groups win over `*`, the longest matching path wins
//! (§2.2.2), `*` and a final `$` are the only special characters (§2.2.3). It never decides
//! anything: a `None` just leaves the rule out of the message.

use regex::Regex;

/// The `Disallow:` line (as written) deciding `path` (path + `?query`) for `token`, if the
/// longest matching rule of our groups is a disallow.
pub fn disallowing_rule(robots_txt: &str, token: &str, path: &str) -> Option<String> {
    let groups = groups(robots_txt);
    let token = token.to_ascii_lowercase();
    let ours: Vec<&Group> = groups
        .iter()
        .filter(|g| g.agents.contains(&token))
        .collect();
    let chosen = if ours.is_empty() {
        groups
            .iter()
            .filter(|g| g.agents.iter().any(|a| a == "*"))
            .collect()
    } else {
        ours
    };
    let best = chosen
        .iter()
        .flat_map(|g| g.rules.iter())
        .filter(|r| !r.pattern.is_empty() && matches(&r.pattern, path))
        .max_by_key(|r| (r.pattern.len(), r.allow))?;
    (!best.allow).then(|| format!("Disallow: {}", best.pattern))
}

struct Rule {
    allow: bool,
    pattern: String,
}

#[derive(Default)]
struct Group {
    agents: Vec<String>,
    rules: Vec<Rule>,
}

fn groups(text: &str) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.trim().to_ascii_lowercase().as_str() {
            "user-agent" => {
                let starts_group = groups.last().is_none_or(|g| !g.rules.is_empty());
                if starts_group {
                    groups.push(Group::default());
                }
                if let Some(group) = groups.last_mut() {
                    group.agents.push(value.to_ascii_lowercase());
                }
            }
            key @ ("allow" | "disallow") => {
                if let Some(group) = groups.last_mut() {
                    group.rules.push(Rule {
                        allow: key == "allow",
                        pattern: value.to_string(),
                    });
                }
            }
            _ => {}
        }
    }
    groups
}

/// RFC 9309 §2.2.3: `*` is any sequence, a final `$` anchors the end; otherwise a prefix.
fn matches(pattern: &str, path: &str) -> bool {
    let (body, anchored) = match pattern.strip_suffix('$') {
        Some(body) => (body, true),
        None => (pattern, false),
    };
    let parts: Vec<String> = body.split('*').map(regex::escape).collect();
    let text = format!("^{}{}", parts.join(".*"), if anchored { "$" } else { "" });
    Regex::new(&text).is_ok_and(|re| re.is_match(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TXT: &str = "User-agent: *\nDisallow: /private/\nAllow: /private/ok\n\n\
                       User-agent: baoluu\nUser-agent: other\nDisallow: /no-baoluu # ours\nDisallow: /*.pdf$\n";

    #[test]
    fn our_group_wins_over_the_star_group() {
        assert_eq!(
            disallowing_rule(TXT, "baoluu", "/no-baoluu/x").as_deref(),
            Some("Disallow: /no-baoluu")
        );
        // Our group has no rule for /private/, so the star group does not apply.
        assert_eq!(disallowing_rule(TXT, "baoluu", "/private/x"), None);
        assert_eq!(
            disallowing_rule(TXT, "otherbot", "/private/x").as_deref(),
            Some("Disallow: /private/")
        );
    }

    #[test]
    fn longest_match_and_wildcards() {
        assert_eq!(disallowing_rule(TXT, "otherbot", "/private/ok/1"), None);
        assert_eq!(
            disallowing_rule(TXT, "BAOLUU", "/a/b.pdf").as_deref(),
            Some("Disallow: /*.pdf$")
        );
        assert_eq!(disallowing_rule(TXT, "baoluu", "/a/b.pdf?x=1"), None);
    }
}
