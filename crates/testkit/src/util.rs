//! Generic helpers every suite needs: names no other test (or process on a
//! shared broker or database) uses, and polling until something holds.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A fresh name: `prefix-` and 8 random hex digits, then a per-process
/// counter, so tests sharing one Mosquitto (other runs, other processes)
/// never see each other's retained messages.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let mut raw = [0u8; 4];
    getrandom::fill(&mut raw).unwrap();
    format!("{prefix}-{:08x}{n}", u32::from_le_bytes(raw))
}

/// Polls until `check` holds (every 50 ms, at most a minute); a generous
/// bound so a broken system fails instead of hanging (not a speed test).
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..1200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: never became true");
}
