//! The seed scenarios, walked through the console of a running lock with a real broker (the
//! embedded rumqttd, and Mosquitto when reachable), checking what the lock signals at the door
//! and what it reports on MQTT to its controller.

use crate::harness::{ok, pin_for, user, Harness};
use tumbler_proto as p;
use tumbler_testkit::broker::brokers;

const GRANTED: &str = "access granted";
const DENIED: &str = "access denied";
const RESET_DONE: &str = "two beeps, green: factory reset done";

fn is_reset_notice(m: &p::Up, trigger: p::ResetTrigger) -> bool {
    matches!(m, p::Up::ResetNotice(n) if n.record.record.trigger == trigger)
}

/// Claims the lock and gives user 2 ("tenant") the PIN 4711 over MQTT.
async fn with_tenant(h: &mut Harness) {
    h.claim().await;
    assert!(ok(&h.command(p::Command::SetUser(user(2, "tenant"))).await));
    assert!(ok(&h.command(pin_for(2, "4711")).await));
}

/// Seed: "forgotten password" — the owner forgot the PIN, factory-resets with the button inside
/// the battery compartment, and enrols again.
#[tokio::test]
async fn forgotten_pin_factory_reset_by_button_then_reenrol() {
    for (name, broker) in brokers() {
        let mut h = Harness::start(&format!("forgot-{name}"), &broker).await;
        h.claim().await;
        // The owner enrolled an admin PIN at the keypad long ago.
        h.expect("program-button", "programming mode").await;
        h.expect("2580#", "code enrolled").await;
        // ...and forgot it.
        h.expect("1397#", DENIED).await;
        let out = h
            .expect("hold-reset 12s", "release now to factory reset")
            .await;
        assert!(out.contains(RESET_DONE), "{out}");
        // The controller was told before the wipe, with a record signed by the factory key.
        let notice = h
            .wait_up(10, |m| is_reset_notice(m, p::ResetTrigger::Button))
            .await
            .unwrap_or_else(|| panic!("{name}: reset notice on MQTT"));
        let p::Up::ResetNotice(n) = notice else {
            unreachable!()
        };
        assert_eq!(n.record.record.reset_counter, 1);
        let id: Vec<u8> = (0..32)
            .map(|i| {
                u8::from_str_radix(&h.label.identity_public_key[2 * i..2 * i + 2], 16).unwrap()
            })
            .collect();
        let vk = p::VerifyingKey::from_bytes(&id.try_into().unwrap()).unwrap();
        assert!(
            n.record.verify(&vk).is_ok(),
            "{name}: reset record signed by the factory key"
        );
        // Old PIN gone, old controller gone.
        h.expect("2580#", DENIED).await;
        assert!(
            h.command(p::Command::GetStatus).await.is_none(),
            "{name}: old controller must be ignored"
        );
        h.expect("status", "setup mode: yes").await;
        // Re-enrol: claim again with the label's code, then a new admin PIN at the keypad.
        h.claim().await;
        h.expect("program-button", "programming mode").await;
        h.expect("3690#", "code enrolled").await;
        h.expect("3690#", GRANTED).await;
        h.stop().await;
    }
}

/// Seed: "revoking access for previous users" — the tenant moves out; the owner revokes the
/// tenant's code without touching anything else.
#[tokio::test]
async fn tenant_moving_out_is_revoked() {
    for (name, broker) in brokers() {
        let mut h = Harness::start(&format!("tenant-{name}"), &broker).await;
        with_tenant(&mut h).await;
        h.expect("4711#", GRANTED).await;
        let op = h
            .wait_up(10, |m| {
                matches!(
                    m,
                    p::Up::Event(p::Event::LockOperation {
                        user: Some(2),
                        kind: p::LockOperationKind::Unlock,
                        ..
                    })
                )
            })
            .await;
        assert!(op.is_some(), "{name}: unlock by the tenant reported");
        // The audit record arrives too; the hub stores it and acknowledges it.
        let log = h
            .wait_up(10, |m| matches!(m, p::Up::Log(b) if b.records.iter().any(|r| r.what == p::Action::Unlock && r.who == p::Actor::User(2))))
            .await;
        let Some(p::Up::Log(batch)) = log else {
            panic!("{name}: audit record of the unlock")
        };
        let seq = batch.records[0].seq;
        assert!(
            ok(&h.command(p::Command::LogAck { up_to_seq: seq }).await),
            "{name}: log ack"
        );
        h.say("wait 60s").await; // auto-relock
        assert!(ok(&h
            .command(p::Command::ClearUser { index: Some(2) })
            .await));
        h.expect("4711#", DENIED).await;
        let refused = h
            .wait_up(10, |m| {
                matches!(
                    m,
                    p::Up::Event(p::Event::OperationError {
                        error: p::OperationErrorCode::InvalidCredential,
                        ..
                    })
                )
            })
            .await;
        assert!(refused.is_some(), "{name}: refused attempt reported");
        h.expect("status", "users: 0").await;
        h.stop().await;
    }
}

