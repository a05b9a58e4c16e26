//! The address guard's ranges and its exact exemptions (issue 13 item 6).

use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

#[test]
fn restricted_ranges_are_refused() {
    for s in [
        "127.0.0.1",
        "127.9.9.9",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "0.1.2.3",
        "255.255.255.255",
        "224.0.0.1",
        "100.64.0.1",
        "100.127.255.255",
        "::1",
        "::",
        "fe80::1",
        "febf::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::7f00:1",
        "64:ff9b::a00:1",
    ] {
        assert!(is_restricted(ip(s)), "{s} should be restricted");
    }
}

#[test]
fn the_ranges_added_by_issue_13_are_refused() {
    for s in [
        // 198.18.0.0/15 benchmarking, both halves and the edges.
        "198.18.0.0",
        "198.18.0.1",
        "198.19.255.255",
        // 192.0.0.0/24 IETF protocol assignments.
        "192.0.0.1",
        "192.0.0.255",
        // 240.0.0.0/4 reserved.
        "240.0.0.1",
        "250.1.2.3",
        "255.255.255.254",
    ] {
        assert!(is_restricted(ip(s)), "{s} should be restricted");
    }
    for s in [
        "198.17.255.255",
        "198.20.0.0",
        "192.0.1.1",
        "239.255.255.255",
    ] {
        let restricted = is_restricted(ip(s));
        // 239/8 is multicast (refused before this issue); the others are public.
        assert_eq!(restricted, s.starts_with("239."), "{s}");
    }
}

#[test]
fn ipv4_compatible_addresses_are_judged_by_their_ipv4() {
    for s in [
        "::127.0.0.1",
        "::10.0.0.1",
        "::169.254.169.254",
        "::192.168.0.1",
    ] {
        assert!(is_restricted(ip(s)), "{s} should be restricted");
    }
    assert!(!is_restricted(ip("::8.8.8.8")));
    assert!(!is_restricted(ip("::14.225.0.1")));
}

#[test]
fn six_to_four_addresses_are_judged_by_their_ipv4() {
    // 2002:AABB:CCDD::/48 carries AA.BB.CC.DD.
    for s in [
        "2002:7f00:1::1",    // 127.0.0.1
        "2002:a00:1::",      // 10.0.0.1
        "2002:a9fe:a9fe::1", // 169.254.169.254
        "2002:c0a8:101::1",  // 192.168.1.1
        "2002:c612:1::1",    // 198.18.0.1
    ] {
        assert!(is_restricted(ip(s)), "{s} should be restricted");
    }
    assert!(!is_restricted(ip("2002:808:808::1"))); // 8.8.8.8
    assert!(!is_restricted(ip("2002:ee1:1::1"))); // 14.225.0.1
}

#[test]
fn teredo_addresses_are_judged_by_server_and_client_ipv4() {
    // Server 65.54.227.120 (4136:e378); client bits inverted: !7f00:0001 = 80ff:fffe.
    assert!(is_restricted(ip("2001:0:4136:e378:8000:63bf:80ff:fffe"))); // client 127.0.0.1
    assert!(is_restricted(ip("2001:0:4136:e378:8000:63bf:f5ff:fffe"))); // client 10.0.0.1
    assert!(is_restricted(ip("2001:0:4136:e378:8000:63bf:5601:5601"))); // client 169.254.169.254
    assert!(is_restricted(ip("2001:0:a00:1:8000:63bf:f7f7:f7f7"))); // server 10.0.0.1
    // Both public: client 8.8.8.8 (inverted f7f7:f7f7), server 65.54.227.120.
    assert!(!is_restricted(ip("2001:0:4136:e378:8000:63bf:f7f7:f7f7")));
    // Not Teredo (2001:db8::/32 documentation, 2001:4860 Google): no IPv4 inside.
    assert!(!is_restricted(ip("2001:db8:7f00:1::1")));
    assert!(!is_restricted(ip("2001:4860:a00:1::1")));
}

#[test]
fn public_addresses_pass() {
    for s in [
        "8.8.8.8",
        "172.15.255.255",
        "172.32.0.1",
        "192.169.0.1",
        "100.63.255.255",
        "100.128.0.1",
        "14.225.0.1",
        "2001:db8::1",
        "2404:6800::1",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "fec0::1",
    ] {
        assert!(!is_restricted(ip(s)), "{s} should pass");
    }
}

#[test]
fn exemptions_are_exact_authorities() {
    let guard = Guard::new(&[
        "127.0.0.9:8765".to_string(),
        "LocalHost".to_string(),
        "[::1]:8080".to_string(),
    ]);
    assert!(guard.exempts(&url("http://127.0.0.9:8765/a")));
    assert!(!guard.exempts(&url("http://127.0.0.9:9999/a")));
    assert!(!guard.exempts(&url("http://127.0.0.9/a")));
    // Without a port: the scheme's default port only, written or not.
    assert!(guard.exempts(&url("http://localhost/")));
    assert!(guard.exempts(&url("https://localhost:443/")));
    assert!(!guard.exempts(&url("http://localhost:8080/")));
    assert!(guard.exempts(&url("http://[::1]:8080/")));
    assert!(!guard.exempts(&url("http://[::1]/")));
    let refused = guard
        .check(&url("http://127.0.0.9:9999/"), ip("127.0.0.9"))
        .unwrap_err();
    assert_eq!(refused.host, "127.0.0.9");
    assert!(
        guard
            .check(&url("http://x.vn:9999/"), ip("8.8.8.8"))
            .is_ok()
    );
}

#[test]
fn a_port_written_on_the_default_matches_the_implied_one() {
    let guard = Guard::new(&["127.0.0.2:80".to_string()]);
    assert!(guard.exempts(&url("http://127.0.0.2/")));
    assert!(!guard.exempts(&url("https://127.0.0.2/")));
}

#[test]
fn the_strict_resolver_keeps_no_restricted_address() {
    let resolver = GuardedResolver::strict(Table::default());
    let a: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let b: SocketAddr = "93.184.215.14:0".parse().unwrap();
    assert_eq!(resolver.filter("x.vn", vec![a, b]).unwrap(), vec![b]);
    match resolver.filter("localhost", vec![a]) {
        Err(LookupError::Refused(r)) => assert_eq!(r.ip, a.ip()),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(matches!(
        resolver.filter("x.vn", vec![]),
        Err(LookupError::Empty { .. })
    ));
}

#[test]
fn the_exempting_resolver_keeps_only_exempt_names() {
    let guard = Guard::new(&["localhost:8080".to_string()]);
    let resolver = GuardedResolver::exempting(&guard, Table::default());
    let a: SocketAddr = "127.0.0.1:0".parse().unwrap();
    assert_eq!(resolver.filter("localhost", vec![a]).unwrap(), vec![a]);
    assert!(resolver.filter("x.vn", vec![a]).is_err());
}
