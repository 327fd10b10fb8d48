//! Liveness probes for quiet locks. A lock the broker shows connected but
//! that has said nothing for a while is asked, in clear, to state its reset
//! state (the same challenge as [`super::statement`]); a lock that answers
//! within the answer window is alive, one that does not (frozen firmware)
//! becomes `unresponsive` with a `lock_unresponsive` alert, exactly as when
//! an operation goes unanswered. So a frozen lock is found even when the hub
//! has nothing to send it.
//!
//! Probes live in this process's memory (like the challenges): after a
//! restart the hub simply probes again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{LockPlane, PlaneError};

/// Per lock: when a probe was sent and is still unanswered, and when the
/// lock last answered one.
#[derive(Clone, Default, Debug)]
pub struct Probes(Arc<Mutex<HashMap<i64, Probe>>>);

#[derive(Clone, Copy, Default, Debug)]
struct Probe {
    sent_at: Option<i64>,
    answered_at: Option<i64>,
    /// Presence messages (`status` topic) received (this process).
    presence: u64,
}

impl Probes {
    /// The lock `lock_id` sent an authenticated frame at `now`: any probe is
    /// answered.
    pub fn heard(&self, lock_id: i64, now: i64) {
        if let Ok(mut m) = self.0.lock() {
            let p = m.entry(lock_id).or_default();
            p.sent_at = None;
            p.answered_at = Some(now);
        }
    }

    /// A presence message about lock `lock_id` arrived: returns its number
    /// (a later [`Probes::presence_count`] that differs means a newer one came).
    pub fn presence_message(&self, lock_id: i64) -> u64 {
        self.0
            .lock()
            .map(|mut m| {
                let p = m.entry(lock_id).or_default();
                p.presence = p.presence.wrapping_add(1);
                p.presence
            })
            .unwrap_or_default()
    }

    /// The number of the latest presence message about lock `lock_id`.
    pub fn presence_count(&self, lock_id: i64) -> u64 {
        self.get(lock_id).presence
    }

    fn get(&self, lock_id: i64) -> Probe {
        self.0
            .lock()
            .ok()
            .and_then(|m| m.get(&lock_id).copied())
            .unwrap_or_default()
    }

    fn sent(&self, lock_id: i64, now: i64) {
        if let Ok(mut m) = self.0.lock() {
            m.entry(lock_id).or_default().sent_at = Some(now);
        }
    }

    fn unanswered(&self, answer_before: i64) -> Vec<(i64, i64)> {
        self.0
            .lock()
            .map(|m| {
                m.iter()
                    .filter_map(|(id, p)| {
                        p.sent_at.filter(|t| *t < answer_before).map(|t| (*id, t))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn forget_sent(&self, lock_id: i64) {
        if let Ok(mut m) = self.0.lock() {
            if let Some(p) = m.get_mut(&lock_id) {
                p.sent_at = None;
            }
        }
    }
}

impl LockPlane {
    /// One probe pass at `now`: probes unanswered for `answer_ms` make their
    /// lock `unresponsive`; connected locks quiet for `quiet_ms` (no status,
    /// no answer) are probed. Returns how many locks were probed.
    pub async fn probe_quiet(
        &self,
        now: i64,
        quiet_ms: i64,
        answer_ms: i64,
    ) -> Result<usize, PlaneError> {
        for (lock_id, sent_at) in self.probes.unanswered(now.saturating_sub(answer_ms)) {
            self.probes.forget_sent(lock_id);
            self.lock_unanswered(lock_id, sent_at).await?;
        }
        let quiet_before = now.saturating_sub(quiet_ms);
        let mut probed = 0;
        for (lock_id, serial, last_seen) in self.store.quiet_locks(quiet_before).await? {
            if !self.leases.holds(lock_id) {
                continue;
            }
            let p = self.probes.get(lock_id);
            let heard = last_seen.max(p.answered_at);
            if p.sent_at.is_some() || heard.is_some_and(|t| t >= quiet_before) {
                continue;
            }
            self.probes.sent(lock_id, now);
            self.challenge_quietly(&serial).await;
            probed += 1;
        }
        Ok(probed)
    }
}
