//! The two-portal world the replay, WACZ and ReplayWeb.page tests crawl (issue 16 item 5: one
//! copy): the fixture portal (`portal`) and the Hậu Giang-shaped one (`portal_extra`) served on
//! two 127.0.0.x addresses, crawled through the binary into a temporary archive.

use std::path::PathBuf;

use super::Fixture;
use super::cli::{baoluu, stderr, warc_files, write_config};
use super::portal::{self, Spec};
use super::portal_extra;

/// The fixture portal's keys for a world whose second run revisits every article: a 1 s
/// `revisit_after` lets the next run (1.1 s later) fetch them again.
pub const REVISITING: &str =
    "max_listing_pages = 5\nstale_listing_pages = 1\nrevisit_after = \"1s\"";
/// The fixture portal's keys for a world crawled once.
pub const ONCE: &str = "max_listing_pages = 5\nstale_listing_pages = 1";

/// What to serve and how to crawl it.
pub struct Plan<'a> {
    /// Addresses of the fixture portal and of the extra portal.
    pub hosts: (&'a str, &'a str),
    pub spec: Spec,
    /// Extra keys of the fixture portal's table ([`REVISITING`] or [`ONCE`]).
    pub portal_keys: &'a str,
    /// The extra portal's name.
    pub extra_name: &'a str,
    /// Crawls run one after the other (each must exit 0).
    pub runs: u32,
}

/// Both portals, still served, and the archive their crawls wrote.
pub struct World {
    pub portal: Fixture,
    pub extra: Fixture,
    pub spec: Spec,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
}

impl World {
    /// Serves both portals and crawls them `plan.runs` times through the binary.
    pub fn crawled(plan: Plan) -> World {
        let portal = portal::serve(plan.hosts.0, plan.spec.clone());
        let extra = portal_extra::serve(plan.hosts.1);
        let dir = tempfile::tempdir().unwrap();
        let text =
            portal_extra::two_portal_config(&portal, plan.portal_keys, &extra, plan.extra_name);
        let config = write_config(dir.path(), &text);
        for run in 0..plan.runs {
            let out = baoluu(&config, &["crawl"]);
            assert_eq!(
                out.status.code(),
                Some(0),
                "crawl failed:\n{}",
                stderr(&out)
            );
            if run + 1 < plan.runs {
                // Revisits need `revisit_after` (1 s) to pass between the runs.
                crate::support::wait::wait_past_last_fetch(
                    &dir.path().join("archive"),
                    std::time::Duration::from_millis(1100),
                );
            }
        }
        let world = World {
            portal,
            extra,
            spec: plan.spec,
            dir,
            config,
        };
        assert!(!warc_files(&world.archive()).is_empty(), "no WARC written");
        world
    }

    pub fn archive(&self) -> PathBuf {
        self.dir.path().join("archive")
    }

    /// Every archived article URL, both portals.
    pub fn article_urls(&self) -> Vec<String> {
        let mut urls: Vec<String> = portal::reachable_articles(&self.spec)
            .iter()
            .map(|path| self.portal.url(path))
            .collect();
        urls.extend(
            portal_extra::ARTICLES
                .iter()
                .map(|path| self.extra.url(&portal_extra::encoded(path))),
        );
        urls
    }
}
