//! The audit log: sequence numbers, hash chain, ack, overflow counting.

use crate::harness::*;
use tumbler_lock::*;

#[test]
fn records_are_sequenced_and_chained() {
    let mut r = Rig::claimed();
    r.add_pin_user(1, UserType::Unrestricted, "9713");
    r.type_keys("9713");
    r.type_keys("0001");
    let recs: Vec<AuditRecord> = r
        .log
        .iter()
        .map(|b| AuditRecord::decode(b).unwrap())
        .collect();
    assert!(recs.len() >= 5);
    for w in recs.windows(2) {
        assert_eq!(w[1].seq, w[0].seq + 1);
        assert_eq!(w[1].prev, w[0].hash());
    }
    let last = recs.last().unwrap();
    assert_eq!(last.what, What::Unlock);
    assert_eq!(last.how, Source::Keypad);
    assert!(matches!(last.result, AuditResult::Denied(_)));
    let granted = &recs[recs.len() - 2];
    assert_eq!(
        (granted.who, granted.result),
        (Who::User(1), AuditResult::Ok)
    );
    assert_eq!(granted.utc_s, r.now.utc_s);
}

#[test]
fn ack_drops_records_and_persists() {
    let mut r = Rig::claimed();
    let n = r.lock.audit_pending().count();
    assert!(n > 0);
    let last = r.lock.audit_pending().last().unwrap().seq;
    let out = r.cmd_out(ADMIN, Command::LogAck { seq: last });
    assert!(out.persist.items.contains(ItemKey::Log));
    assert_eq!(r.lock.audit_pending().count(), 0);
    // An ack beyond what exists is ignored.
    let out = r.cmd_out(ADMIN, Command::LogAck { seq: last + 100 });
    assert!(!out.persist.items.contains(ItemKey::Log));
}

#[test]
fn overflow_is_counted_reported_and_survives_reboot() {
    let mut r = Rig::claimed();
    r.add_pin_user(1, UserType::Unrestricted, "9713");
    let mut lost_events = 0;
    for _ in 0..config::AUDIT_RING + 5 {
        let out = r.type_keys("9713");
        r.relock();
        lost_events += out
            .events
            .iter()
            .filter(|e| matches!(e, Event::LogOverflow { .. }))
            .count();
    }
    let lost = r.lock.audit_state().2.lost;
    assert!(lost > 0);
    assert!(lost_events > 0);
    assert_eq!(r.lock.audit_pending().count(), config::AUDIT_RING);
    match r.admin(Command::GetStatus) {
        Ok(ReplyData::Status(s)) => assert_eq!(s.log_lost, lost),
        o => panic!("{o:?}"),
    }
    r.reboot_and_boot();
    assert!(r.lock.audit_state().2.lost >= lost);
}

/// Unlocks with acknowledged records (no overflow, so no item changes with them): the log is
/// then the only place that remembers the newest numbers, apart from the sequence floor.
fn acked_unlocks(r: &mut Rig, n: usize) {
    for _ in 0..n {
        r.type_keys("9713");
        r.relock();
        let last = r.lock.audit_state().0 - 1;
        r.cmd_out(ADMIN, Command::LogAck { seq: last });
    }
}

#[test]
fn a_lost_log_tail_never_lowers_the_sequence_and_is_counted() {
    let mut r = Rig::claimed();
    r.add_pin_user(1, UserType::Unrestricted, "9713");
    acked_unlocks(&mut r, 30);
    let (next, _, meta) = r.lock.audit_state();
    assert!(meta.reserved >= next, "{meta:?}");
    assert!(meta.reserved <= next + config::AUDIT_SEQ_LEASE, "{meta:?}");
    // The newest records are gone (a damaged tail page): more than one lease's worth.
    let gone = 3 * config::AUDIT_SEQ_LEASE as usize;
    let keep = r.log.len() - gone;
    r.log.truncate(keep);
    r.reboot_and_boot();
    let (after, _, m2) = r.lock.audit_state();
    // Above every number handed out: the boot's Reboot record takes the floor itself.
    assert_eq!(after, meta.reserved + 1, "{m2:?}");
    let lost = m2.lost - meta.lost;
    assert!(
        lost >= gone as u32 && lost < gone as u32 + config::AUDIT_SEQ_LEASE,
        "{lost}"
    );
    // Counted once.
    r.reboot_and_boot();
    assert_eq!(r.lock.audit_state().2.lost, m2.lost);
}

#[test]
fn a_hole_in_the_log_is_counted_once() {
    let mut r = Rig::claimed();
    r.add_pin_user(1, UserType::Unrestricted, "9713");
    acked_unlocks(&mut r, 20);
    let (next, _, meta) = r.lock.audit_state();
    let mid = r.log.len() / 2;
    r.log.drain(mid..mid + 7);
    r.reboot_and_boot();
    let (after, _, m2) = r.lock.audit_state();
    assert_eq!(after, next + 1);
    assert_eq!(m2.lost, meta.lost + 7);
    r.reboot_and_boot();
    assert_eq!(r.lock.audit_state().2.lost, meta.lost + 7);
}

#[test]
fn a_log_item_from_before_the_floor_still_restores() {
    // acked Some(5), lost 2, breaks 1 in the old three-field encoding.
    let old = postcard::to_allocvec(&(Some(5u32), 2u32, 1u32)).unwrap();
    let mut r = Rig::claimed();
    r.items.insert(ItemKey::Log.to_u32(), old);
    r.reboot_and_boot();
    let m = r.lock.audit_state().2;
    assert_eq!((m.acked, m.lost, m.breaks), (Some(5), 2, 1));
}
