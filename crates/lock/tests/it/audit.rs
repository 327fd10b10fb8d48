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
