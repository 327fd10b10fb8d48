//! The pure `pending → sent → applied | refused | failed` machine of one operation
//! ([`OpState`]), fed by acks, applied results and clock ticks ([`OpInput`]), with a
//! [`RetryPolicy`].

use serde::{Deserialize, Serialize};
use tumbler_proto::{Ack, Applied, CommandId, CommandResult, ErrorCode, Outcome, Verdict};

/// Retry and timeout policy (seconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Sends before giving up (≥ 1).
    pub max_attempts: u32,
    /// Time to wait for the `Ack` after a send.
    pub ack_timeout_s: u64,
    /// Time to wait for `Applied` after a send once accepted.
    pub apply_timeout_s: u64,
    /// Delay before the first retry; doubles per attempt.
    pub backoff_base_s: u64,
    /// Longest delay between retries.
    pub backoff_max_s: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            ack_timeout_s: 10,
            apply_timeout_s: 60,
            backoff_base_s: 5,
            backoff_max_s: 300,
        }
    }
}

impl RetryPolicy {
    /// Delay before the retry that follows `attempts` sends: base · 2^(attempts−1),
    /// capped at `backoff_max_s`.
    pub fn backoff(&self, attempts: u32) -> u64 {
        let shift = attempts.saturating_sub(1).min(32);
        self.backoff_base_s
            .saturating_mul(1u64 << shift)
            .min(self.backoff_max_s)
    }
}

/// Why an operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum FailReason {
    /// The lock accepted it but failed while applying (nothing changed on the lock).
    Lock(ErrorCode),
    /// No answer after the policy's attempts.
    NoAnswer {
        /// Sends made.
        attempts: u32,
    },
    /// Cancelled before it was sent.
    Cancelled,
    /// The lock was reset: the binding it would be sent with is stale.
    BindingStale,
}

/// What happened to an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum OpInput {
    /// The driver published it with this command id (persisted before publishing).
    Dispatched {
        /// The id (the same one on every retry).
        id: CommandId,
    },
    /// The lock's quick answer.
    Ack(Ack),
    /// The lock's applied answer (outcome reduced to ok/failed).
    Applied {
        /// The command id.
        id: CommandId,
        /// `Ok` or the failure code.
        failed: Option<ErrorCode>,
    },
    /// Time passed (feed at [`OpState::deadline`]).
    Tick,
    /// The user cancelled (only a pending operation can be cancelled).
    Cancel,
    /// The lock's binding became stale.
    BindingStale,
}

impl OpInput {
    /// Reduce an `Uplink::Applied` payload to an input; returns the result data too.
    pub fn from_applied(applied: &Applied) -> (OpInput, Option<CommandResult>) {
        match &applied.outcome {
            Outcome::Ok(r) => (
                OpInput::Applied {
                    id: applied.id,
                    failed: None,
                },
                Some(r.clone()),
            ),
            Outcome::Failed(code) => (
                OpInput::Applied {
                    id: applied.id,
                    failed: Some(*code),
                },
                None,
            ),
        }
    }
}

/// The state of one operation: `pending → sent → applied | refused | failed`.
/// Terminal states never change again. Result data (`CommandResult`) travels next to
/// the state (see [`OpInput::from_applied`]), so the state stays small and `Copy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum OpState {
    /// Waiting to be sent (first time or retry).
    Pending {
        /// Sends so far.
        attempts: u32,
        /// Not before this time (backoff).
        not_before: u64,
        /// The command id of earlier sends (reuse it on retry).
        id: Option<CommandId>,
    },
    /// Published, waiting for the ack (`accepted: false`) or the applied result.
    Sent {
        /// Command id.
        id: CommandId,
        /// Sends so far, this one included.
        attempts: u32,
        /// When this send happened.
        sent_at: u64,
        /// Whether the lock acknowledged it with `Accepted`.
        accepted: bool,
    },
    /// Applied by the lock.
    Applied {
        /// Command id.
        id: CommandId,
    },
    /// Refused by the lock (nothing changed there).
    Refused {
        /// Command id.
        id: CommandId,
        /// Why.
        code: ErrorCode,
    },
    /// Failed.
    Failed {
        /// Why.
        reason: FailReason,
    },
}

impl OpState {
    /// A new operation, sendable from `now`.
    pub fn new(now: u64) -> Self {
        OpState::Pending {
            attempts: 0,
            not_before: now,
            id: None,
        }
    }

