//! Measuring child processes (wall time, CPU from `wait4`'s rusage, peak RSS from /proc) and
//! printing the tables of figures.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What one process (or a group run side by side) cost.
#[derive(Clone, Copy, Debug, Default)]
pub struct Usage {
    pub wall: Duration,
    /// user + system CPU seconds.
    pub cpu: f64,
    /// Peak resident set, MB (summed over a group).
    pub rss_mb: f64,
    /// False when any process exited non-zero or by a signal.
    pub ok: bool,
}

/// Runs the commands side by side and waits for all of them.
///
/// Peak RSS is each child's `VmHWM` polled from /proc every 10 ms, not `ru_maxrss`: a child
/// started with vfork/posix_spawn inherits the parent's high-water mark at `exec`, so
/// `ru_maxrss` never reads below this bench's own peak.
pub fn run_all(commands: Vec<Command>) -> std::io::Result<Usage> {
    let started = Instant::now();
    let mut children = Vec::new();
    for mut cmd in commands {
        children.push(cmd.spawn()?);
    }
    let pids: Vec<u32> = children.iter().map(|c| c.id()).collect();
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        std::thread::spawn(move || sample_peaks(&pids, &done))
    };
    let mut total = Usage {
        ok: true,
        ..Usage::default()
    };
    for child in children {
        let (ok, cpu) = reap(child.id() as libc::pid_t)?;
        total.ok &= ok;
        total.cpu += cpu;
    }
    total.wall = started.elapsed();
    done.store(true, Ordering::SeqCst);
    let peaks = sampler.join().unwrap_or_default();
    total.rss_mb = peaks.iter().sum::<u64>() as f64 / 1024.0;
    Ok(total)
}

/// Polls each pid's `VmHWM` (kB) until `done`; returns the last value seen per pid.
fn sample_peaks(pids: &[u32], done: &AtomicBool) -> Vec<u64> {
    let mut peaks = vec![0u64; pids.len()];
    while !done.load(Ordering::SeqCst) {
        for (pid, peak) in pids.iter().zip(peaks.iter_mut()) {
            if let Some(kb) = vm_hwm(*pid) {
                *peak = (*peak).max(kb);
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    peaks
}

fn vm_hwm(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

pub fn run(cmd: Command) -> std::io::Result<Usage> {
    run_all(vec![cmd])
}

/// Waits for `pid` with `wait4`: (exited 0, CPU seconds user + system).
fn reap(pid: libc::pid_t) -> std::io::Result<(bool, f64)> {
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data; wait4 fills it for a child of ours.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if got != pid {
        return Err(std::io::Error::last_os_error());
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    Ok((ok, secs(usage.ru_utime) + secs(usage.ru_stime)))
}

/// A printed table: rows are echoed as they come, the whole table again at the end.
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn add(&mut self, row: Vec<String>) {
        println!("  {}", row.join(" | "));
        self.rows.push(row);
    }

    pub fn print(&self) {
        println!("\n| {} |", self.header.join(" | "));
        println!("|{}", "---|".repeat(self.header.len()));
        for row in &self.rows {
            println!("| {} |", row.join(" | "));
        }
    }
}

/// CPU seconds (user + system) this process has used so far (the portal server's share).
pub fn self_cpu() -> f64 {
    // SAFETY: rusage is plain data that getrusage fills.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// Total size of the files under `dir` whose names end with `suffix`, MB.
pub fn dir_mb(dir: &std::path::Path, suffix: &str) -> f64 {
    fn walk(dir: &std::path::Path, suffix: &str, total: &mut u64) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                walk(&path, suffix, total);
            } else if path.to_string_lossy().ends_with(suffix) {
                *total += e.metadata().map(|m| m.len()).unwrap_or(0);
            }
        }
    }
    let mut total = 0;
    walk(dir, suffix, &mut total);
    total as f64 / 1e6
}

/// The 1-minute load average (noise note for every figure).
pub fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}
