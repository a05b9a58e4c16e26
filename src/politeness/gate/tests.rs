//! Gate behaviour on tokio's paused clock: waits are exact, nothing really sleeps.

use super::*;

use std::net::Ipv4Addr;

const fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// 2 s floor, factor 2, 30 s adaptive cap, 300 s Crawl-delay cap.
fn hosts() -> Hosts {
    Hosts::new(Policy::default())
}

fn ip(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
}

#[tokio::test(start_paused = true)]
async fn second_request_waits_for_finish_plus_delay() {
    let hosts = hosts();
    let start = Instant::now();
    let first = hosts.begin("a.vn").await;
    let waiter = tokio::spawn({
        let hosts = hosts.clone();
        async move {
            let _permit = hosts.begin("a.vn").await;
            Instant::now()
        }
    });
    tokio::time::sleep(secs(5)).await;
    first.finish(secs(5)); // delay = max(2 s, 2 × 5 s) = 10 s from now
    let second_at = waiter.await.unwrap();
    assert_eq!(second_at - start, secs(15));
}

#[tokio::test(start_paused = true)]
async fn crawl_delay_applies_and_is_capped() {
    let hosts = hosts();
    hosts.set_crawl_delay("a.vn", Some(secs(10_000)));
    let start = Instant::now();
    hosts.begin("a.vn").await.finish(Duration::ZERO);
    assert_eq!(hosts.ready_at("a.vn"), Some(start + secs(300)));
    hosts.set_crawl_delay("a.vn", Some(secs(7)));
    hosts.begin("a.vn").await.finish(Duration::ZERO);
    assert_eq!(Instant::now() - start, secs(300));
    assert_eq!(hosts.ready_at("a.vn"), Some(start + secs(307)));
}

#[tokio::test(start_paused = true)]
async fn configured_policy_overrides_the_default() {
    let hosts = hosts();
    let slow = Policy {
        min_delay: secs(9),
        ..Policy::default()
    };
    hosts.configure("slow.vn", slow);
    let now = Instant::now();
    hosts
        .try_begin("slow.vn", now)
        .unwrap()
        .finish(Duration::ZERO);
    hosts
        .try_begin("fast.vn", now)
        .unwrap()
        .finish(Duration::ZERO);
    assert_eq!(hosts.ready_at("slow.vn"), Some(now + secs(9)));
    assert_eq!(hosts.ready_at("fast.vn"), Some(now + secs(2)));
}

#[tokio::test(start_paused = true)]
async fn try_begin_reports_busy_then_until() {
    let hosts = hosts();
    let now = Instant::now();
    let permit = hosts.try_begin("a.vn", now).unwrap();
    assert_eq!(hosts.try_begin("a.vn", now).unwrap_err(), Wait::Busy);
    assert_eq!(hosts.ready_at("a.vn"), None);
    permit.finish(Duration::from_millis(100));
    assert_eq!(
        hosts.try_begin("a.vn", now).unwrap_err(),
        Wait::Until(now + secs(2))
    );
    assert!(hosts.try_begin("a.vn", now + secs(2)).is_ok());
}

#[tokio::test(start_paused = true)]
async fn different_hosts_proceed_concurrently() {
    let hosts = hosts();
    let now = Instant::now();
    let a = hosts.try_begin("a.vn", now).unwrap();
    let b = hosts.try_begin("b.vn", now).unwrap();
    assert_eq!(hosts.ready_at("a.vn"), None);
    drop((a, b));
    assert_eq!(hosts.ready_at("c.vn"), Some(now));
}

#[tokio::test(start_paused = true)]
async fn hosts_sharing_an_ip_share_one_gate() {
    let hosts = hosts();
    hosts.learn_ip("a.vn", ip(1));
    hosts.learn_ip("b.vn", ip(2));
    let now = Instant::now();
    let a = hosts.try_begin("a.vn", now).unwrap();
    let b = hosts.try_begin("b.vn", now).unwrap(); // different IPs: independent
    b.finish(Duration::ZERO);
    hosts.learn_ip("b.vn", ip(1)); // b.vn turns out to live on a.vn's server too
    assert_eq!(hosts.try_begin("b.vn", now).unwrap_err(), Wait::Busy);
    a.finish(Duration::ZERO);
    assert_eq!(
        hosts.try_begin("b.vn", now).unwrap_err(),
        Wait::Until(now + secs(2))
    );
    let start = Instant::now();
    let permit = hosts.begin("b.vn").await;
    assert_eq!(Instant::now() - start, secs(2));
    assert_eq!(
        hosts.try_begin("a.vn", Instant::now()).unwrap_err(),
        Wait::Busy
    );
    drop(permit);
}

