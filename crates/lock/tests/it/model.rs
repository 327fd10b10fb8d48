//! Model-based test: random operation sequences (enrol, revoke, right and
//! wrong PINs and cards, remote unlocks, time jumps across schedule edges and a DST change, mode
//! changes, reboots, every kind of factory reset, battery) run against the
//! lock and a plain reference model. After every step: a PIN opens exactly
//! when the model says; the lockout cannot be escaped by rebooting; nothing
//! of the old users, credentials or controllers survives a factory reset.

use std::collections::BTreeMap;

use proptest::prelude::*;

use crate::harness::*;
use tumbler_lock::reset::sign_manufacturer_token;
use tumbler_lock::schedule::{WeekDaySchedule, WEEKDAYS};
use tumbler_lock::*;

const PINS: [&str; 6] = ["2580", "9713", "4826", "5173", "3917", "8642"];
const WRONG: [&str; 2] = ["0001", "1112"];
const CARDS: [[u8; 4]; 3] = [[1, 1, 1, 1], [2, 2, 2, 2], [3, 3, 3, 3]];

#[derive(Clone, Copy, Debug, PartialEq)]
enum MType {
    Unrestricted,
    Admin,
    WeekDay9to17,
    OneTime,
}

#[derive(Clone, Debug)]
enum Op {
    SetUser {
        idx: u16,
        pin: usize,
        t: MType,
        enabled: bool,
    },
    ClearUser(u16),
    ClearAllPins,
    TryPin(usize), // index into PINS ++ WRONG
    SetCard {
        idx: u16,
        card: usize,
    },
    TryCard(usize), // index into CARDS (plus one never enrolled)
    RemoteUnlock,
    Advance(u64),
    Reboot,
    Mode(OperatingMode),
    Battery(u8),
    ResetApp,
    ResetButton,
    ResetKeypad,
    ResetManufacturer,
}

fn op() -> impl Strategy<Value = Op> {
    let t = prop_oneof![
        Just(MType::Unrestricted),
        Just(MType::Admin),
        Just(MType::WeekDay9to17),
        Just(MType::OneTime)
    ];
    prop_oneof![
        6 => (1u16..=5, 0..PINS.len(), t, prop::bool::weighted(0.85))
            .prop_map(|(idx, pin, t, enabled)| Op::SetUser { idx, pin, t, enabled }),
        2 => (1u16..=5).prop_map(Op::ClearUser),
        1 => Just(Op::ClearAllPins),
        3 => (1u16..=5, 0..CARDS.len()).prop_map(|(idx, card)| Op::SetCard { idx, card }),
        4 => (0..=CARDS.len()).prop_map(Op::TryCard),
        2 => Just(Op::RemoteUnlock),
        12 => (0..PINS.len() + WRONG.len()).prop_map(Op::TryPin),
        5 => prop_oneof![Just(1_000u64), Just(61_000), Just(3_600_000), Just(7 * 3_600_000), Just(86_400_000)]
            .prop_map(Op::Advance),
        3 => Just(Op::Reboot),
        2 => prop_oneof![Just(OperatingMode::Normal), Just(OperatingMode::Vacation), Just(OperatingMode::Privacy)]
            .prop_map(Op::Mode),
        1 => prop_oneof![Just(10u8), Just(90u8)].prop_map(Op::Battery),
        1 => Just(Op::ResetApp),
        1 => Just(Op::ResetButton),
        1 => Just(Op::ResetKeypad),
        1 => Just(Op::ResetManufacturer),
    ]
}

#[derive(Clone, Debug)]
struct MUser {
    pin: Option<usize>,
    card: Option<usize>,
    t: MType,
    enabled: bool,
}

/// The plain reference model.
#[derive(Debug)]
struct Model {
    users: BTreeMap<u16, MUser>,
    mode: OperatingMode,
    wrong: u8,
    lockouts: u8,
    lock_ms: u64,
    until: u64,
    battery_low: bool,
    resets: u32,
}

/// Paris offset, written out independently of the lock's rule engine:
/// CEST between 2026-03-29 01:00 UTC and 2026-10-25 01:00 UTC.
fn paris_local(utc: i64) -> (u8, i64) {
    let dst_start = 1_774_746_000; // 2026-03-29T01:00:00Z
    let dst_end = 1_792_890_000; // 2026-10-25T01:00:00Z
    let off = if (dst_start..dst_end).contains(&utc) {
        7200
    } else {
        3600
    };
    let local = utc + off;
    let days = local.div_euclid(86_400);
    let weekday = ((days + 4).rem_euclid(7)) as u8; // 0 = Sunday
    (weekday, local.rem_euclid(86_400) / 60)
}

