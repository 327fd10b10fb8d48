//! The operation model shared by the hub and the CLI: [`OpKind`] (what to do to a
//! lock, storable as JSON or postcard) → proto `Command`; [`OpState`], the pure
//! `pending → sent → applied | refused | failed` machine fed by acks, applied results
//! and clock ticks, with a [`RetryPolicy`]; and what a factory reset erases, for the
//! confirmation prompt.
//!
//! Driving one operation (hub job loop):
//! 1. create it `OpState::new(now)`; when the lock is online and
//!    `next_attempt_at(now) <= now`: seal (`Binding::seal_command` the first time,
//!    `Binding::reseal` with the same id on retries, so the lock deduplicates), persist
//!    binding + `step(Dispatched { id })`, then publish;
//! 2. feed every `Uplink::Ack` / `Uplink::Applied` with a matching id, and a `Tick`
//!    at `deadline(policy)`; on `Uplink::ResetDetected` feed `BindingStale`.

use core::fmt;

use serde::{Deserialize, Serialize};
use tumbler_proto::{
    Ack, Applied, Command, CommandId, CommandResult, ControllerId, Credential, CredentialSlot,
    ErrorCode, HolidaySchedule, Name, OperatingMode, Outcome, Pin, PublicKeyBytes, ResetToken,
    Role, Settings, TimeRule, UserIndex, UserRecord, Verdict, WeekDaySchedule, YearDaySchedule,
};
use zeroize::Zeroize;

/// A PIN typed by a person, kept only until delivered. Redacted `Debug`, zeroized on
/// drop; serialises as a plain string (the hub's store must treat it as secret).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretPin(String);

impl SecretPin {
    /// Wrap a PIN.
    pub fn new(pin: impl Into<String>) -> Self {
        SecretPin(pin.into())
    }

    /// The PIN (do not log).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretPin(<redacted>)")
    }
}

impl Drop for SecretPin {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// An operation on one lock, as the hub queues it and the CLI names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OpKind {
    /// Lock the door.
    Lock {
        /// PIN when the lock requires one for remote operation.
        pin: Option<SecretPin>,
    },
    /// Unlock the door.
    Unlock {
        /// PIN when the lock requires one for remote operation.
        pin: Option<SecretPin>,
    },
    /// Unlock, relock after `timeout_s`.
    UnlockWithTimeout {
        /// Seconds before relocking.
        timeout_s: u16,
        /// PIN when required.
        pin: Option<SecretPin>,
    },
    /// Soft reset: restart, keep everything.
    Reboot,
    /// Factory reset from this (admin) controller. Destructive: see [`FACTORY_RESET_ERASES`].
    FactoryReset,
    /// Ask for a factory-signed self-check bound to `challenge` (fresh random bytes).
    SelfCheck {
        /// Random challenge (from the hub's RNG).
        challenge: [u8; 16],
    },
    /// Ask the lock for a nonce to bind a manufacturer reset token to.
    IssueResetNonce,
    /// Factory reset authorised by the manufacturer (see [`crate::issue_reset_token`]).
    ManufacturerReset {
        /// The signed token.
        token: ResetToken,
    },
    /// Read a user slot.
    GetUser {
        /// Slot.
        index: UserIndex,
    },
    /// Create or replace a user.
    SetUser {
        /// The user.
        user: UserRecord,
    },
    /// Remove one user (or all: `None`) with their credentials and schedules.
    ClearUser {
        /// Slot, or every user.
        index: Option<UserIndex>,
    },
    /// Create or replace a credential.
    SetCredential {
        /// Where.
        slot: CredentialSlot,
        /// Owner.
        user: UserIndex,
        /// Data (a PIN in here is secret).
        credential: Credential,
    },
    /// Remove a credential.
    ClearCredential {
        /// Which.
        slot: CredentialSlot,
    },
    /// Set a week-day schedule.
    SetWeekDaySchedule {
        /// Owner.
        user: UserIndex,
        /// Schedule slot.
        slot: u8,
        /// Window.
        schedule: WeekDaySchedule,
    },
    /// Clear a week-day schedule.
    ClearWeekDaySchedule {
        /// Owner.
        user: UserIndex,
        /// Schedule slot.
        slot: u8,
    },
    /// Set a year-day schedule.
    SetYearDaySchedule {
        /// Owner.
        user: UserIndex,
        /// Schedule slot.
        slot: u8,
        /// Window.
        schedule: YearDaySchedule,
    },
    /// Clear a year-day schedule.
    ClearYearDaySchedule {
        /// Owner.
        user: UserIndex,
        /// Schedule slot.
        slot: u8,
    },
    /// Set a holiday schedule.
    SetHolidaySchedule {
        /// Slot.
        slot: u8,
        /// Window and mode.
        schedule: HolidaySchedule,
    },
    /// Clear a holiday schedule.
    ClearHolidaySchedule {
        /// Slot.
        slot: u8,
    },
    /// Read the settings.
    GetSettings,
    /// Replace the settings.
    SetSettings {
        /// New settings.
        settings: Settings,
    },
    /// Change the operating mode.
    SetOperatingMode {
        /// New mode.
        mode: OperatingMode,
    },
    /// Set the clock and time-zone rule (see [`crate::time_rule_for`]). The clock value
    /// is the `now` given to [`OpKind::to_command`] at sealing time, not when queued
    /// (an operation queued for an offline lock may leave hours later).
    SetTime {
        /// The site's rule.
        rule: TimeRule,
    },
    /// Pair another controller (a phone).
    PairController {
        /// Its X25519 public key.
        public_key: PublicKeyBytes,
        /// Its role.
        role: Role,
        /// Label (≤ 32 bytes).
        label: String,
    },
    /// Remove a controller.
    UnpairController {
        /// Which.
        controller: ControllerId,
    },
    /// Ask for audit records from `from_seq`.
    LogFetch {
        /// First wanted.
        from_seq: u64,
    },
    /// Acknowledge stored audit records.
    LogAck {
        /// Highest stored.
        up_to_seq: u64,
    },
    /// Ask for a status now.
    GetStatus,
    /// Ask for the capabilities.
    GetCapabilities,
    /// Ask for slot digests from a user slot.
    GetSlotDigests {
        /// First slot.
        from_user: UserIndex,
    },
}

