//! Planning: the lock operations that put a person on a door or take them off,
//! and delivery confirmation by the lock's slot digest.

use tumbler_proto::{
    Credential, CredentialRule, CredentialSlot, Name, SlotDigest, UserIndex, UserRecord, UserStatus,
};

use super::{CompiledSchedule, LOCK_NAME_LEN, WEEK_DAY_SLOTS, YEAR_DAY_SLOTS};
use crate::ops::OpKind;

fn lock_name(name: &str) -> Name {
    let mut out = Name::new();
    for c in name.chars() {
        if out.len() + c.len_utf8() > LOCK_NAME_LEN || out.push(c).is_err() {
            break;
        }
    }
    out
}

/// The operations that set a user and their schedules: `SetUser`, a
/// `Set…Schedule` per window, then — unless the slot is `fresh` (a new user
/// starts without schedules) — a `Clear…Schedule` for every unused schedule
/// slot, so a changed schedule leaves nothing behind.
pub fn plan_user(
    slot: UserIndex,
    name: &str,
    schedule: &CompiledSchedule,
    fresh: bool,
) -> Vec<OpKind> {
    let mut ops = vec![OpKind::SetUser {
        user: UserRecord {
            index: slot,
            name: lock_name(name),
            status: UserStatus::Enabled,
            user_type: schedule.user_type,
            credential_rule: CredentialRule::Single,
            created_by: None,
            modified_by: None,
        },
    }];
    // Schedule slots are 0-based on the lock.
    for s in 0..WEEK_DAY_SLOTS {
        match schedule.week_days.get(usize::from(s)) {
            Some(w) => ops.push(OpKind::SetWeekDaySchedule {
                user: slot,
                slot: s,
                schedule: *w,
            }),
            None if !fresh => ops.push(OpKind::ClearWeekDaySchedule {
                user: slot,
                slot: s,
            }),
            None => {}
        }
    }
    for s in 0..YEAR_DAY_SLOTS {
        match schedule.year_days.get(usize::from(s)) {
            Some(y) => ops.push(OpKind::SetYearDaySchedule {
                user: slot,
                slot: s,
                schedule: *y,
            }),
            None if !fresh => ops.push(OpKind::ClearYearDaySchedule {
                user: slot,
                slot: s,
            }),
            None => {}
        }
    }
    ops
}

/// Sets a credential of a user.
pub fn plan_credential(slot: CredentialSlot, user: UserIndex, credential: Credential) -> OpKind {
    OpKind::SetCredential {
        slot,
        user,
        credential,
    }
}

/// Removes a user with their credentials and schedules.
pub fn plan_revoke(slot: UserIndex) -> OpKind {
    OpKind::ClearUser { index: Some(slot) }
}

/// Reads the slot digests from `slot` on (confirms a change).
pub fn plan_digest_read(slot: UserIndex) -> OpKind {
    OpKind::GetSlotDigests { from_user: slot }
}

/// The digest of `slot` in a page of slot digests, if the page covers it.
pub fn slot_digest(page: &[SlotDigest], slot: UserIndex) -> Option<[u8; 32]> {
    page.iter().find(|d| d.user == slot).map(|d| d.digest)
}

/// A set is confirmed when the slot's digest is non-zero and differs from
/// the digest recorded before the change (`None`: the slot was empty).
pub fn confirm_set(before: Option<[u8; 32]>, after: [u8; 32]) -> bool {
    after != [0; 32] && Some(after) != before
}

/// A removal is confirmed when the slot's digest is all zero.
pub fn confirm_removed(after: [u8; 32]) -> bool {
    after == [0; 32]
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::access::AccessSchedule;
    use tumbler_proto::UserType;

    #[test]
    fn plan_clears_unused_schedule_slots() {
        let c = AccessSchedule::Permanent.compile("UTC", 0).unwrap();
        assert_eq!(
            plan_user(3, "New", &c, true).len(),
            1,
            "a fresh slot: only SetUser"
        );
        let ops = plan_user(3, "A very long name indeed", &c, false);
        assert_eq!(ops.len(), 5);
        match &ops[0] {
            OpKind::SetUser { user } => {
                assert_eq!(user.index, 3);
                assert!(user.name.len() <= LOCK_NAME_LEN);
                assert_eq!(user.user_type, UserType::Unrestricted);
            }
            other => panic!("{other:?}"),
        }
        assert!(ops[1..].iter().all(|o| matches!(
            o,
            OpKind::ClearWeekDaySchedule { .. } | OpKind::ClearYearDaySchedule { .. }
        )));
        assert!(confirm_set(None, [1; 32]));
        assert!(!confirm_set(Some([1; 32]), [1; 32]));
        assert!(!confirm_set(None, [0; 32]));
        assert!(confirm_removed([0; 32]));
    }
}
