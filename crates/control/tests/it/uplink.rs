//! Uplink classification and reset detection.

use proptest::prelude::*;
use tumbler_control::proto::claim::ClaimMessage;
use tumbler_control::proto::*;
use tumbler_control::{
    route_topic, Availability, BindingError, Channel, ResetReason, SealCommandError, Uplink,
    UplinkError,
};

use crate::fake_lock::{claimed, exchange, signing_key, try_claim, FakeLock, CODE};

const NOW: u64 = 1_700_000_000;

fn assert_still_works(lock: &mut FakeLock, b: &mut tumbler_control::Binding) {
    assert!(b.stale().is_none());
    let answers = exchange(lock, b, Command::Unlock { pin: None });
    assert!(matches!(
        b.open_uplink(&answers[0], NOW),
        Ok(Uplink::Ack(_))
    ));
}

#[test]
fn status_event_log_are_classified_and_skew_reported() {
    let (mut lock, mut b) = claimed(30);
    let status = lock.status();
    let f = lock.seal(&Up::Status(status));
    assert_eq!(
        b.open_uplink(&f, NOW - 5).unwrap(),
        Uplink::Status {
            status,
            clock_skew_s: 5
        }
    );
    let ev = Event::Alarm {
        code: AlarmCode::Tamper,
        time: NOW,
    };
    let f = lock.seal(&Up::Event(ev));
    assert_eq!(b.open_uplink(&f, NOW).unwrap(), Uplink::Event(ev));
    let batch = LogBatch {
        records: Default::default(),
        overflow: 3,
    };
    let f = lock.seal(&Up::Log(batch.clone()));
    assert_eq!(b.open_uplink(&f, NOW).unwrap(), Uplink::Log(batch));
}

#[test]
fn replayed_and_tampered_uplinks_are_rejected_without_change() {
    let (mut lock, mut b) = claimed(31);
    let f = lock.seal(&Up::Status(lock.status()));
    b.open_uplink(&f, NOW).unwrap();
    let counters = b.counters();
    assert_eq!(
        b.open_uplink(&f, NOW).unwrap_err(),
        UplinkError::Envelope(OpenError::Replayed)
    );
    let mut t = lock.seal(&Up::Status(lock.status()));
    let last = t.len() - 1;
    t[last] ^= 1;
    assert_eq!(
        b.open_uplink(&t, NOW).unwrap_err(),
        UplinkError::Envelope(OpenError::AuthFailed)
    );
    assert_eq!(b.counters(), counters);
    assert_eq!(
        b.open_uplink(&[], NOW).unwrap_err(),
        UplinkError::UnknownFrame
    );
    assert_eq!(
        b.open_uplink(b"online", NOW).unwrap_err(),
        UplinkError::UnknownFrame
    );
    assert_still_works(&mut lock, &mut b);
}

#[test]
fn an_envelope_under_a_new_lock_key_proves_nothing_a_statement_does() {
    let (mut lock, mut b) = claimed(32);
    lock.factory_reset();
    // Someone else claims the reset lock; its envelopes now carry the new key id.
    try_claim(&mut lock, CODE, 99).unwrap();
    let f = lock.seal(&Up::Status(lock.status()));
    // Header bytes anyone on the broker could forge: rejected, nothing changes.
    assert!(matches!(
        b.open_uplink(&f, NOW).unwrap_err(),
        UplinkError::UnknownLockKey(_)
    ));
    assert_eq!(b.stale(), None);
    // The lock's signed statement (its reset counter went up) is the proof.
    let got = b
        .open_uplink(&lock.statement(LockStatement::UNSOLICITED), NOW)
        .unwrap();
    let Uplink::ResetDetected { reason, .. } = got else {
        panic!("expected ResetDetected, got {got:?}");
    };
    assert!(matches!(reason, ResetReason::Statement { .. }));
    assert!(reason.authenticated());
    assert_eq!(b.stale(), Some(&reason));
    assert_eq!(
        b.seal_command(Command::Unlock { pin: None }).unwrap_err(),
        SealCommandError::Stale
    );
    // Staleness is persisted.
    let restored = tumbler_control::Binding::from_bytes(&b.to_bytes().unwrap()).unwrap();
    assert_eq!(restored.stale(), Some(&reason));
}