/// Seed: "security concerns" — someone tries codes: the keypad locks out, a battery pull does
/// not reset the attacker's budget, and a forced door raises an alarm.
#[tokio::test]
async fn security_scare_lockout_survives_battery_pull() {
    for (name, broker) in brokers() {
        let mut h = Harness::start(&format!("scare-{name}"), &broker).await;
        with_tenant(&mut h).await;
        for _ in 0..4 {
            h.expect("9999#", DENIED).await;
        }
        h.expect("9999#", "keypad disabled").await;
        let alarm = h
            .wait_up(10, |m| {
                matches!(
                    m,
                    p::Up::Event(p::Event::Alarm {
                        code: p::AlarmCode::WrongCodeEntryLimit,
                        ..
                    })
                )
            })
            .await;
        assert!(alarm.is_some(), "{name}: wrong-code alarm on MQTT");
        // Even the right code is refused while locked out.
        h.expect("4711#", "keypad disabled").await;
        h.expect("pull-battery", "battery out").await;
        h.expect("insert-battery", "booting").await;
        h.expect("status", "keypad lockout:").await;
        let st = h.say("status").await;
        assert!(
            !st.contains("keypad lockout: none"),
            "{name}: lockout survived the battery pull: {st}"
        );
        h.expect("4711#", "keypad disabled").await;
        // A forced door.
        h.say("wait 20m").await;
        h.expect("4711#", GRANTED).await;
        h.say("wait 60s").await; // relocked
        h.expect("open-door", "force the door").await;
        let forced = h
            .wait_up(10, |m| {
                matches!(
                    m,
                    p::Up::Event(p::Event::Alarm {
                        code: p::AlarmCode::ForcedOpen,
                        ..
                    })
                )
            })
            .await;
        assert!(forced.is_some(), "{name}: forced-door alarm on MQTT");
        h.stop().await;
    }
}

/// Seed: "soft reset (quick restart)" — a quick press or a battery pull keeps every code.
#[tokio::test]
async fn soft_reset_keeps_the_codes() {
    for (name, broker) in brokers() {
        let mut h = Harness::start(&format!("soft-{name}"), &broker).await;
        with_tenant(&mut h).await;
        h.expect("press-reset", "rebooting").await;
        h.say("wait 5s").await;
        h.expect("4711#", GRANTED).await;
        h.expect("pull-battery", "battery out").await;
        h.expect("1234#", "no power").await;
        h.expect("insert-battery", "booting").await;
        h.say("wait 5s").await;
        h.expect("4711#", GRANTED).await;
        h.expect("status", "users: 1").await;
        // The controller survived too.
        assert!(ok(&h.command(p::Command::GetStatus).await), "{name}");
        h.stop().await;
    }
}