impl Model {
    fn new() -> Model {
        Model {
            users: BTreeMap::new(),
            mode: OperatingMode::Normal,
            wrong: 0,
            lockouts: 0,
            lock_ms: 0,
            until: 0,
            battery_low: false,
            resets: 0,
        }
    }
    fn locked_out(&self, now: u64) -> bool {
        self.lock_ms > 0 && now < self.until
    }
    fn owner(&self, pin: usize) -> Option<u16> {
        self.users
            .iter()
            .find(|(_, u)| u.pin == Some(pin))
            .map(|(i, _)| *i)
    }
    fn card_owner(&self, card: usize) -> Option<u16> {
        self.users
            .iter()
            .find(|(_, u)| u.card == Some(card))
            .map(|(i, _)| *i)
    }
    /// A credential of user `idx` was presented at the door.
    fn present(&mut self, idx: u16, utc: i64) -> bool {
        let ok = self.opens(idx, utc);
        if ok {
            self.wrong = 0;
            self.lockouts = 0;
            if self.users[&idx].t == MType::OneTime {
                self.users.remove(&idx);
            }
        }
        ok
    }
    fn count_wrong(&mut self, now: u64) {
        self.wrong += 1;
        if self.wrong >= 5 {
            self.wrong = 0;
            self.lockouts = self.lockouts.saturating_add(1);
            let factor = (1u64 << (self.lockouts - 1).min(31)).min(16);
            self.lock_ms = 60_000 * factor;
            self.until = now + self.lock_ms;
        }
    }
    fn opens(&self, idx: u16, utc: i64) -> bool {
        let u = &self.users[&idx];
        if !u.enabled {
            return false;
        }
        match self.mode {
            OperatingMode::Privacy => return false,
            OperatingMode::Vacation if u.t != MType::Admin => return false,
            _ => {}
        }
        match u.t {
            MType::WeekDay9to17 => {
                let (wd, min) = paris_local(utc);
                (1..=5).contains(&wd) && (9 * 60..17 * 60).contains(&min)
            }
            _ => true,
        }
    }
    fn reset(&mut self) {
        *self = Model {
            battery_low: self.battery_low,
            resets: self.resets + 1,
            ..Model::new()
        };
    }
}

struct Sut {
    rig: Rig,
    admin_key: [u8; 32],
    old_keys: Vec<[u8; 32]>,
}

impl Sut {
    fn new() -> Sut {
        let mut rig = Rig::new();
        // Friday 2026-03-27 08:00 UTC: the Paris DST change is two days ahead.
        rig.now = Now::new(rig.now.mono_ms, 1_774_598_400);
        let mut s = Sut {
            rig,
            admin_key: [0; 32],
            old_keys: Vec::new(),
        };
        s.claim(1);
        s.rig
            .admin(Command::SetTimeRule(TzRule::central_europe()))
            .unwrap();
        s
    }
    fn claim(&mut self, n: u32) {
        self.admin_key = [0; 32];
        self.admin_key[..4].copy_from_slice(&n.to_be_bytes());
        self.rig.counters.clear();
        let out = self.rig.step(Input::PairFirstAdmin {
            pubkey: self.admin_key,
            label: label("hub"),
        });
        assert_eq!(out.reply.unwrap().result, Ok(ReplyData::Paired(ADMIN)));
        self.rig.relock();
    }
}

fn utype(t: MType) -> UserType {
    match t {
        MType::Unrestricted => UserType::Unrestricted,
        MType::Admin => UserType::Admin,
        MType::WeekDay9to17 => UserType::WeekDaySchedule,
        MType::OneTime => UserType::OneTime,
    }
}

