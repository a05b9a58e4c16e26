//! How the fetch of one URL ended, as a closed set of labels (issue 16 item 2).
//!
//! Every finished URL carries one [`Label`]: the crawl decides on it (`crawl::task`), counts
//! it (run reports, metrics), writes it to `crawl.log` and stores it in `state.sqlite`'s
//! `urls.outcome` column. [`Label::as_str`] is the one spelling all of those use, unchanged
//! from the strings earlier versions wrote, so old logs, run reports and state files read the
//! same; [`str::parse`] reads a stored label back. This module never decides an outcome and
//! never knows HTTP beyond naming the statuses that count as transient.

use std::fmt;
use std::str::FromStr;

/// Why a URL is finished (or deferred): the outcome label of logs, reports and the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Label {
    /// The response was written to the WARC (any final status that is not transient).
    Archived,
    /// A conditional GET came back 304: a revisit record, nothing new to read.
    Revisited,
    /// 429 through every retry (RFC 6585 §4): the host is snoozed.
    TooManyRequests,
    /// 500 through every retry.
    InternalServerError,
    /// 502 through every retry.
    BadGateway,
    /// 503 through every retry (RFC 9110 §15.6.4): the host is snoozed.
    ServiceUnavailable,
    /// 504 through every retry.
    GatewayTimeout,
    /// A transient failure that kept failing for `second_chances` runs (issue 5).
    GivenUp,
    /// The stored URL does not parse.
    BadUrl,
    /// The visit ended with no response at all.
    NoResponse,
    /// The URL's portal is not part of this run.
    PortalNotInRun,
    RobotsDisallowed,
    RobotsUnreachable,
    RedirectOutOfScope,
    /// The redirect target was already archived in this run.
    RedirectToKnown,
    TooManyRedirects,
    SchemeRefused,
    AddressRefused,
    DnsError,
    ConnectError,
    Timeout,
    RequestError,
    UrlUnsendable,
}

impl Label {
    /// Every label, for parsing and tests.
    pub const ALL: [Label; 23] = [
        Label::Archived,
        Label::Revisited,
        Label::TooManyRequests,
        Label::InternalServerError,
        Label::BadGateway,
        Label::ServiceUnavailable,
        Label::GatewayTimeout,
        Label::GivenUp,
        Label::BadUrl,
        Label::NoResponse,
        Label::PortalNotInRun,
        Label::RobotsDisallowed,
        Label::RobotsUnreachable,
        Label::RedirectOutOfScope,
        Label::RedirectToKnown,
        Label::TooManyRedirects,
        Label::SchemeRefused,
        Label::AddressRefused,
        Label::DnsError,
        Label::ConnectError,
        Label::Timeout,
        Label::RequestError,
        Label::UrlUnsendable,
    ];

    /// The stored and logged spelling (unchanged since the labels were strings).
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Archived => "archived",
            Label::Revisited => "revisited",
            Label::TooManyRequests => "http-429",
            Label::InternalServerError => "http-500",
            Label::BadGateway => "http-502",
            Label::ServiceUnavailable => "http-503",
            Label::GatewayTimeout => "http-504",
            Label::GivenUp => "given-up",
            Label::BadUrl => "bad-url",
            Label::NoResponse => "no-response",
            Label::PortalNotInRun => "portal-not-in-run",
            Label::RobotsDisallowed => "robots-disallowed",
            Label::RobotsUnreachable => "robots-unreachable",
            Label::RedirectOutOfScope => "redirect-out-of-scope",
            Label::RedirectToKnown => "redirect-to-known",
            Label::TooManyRedirects => "too-many-redirects",
            Label::SchemeRefused => "scheme-refused",
            Label::AddressRefused => "address-refused",
            Label::DnsError => "dns-error",
            Label::ConnectError => "connect-error",
            Label::Timeout => "timeout",
            Label::RequestError => "request-error",
            Label::UrlUnsendable => "url-unsendable",
        }
    }

    /// The label of a status worth retrying (429 and the 5xx a busy or restarting server
    /// sends); `None` for every other status, which is archived as it came.
    pub fn transient_status(status: u16) -> Option<Label> {
        match status {
            429 => Some(Label::TooManyRequests),
            500 => Some(Label::InternalServerError),
            502 => Some(Label::BadGateway),
            503 => Some(Label::ServiceUnavailable),
            504 => Some(Label::GatewayTimeout),
            _ => None,
        }
    }

    /// A 429 or 503 snoozes the whole host (the politeness gate did it already).
    pub fn backs_off_host(self) -> bool {
        matches!(self, Label::TooManyRequests | Label::ServiceUnavailable)
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A label this build does not know (a newer baoluu or another program wrote it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown outcome label `{0}`")]
pub struct UnknownLabel(pub String);

impl FromStr for Label {
    type Err = UnknownLabel;

    fn from_str(s: &str) -> Result<Label, UnknownLabel> {
        Label::ALL
            .into_iter()
            .find(|label| label.as_str() == s)
            .ok_or_else(|| UnknownLabel(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The strings the crawl wrote before the labels were typed (issue 16 item 2).
    const OLD_LABELS: [&str; 23] = [
        "archived",
        "revisited",
        "http-429",
        "http-500",
        "http-502",
        "http-503",
        "http-504",
        "given-up",
        "bad-url",
        "no-response",
        "portal-not-in-run",
        "robots-disallowed",
        "robots-unreachable",
        "redirect-out-of-scope",
        "redirect-to-known",
        "too-many-redirects",
        "scheme-refused",
        "address-refused",
        "dns-error",
        "connect-error",
        "timeout",
        "request-error",
        "url-unsendable",
    ];

    #[test]
    fn every_label_roundtrips_and_keeps_its_old_spelling() {
        for label in Label::ALL {
            assert_eq!(label.as_str().parse::<Label>(), Ok(label));
            assert_eq!(label.to_string(), label.as_str());
        }
        let new: BTreeSet<&str> = Label::ALL.iter().map(|l| l.as_str()).collect();
        let old: BTreeSet<&str> = OLD_LABELS.into_iter().collect();
        assert_eq!(new, old);
        assert_eq!(new.len(), Label::ALL.len(), "two labels share a spelling");
        assert!("not-found".parse::<Label>().is_err());
    }

    #[test]
    fn transient_statuses_match_the_old_http_labels() {
        for status in 100..600u16 {
            let label = Label::transient_status(status);
            let expected = matches!(status, 429 | 500 | 502 | 503 | 504);
            assert_eq!(label.is_some(), expected, "status {status}");
            if let Some(label) = label {
                assert_eq!(label.as_str(), format!("http-{status}"));
                assert_eq!(label.backs_off_host(), matches!(status, 429 | 503));
            }
        }
    }
}
