//! Operation model: command mapping, the state machine and its retry policy.

use proptest::prelude::*;
use tumbler_control::proto::*;
use tumbler_control::{
    factory_reset_summary, FailReason, OpError, OpInput, OpKind, OpState, RetryPolicy, SecretPin,
};

const P: RetryPolicy = RetryPolicy {
    max_attempts: 3,
    ack_timeout_s: 10,
    apply_timeout_s: 60,
    backoff_base_s: 5,
    backoff_max_s: 12,
};

fn ack(id: u64, verdict: Verdict) -> OpInput {
    OpInput::Ack(Ack {
        id: CommandId(id),
        verdict,
    })
}

fn applied(id: u64) -> OpInput {
    OpInput::Applied {
        id: CommandId(id),
        failed: None,
    }
}

fn dispatched(id: u64) -> OpInput {
    OpInput::Dispatched { id: CommandId(id) }
}

#[test]
fn happy_path_pending_sent_applied() {
    let s = OpState::new(100);
    assert_eq!(s.name(), "pending");
    assert_eq!(s.next_attempt_at(90), Some(100));
    assert_eq!(s.next_attempt_at(150), Some(150));
    let s = s.step(&dispatched(7), 100, &P);
    assert_eq!(s.name(), "sent");
    assert_eq!(s.attempts(), 1);
    assert_eq!(s.deadline(&P), Some(110));
    // Answers for another command change nothing.
    assert_eq!(s.step(&applied(8), 101, &P), s);
    let s = s.step(&ack(7, Verdict::Accepted), 101, &P);
    assert_eq!(s.deadline(&P), Some(160));
    let s = s.step(&applied(7), 102, &P);
    assert_eq!(s, OpState::Applied { id: CommandId(7) });
    assert!(s.is_terminal());
}

#[test]
fn refusal_is_terminal_busy_is_retried() {
    let s = OpState::new(0).step(&dispatched(1), 0, &P);
    let r = s.step(&ack(1, Verdict::Refused(ErrorCode::WrongPin)), 1, &P);
    assert_eq!(
        r,
        OpState::Refused {
            id: CommandId(1),
            code: ErrorCode::WrongPin
        }
    );
    let b = s.step(&ack(1, Verdict::Refused(ErrorCode::Busy)), 1, &P);
    assert_eq!(
        b,
        OpState::Pending {
            attempts: 1,
            not_before: 6,
            id: Some(CommandId(1))
        }
    );
}

#[test]
fn timeouts_retry_with_backoff_then_fail() {
    let mut s = OpState::new(0);
    let mut now = 0;
    let mut waits = Vec::new();
    for attempt in 1..=3 {
        now = s.next_attempt_at(now).unwrap();
        s = s.step(&dispatched(1), now, &P);
        assert_eq!(s.attempts(), attempt);
        // A tick before the deadline does nothing.
        assert_eq!(s.step(&OpInput::Tick, now + 9, &P), s);
        now = s.deadline(&P).unwrap();
        s = s.step(&OpInput::Tick, now, &P);
        if let Some(at) = s.next_attempt_at(now) {
            waits.push(at - now);
        }
    }
    assert_eq!(waits, vec![5, 10]);
    assert_eq!(
        s,
        OpState::Failed {
            reason: FailReason::NoAnswer { attempts: 3 }
        }
    );
    assert_eq!(P.backoff(10), 12);
}

#[test]
fn late_answer_to_an_earlier_attempt_is_honoured() {
    let s = OpState::new(0)
        .step(&dispatched(4), 0, &P)
        .step(&OpInput::Tick, 10, &P);
    assert_eq!(s.name(), "pending");
    assert_eq!(s.id(), Some(CommandId(4)));
    assert_eq!(
        s.step(&applied(4), 11, &P),
        OpState::Applied { id: CommandId(4) }
    );
    let failed = s.step(
        &OpInput::Applied {
            id: CommandId(4),
            failed: Some(ErrorCode::Jammed),
        },
        11,
        &P,
    );
    assert_eq!(
        failed,
        OpState::Failed {
            reason: FailReason::Lock(ErrorCode::Jammed)
        }
    );
}

#[test]
fn cancel_only_while_pending_and_stale_fails_everything_open() {
    let p = OpState::new(0);
    assert_eq!(
        p.step(&OpInput::Cancel, 0, &P),
        OpState::Failed {
            reason: FailReason::Cancelled
        }
    );
    let s = p.step(&dispatched(1), 0, &P);
    assert_eq!(s.step(&OpInput::Cancel, 1, &P), s);
    for open in [p, s] {
        assert_eq!(
            open.step(&OpInput::BindingStale, 1, &P),
            OpState::Failed {
                reason: FailReason::BindingStale
            }
        );
    }
}