/// Seed: factory reset by each method — keypad (admin PIN + sequence), app (admin controller),
/// manufacturer (signed token bound to serial + nonce). The button is in the forgotten-PIN test.
#[tokio::test]
async fn factory_reset_by_keypad_app_and_manufacturer() {
    for (name, broker) in brokers() {
        let mut h = Harness::start(&format!("methods-{name}"), &broker).await;
        // Keypad.
        with_tenant(&mut h).await;
        h.expect("program-button", "programming mode").await;
        h.expect("2580#", "code enrolled").await;
        // A wrong admin PIN is a wrong code (it counts towards the lockout); nothing is reset.
        h.expect("1111*999#", DENIED).await;
        h.expect("status", "users: 2").await;
        h.expect("2580*999#", RESET_DONE).await;
        assert!(
            h.wait_up(10, |m| is_reset_notice(m, p::ResetTrigger::Keypad))
                .await
                .is_some(),
            "{name}"
        );
        h.expect("4711#", DENIED).await;
        // App.
        with_tenant(&mut h).await;
        let o = h.command(p::Command::FactoryReset).await;
        assert!(ok(&o), "{name}: app reset applied: {o:?}");
        assert!(
            h.wait_up(10, |m| is_reset_notice(m, p::ResetTrigger::App))
                .await
                .is_some(),
            "{name}"
        );
        h.expect("4711#", DENIED).await;
        h.expect("status", "factory resets: 2").await;
        // The turnover can be proven: a signed self-check says nothing survived.
        h.claim().await;
        let sc = h
            .command(p::Command::RequestSelfCheck { challenge: [7; 16] })
            .await;
        let Some(p::Outcome::Ok(p::CommandResult::SelfCheck(sc))) = sc else {
            panic!("{name}: self-check: {sc:?}")
        };
        assert_eq!(
            (sc.report.users, sc.report.credentials, sc.report.challenge),
            (0, 0, [7; 16])
        );
        let id: Vec<u8> = (0..32)
            .map(|i| {
                u8::from_str_radix(&h.label.identity_public_key[2 * i..2 * i + 2], 16).unwrap()
            })
            .collect();
        let vk = p::VerifyingKey::from_bytes(&id.try_into().unwrap()).unwrap();
        assert!(
            sc.verify(&vk).is_ok(),
            "{name}: self-check signed by the factory key"
        );
        // Manufacturer: the hub verified ownership and asks the factory for a token.
        assert!(ok(&h.command(p::Command::SetUser(user(2, "tenant"))).await));
        assert!(ok(&h.command(pin_for(2, "4711")).await));
        let token = issue_token(&mut h, name).await;
        // A forged token is refused and changes nothing (its nonce is used up).
        let mut forged = token.clone();
        forged.signature[0] ^= 1;
        let o = h.command(p::Command::ManufacturerReset(forged)).await;
        assert!(
            matches!(o, Some(p::Outcome::Failed(_))),
            "{name}: forged token: {o:?}"
        );
        h.expect("4711#", GRANTED).await;
        let token = issue_token(&mut h, name).await;
        let o = h.command(p::Command::ManufacturerReset(token)).await;
        assert!(ok(&o), "{name}: manufacturer reset: {o:?}");
        h.expect("4711#", DENIED).await;
        h.expect("status", "factory resets: 3").await;
        h.stop().await;
    }
}

/// Seed: "low power can prevent resets" — refused with a clear signal, data untouched.
#[tokio::test]
async fn factory_reset_refused_on_low_battery() {
    for (name, broker) in brokers() {
        let mut h = Harness::start(&format!("lowbat-{name}"), &broker).await;
        with_tenant(&mut h).await;
        h.expect("battery 4%", "battery now 4%").await;
        h.expect("hold-reset 12s", "battery too low for factory reset")
            .await;
        let alarm = h
            .wait_up(10, |m| {
                matches!(
                    m,
                    p::Up::Event(p::Event::Alarm {
                        code: p::AlarmCode::ResetRefusedLowBattery,
                        ..
                    })
                )
            })
            .await;
        assert!(alarm.is_some(), "{name}: refusal reported on MQTT");
        h.expect("status", "users: 1").await;
        h.expect("4711#", GRANTED).await;
        // A fresh battery and the same hold work.
        h.say("wait 60s").await;
        h.expect("battery 90%", "battery now 90%").await;
        h.expect("hold-reset 12s", RESET_DONE).await;
        h.stop().await;
    }
}

/// Seed: "unresponsive after a system update" — the reset button (a reboot) brings it back,
/// codes intact.
#[tokio::test]
async fn stuck_after_failed_update_reboot_fixes() {
    for (name, broker) in brokers() {
        let mut h = Harness::start(&format!("stuck-{name}"), &broker).await;
        with_tenant(&mut h).await;
        h.expect("fail-update", "stops responding").await;
        h.expect("4711#", "seems frozen").await;
        h.expect("status", "frozen").await;
        assert!(
            h.command(p::Command::GetStatus).await.is_none(),
            "{name}: a frozen lock answers nothing"
        );
        h.expect("press-reset", "restarts").await;
        h.say("wait 5s").await;
        h.expect("4711#", GRANTED).await;
        assert!(ok(&h.command(p::Command::GetStatus).await), "{name}");
        h.stop().await;
    }
}