    /// Stable lower-case name for APIs: pending, sent, applied, refused, failed.
    pub fn name(&self) -> &'static str {
        match self {
            OpState::Pending { .. } => "pending",
            OpState::Sent { .. } => "sent",
            OpState::Applied { .. } => "applied",
            OpState::Refused { .. } => "refused",
            OpState::Failed { .. } => "failed",
        }
    }

    /// Whether the state is final.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            OpState::Applied { .. } | OpState::Refused { .. } | OpState::Failed { .. }
        )
    }

    /// Sends made so far.
    pub fn attempts(&self) -> u32 {
        match self {
            OpState::Pending { attempts, .. } | OpState::Sent { attempts, .. } => *attempts,
            OpState::Failed {
                reason: FailReason::NoAnswer { attempts },
            } => *attempts,
            _ => 0,
        }
    }

    /// The command id in use, if any.
    pub fn id(&self) -> Option<CommandId> {
        match self {
            OpState::Pending { id, .. } => *id,
            OpState::Sent { id, .. } | OpState::Applied { id } | OpState::Refused { id, .. } => {
                Some(*id)
            }
            OpState::Failed { .. } => None,
        }
    }

    /// When a pending operation may be sent (never earlier than `now`); `None` unless
    /// pending.
    pub fn next_attempt_at(&self, now: u64) -> Option<u64> {
        match self {
            OpState::Pending { not_before, .. } => Some((*not_before).max(now)),
            _ => None,
        }
    }

    /// When a sent operation times out (feed [`OpInput::Tick`] then); `None` unless sent.
    pub fn deadline(&self, policy: &RetryPolicy) -> Option<u64> {
        match self {
            OpState::Sent {
                sent_at, accepted, ..
            } => {
                let wait = if *accepted {
                    policy.apply_timeout_s
                } else {
                    policy.ack_timeout_s
                };
                Some(sent_at.saturating_add(wait))
            }
            _ => None,
        }
    }

    fn retry_or_fail(id: CommandId, attempts: u32, now: u64, policy: &RetryPolicy) -> OpState {
        if attempts >= policy.max_attempts {
            OpState::Failed {
                reason: FailReason::NoAnswer { attempts },
            }
        } else {
            OpState::Pending {
                attempts,
                not_before: now.saturating_add(policy.backoff(attempts)),
                id: Some(id),
            }
        }
    }

    /// The pure transition function. Inputs that do not apply (another command id, a
    /// tick before the deadline, anything after a terminal state) leave the state
    /// unchanged.
    pub fn step(&self, input: &OpInput, now: u64, policy: &RetryPolicy) -> OpState {
        if self.is_terminal() {
            return *self;
        }
        match (*self, *input) {
            (_, OpInput::BindingStale) => OpState::Failed {
                reason: FailReason::BindingStale,
            },
            (OpState::Pending { .. }, OpInput::Cancel) => OpState::Failed {
                reason: FailReason::Cancelled,
            },
            (OpState::Pending { attempts, .. }, OpInput::Dispatched { id }) => {
                if attempts >= policy.max_attempts {
                    OpState::Failed {
                        reason: FailReason::NoAnswer { attempts },
                    }
                } else {
                    OpState::Sent {
                        id,
                        attempts: attempts.saturating_add(1),
                        sent_at: now,
                        accepted: false,
                    }
                }
            }
            (
                OpState::Sent {
                    id,
                    attempts,
                    sent_at,
                    ..
                },
                OpInput::Ack(Ack {
                    id: got,
                    verdict: Verdict::Accepted,
                }),
            ) if got == id => OpState::Sent {
                id,
                attempts,
                sent_at,
                accepted: true,
            },
            (
                OpState::Sent { id, attempts, .. },
                OpInput::Ack(Ack {
                    id: got,
                    verdict: Verdict::Refused(ErrorCode::Busy),
                }),
            ) if got == id => Self::retry_or_fail(id, attempts, now, policy),
            (
                OpState::Sent { id, .. } | OpState::Pending { id: Some(id), .. },
                OpInput::Ack(Ack {
                    id: got,
                    verdict: Verdict::Refused(code),
                }),
            ) if got == id && code != ErrorCode::Busy => OpState::Refused { id, code },
            (
                OpState::Sent { id, .. } | OpState::Pending { id: Some(id), .. },
                OpInput::Applied { id: got, failed },
            ) if got == id => match failed {
                None => OpState::Applied { id },
                Some(code) => OpState::Failed {
                    reason: FailReason::Lock(code),
                },
            },
            (
                OpState::Sent {
                    id,
                    attempts,
                    sent_at,
                    accepted,
                },
                OpInput::Tick,
            ) => {
                let wait = if accepted {
                    policy.apply_timeout_s
                } else {
                    policy.ack_timeout_s
                };
                if now >= sent_at.saturating_add(wait) {
                    Self::retry_or_fail(id, attempts, now, policy)
                } else {
                    *self
                }
            }
            _ => *self,
        }
    }
}
