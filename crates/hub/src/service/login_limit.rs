//! Login limits, pure: a bounded table of recent login attempts per key (an
//! account's e-mail, a client address) with exponential backoff. Time is a
//! parameter; the service owns one table behind a mutex.
//!
//! An attempt is counted *before* the password is checked
//! ([`LoginLimits::attempt`]), so a burst of concurrent guesses cannot all
//! slip in before the first failure is recorded; a success takes its count
//! back ([`LoginLimits::succeeded`]).

use std::collections::HashMap;
use std::net::IpAddr;

/// The limits. Defaults: 5 failures per account and 20 per client address
/// are free; then each failure doubles the wait, from 1 s up to 15 min.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitConfig {
    /// Failed attempts on one account before it waits.
    pub account_free: u32,
    /// Failed attempts from one client address (any accounts) before it waits.
    pub address_free: u32,
    /// The first wait, in ms; each further failure doubles it.
    pub base_ms: i64,
    /// The longest wait, in ms.
    pub max_ms: i64,
    /// Failures older than this (since the key's last attempt) are forgotten.
    pub forget_ms: i64,
    /// Keys remembered at most; the least recently tried goes first.
    pub capacity: usize,
}

impl Default for LimitConfig {
    fn default() -> Self {
        Self {
            account_free: 5,
            address_free: 20,
            base_ms: 1_000,
            max_ms: 15 * 60 * 1_000,
            forget_ms: 60 * 60 * 1_000,
            capacity: 10_000,
        }
    }
}

/// What an attempt is counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// A login e-mail, normalised (known or not: the answer must not tell).
    Account(String),
    /// A client address; IPv6 by its /64 (one host usually has a whole /64).
    Address(IpAddr),
}

impl Key {
    /// The key for a client address.
    pub fn address(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(_) => Key::Address(ip),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Key::Address(IpAddr::V4(v4)),
                None => {
                    let [a, b, c, d, ..] = v6.segments();
                    let prefix = [a, b, c, d, 0, 0, 0, 0];
                    Key::Address(IpAddr::V6(prefix.into()))
                }
            },
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Attempts counted and not taken back.
    failures: u32,
    /// When the key was last tried.
    last_ms: i64,
    /// No attempt before this instant.
    blocked_until_ms: i64,
}

/// The table.
#[derive(Debug)]
pub struct LoginLimits {
    config: LimitConfig,
    entries: HashMap<Key, Entry>,
}

impl LoginLimits {
    /// An empty table.
    pub fn new(config: LimitConfig) -> Self {
        Self {
            config,
            entries: HashMap::new(),
        }
    }

    /// The limits in force.
    pub fn config(&self) -> LimitConfig {
        self.config
    }

