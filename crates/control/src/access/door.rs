//! The per-door status machine: the delivery state of a person (or a credential)
//! on one door, `pending → setting → set → removing → removed | failed`.

use serde::{Deserialize, Serialize};

/// Delivery state of a person (or a credential) on one door.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DoorState {
    /// Queued, nothing sent yet (e.g. the door is offline).
    Pending,
    /// Sent; not yet confirmed by the lock's digest.
    Setting,
    /// Confirmed on the lock.
    Set,
    /// Removal sent; not yet confirmed.
    Removing,
    /// Confirmed gone.
    Removed,
    /// Refused or failed; retry with a change.
    Failed,
}

/// An event of the per-door status machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DoorEvent {
    /// An operation of the change was sent.
    Dispatched,
    /// The lock's digest confirms the change.
    Confirmed,
    /// An operation was refused or failed.
    Failed,
    /// The owner revoked it.
    RevokeRequested,
    /// The owner changed it (new PIN, schedule) or retries it.
    ChangeRequested,
    /// The lock was factory reset.
    Reset,
}

/// A transition the status machine does not allow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadTransition {
    /// From.
    pub from: DoorState,
    /// On.
    pub event: DoorEvent,
}

impl DoorState {
    /// Every state, in the order of the machine.
    pub const ALL: &'static [DoorState] = &[
        DoorState::Pending,
        DoorState::Setting,
        DoorState::Set,
        DoorState::Removing,
        DoorState::Removed,
        DoorState::Failed,
    ];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            DoorState::Pending => "pending",
            DoorState::Setting => "setting",
            DoorState::Set => "set",
            DoorState::Removing => "removing",
            DoorState::Removed => "removed",
            DoorState::Failed => "failed",
        }
    }

    /// From the stored spelling.
    pub fn parse(s: &str) -> Option<DoorState> {
        Some(match s {
            "pending" => DoorState::Pending,
            "setting" => DoorState::Setting,
            "set" => DoorState::Set,
            "removing" => DoorState::Removing,
            "removed" => DoorState::Removed,
            "failed" => DoorState::Failed,
            _ => return None,
        })
    }

    /// Final until the next change: `set`, `removed`, `failed`.
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            DoorState::Set | DoorState::Removed | DoorState::Failed
        )
    }

    /// Whether the lock may admit the person (conservative: until a
    /// removal is confirmed, they may still get in).
    pub fn grants_access(self) -> bool {
        matches!(
            self,
            DoorState::Setting | DoorState::Set | DoorState::Removing
        )
    }
}

/// The status machine: `pending → setting → set → removing → removed | failed`.
pub fn door_step(state: DoorState, event: &DoorEvent) -> Result<DoorState, BadTransition> {
    use DoorEvent as E;
    use DoorState as S;
    Ok(match (state, event) {
        (_, E::Reset) => S::Removed,
        (S::Pending | S::Setting, E::Dispatched) => S::Setting,
        (S::Setting, E::Confirmed) => S::Set,
        (S::Pending | S::Setting, E::Failed) => S::Failed,
        (S::Set | S::Failed | S::Removed, E::ChangeRequested) => S::Pending,
        (S::Pending | S::Setting | S::Set | S::Failed, E::RevokeRequested) => S::Removing,
        (S::Removing, E::Dispatched) => S::Removing,
        (S::Removing, E::Confirmed) => S::Removed,
        (S::Removing, E::Failed) => S::Failed,
        (from, e) => {
            return Err(BadTransition {
                from,
                event: e.clone(),
            })
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn door_state_machine_table() {
        use DoorEvent as E;
        use DoorState as S;
        let states = [
            S::Pending,
            S::Setting,
            S::Set,
            S::Removing,
            S::Removed,
            S::Failed,
        ];
        let events = [
            E::Dispatched,
            E::Confirmed,
            E::Failed,
            E::RevokeRequested,
            E::ChangeRequested,
            E::Reset,
        ];
        let expect = |s: S, e: &E| -> Option<S> {
            Some(match (s, e) {
                (_, E::Reset) => S::Removed,
                (S::Pending, E::Dispatched) | (S::Setting, E::Dispatched) => S::Setting,
                (S::Setting, E::Confirmed) => S::Set,
                (S::Pending, E::Failed) | (S::Setting, E::Failed) | (S::Removing, E::Failed) => {
                    S::Failed
                }
                (S::Set, E::ChangeRequested)
                | (S::Failed, E::ChangeRequested)
                | (S::Removed, E::ChangeRequested) => S::Pending,
                (S::Pending | S::Setting | S::Set | S::Failed, E::RevokeRequested) => S::Removing,
                (S::Removing, E::Dispatched) => S::Removing,
                (S::Removing, E::Confirmed) => S::Removed,
                _ => return None,
            })
        };
        for s in states {
            assert_eq!(DoorState::parse(s.as_str()), Some(s));
            for e in &events {
                assert_eq!(door_step(s, e).ok(), expect(s, e), "{s:?} on {e:?}");
            }
        }
    }
}
