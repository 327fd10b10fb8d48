//! Topics, the audit-log chain, signed reports, severities and the controller table.

use tumbler_proto::*;

use crate::fixtures::*;

#[test]
fn topics_follow_the_spec() {
    assert_eq!(topic_up("TMB-1").unwrap().as_str(), "tumbler/v1/TMB-1/up");
    assert_eq!(
        topic_down("TMB-1").unwrap().as_str(),
        "tumbler/v1/TMB-1/down"
    );
    assert_eq!(
        topic_status("TMB-1").unwrap().as_str(),
        "tumbler/v1/TMB-1/status"
    );
    assert_eq!((ONLINE, OFFLINE), (&b"online"[..], &b"offline"[..]));
    for bad in ["", "a/b", "a+", "#", "x\0"] {
        assert_eq!(topic_up(bad), Err(TopicError::BadSerial), "{bad:?}");
    }
    assert!(topic_status(&serial()).is_ok());
}

#[test]
fn log_chain_links_and_detects_tampering() {
    let recs = log_records(LOG_BATCH_MAX);
    for w in recs.windows(2) {
        assert!(w[0].is_followed_by(&w[1]));
    }
    // The chain is the lock's own hashes: a record replaced by another (whose
    // hash the lock computes over different content) breaks it, and so does a
    // gap; the fields are authenticated by the envelope, not by this check.
    let mut replaced = recs[2];
    replaced.result = LogOutcome::Ok;
    replaced.hash = [0x77; 32];
    assert!(!recs[1].is_followed_by(&recs[3]), "gap must be visible");
    assert!(
        !replaced.is_followed_by(&recs[3]),
        "a replaced record must break the chain"
    );
    assert!(
        !recs[3].is_followed_by(&recs[2]),
        "reordering must be visible"
    );
}

#[test]
fn signed_reports_verify_and_reject_alterations() {
    let vk = signing_key(5).verifying_key();
    let sc = self_check();
    assert_eq!(sc.verify(&vk), Ok(()));
    let mut bad = sc.clone();
    bad.report.users = 1;
    assert_eq!(bad.verify(&vk), Err(ReportError::BadSignature));
    assert_eq!(
        sc.verify(&signing_key(6).verifying_key()),
        Err(ReportError::BadSignature)
    );
    let rr = reset_record();
    assert_eq!(rr.verify(&vk), Ok(()));
    let mut bad = rr.clone();
    bad.record.trigger = ResetTrigger::Button;
    assert_eq!(bad.verify(&vk), Err(ReportError::BadSignature));
    // A self-check signature is not a reset-record signature (domain separation).
    let swapped = SignedResetRecord {
        record: rr.record.clone(),
        signature: sc.signature,
    };
    assert_eq!(swapped.verify(&vk), Err(ReportError::BadSignature));
}

#[test]
fn alarm_severities() {
    assert_eq!(AlarmCode::ForcedOpen.severity(), Severity::Critical);
    assert_eq!(AlarmCode::Duress.severity(), Severity::Critical);
    assert_eq!(AlarmCode::LowBattery.severity(), Severity::Warning);
    assert!(AlarmCode::CriticalBattery.severity() > AlarmCode::LowBattery.severity());
}

#[test]
fn controller_table_rules() {
    let mut t = ControllerTable::<2>::new();
    let a = t.pair([1; 32], Role::Admin, name("a")).unwrap();
    assert_eq!(
        t.pair([1; 32], Role::User, name("dup")),
        Err(PairError::AlreadyPaired)
    );
    assert_eq!(t.unpair(a), Err(PairError::LastAdmin));
    let b = t.pair([2; 32], Role::User, name("b")).unwrap();
    assert_eq!(t.pair([3; 32], Role::User, name("c")), Err(PairError::Full));
    assert_eq!(t.unpair(b).unwrap().id, b);
    assert_eq!(t.unpair(b), Err(PairError::NotFound));
    let c = t.pair([3; 32], Role::Admin, name("c")).unwrap();
    assert!(c.0 > b.0);
    assert_eq!(t.unpair(a).unwrap().id, a);
    let entries: Vec<_> = t.iter().cloned().collect();
    let back = ControllerTable::<2>::restore(entries.iter(), t.next_id()).unwrap();
    assert_eq!(back.next_id(), t.next_id());
    assert_eq!(back.get(c), t.get(c));
}

#[test]
fn low_order_controller_key_is_refused() {
    // The all-zero point gives a non-contributory DH result: sealing refuses.
    let mut p = paired(70, Role::Admin);
    let id = p.table.pair([0; 32], Role::User, name("weak")).unwrap();
    let mut out = [0u8; MAX_ENVELOPE_LEN];
    let status = all_ups()
        .into_iter()
        .find(|u| matches!(u, Up::Status(_)))
        .unwrap();
    assert_eq!(
        p.lock.seal(&mut p.table, id, &status, &mut out),
        Err(SealError::WeakKey)
    );
}

#[test]
fn lock_statement_is_signed_and_domain_separated() {
    let statement = LockStatement {
        serial: serial(),
        challenge: [9; 16],
        reset_counter: 3,
        setup_mode: true,
        lock_key: KeyId([1, 2, 3, 4]),
    };
    let key = signing_key(5);
    let signed = SignedLockStatement::sign(statement.clone(), &key).unwrap();
    signed.verify(&key.verifying_key()).unwrap();
    // Another key, a changed field, or a signature made for another message kind fail.
    assert!(signed.verify(&signing_key(6).verifying_key()).is_err());
    let mut changed = signed.clone();
    changed.statement.reset_counter = 4;
    assert_eq!(
        changed.verify(&key.verifying_key()),
        Err(ReportError::BadSignature)
    );
    let check = self_check();
    let mut borrowed = signed.clone();
    borrowed.signature = check.signature;
    assert!(borrowed.verify(&key.verifying_key()).is_err());
    // It travels as a plain frame, and so does the hub's challenge.
    for m in [
        claim::ClaimMessage::Statement(signed),
        claim::ClaimMessage::StatementRequest { challenge: [7; 16] },
    ] {
        let mut buf = [0u8; MAX_MESSAGE_LEN];
        let n = m.encode(&mut buf).unwrap();
        assert_eq!(frame_kind(&buf[..n]), FrameKind::Plain);
        assert_eq!(claim::ClaimMessage::decode(&buf[..n]).unwrap(), m);
    }
}