/// Why an [`OpKind`] cannot become a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("{self:?}")]
pub enum OpError {
    /// The PIN is longer than the wire allows (16 bytes).
    PinTooLong,
    /// The label is longer than 32 bytes.
    LabelTooLong,
}

fn pin(p: &Option<SecretPin>) -> Result<Option<Pin>, OpError> {
    p.as_ref()
        .map(|p| Pin::new(p.expose().as_bytes()).ok_or(OpError::PinTooLong))
        .transpose()
}

impl OpKind {
    /// The proto command, built when it is sealed: `now` (hub clock, Unix seconds) is
    /// what `SetTime` sets the lock's clock to. Range checks (slots, PIN rules) are the
    /// lock's job; here only what the wire cannot carry is refused.
    pub fn to_command(&self, now: u64) -> Result<Command, OpError> {
        Ok(match self {
            OpKind::Lock { pin: p } => Command::Lock { pin: pin(p)? },
            OpKind::Unlock { pin: p } => Command::Unlock { pin: pin(p)? },
            OpKind::UnlockWithTimeout { timeout_s, pin: p } => Command::UnlockWithTimeout {
                timeout_s: *timeout_s,
                pin: pin(p)?,
            },
            OpKind::Reboot => Command::Reboot,
            OpKind::FactoryReset => Command::FactoryReset,
            OpKind::SelfCheck { challenge } => Command::RequestSelfCheck {
                challenge: *challenge,
            },
            OpKind::IssueResetNonce => Command::IssueResetNonce,
            OpKind::ManufacturerReset { token } => Command::ManufacturerReset(token.clone()),
            OpKind::GetUser { index } => Command::GetUser { index: *index },
            OpKind::SetUser { user } => Command::SetUser(user.clone()),
            OpKind::ClearUser { index } => Command::ClearUser { index: *index },
            OpKind::SetCredential {
                slot,
                user,
                credential,
            } => Command::SetCredential {
                slot: *slot,
                user: *user,
                credential: credential.clone(),
            },
            OpKind::ClearCredential { slot } => Command::ClearCredential { slot: *slot },
            OpKind::SetWeekDaySchedule {
                user,
                slot,
                schedule,
            } => Command::SetWeekDaySchedule {
                user: *user,
                slot: *slot,
                schedule: *schedule,
            },
            OpKind::ClearWeekDaySchedule { user, slot } => Command::ClearWeekDaySchedule {
                user: *user,
                slot: *slot,
            },
            OpKind::SetYearDaySchedule {
                user,
                slot,
                schedule,
            } => Command::SetYearDaySchedule {
                user: *user,
                slot: *slot,
                schedule: *schedule,
            },
            OpKind::ClearYearDaySchedule { user, slot } => Command::ClearYearDaySchedule {
                user: *user,
                slot: *slot,
            },
            OpKind::SetHolidaySchedule { slot, schedule } => Command::SetHolidaySchedule {
                slot: *slot,
                schedule: *schedule,
            },
            OpKind::ClearHolidaySchedule { slot } => Command::ClearHolidaySchedule { slot: *slot },
            OpKind::GetSettings => Command::GetSettings,
            OpKind::SetSettings { settings } => Command::SetSettings(*settings),
            OpKind::SetOperatingMode { mode } => Command::SetOperatingMode(*mode),
            OpKind::SetTime { rule } => Command::SetTime { now, rule: *rule },
            OpKind::PairController {
                public_key,
                role,
                label,
            } => Command::PairController {
                public_key: *public_key,
                role: *role,
                label: Name::try_from(label.as_str()).map_err(|_| OpError::LabelTooLong)?,
            },
            OpKind::UnpairController { controller } => Command::UnpairController {
                controller: *controller,
            },
            OpKind::LogFetch { from_seq } => Command::LogFetch {
                from_seq: *from_seq,
            },
            OpKind::LogAck { up_to_seq } => Command::LogAck {
                up_to_seq: *up_to_seq,
            },
            OpKind::GetStatus => Command::GetStatus,
            OpKind::GetCapabilities => Command::GetCapabilities,
            OpKind::GetSlotDigests { from_user } => Command::GetSlotDigests {
                from_user: *from_user,
            },
        })
    }