#[test]
fn reset_notice_is_detected_with_its_record() {
    let (mut lock, mut b) = claimed(33);
    let record = lock.reset_record(1);
    let f = lock.seal(&Up::ResetNotice(ResetNotice {
        record: record.clone(),
    }));
    assert_eq!(
        b.open_uplink(&f, NOW).unwrap(),
        Uplink::ResetDetected {
            reason: ResetReason::ResetNotice { reset_counter: 1 },
            record: Some(record),
        }
    );
    assert!(b.stale().unwrap().authenticated());
}

#[test]
fn plain_reset_record_newer_than_baseline_is_detected() {
    let (mut lock, mut b) = claimed(34);
    let record = lock.factory_reset();
    let f = FakeLock::plain(&ClaimMessage::ResetRecord(record.clone()));
    assert_eq!(
        b.open_uplink(&f, NOW).unwrap(),
        Uplink::ResetDetected {
            reason: ResetReason::ResetRecord { reset_counter: 1 },
            record: Some(record),
        }
    );
    assert!(b.stale().is_some());
}

#[test]
fn old_retained_reset_record_is_not_a_new_reset() {
    let (lock, mut b) = claimed(35);
    // Baseline is 0; a genuine record with counter 0 is the past.
    let record = lock.reset_record(0);
    let f = FakeLock::plain(&ClaimMessage::ResetRecord(record.clone()));
    assert_eq!(b.open_uplink(&f, NOW).unwrap(), Uplink::PastReset(record));
    assert!(b.stale().is_none());
}

#[test]
fn forged_reset_frames_are_rejected_and_the_binding_stays_good() {
    let (mut lock, mut b) = claimed(36);
    let forged = SignedResetRecord::sign(lock.reset_record(5).record, &signing_key(4242)).unwrap();
    let f = FakeLock::plain(&ClaimMessage::ResetRecord(forged.clone()));
    assert_eq!(
        b.open_uplink(&f, NOW).unwrap_err(),
        UplinkError::ForgedResetRecord
    );
    // Altered genuine record.
    let mut altered = lock.reset_record(5);
    altered.record.reset_counter = 6;
    let f = FakeLock::plain(&ClaimMessage::ResetRecord(altered));
    assert_eq!(
        b.open_uplink(&f, NOW).unwrap_err(),
        UplinkError::ForgedResetRecord
    );
    // Forged record inside a genuine envelope (a compromised operational key).
    let f = lock.seal(&Up::ResetNotice(ResetNotice { record: forged }));
    assert_eq!(
        b.open_uplink(&f, NOW).unwrap_err(),
        UplinkError::ForgedResetRecord
    );
    // Genuine signature, another lock's serial.
    let mut rec = lock.reset_record(5).record;
    rec.serial = Serial::try_from("OTHER").unwrap();
    let other = SignedResetRecord::sign(rec, &lock.factory).unwrap();
    let f = FakeLock::plain(&ClaimMessage::ResetRecord(other));
    assert_eq!(
        b.open_uplink(&f, NOW).unwrap_err(),
        UplinkError::WrongSerial
    );
    assert_still_works(&mut lock, &mut b);
}

#[test]
fn the_claim_pins_the_factory_key_so_plain_records_are_verified_at_once() {
    let mut lock = FakeLock::new(37);
    let mut b = try_claim(&mut lock, CODE, 38).unwrap();
    // Learnt over the PAKE-authenticated channel, not from the (untrusted) broker.
    assert_eq!(b.factory_public(), Some(lock.factory_public()));
    // Before the first status gives a reset-counter baseline, a genuine record is
    // a past reset (verified, not FactoryKeyUnknown), and the binding stays fresh.
    let record = lock.reset_record(3);
    let f = FakeLock::plain(&ClaimMessage::ResetRecord(record.clone()));
    assert_eq!(b.open_uplink(&f, NOW).unwrap(), Uplink::PastReset(record));
    assert!(b.stale().is_none());
}