    /// Number of keys remembered.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn free(&self, key: &Key) -> u32 {
        match key {
            Key::Account(_) => self.config.account_free,
            Key::Address(_) => self.config.address_free,
        }
    }

    /// The wait after `failures` failures on a key allowed `free` of them.
    fn wait_ms(&self, failures: u32, free: u32) -> i64 {
        if failures < free {
            return 0;
        }
        let doublings = (failures - free).min(30);
        self.config
            .base_ms
            .saturating_mul(1_i64 << doublings)
            .min(self.config.max_ms)
    }

    /// How long `key` must still wait at `now_ms` (0: may try).
    fn blocked_for(&self, key: &Key, now_ms: i64) -> i64 {
        self.entries
            .get(key)
            .map_or(0, |e| e.blocked_until_ms.saturating_sub(now_ms).max(0))
    }

    /// Asks to try a password on every key. If one must still wait: `Err`
    /// with the longest wait in ms, and nothing is counted (no password may
    /// be checked). Otherwise the attempt is counted as a failure on each
    /// key until [`LoginLimits::succeeded`] or [`LoginLimits::cancel`].
    pub fn attempt(&mut self, keys: &[Key], now_ms: i64) -> Result<(), i64> {
        let wait = keys
            .iter()
            .map(|k| self.blocked_for(k, now_ms))
            .max()
            .unwrap_or(0);
        if wait > 0 {
            return Err(wait);
        }
        for key in keys {
            self.count(key, now_ms);
        }
        Ok(())
    }

    fn count(&mut self, key: &Key, now_ms: i64) {
        if !self.entries.contains_key(key) {
            self.make_room(now_ms);
        }
        let forget_ms = self.config.forget_ms;
        let free = self.free(key);
        let entry = self.entries.entry(key.clone()).or_insert(Entry {
            failures: 0,
            last_ms: now_ms,
            blocked_until_ms: 0,
        });
        if now_ms.saturating_sub(entry.last_ms) >= forget_ms {
            entry.failures = 0;
        }
        entry.failures = entry.failures.saturating_add(1);
        entry.last_ms = now_ms;
        let failures = entry.failures;
        let wait = self.wait_ms(failures, free);
        if let Some(entry) = self.entries.get_mut(key) {
            if wait > 0 {
                entry.blocked_until_ms = now_ms.saturating_add(wait);
            }
        }
    }

    /// Takes back one counted attempt on each key (the password was not
    /// checked after all, or it was right).
    pub fn cancel(&mut self, keys: &[Key]) {
        for key in keys {
            let free = self.free(key);
            if let Some(e) = self.entries.get_mut(key) {
                e.failures = e.failures.saturating_sub(1);
                if e.failures < free {
                    e.blocked_until_ms = 0;
                }
            }
        }
    }

    /// The password was right: the account starts afresh, and the other keys
    /// (the address) take back this attempt.
    pub fn succeeded(&mut self, account: &Key, others: &[Key]) {
        self.entries.remove(account);
        self.cancel(others);
    }

    /// Keeps the table within its capacity: forgets stale keys, then the
    /// least recently tried ones.
    fn make_room(&mut self, now_ms: i64) {
        if self.entries.len() < self.config.capacity.max(1) {
            return;
        }
        let forget_ms = self.config.forget_ms;
        self.entries.retain(|_, e| {
            now_ms.saturating_sub(e.last_ms) < forget_ms || e.blocked_until_ms > now_ms
        });
        while self.entries.len() >= self.config.capacity.max(1) {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.last_ms)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => {
                    self.entries.remove(&k);
                }
                None => break,
            }
        }
    }
}

