//! The CDXJ a crawl writes (built on the writer thread from what it knows of each record,
//! issue 17 item 4) is `cdxj-indexer`'s output for the same WARC file, byte for byte, in the
//! file the replay tools read: `index/cdxj/{warc}.cdxj`, with no side file left behind.
//! tests/replay.rs compares the reading path (`cdxj::index_file`) with the same oracle.
//! Skips when `cdxj-indexer` is missing, unless `BAOLUU_REQUIRE_ORACLES` is set.

mod support;

use support::cli::{cdxj_indexer_lines, oracle, warc_files};
use support::portal::Spec;
use support::world::{Plan, REVISITING, World};

#[test]
fn the_index_a_crawl_writes_is_cdxj_indexers() {
    let Some(indexer) = oracle("cdxj-indexer") else {
        return;
    };
    // Two runs: the second writes revisit records; every article gets a metadata record.
    let world = World::crawled(Plan {
        hosts: ("127.0.0.31", "127.0.0.32"),
        spec: Spec::new(40, None),
        portal_keys: REVISITING,
        extra_name: "vn",
        runs: 2,
    });
    let index_dir = world.archive().join("index").join("cdxj");
    let warcs = warc_files(&world.archive());
    assert!(warcs.len() >= 2, "both portals, both runs: {warcs:?}");
    let mut revisits = 0;
    for warc in &warcs {
        let name = warc.file_name().unwrap().to_string_lossy().into_owned();
        let ours = std::fs::read_to_string(index_dir.join(format!("{name}.cdxj"))).unwrap();
        let theirs = cdxj_indexer_lines(&indexer, warc).join("\n") + "\n";
        assert!(ours.lines().count() > 1, "{name}: {ours}");
        assert_eq!(ours, theirs, "{name}");
        revisits += ours.matches("\"mime\": \"warc/revisit\"").count();
    }
    assert!(revisits > 0, "the second run wrote no revisit record");
    let mut left: Vec<String> = std::fs::read_dir(&index_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".cdxj"))
        .collect();
    left.sort();
    assert!(left.is_empty(), "side or temporary files left: {left:?}");
}
