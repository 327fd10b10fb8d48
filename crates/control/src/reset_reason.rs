//! [`ResetReason`]: the evidence on which a binding was marked stale after a
//! (probable) factory reset, and how strong it is. Shared by the binding,
//! which records it, and the uplink interpreter, which detects it.

use serde::{Deserialize, Serialize};

/// Why the binding is (now) stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ResetReason {
    /// An envelope from the lock is bound to another operational key: the lock was
    /// factory reset (and possibly re-claimed by someone else). Unauthenticated.
    LockKeyChanged {
        /// Key id in the envelope header.
        new_key_id: [u8; 4],
    },
    /// The lock announced a local factory reset (`Up::ResetNotice`).
    ResetNotice {
        /// Reset counter after that reset.
        reset_counter: u32,
    },
    /// A factory-signed reset record newer than the baseline.
    ResetRecord {
        /// Reset counter after that reset.
        reset_counter: u32,
    },
    /// An authenticated status reports a higher reset counter than the baseline.
    ResetCounterAdvanced {
        /// Baseline.
        from: u32,
        /// Reported.
        to: u32,
    },
    /// The lock's factory-signed statement (at boot, on connect or answering a
    /// challenge) shows a reset: a reset counter above the baseline, or — answering a
    /// fresh challenge — setup mode or another operational key.
    Statement {
        /// Reset counter stated.
        reset_counter: u32,
        /// Whether the lock said it is in setup mode.
        setup_mode: bool,
    },
}

impl ResetReason {
    /// Whether the evidence is cryptographically authenticated (everything except
    /// [`ResetReason::LockKeyChanged`]).
    pub fn authenticated(&self) -> bool {
        !matches!(self, ResetReason::LockKeyChanged { .. })
    }
}