#[test]
fn applied_payload_is_reduced_to_an_input() {
    let a = Applied {
        id: CommandId(3),
        outcome: Outcome::Ok(CommandResult::ResetNonce(ResetNonce([1; 16]))),
    };
    let (input, result) = OpInput::from_applied(&a);
    assert_eq!(input, applied(3));
    assert_eq!(result, Some(CommandResult::ResetNonce(ResetNonce([1; 16]))));
}

#[test]
fn op_kinds_map_to_commands_and_serialise() {
    let unlock = OpKind::Unlock {
        pin: Some(SecretPin::new("1234")),
    };
    assert_eq!(
        unlock.to_command(0).unwrap(),
        Command::Unlock {
            pin: Some(Pin::new(b"1234").unwrap())
        }
    );
    assert!(unlock.carries_secret());
    assert!(!format!("{unlock:?}").contains("1234"));
    let json = serde_json::to_string(&unlock).unwrap();
    assert_eq!(json, r#"{"unlock":{"pin":"1234"}}"#);
    assert_eq!(serde_json::from_str::<OpKind>(&json).unwrap(), unlock);
    let bytes = postcard::to_allocvec(&OpKind::FactoryReset).unwrap();
    assert_eq!(
        postcard::from_bytes::<OpKind>(&bytes).unwrap(),
        OpKind::FactoryReset
    );
    assert_eq!(
        OpKind::Lock {
            pin: Some(SecretPin::new("1".repeat(17)))
        }
        .to_command(0)
        .unwrap_err(),
        OpError::PinTooLong
    );
    let pair = OpKind::PairController {
        public_key: [1; 32],
        role: Role::User,
        label: "x".repeat(33),
    };
    assert_eq!(pair.to_command(0).unwrap_err(), OpError::LabelTooLong);
    assert_eq!(
        OpKind::SelfCheck { challenge: [2; 16] }
            .to_command(0)
            .unwrap(),
        Command::RequestSelfCheck { challenge: [2; 16] }
    );
    assert!(OpKind::FactoryReset.is_destructive());
    assert!(!OpKind::Reboot.is_destructive());
    assert_eq!(OpKind::Reboot.to_command(0).unwrap(), Command::Reboot);
    let rule = TimeRule {
        std_offset_minutes: 60,
        dst: None,
    };
    assert_eq!(
        OpKind::SetTime { rule }.to_command(1234).unwrap(),
        Command::SetTime { now: 1234, rule }
    );
}

#[test]
fn hotel_ops_become_the_hotel_commands_and_round_trip_as_json() {
    let door = HotelDoor {
        key: [7; 32],
        property: 7,
        door: 101,
        guest_room: true,
        floor: 1,
        zone: 2,
        building: 3,
    };
    let set = OpKind::SetHotelDoor { door: Some(door) };
    assert_eq!(
        set.to_command(0).unwrap(),
        Command::SetHotelDoor(Some(door))
    );
    assert_eq!(
        OpKind::SetHotelDoor { door: None }.to_command(0).unwrap(),
        Command::SetHotelDoor(None)
    );
    let deny = OpKind::DenyCard { number: 1001 };
    assert_eq!(
        deny.to_command(0).unwrap(),
        Command::DenyCard { number: 1001 }
    );
    assert_eq!(
        serde_json::to_string(&deny).unwrap(),
        r#"{"deny_card":{"number":1001}}"#
    );
    for k in [set, deny] {
        let json = serde_json::to_string(&k).unwrap();
        assert_eq!(serde_json::from_str::<OpKind>(&json).unwrap(), k);
        assert!(!k.is_destructive() && !k.carries_secret());
    }
}

#[test]
fn offline_code_ops_become_their_commands_and_the_secret_one_says_so() {
    let codes = OfflineCodes {
        secret: [9; 32],
        epoch: 3,
    };
    let set = OpKind::SetOfflineCodes {
        codes: Some(codes.clone()),
    };
    assert_eq!(
        set.to_command(0).unwrap(),
        Command::SetOfflineCodes(Some(codes))
    );
    assert!(
        set.carries_secret(),
        "the secret must be sealed, never stored as JSON"
    );
    let off = OpKind::SetOfflineCodes { codes: None };
    assert_eq!(off.to_command(0).unwrap(), Command::SetOfflineCodes(None));
    assert!(!off.carries_secret());
    let deny = OpKind::DenyOfflineCode { id: 1 << 40 };
    assert_eq!(
        deny.to_command(0).unwrap(),
        Command::DenyOfflineCode { id: 1 << 40 }
    );
    assert_eq!(
        serde_json::to_string(&deny).unwrap(),
        r#"{"deny_offline_code":{"id":1099511627776}}"#
    );
    assert!(!deny.is_destructive() && !deny.carries_secret());
}

#[test]
fn factory_reset_summary_names_what_goes_and_what_stays() {
    let s = factory_reset_summary();
    for word in [
        "users",
        "credentials",
        "schedules",
        "controllers",
        "settings",
        "audit log",
        "factory identity",
    ] {
        assert!(s.contains(word), "{word} missing from {s}");
    }
}

fn input() -> impl Strategy<Value = OpInput> {
    let id = 1u64..4;
    prop_oneof![
        id.clone().prop_map(dispatched),
        id.clone().prop_map(|i| ack(i, Verdict::Accepted)),
        id.clone()
            .prop_map(|i| ack(i, Verdict::Refused(ErrorCode::Busy))),
        id.clone()
            .prop_map(|i| ack(i, Verdict::Refused(ErrorCode::NotFound))),
        id.clone().prop_map(applied),
        id.prop_map(|i| OpInput::Applied {
            id: CommandId(i),
            failed: Some(ErrorCode::Jammed)
        }),
        Just(OpInput::Tick),
        Just(OpInput::Tick),
        Just(OpInput::Cancel),
        Just(OpInput::BindingStale),
    ]
}

proptest! {
    /// Random inputs at increasing times: a terminal state never changes, attempts
    /// never exceed the policy and never decrease, and `sent` is only reached by a
    /// dispatch.
    #[test]
    fn never_backwards_and_attempts_bounded(
        steps in proptest::collection::vec((input(), 0u64..30), 1..80),
    ) {
        let mut s = OpState::new(0);
        let mut now = 0;
        for (inp, dt) in steps {
            now += dt;
            let next = s.step(&inp, now, &P);
            if s.is_terminal() {
                prop_assert_eq!(next, s);
            }
            prop_assert!(next.attempts() <= P.max_attempts);
            if !next.is_terminal() {
                prop_assert!(next.attempts() >= s.attempts());
            }
            if next.name() == "sent" && s.name() != "sent" {
                let was_dispatch = matches!(inp, OpInput::Dispatched { .. });
                prop_assert!(was_dispatch);
            }
            s = next;
        }
    }
}

/// The stored names of operations are written out once and never derived from
/// a Rust variant name: this list pins them (changing one changes stored data).
#[test]
fn op_names_are_pinned_and_match_the_json_tag() {
    use tumbler_control::OpName;
    let names: Vec<&str> = OpName::ALL.iter().map(|n| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "lock",
            "unlock",
            "unlock_with_timeout",
            "reboot",
            "factory_reset",
            "self_check",
            "issue_reset_nonce",
            "manufacturer_reset",
            "get_user",
            "set_user",
            "clear_user",
            "set_credential",
            "clear_credential",
            "set_week_day_schedule",
            "clear_week_day_schedule",
            "set_year_day_schedule",
            "clear_year_day_schedule",
            "set_holiday_schedule",
            "clear_holiday_schedule",
            "get_settings",
            "set_settings",
            "set_operating_mode",
            "set_time",
            "pair_controller",
            "unpair_controller",
            "log_fetch",
            "log_ack",
            "get_status",
            "get_capabilities",
            "get_slot_digests",
            "set_hotel_door",
            "deny_card",
            "set_offline_codes",
            "deny_offline_code",
        ]
    );
    for n in OpName::ALL {
        assert_eq!(OpName::parse(n.as_str()), Some(*n));
        assert_eq!(serde_json::to_value(n).unwrap(), n.as_str());
    }
    assert_eq!(OpName::parse("Unlock"), None);
    // An operation's name is the tag its JSON form carries, so params stored
    // as `{"op": …}` and the operation's kind agree.
    for k in [
        OpKind::Unlock { pin: None },
        OpKind::Reboot,
        OpKind::GetStatus,
        OpKind::ClearUser { index: Some(3) },
        OpKind::LogFetch { from_seq: 7 },
        OpKind::GetSlotDigests { from_user: 1 },
        OpKind::SetHotelDoor { door: None },
        OpKind::DenyCard { number: 1001 },
        OpKind::SetOfflineCodes { codes: None },
        OpKind::DenyOfflineCode { id: 7 },
    ] {
        let v = serde_json::to_value(&k).unwrap();
        let tag = match &v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Object(m) => m.keys().next().unwrap().clone(),
            _ => unreachable!(),
        };
        assert_eq!(k.name().as_str(), tag);
    }
}