#[test]
fn status_with_a_higher_reset_counter_is_detected() {
    let (mut lock, mut b) = claimed(39);
    let mut status = lock.status();
    status.reset_counter = 2;
    let f = lock.seal(&Up::Status(status));
    assert_eq!(
        b.open_uplink(&f, NOW).unwrap(),
        Uplink::ResetDetected {
            reason: ResetReason::ResetCounterAdvanced { from: 0, to: 2 },
            record: None,
        }
    );
}

#[test]
fn self_check_is_verified_against_the_factory_key() {
    let (lock, mut b) = claimed(40);
    let report = SelfCheckReport {
        serial: lock.serial.clone(),
        challenge: [3; 16],
        time: NOW,
        reset_counter: 0,
        users: 0,
        credentials: 0,
        controllers: 1,
        setup_mode: false,
        battery_percent: 90,
        motor_ok: true,
        firmware: FirmwareVersion {
            major: 1,
            minor: 0,
            patch: 0,
        },
    };
    let good = SignedSelfCheck::sign(report.clone(), &lock.factory).unwrap();
    assert_eq!(b.verify_self_check(&good, &[3; 16]), Ok(()));
    assert_eq!(
        b.verify_self_check(&good, &[4; 16]),
        Err(UplinkError::StaleChallenge)
    );
    let f = FakeLock::plain(&ClaimMessage::SelfCheck(good.clone()));
    assert_eq!(b.open_uplink(&f, NOW).unwrap(), Uplink::SelfCheck(good));
    let bad = SignedSelfCheck::sign(report, &signing_key(1)).unwrap();
    assert_eq!(
        b.verify_self_check(&bad, &[3; 16]),
        Err(UplinkError::ForgedSelfCheck)
    );
    let f = FakeLock::plain(&ClaimMessage::SelfCheck(bad));
    assert_eq!(
        b.open_uplink(&f, NOW).unwrap_err(),
        UplinkError::ForgedSelfCheck
    );
}

#[test]
fn frames_for_another_controller_and_claim_traffic_are_ignored() {
    let (mut lock, mut b) = claimed(41);
    let phone = ControllerKey::generate(&mut crate::fake_lock::rng(5));
    let id = lock
        .table
        .pair(phone.public(), Role::User, Name::try_from("phone").unwrap())
        .unwrap();
    let mut buf = vec![0u8; MAX_ENVELOPE_LEN];
    let status = Up::Status(lock.status());
    let n = lock
        .op
        .seal(&mut lock.table, id, &status, &mut buf)
        .unwrap();
    assert_eq!(b.open_uplink(&buf[..n], NOW).unwrap(), Uplink::Ignored);
    let f = FakeLock::plain(&ClaimMessage::SelfCheckRequest { challenge: [0; 16] });
    assert_eq!(b.open_uplink(&f, NOW).unwrap(), Uplink::Ignored);
    assert!(b.stale().is_none());
}

#[test]
fn availability_and_topic_routing() {
    let (_lock, b) = claimed(42);
    assert_eq!(
        b.open_status(ONLINE).unwrap(),
        Uplink::Availability(Availability::Online)
    );
    assert_eq!(
        b.open_status(OFFLINE).unwrap(),
        Uplink::Availability(Availability::Offline)
    );
    assert_eq!(
        b.open_status(b"maybe").unwrap_err(),
        UplinkError::BadAvailability
    );
    assert_eq!(
        route_topic("tumbler/v1/TMB-1/up"),
        Some(("TMB-1", Channel::Up))
    );
    assert_eq!(
        route_topic(topic_status("TMB-1").unwrap().as_str()),
        Some(("TMB-1", Channel::Status))
    );
    assert_eq!(route_topic("tumbler/v1/a/b/up"), None);
    assert_eq!(route_topic("tumbler/v1//up"), None);
    assert_eq!(route_topic("tumbler/v2/TMB-1/up"), None);
    assert_eq!(route_topic("tumbler/v1/TMB-1/sideways"), None);
}

