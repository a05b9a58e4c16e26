//! Portal health in `baoluu status` (issue 9, part 3): after one crawl of three fixture
//! portals, the one whose markup no longer matches its configured selectors and the one that
//! redirects to another host are flagged; the one that is fine says "ok".

mod support;

use support::cli::{UA, baoluu, stderr, stdout, write_config};
use support::portal::{self, Spec};
use support::{Fixture, Reply};

/// The paragraph `status` prints for `portal`.
fn paragraph<'a>(status: &'a str, portal: &str) -> Vec<&'a str> {
    let head = format!("{portal}: ");
    let mut lines = status.lines().skip_while(|l| !l.starts_with(&head));
    let first = lines.next().into_iter();
    first
        .chain(lines.take_while(|l| l.starts_with("  ")))
        .collect()
}

#[test]
fn status_flags_changed_markup_and_a_portal_that_moved() {
    let fine = portal::serve("127.0.0.5", Spec::new(500, None));
    let redesigned = portal::serve("127.0.0.6", Spec::new(600, None));
    // Every page of this portal now answers with a redirect to a host outside it.
    let moved = Fixture::start("127.0.0.8", |req| match req.target.as_str() {
        "/robots.txt" => Reply::not_found(),
        path => Reply::redirect(
            301,
            &format!("http://127.0.0.9:9/{}", path.trim_start_matches('/')),
        ),
    });
    let dir = tempfile::tempdir().unwrap();
    // The fixture's bodies are `div.contentView`; "redesigned" is configured for an old layout.
    let old_layout = "[portal.selectors]\ntitle = \"h1.tieu-de-cu\"\nbody = \"div.noi-dung-cu\"";
    let own =
        "[portal.selectors]\ntitle = \".news-details-content h1\"\nbody = \"div.contentView\"";
    let text = format!(
        "[crawler]\nuser_agent = \"{UA}\"\narchive_dir = \"archive\"\nmin_free_space = \"1MB\"\nmin_delay = \"10ms\"\ndelay_factor = 0.0\nretries = 0\n{}{}{}",
        portal::table("fine", &fine, own),
        portal::table("redesigned", &redesigned, old_layout),
        portal::table("moved", &moved, ""),
    );
    let config = write_config(dir.path(), &text);
    let out = baoluu(&config, &["crawl"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let out = baoluu(&config, &["status"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let status = stdout(&out);
    let health = |portal: &str| -> Vec<String> {
        paragraph(&status, portal)
            .iter()
            .filter_map(|l| l.trim().strip_prefix("health: "))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(health("fine"), vec!["ok".to_string()], "{status}");
    let redesigned = health("redesigned");
    assert!(
        redesigned
            .iter()
            .any(|l| l.starts_with("selectors stopped matching")),
        "{status}"
    );
    let moved = health("moved");
    assert!(
        moved
            .iter()
            .any(|l| l.starts_with("redirects to another host: 127.0.0.9:9")),
        "{status}"
    );
    assert!(
        moved.iter().any(|l| l.starts_with("no new articles")),
        "{status}"
    );
}