    /// Whether the hub must ask for confirmation (naming what is erased) first.
    pub fn is_destructive(&self) -> bool {
        matches!(
            self,
            OpKind::FactoryReset
                | OpKind::ManufacturerReset { .. }
                | OpKind::ClearUser { index: None }
                | OpKind::UnpairController { .. }
        )
    }

    /// Whether the operation carries a secret (PIN) the store must protect and drop
    /// once the operation is terminal.
    pub fn carries_secret(&self) -> bool {
        match self {
            OpKind::Lock { pin }
            | OpKind::Unlock { pin }
            | OpKind::UnlockWithTimeout { pin, .. } => pin.is_some(),
            OpKind::SetCredential { credential, .. } => matches!(credential, Credential::Pin(_)),
            _ => false,
        }
    }
}

/// What a factory reset erases (for the confirmation prompt).
pub const FACTORY_RESET_ERASES: &[&str] = &[
    "users",
    "credentials (PINs, cards, fingerprints, app keys)",
    "schedules (week-day, year-day, holiday)",
    "paired controllers (this hub and every phone) and the operational keys",
    "settings",
    "audit log (sealed first into a signed reset record)",
];

/// What a factory reset keeps.
pub const FACTORY_RESET_KEEPS: &[&str] = &[
    "factory identity (serial, factory key, setup code, manufacturer key)",
    "reset counter (incremented)",
    "the signed reset record",
];

/// One sentence for the hub's and CLI's confirmation prompt.
pub fn factory_reset_summary() -> String {
    format!(
        "A factory reset erases {}; it keeps {}. The hub's binding becomes stale: the \
         lock must be claimed again with its setup code.",
        FACTORY_RESET_ERASES.join(", "),
        FACTORY_RESET_KEEPS.join(", ")
    )
}

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