#[test]
fn a_forged_key_change_changes_nothing() {
    let (mut lock, mut b) = claimed(43);
    // A broker rewrites the lock-key id of a genuine envelope (header bytes 6..10).
    let mut f = lock.seal(&Up::Status(lock.status()));
    f[6] ^= 0xff;
    assert!(matches!(
        b.open_uplink(&f, NOW).unwrap_err(),
        UplinkError::UnknownLockKey(_)
    ));
    assert!(b.stale().is_none(), "one forged frame costs nothing");
    // Operations keep working under the old key.
    let answers = exchange(&mut lock, &mut b, Command::GetStatus);
    assert!(matches!(
        b.open_uplink(&answers[1], NOW),
        Ok(Uplink::Status { .. })
    ));
    assert!(b.stale().is_none());
    // Authenticated evidence cannot be cleared.
    let f = lock.seal(&Up::ResetNotice(ResetNotice {
        record: lock.reset_record(1),
    }));
    b.open_uplink(&f, NOW).unwrap();
    assert_eq!(
        b.clear_unverified_stale().unwrap_err(),
        BindingError::StaleConfirmed
    );
    assert!(b.stale().is_some());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    /// Arbitrary frames never panic and never produce *authenticated* reset evidence.
    #[test]
    fn random_frames_never_panic_or_prove_a_reset(
        first in prop_oneof![Just(0x81u8), Just(0x01u8), any::<u8>()],
        dir in prop_oneof![Just(1u8), any::<u8>()],
        rest in proptest::collection::vec(any::<u8>(), 0..120),
    ) {
        let (_lock, mut b) = claimed(44);
        let mut f = vec![first, dir];
        f.extend(rest);
        if let Ok(Uplink::ResetDetected { reason, .. }) = b.open_uplink(&f, NOW) {
            prop_assert!(!reason.authenticated());
        }
        if let Some(reason) = b.stale() {
            prop_assert!(!reason.authenticated());
        }
    }
}

#[test]
fn signed_statements_prove_a_reset_only_when_they_can() {
    const FRESH: [u8; 16] = [5; 16];
    // Before any reset: a statement (unsolicited or fresh) shows nothing.
    let (lock, mut b) = claimed(40);
    for c in [LockStatement::UNSOLICITED, FRESH] {
        let r = b
            .open_uplink_challenged(&lock.statement(c), NOW, &[FRESH])
            .unwrap();
        assert!(matches!(r, Uplink::Statement(_)), "{r:?}");
    }
    assert!(b.stale().is_none());

    // After a reset: the higher counter proves it, even unsolicited.
    let (mut lock, mut b) = claimed(41);
    lock.factory_reset();
    let unsolicited = lock.statement(LockStatement::UNSOLICITED);
    assert_eq!(
        b.open_uplink(&unsolicited, NOW).unwrap(),
        Uplink::ResetDetected {
            reason: ResetReason::Statement {
                reset_counter: 1,
                setup_mode: true
            },
            record: None,
        }
    );
    assert!(b.stale().is_some());

    // Setup mode at the baseline counter (a statement from before the claim, replayed):
    // proves nothing unless it answers a challenge the hub has outstanding.
    let mut before = FakeLock::new(42);
    let replayed = before.statement(LockStatement::UNSOLICITED);
    let fresh = before.statement(FRESH);
    let mut b = try_claim(&mut before, CODE, 43).unwrap();
    b.pin_factory_public(before.factory_public()).unwrap();
    for f in exchange(&mut before, &mut b, Command::GetStatus) {
        b.open_uplink(&f, NOW).unwrap();
    }
    for (frame, challenges) in [
        (&replayed, &[FRESH][..]),
        (&fresh, &[][..]),
        (&fresh, &[[6; 16]][..]),
    ] {
        let r = b.open_uplink_challenged(frame, NOW, challenges).unwrap();
        assert!(matches!(r, Uplink::Statement(_)), "{r:?}");
        assert!(b.stale().is_none());
    }
    // The same statement answering an outstanding challenge is believed.
    let r = b.open_uplink_challenged(&fresh, NOW, &[FRESH]).unwrap();
    assert!(matches!(r, Uplink::ResetDetected { .. }), "{r:?}");

    // A forged statement (another key signed it) changes nothing.
    let (mut lock, mut b) = claimed(44);
    lock.factory_reset();
    lock.factory = signing_key(99);
    assert_eq!(
        b.open_uplink_challenged(&lock.statement(FRESH), NOW, &[FRESH]),
        Err(UplinkError::ForgedStatement)
    );
    assert!(b.stale().is_none());
}
