//! baoluu — a polite crawler and archival daemon for Vietnamese provincial news portals.
//!
//! # Layout
//! The modules are listed in pipeline order (docs/architecture.md). Data flows one way as plain types,
//! each defined in the module that produces it:
//!
//! ```text
//! config ─► crawl:  frontier ─(Candidate)─► scope ─► robots ─► politeness ─(Permit)─► fetch
//!           ─(Exchange)─► archive ─(Capture)─► discover ─(links)─► canonical + scope ─► frontier
//!           every URL ends as an Outcome, recorded in the store
//! ```
//!
//! - [`config`]: TOML → validated [`config::Config`]; errors name file, line and key.
//! - [`canonical`]: URL normalisation and host keys.
//! - [`scope`]: does a URL belong to a portal's crawl, and what kind of page is it.
//! - [`robots`]: RFC 9309 interpretation and status rules.
//! - [`politeness`]: the per-host gate (one request in flight, delays, backoff).
//! - [`addresses`]: which IP addresses the address guard refuses (shared by config and fetch).
//! - [`fetch`]: one HTTP exchange, recorded faithfully ([`fetch::Exchange`]).
//! - [`archive`]: Exchange → WARC records ([`archive::Capture`]), rotation, recovery, the lock.
//! - [`discover`]: HTML → outlinks (articles, "Xem thêm", pagination).
//! - [`extract`]: payload → [`extract::Article`] (charset, NFC, metadata, body, byline, dates).
//! - [`index`]: one JSON line per archived article version, pointing at its WARC record.
//! - [`history`]: edits, takedowns and moves of archived articles, and the revisit ladder.
//! - [`outcome`]: the closed set of outcome labels a finished URL carries.
//! - [`store`]: the SQLite crawl state.
//! - [`frontier`]: what to fetch next, per host.
//! - [`save`]: `baoluu save URL...`, the archivist's "save this page now".
//! - [`crawl`]: one run over the configured portals; [`summary`]: what a run did (its counts).
//! - [`schedule`]: when each portal's next run is due (intervals and cron, +07:00).
//! - [`daemon`]: every portal on its schedule, on one shared session.
//! - [`report`]: run reports, the crawl log and `baoluu status`; [`metrics`]: Prometheus.
//! - [`cdxj`]: CDXJ indexes of closed WARC files, for pywb and ReplayWeb.page.
//! - [`verify`]: the fixity check of an archive directory.
//! - [`wacz`]: WACZ 1.1.1 packages of closed WARC files, for ReplayWeb.page.
//! - [`causes`]: an error and its causes on one line, for logs.
//! - [`web`]: the read-only status page on `metrics_listen`; [`demo`]: `baoluu demo`.

// Small functions (issue 16): clippy.toml sets the threshold at 80 lines; CI denies warnings.
#![warn(clippy::too_many_lines)]

pub mod addresses;
pub mod archive;
pub mod canonical;
pub mod causes;
pub mod cdxj;
pub mod config;
pub mod crawl;
pub mod daemon;
pub mod demo;
pub mod discover;
pub mod extract;
pub mod feeds;
pub mod fetch;
pub mod frontier;
pub mod history;
pub mod index;
pub mod metrics;
pub mod notify;
pub mod outcome;
pub mod politeness;
pub mod probe;
pub mod report;
pub mod robots;
pub mod save;
pub mod schedule;
pub mod scope;
pub mod storage;
pub mod store;
pub mod summary;
pub mod verify;
pub mod wacz;
pub mod web;