/// A jammed bolt is signalled and reported; the next movement works.
#[tokio::test]
async fn jam_is_signalled_and_reported() {
    for (name, broker) in brokers() {
        let mut h = Harness::start(&format!("jam-{name}"), &broker).await;
        with_tenant(&mut h).await;
        h.expect("jam", "will jam").await;
        h.expect("4711#", "bolt jammed").await;
        let jam = h
            .wait_up(10, |m| {
                matches!(
                    m,
                    p::Up::Event(p::Event::Alarm {
                        code: p::AlarmCode::LockJammed,
                        ..
                    })
                )
            })
            .await;
        assert!(jam.is_some(), "{name}: jam alarm on MQTT");
        h.say("wait 2s").await;
        h.expect("4711#", GRANTED).await;
        h.stop().await;
    }
}

/// Asks the lock for a nonce and signs a token for it as the (simulated) manufacturer would.
async fn issue_token(h: &mut Harness, name: &str) -> p::ResetToken {
    let nonce = match h.command(p::Command::IssueResetNonce).await {
        Some(p::Outcome::Ok(p::CommandResult::ResetNonce(n))) => n,
        other => panic!("{name}: nonce: {other:?}"),
    };
    // Signed exactly as the hub signs it (tumbler-proto's canonical bytes), so this
    // also proves the lock verifies the hub's format.
    p::ResetToken::sign(
        &tumbler_device::image::sim_manufacturer_key(),
        &h.label.serial,
        nonce,
        4_000_000_000,
    )
    .unwrap()
}

/// Cards and fingers work through their sensor models; a door left open is reported ajar.
#[tokio::test]
async fn card_finger_and_door() {
    let broker = tumbler_testkit::broker::embedded_broker();
    let mut h = Harness::start("sensors", &broker).await;
    with_tenant(&mut h).await;
    // A card for the tenant.
    let card = p::Command::SetCredential {
        slot: p::CredentialSlot {
            kind: p::CredentialKind::Card,
            index: tumbler_device::bridge::global_slot(2, 1),
        },
        user: 2,
        credential: p::Credential::Card(p::CardUid(
            heapless::Vec::from_slice(&[0x04, 0xa1, 0xb2, 0xc3]).unwrap(),
        )),
    };
    assert!(ok(&h.command(card).await));
    h.expect("card 04:a1:b2:c3", GRANTED).await;
    h.say("wait 60s").await;
    h.expect("card 0badcafe", DENIED).await;
    // A finger: the sensor takes the template, the admin adds it as a credential.
    let out = h.expect("enrol-finger 3", "template").await;
    let template: u16 = out
        .split("template ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let finger = p::Command::SetCredential {
        slot: p::CredentialSlot {
            kind: p::CredentialKind::Fingerprint,
            index: tumbler_device::bridge::global_slot(2, 2),
        },
        user: 2,
        credential: p::Credential::Fingerprint { template },
    };
    assert!(ok(&h.command(finger).await));
    h.expect("finger 3", GRANTED).await;
    h.say("wait 60s").await;
    h.expect("finger 4", DENIED).await;
    // Open the door after unlocking and leave it open.
    h.expect("4711#", GRANTED).await;
    h.expect("open-door", "the door opens").await;
    h.say("wait 5m").await;
    let ajar = h
        .wait_up(10, |m| {
            matches!(
                m,
                p::Up::Event(p::Event::Alarm {
                    code: p::AlarmCode::DoorAjar,
                    ..
                })
            )
        })
        .await;
    assert!(ajar.is_some(), "door-ajar alarm on MQTT");
    h.expect("close-door", "the door closes").await;
    h.stop().await;
}