/// Whole seconds to tell a client in `Retry-After` for a wait in ms (at least 1).
pub fn retry_after_secs(wait_ms: i64) -> u64 {
    u64::try_from(wait_ms.max(1).saturating_add(999) / 1000).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acct(s: &str) -> Key {
        Key::Account(s.to_owned())
    }

    fn ip(s: &str) -> Key {
        Key::address(s.parse().unwrap())
    }

    fn small() -> LimitConfig {
        LimitConfig {
            account_free: 3,
            address_free: 5,
            base_ms: 1_000,
            max_ms: 8_000,
            forget_ms: 60_000,
            capacity: 4,
        }
    }

    #[test]
    fn failures_then_backoff_doubling_up_to_the_cap() {
        let mut l = LoginLimits::new(small());
        let k = [acct("a@x")];
        for _ in 0..3 {
            assert_eq!(l.attempt(&k, 0), Ok(()));
        }
        // Three failures: a wait of 1 s, during which nothing is counted.
        assert_eq!(l.attempt(&k, 0), Err(1_000));
        assert_eq!(l.attempt(&k, 999), Err(1));
        assert_eq!(l.attempt(&k, 1_000), Ok(()));
        assert_eq!(l.attempt(&k, 1_000), Err(2_000));
        assert_eq!(l.attempt(&k, 3_000), Ok(()));
        assert_eq!(l.attempt(&k, 3_000), Err(4_000));
        assert_eq!(l.attempt(&k, 7_000), Ok(()));
        assert_eq!(l.attempt(&k, 7_000), Err(8_000));
        assert_eq!(l.attempt(&k, 15_000), Ok(()));
        assert_eq!(l.attempt(&k, 15_000), Err(8_000), "capped");
    }

    #[test]
    fn success_resets_the_account_and_takes_back_the_address_count() {
        let mut l = LoginLimits::new(small());
        let k = [acct("a@x"), ip("10.0.0.1")];
        for _ in 0..2 {
            l.attempt(&k, 0).unwrap();
        }
        l.attempt(&k, 0).unwrap();
        l.succeeded(&k[0], &k[1..]);
        // The account starts afresh; the address keeps its two failures.
        for _ in 0..3 {
            l.attempt(&[acct("a@x")], 0).unwrap();
        }
        l.attempt(&[ip("10.0.0.1")], 0).unwrap();
        l.attempt(&[ip("10.0.0.1")], 0).unwrap();
        assert_eq!(l.attempt(&[ip("10.0.0.1")], 0), Ok(()));
        assert_eq!(l.attempt(&[ip("10.0.0.1")], 0), Err(1_000));
    }

    #[test]
    fn an_address_is_limited_across_accounts() {
        let mut l = LoginLimits::new(LimitConfig {
            capacity: 100,
            ..small()
        });
        for i in 0..5 {
            l.attempt(&[acct(&format!("u{i}@x")), ip("10.0.0.9")], 0)
                .unwrap();
        }
        assert_eq!(l.attempt(&[acct("fresh@x"), ip("10.0.0.9")], 0), Err(1_000));
        // Another address may still try that account.
        assert_eq!(l.attempt(&[acct("fresh@x"), ip("10.0.0.10")], 0), Ok(()));
        // IPv6 hosts are counted by /64.
        for i in 0..5 {
            l.attempt(&[ip(&format!("2001:db8:1:2::{i}"))], 0).unwrap();
        }
        assert_eq!(l.attempt(&[ip("2001:db8:1:2::ffff")], 0), Err(1_000));
    }

    #[test]
    fn cancel_takes_back_an_attempt_that_checked_nothing() {
        let mut l = LoginLimits::new(small());
        let k = [acct("a@x")];
        for _ in 0..10 {
            l.attempt(&k, 0).unwrap();
            l.cancel(&k);
        }
        assert_eq!(l.attempt(&k, 0), Ok(()));
    }

    #[test]
    fn old_failures_are_forgotten() {
        let mut l = LoginLimits::new(small());
        let k = [acct("a@x")];
        for _ in 0..2 {
            l.attempt(&k, 0).unwrap();
        }
        for _ in 0..2 {
            l.attempt(&k, 60_000).unwrap();
        }
        assert_eq!(l.attempt(&k, 60_000), Ok(()), "2 + 1 after forgetting");
        assert_eq!(l.attempt(&k, 60_000), Err(1_000));
    }

    #[test]
    fn the_table_is_bounded_and_evicts_the_least_recent() {
        let mut l = LoginLimits::new(small());
        for i in 0..4 {
            l.attempt(&[acct(&format!("u{i}@x"))], i).unwrap();
        }
        assert_eq!(l.len(), 4);
        for i in 4..1_000 {
            l.attempt(&[acct(&format!("u{i}@x"))], i).unwrap();
            assert!(l.len() <= 4);
        }
        // The most recent ones are still counted.
        l.attempt(&[acct("u999@x")], 1_000).unwrap();
        l.attempt(&[acct("u999@x")], 1_000).unwrap();
        assert_eq!(l.attempt(&[acct("u999@x")], 1_000), Err(1_000));
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(1), 1);
        assert_eq!(retry_after_secs(1_000), 1);
        assert_eq!(retry_after_secs(1_001), 2);
        assert_eq!(retry_after_secs(0), 1);
    }
}