#[tokio::test(start_paused = true)]
async fn merging_wakes_waiters_of_the_absorbed_gate() {
    let hosts = hosts();
    hosts.learn_ip("a.vn", ip(1));
    let a = hosts.begin("a.vn").await;
    let b = hosts.begin("b.vn").await;
    let waiter = tokio::spawn({
        let hosts = hosts.clone();
        async move { hosts.begin("b.vn").await.finish(Duration::ZERO) }
    });
    tokio::task::yield_now().await;
    hosts.learn_ip("b.vn", ip(1)); // merged while both are busy: in flight counts add up
    let start = Instant::now();
    b.finish(Duration::ZERO);
    tokio::time::sleep(secs(10)).await;
    assert!(
        !waiter.is_finished(),
        "a.vn's permit still holds the shared gate"
    );
    a.finish(Duration::ZERO);
    waiter.await.unwrap();
    assert_eq!(Instant::now() - start, secs(12));
}

#[tokio::test(start_paused = true)]
async fn back_off_snoozes_for_retry_after() {
    let hosts = hosts();
    let now = Instant::now();
    hosts.begin("a.vn").await.back_off(Some(secs(120)));
    assert_eq!(hosts.ready_at("a.vn"), Some(now + secs(120)));
    let start = Instant::now();
    hosts.begin("a.vn").await.back_off(Some(Duration::ZERO)); // never below the plain delay
    assert_eq!(Instant::now() - start, secs(120));
    assert_eq!(hosts.ready_at("a.vn"), Some(now + secs(122)));
}

#[tokio::test(start_paused = true)]
async fn back_off_without_retry_after_grows_exponentially_and_resets() {
    let hosts = hosts();
    let mut expected = Vec::new();
    for _ in 0..3 {
        let permit = hosts.begin("a.vn").await;
        let now = Instant::now();
        permit.back_off(None);
        expected.push(hosts.ready_at("a.vn").unwrap() - now);
    }
    assert_eq!(expected, [secs(60), secs(120), secs(240)]);
    hosts.begin("a.vn").await.finish(Duration::ZERO);
    let permit = hosts.begin("a.vn").await;
    let now = Instant::now();
    permit.back_off(None);
    assert_eq!(hosts.ready_at("a.vn").unwrap() - now, secs(60));
}

#[test]
fn backoff_is_capped() {
    assert_eq!(backoff(0), secs(60));
    assert_eq!(backoff(6), BACKOFF_MAX);
    assert_eq!(backoff(u32::MAX), BACKOFF_MAX);
}

#[tokio::test(start_paused = true)]
async fn absurd_retry_after_is_bounded() {
    let hosts = hosts();
    let now = Instant::now();
    hosts.begin("a.vn").await.back_off(Some(Duration::MAX));
    assert_eq!(hosts.ready_at("a.vn"), Some(now + MAX_PAUSE));
}

#[tokio::test(start_paused = true)]
async fn dropped_permit_releases_with_the_plain_delay() {
    let hosts = hosts();
    hosts.set_crawl_delay("a.vn", Some(secs(5)));
    let start = Instant::now();
    let permit = hosts.begin("a.vn").await;
    let waiter = tokio::spawn({
        let hosts = hosts.clone();
        async move { hosts.begin("a.vn").await.finish(Duration::ZERO) }
    });
    tokio::time::sleep(secs(1)).await;
    drop(permit); // e.g. the fetch task was cancelled
    waiter.await.unwrap();
    assert_eq!(Instant::now() - start, secs(6));
}

#[tokio::test(start_paused = true)]
async fn cancelled_begin_takes_nothing() {
    let hosts = hosts();
    let permit = hosts.begin("a.vn").await;
    let gave_up = tokio::time::timeout(secs(1), hosts.begin("a.vn")).await;
    assert!(gave_up.is_err());
    permit.finish(Duration::ZERO);
    let start = Instant::now();
    let _permit = hosts.begin("a.vn").await;
    assert_eq!(Instant::now() - start, secs(2));
}

#[test]
fn handles_cross_tasks() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<Hosts>();
    shareable::<Permit>();
    shareable::<crate::robots::Robots>();
}

#[tokio::test(start_paused = true)]
async fn a_crawl_delay_learned_after_a_response_counts_from_its_end() {
    // robots.txt is fetched through the gate before its Crawl-delay is known.
    let hosts = hosts();
    let start = Instant::now();
    hosts.begin("a.vn").await.finish(Duration::ZERO);
    assert_eq!(hosts.ready_at("a.vn"), Some(start + secs(2)));
    hosts.set_crawl_delay("a.vn", Some(secs(10)));
    assert_eq!(hosts.ready_at("a.vn"), Some(start + secs(10)));
}