fn run(ops: Vec<Op>) {
    let mut m = Model::new();
    let mut s = Sut::new();
    for (step, op) in ops.into_iter().enumerate() {
        let ctx = format!("step {step}: {op:?}");
        let mut did_reset = false;
        match op.clone() {
            Op::SetUser {
                idx,
                pin: p,
                t,
                enabled,
            } => {
                let mut f = UserFields::new("u", utype(t));
                if !enabled {
                    f.status = UserStatus::Disabled;
                }
                s.rig
                    .admin(Command::SetUser {
                        index: idx,
                        fields: f,
                    })
                    .unwrap();
                if t == MType::WeekDay9to17 {
                    s.rig
                        .admin(Command::SetWeekDaySchedule {
                            user: idx,
                            slot: 0,
                            schedule: WeekDaySchedule {
                                days: WEEKDAYS,
                                start_min: 540,
                                end_min: 1020,
                            },
                        })
                        .unwrap();
                }
                let res = s.rig.admin(Command::SetCredential {
                    user: idx,
                    slot: 0,
                    credential: NewCredential::Pin(pin(PINS[p])),
                });
                let dup = m.owner(p).is_some_and(|o| o != idx);
                assert_eq!(res.is_err(), dup, "{ctx}: {res:?}");
                let e = m.users.entry(idx).or_insert(MUser {
                    pin: None,
                    card: None,
                    t,
                    enabled,
                });
                e.t = t;
                e.enabled = enabled;
                if !dup {
                    e.pin = Some(p);
                }
            }
            Op::ClearUser(idx) => {
                let res = s.rig.admin(Command::ClearUser { index: idx });
                assert_eq!(res.is_ok(), m.users.remove(&idx).is_some(), "{ctx}");
            }
            Op::ClearAllPins => {
                s.rig
                    .admin(Command::ClearCredentialsOfType(CredentialType::Pin))
                    .unwrap();
                for u in m.users.values_mut() {
                    u.pin = None;
                }
            }
            Op::TryPin(i) => {
                let now = s.rig.now.mono_ms;
                let utc = s.rig.now.utc_s.unwrap();
                let code = if i < PINS.len() {
                    PINS[i]
                } else {
                    WRONG[i - PINS.len()]
                };
                let expect = if m.locked_out(now) {
                    false
                } else {
                    match (i < PINS.len()).then(|| m.owner(i)).flatten() {
                        None => {
                            m.count_wrong(now);
                            false
                        }
                        Some(idx) => m.present(idx, utc),
                    }
                };
                let out = s.rig.type_keys(code);
                assert_eq!(Rig::opened(&out), expect, "{ctx}: model {m:?}");
                if expect {
                    s.rig.relock();
                }
            }
            Op::SetCard { idx, card: c } => {
                let res = s.rig.admin(Command::SetCredential {
                    user: idx,
                    slot: 1,
                    credential: NewCredential::Card(card(&CARDS[c])),
                });
                let other = m.card_owner(c).is_some_and(|o| o != idx);
                match m.users.get_mut(&idx) {
                    None => assert_eq!(res, Err(CommandError::UnknownUser), "{ctx}"),
                    Some(_) if other => {
                        assert_eq!(res, Err(CommandError::DuplicateCredential), "{ctx}")
                    }
                    Some(u) => {
                        assert_eq!(res, Ok(ReplyData::Done), "{ctx}");
                        u.card = Some(c);
                    }
                }
            }
            Op::TryCard(c) => {
                let now = s.rig.now.mono_ms;
                let utc = s.rig.now.utc_s.unwrap();
                let uid = CARDS.get(c).copied().unwrap_or([9, 9, 9, 9]);
                let expect = if m.locked_out(now) {
                    false
                } else {
                    match (c < CARDS.len()).then(|| m.card_owner(c)).flatten() {
                        None => {
                            m.count_wrong(now);
                            false
                        }
                        Some(idx) => m.present(idx, utc),
                    }
                };
                let out = s.rig.step(Input::Card {
                    uid: card(&uid),
                    payload: None,
                });
                assert_eq!(Rig::opened(&out), expect, "{ctx}: model {m:?}");
                if expect {
                    s.rig.relock();
                }
            }
            Op::RemoteUnlock => {
                // The admin controller holds no app-key credential: no user
                // limits apply, only the mode.
                let res = s.rig.admin(Command::Unlock { pin: None });
                let expect = m.mode != OperatingMode::Privacy;
                assert_eq!(res.is_ok(), expect, "{ctx}: {res:?}");
                if expect {
                    s.rig.relock();
                }
            }
            Op::Advance(ms) => {
                s.rig.advance(ms);
                let now = s.rig.now.mono_ms;
                if m.lock_ms > 0 && now >= m.until {
                    m.lock_ms = 0;
                }
            }
            Op::Reboot => {
                let before = s.rig.lock.lockout_remaining_ms(s.rig.now);
                s.rig.reboot();
                let after = s.rig.lock.lockout_remaining_ms(s.rig.now);
                assert!(
                    after + 10 >= before,
                    "{ctx}: lockout shortened by reboot {before} -> {after}"
                );
                if m.lock_ms > 0 {
                    m.until = s.rig.now.mono_ms + m.lock_ms;
                }
                s.rig.advance(config::BOOT_MS);
                let now = s.rig.now.mono_ms;
                if m.lock_ms > 0 && now >= m.until {
                    m.lock_ms = 0;
                }
            }
            Op::Mode(mode) => {
                s.rig.admin(Command::SetOperatingMode(mode)).unwrap();
                m.mode = mode;
                s.rig.relock();
            }
            Op::Battery(p) => {
                s.rig.step(Input::Battery(p));
                m.battery_low = p < 20;
            }
            Op::ResetApp => {
                let res = s.rig.admin(Command::FactoryReset);
                assert_eq!(res.is_ok(), !m.battery_low, "{ctx}");
                did_reset = res.is_ok();
            }
            Op::ResetButton => {
                s.rig.step(Input::ResetButtonDown);
                s.rig.now = s.rig.now.later(10_000);
                let out = s.rig.step(Input::ResetButtonUp);
                assert_eq!(out.persist.reset.is_some(), !m.battery_low, "{ctx}");
                did_reset = out.persist.reset.is_some();
            }
            Op::ResetKeypad => {
                let now = s.rig.now.mono_ms;
                let admin_pin = m
                    .users
                    .values()
                    .find(|u| u.t == MType::Admin && u.enabled && u.pin.is_some())
                    .and_then(|u| u.pin);
                let code = admin_pin.map_or(WRONG[0], |p| PINS[p]);
                let out = s.rig.type_keys(&format!("{code}*999"));
                let expect = if m.locked_out(now) {
                    false
                } else if admin_pin.is_some() {
                    !m.battery_low
                } else {
                    m.count_wrong(now);
                    false
                };
                assert_eq!(out.persist.reset.is_some(), expect, "{ctx}");
                did_reset = expect;
            }
            Op::ResetManufacturer => {
                let n = match s.rig.admin(Command::IssueResetNonce) {
                    Ok(ReplyData::ResetNonce(n)) => n,
                    o => panic!("{ctx}: {o:?}"),
                };
                let utc = s.rig.now.utc_s.unwrap();
                let tok = sign_manufacturer_token(&MFR_SEED, "TMB-0001", n, utc + 600);
                let res = s.rig.admin(Command::ManufacturerReset(tok));
                assert_eq!(res.is_ok(), !m.battery_low, "{ctx}: {res:?}");
                did_reset = res.is_ok();
            }
        }
        if did_reset {
            m.reset();
            // Nothing survives: no users, no credentials, no controllers, and
            // the old admin key is not paired.
            assert!(s.rig.lock.is_setup_mode(), "{ctx}");
            assert_eq!(s.rig.lock.users().count(), 0, "{ctx}");
            assert_eq!(s.rig.lock.controllers().count(), 0, "{ctx}");
            assert_eq!(
                s.rig.cmd(ADMIN, Command::GetStatus),
                Err(CommandError::UnknownController),
                "{ctx}"
            );
            s.old_keys.push(s.admin_key);
            s.claim(m.resets + 1);
            s.rig
                .admin(Command::SetTimeRule(TzRule::central_europe()))
                .unwrap();
        }
        // Invariants after every step.
        let l = &s.rig.lock;
        let users: Vec<u16> = l.users().map(|(i, _)| i).collect();
        assert_eq!(users, m.users.keys().copied().collect::<Vec<_>>(), "{ctx}");
        for (i, mu) in &m.users {
            let u = l.user(*i).unwrap();
            assert_eq!(
                u.credential_count(),
                usize::from(mu.pin.is_some()) + usize::from(mu.card.is_some()),
                "{ctx}"
            );
            assert_eq!(u.fields.user_type, utype(mu.t), "{ctx}");
        }
        assert_eq!(l.wrong_codes(), m.wrong, "{ctx}");
        assert_eq!(
            l.lockout_remaining_ms(s.rig.now) > 0,
            m.locked_out(s.rig.now.mono_ms),
            "{ctx}"
        );
        assert_eq!(l.reset_counter(), m.resets, "{ctx}");
        for k in &s.old_keys {
            assert_eq!(l.controller_by_key(k), None, "{ctx}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, max_shrink_iters: 2000, ..ProptestConfig::default() })]
    #[test]
    fn lock_matches_reference_model(ops in proptest::collection::vec(op(), 1..60)) {
        run(ops);
    }
}

#[test]
fn model_smoke_sequence() {
    run(vec![
        Op::SetUser {
            idx: 1,
            pin: 0,
            t: MType::Admin,
            enabled: true,
        },
        Op::SetUser {
            idx: 2,
            pin: 1,
            t: MType::WeekDay9to17,
            enabled: true,
        },
        Op::TryPin(1),
        Op::Advance(86_400_000),
        Op::TryPin(1),
        Op::TryPin(6),
        Op::TryPin(6),
        Op::TryPin(6),
        Op::TryPin(7),
        Op::Reboot,
        Op::TryPin(7),
        Op::TryPin(0),
        Op::Advance(61_000),
        Op::TryPin(0),
        Op::ResetKeypad,
        Op::TryPin(0),
    ]);
}