/// Nothing is lost while the lock is offline: what happened at the door during a network
/// outage reaches the hub in order once the link is back.
#[tokio::test]
async fn events_during_an_outage_arrive_in_order_afterwards() {
    for (name, broker) in brokers() {
        let proxy = tumbler_testkit::net::Proxy::start(broker.clone()).await;
        let mut h = Harness::start_via(&format!("outage-{name}"), &broker, &proxy.addr).await;
        with_tenant(&mut h).await;
        proxy.cut();
        let mut st = String::new();
        for _ in 0..50 {
            st = h.say("status").await;
            if st.contains("hub link: offline") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(st.contains("hub link: offline"), "{name}: {st}");
        // At the door, offline: a wrong code, then the tenant.
        h.expect("1111#", DENIED).await;
        h.expect("4711#", GRANTED).await;
        h.say("wait 60s").await;
        proxy.restore();
        let mut seen = Vec::new();
        while seen.len() < 2 {
            let m = h
                .next_up(std::time::Duration::from_secs(15))
                .await
                .unwrap_or_else(|| panic!("{name}: events after the outage, got {seen:?}"));
            match m {
                p::Up::Event(p::Event::OperationError { .. }) => seen.push("denied"),
                p::Up::Event(p::Event::LockOperation {
                    kind: p::LockOperationKind::Unlock,
                    user: Some(2),
                    ..
                }) => seen.push("unlock"),
                _ => {}
            }
        }
        assert_eq!(seen, ["denied", "unlock"], "{name}");
        h.stop().await;
    }
}

/// The hub can prove what is on the lock without reading secrets back: slot digests change
/// when a code is set and return to empty when it is removed; schedules and queries map.
#[tokio::test]
async fn digests_schedules_and_queries() {
    let broker = tumbler_testkit::broker::embedded_broker();
    let mut h = Harness::start("digests", &broker).await;
    h.claim().await;
    let digest_of_2 = |o: Option<p::Outcome>| match o {
        Some(p::Outcome::Ok(p::CommandResult::SlotDigests(d))) => {
            d.iter().find(|s| s.user == 2).map(|s| s.digest).unwrap()
        }
        other => panic!("digests: {other:?}"),
    };
    let empty = digest_of_2(h.command(p::Command::GetSlotDigests { from_user: 1 }).await);
    with_tenant_again(&mut h).await;
    let set = digest_of_2(h.command(p::Command::GetSlotDigests { from_user: 1 }).await);
    assert_ne!(empty, set, "a code changes the slot digest");
    match h.command(p::Command::GetUser { index: 2 }).await {
        Some(p::Outcome::Ok(p::CommandResult::User(Some(u)))) => {
            assert_eq!(u.name.as_str(), "tenant")
        }
        other => panic!("user: {other:?}"),
    }
    match h.command(p::Command::GetCapabilities).await {
        Some(p::Outcome::Ok(p::CommandResult::Capabilities(c))) => {
            assert!(c.credential_types.contains(p::CredentialTypes::PIN));
            assert_eq!(c.max_users, 100);
        }
        other => panic!("capabilities: {other:?}"),
    }
    // A week-day schedule slot maps onto the lock (bad minutes are refused, nothing changes).
    let sched = |end| p::Command::SetWeekDaySchedule {
        user: 2,
        slot: 0,
        schedule: p::WeekDaySchedule {
            days: p::DaysMask(0b0111_1110),
            start_minute: 8 * 60,
            end_minute: end,
        },
    };
    assert!(matches!(
        h.command(sched(7 * 60)).await,
        Some(p::Outcome::Failed(_))
    ));
    assert!(ok(&h.command(sched(18 * 60)).await));
    // Schedule reads answer from the lock.
    match h
        .command(p::Command::GetWeekDaySchedule { user: 2, slot: 0 })
        .await
    {
        Some(p::Outcome::Ok(p::CommandResult::WeekDay(Some(w)))) => {
            assert_eq!(
                (w.days.0, w.start_minute, w.end_minute),
                (0b0111_1110, 480, 1080)
            )
        }
        other => panic!("week-day schedule: {other:?}"),
    }
    assert_eq!(
        h.command(p::Command::GetYearDaySchedule { user: 2, slot: 0 })
            .await,
        Some(p::Outcome::Ok(p::CommandResult::YearDay(None)))
    );
    assert_eq!(
        h.command(p::Command::GetHolidaySchedule { slot: 0 }).await,
        Some(p::Outcome::Ok(p::CommandResult::Holiday(None)))
    );
    // LogFetch sends the unacknowledged records as Log batches, chained, from the given seq.
    assert!(ok(&h.command(p::Command::LogFetch { from_seq: 2 }).await));
    // (Records also go up one by one as they happen; the fetched batch is the one of several.)
    let fetched = match h
        .wait_up(
            5,
            |m| matches!(m, p::Up::Log(b) if b.records.len() > 1 && b.records[0].seq == 2),
        )
        .await
    {
        Some(p::Up::Log(b)) => b.records,
        other => panic!("log batch: {other:?}"),
    };
    for w in fetched.windows(2) {
        assert_eq!(w[0].seq + 1, w[1].seq, "consecutive");
    }
    assert!(ok(&h
        .command(p::Command::ClearWeekDaySchedule { user: 2, slot: 0 })
        .await));
    assert!(ok(&h
        .command(p::Command::ClearUser { index: Some(2) })
        .await));
    let cleared = digest_of_2(h.command(p::Command::GetSlotDigests { from_user: 1 }).await);
    assert_eq!(cleared, empty, "removed: the slot digest is empty again");
    h.stop().await;
}

async fn with_tenant_again(h: &mut Harness) {
    assert!(ok(&h.command(p::Command::SetUser(user(2, "tenant"))).await));
    assert!(ok(&h.command(pin_for(2, "4711")).await));
}

/// Seed: "some locks disable app reset after setup" — a setting; with it off the app reset is
/// refused and nothing is wiped, while the button still works.
#[tokio::test]
async fn app_reset_can_be_disabled() {
    let broker = tumbler_testkit::broker::embedded_broker();
    let mut h = Harness::start("noappreset", &broker).await;
    with_tenant(&mut h).await;
    let mut s = match h.command(p::Command::GetSettings).await {
        Some(p::Outcome::Ok(p::CommandResult::Settings(s))) => s,
        other => panic!("settings: {other:?}"),
    };
    assert!(s.app_reset_allowed, "allowed by default");
    s.app_reset_allowed = false;
    // Two changes in one record are applied together.
    let mut two = s;
    two.auto_relock_s += 1;
    assert!(ok(&h.command(p::Command::SetSettings(two)).await));
    assert_eq!(
        h.command(p::Command::FactoryReset).await,
        Some(p::Outcome::Failed(p::ErrorCode::AppResetDisabled))
    );
    // Turning it back on from the app is refused as a whole (only at the door):
    // the relock time in the same record is not changed either.
    let mut back = two;
    back.app_reset_allowed = true;
    back.auto_relock_s += 1;
    assert_eq!(
        h.command(p::Command::SetSettings(back)).await,
        Some(p::Outcome::Failed(p::ErrorCode::OnlyAtTheDoor))
    );
    assert_eq!(
        h.command(p::Command::GetSettings).await,
        Some(p::Outcome::Ok(p::CommandResult::Settings(two)))
    );
    h.expect("4711#", GRANTED).await;
    h.say("wait 60s").await;
    h.expect("hold-reset 12s", RESET_DONE).await;
    h.stop().await;
}

/// A lock with `RequirePINforRemoteOperation` refuses a remote *lock* without a PIN or with a
/// wrong one, and locks with the right one (the PIN used to be dropped on the way in).
#[tokio::test]
async fn remote_lock_requires_pin_when_set() {
    for (name, broker) in brokers() {
        let mut h = Harness::start(&format!("lockpin-{name}"), &broker).await;
        with_tenant(&mut h).await;
        assert!(ok(&h.command(p::Command::Unlock { pin: None }).await));
        let Some(p::Outcome::Ok(p::CommandResult::Settings(mut s))) =
            h.command(p::Command::GetSettings).await
        else {
            panic!("{name}: settings");
        };
        s.require_pin_for_remote = true;
        assert!(ok(&h.command(p::Command::SetSettings(s)).await));
        assert_eq!(
            h.command(p::Command::Lock { pin: None }).await,
            Some(p::Outcome::Failed(p::ErrorCode::PinRequired)),
            "{name}: no PIN"
        );
        let wrong = p::Pin::new(b"1234");
        assert_eq!(
            h.command(p::Command::Lock { pin: wrong }).await,
            Some(p::Outcome::Failed(p::ErrorCode::WrongPin)),
            "{name}: wrong PIN"
        );
        h.expect("status", "bolt: Unlocked").await;
        let right = p::Pin::new(b"4711");
        assert!(
            ok(&h.command(p::Command::Lock { pin: right }).await),
            "{name}: right PIN"
        );
        let op = h
            .wait_up(10, |m| {
                matches!(
                    m,
                    p::Up::Event(p::Event::LockOperation {
                        user: Some(2),
                        kind: p::LockOperationKind::Lock,
                        ..
                    })
                )
            })
            .await;
        assert!(op.is_some(), "{name}: lock by the tenant's PIN reported");
        h.expect("status", "bolt: Locked").await;
        h.stop().await;
    }
}
