//! Shared test fixtures: a seeded RNG, a paired lock/controller, and one instance of
//! every message (with capacities filled, so size limits are exercised too).

use chacha20::ChaCha20Rng;
use rand_core::SeedableRng;
use tumbler_proto::*;

pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

pub fn name(s: &str) -> Name {
    Name::try_from(s).unwrap()
}

pub fn long_name() -> Name {
    name(&"é".repeat(NAME_MAX / 2))
}

/// A lock with one admin controller (paired directly in the table, as after a claim).
pub struct Paired {
    pub lock: LockEndpoint,
    pub table: ControllerTable<4>,
    pub hub: ControllerEndpoint,
}

pub fn paired(seed: u64, role: Role) -> Paired {
    let mut r = rng(seed);
    let lock = LockEndpoint::new(OperationalKey::generate(&mut r));
    let mut table = ControllerTable::<4>::new();
    let hub_key = ControllerKey::generate(&mut r);
    if role == Role::User {
        // Tables keep at least one admin; pair a throwaway admin first.
        let admin = ControllerKey::generate(&mut r);
        table
            .pair(admin.public(), Role::Admin, name("admin"))
            .unwrap();
    }
    let id = table.pair(hub_key.public(), role, name("hub")).unwrap();
    let hub = ControllerEndpoint::new(hub_key, lock.key().public(), id, role, Counters::new());
    Paired { lock, table, hub }
}

/// Add another controller to a paired lock; returns its endpoint.
pub fn add_controller(p: &mut Paired, seed: u64, role: Role) -> ControllerEndpoint {
    let key = ControllerKey::generate(&mut rng(seed));
    let id = p.table.pair(key.public(), role, name("phone")).unwrap();
    ControllerEndpoint::new(key, p.lock.key().public(), id, role, Counters::new())
}

pub fn request(id: u64, command: Command) -> Down {
    Down::Request(Request {
        id: CommandId(id),
        command,
    })
}

pub fn pin(s: &str) -> Pin {
    Pin::new(s.as_bytes()).unwrap()
}

pub fn signing_key(seed: u64) -> SigningKey {
    let mut bytes = [0u8; 32];
    rand_core::Rng::fill_bytes(&mut rng(seed), &mut bytes);
    SigningKey::from_bytes(&bytes)
}

pub fn serial() -> Serial {
    Serial::try_from("TMB-0001-ABCDEFGHJKLMNPQRSTUVWXY").unwrap()
}

fn user() -> UserRecord {
    UserRecord {
        index: 100,
        name: long_name(),
        status: UserStatus::Disabled,
        user_type: UserType::Duress,
        credential_rule: CredentialRule::TwoFactor,
        created_by: Some(ControllerId(u32::MAX)),
        modified_by: Some(ControllerId(7)),
    }
}

fn time_rule() -> TimeRule {
    let t = |month| Transition {
        month,
        week: 5,
        weekday: 0,
        minute: 120,
    };
    TimeRule {
        std_offset_minutes: -600,
        dst: Some(DstRule {
            save_minutes: 60,
            start: t(3),
            end: t(10),
        }),
    }
}

fn settings() -> Settings {
    Settings {
        auto_relock_s: u32::MAX,
        wrong_code_limit: 5,
        disable_time_s: 60,
        volume: Volume::High,
        local_programming: false,
        app_reset_allowed: false,
        reset_hold_s: 30,
        setup_policy: SetupPolicy::DefaultPinUntilAdmin,
        require_pin_for_remote: true,
        one_touch_locking: false,
        status_led: true,
    }
}

pub fn reset_token() -> ResetToken {
    ResetToken::sign(&signing_key(99), &serial(), ResetNonce([7; 16]), u64::MAX).unwrap()
}

/// One of every command.
pub fn all_commands() -> Vec<Command> {
    let wd = WeekDaySchedule {
        days: DaysMask(0b0111_1111),
        start_minute: 0,
        end_minute: 1440,
    };
    let yd = YearDaySchedule {
        from: 0,
        to: u64::MAX,
    };
    let hol = HolidaySchedule {
        from: 1,
        to: u64::MAX,
        mode: OperatingMode::Passage,
    };
    let slot = |kind| CredentialSlot {
        kind,
        index: u16::MAX,
    };
    vec![
        Command::Lock { pin: None },
        Command::Unlock {
            pin: Some(pin("1234567890123456")),
        },
        Command::UnlockWithTimeout {
            timeout_s: u16::MAX,
            pin: Some(pin("2580")),
        },
        Command::GetUser { index: 1 },
        Command::SetUser(user()),
        Command::ClearUser { index: Some(3) },
        Command::ClearUser { index: None },
        Command::SetCredential {
            slot: slot(CredentialKind::Pin),
            user: 1,
            credential: Credential::Pin(pin("9713")),
        },
        Command::SetCredential {
            slot: slot(CredentialKind::Card),
            user: 2,
            credential: Credential::Card(CardUid(heapless::Vec::from_slice(&[0xAB; 16]).unwrap())),
        },
        Command::SetCredential {
            slot: slot(CredentialKind::Fingerprint),
            user: 3,
            credential: Credential::Fingerprint { template: 12 },
        },
        Command::SetCredential {
            slot: slot(CredentialKind::AppKey),
            user: 4,
            credential: Credential::AppKey([9; 32]),
        },
        Command::ClearCredential {
            slot: slot(CredentialKind::Pin),
        },
        Command::SetWeekDaySchedule {
            user: 1,
            slot: 2,
            schedule: wd,
        },
        Command::GetWeekDaySchedule { user: 1, slot: 2 },
        Command::ClearWeekDaySchedule { user: 1, slot: 2 },
        Command::SetYearDaySchedule {
            user: 1,
            slot: 3,
            schedule: yd,
        },
        Command::GetYearDaySchedule { user: 1, slot: 3 },
        Command::ClearYearDaySchedule { user: 1, slot: 3 },
        Command::SetHolidaySchedule {
            slot: 1,
            schedule: hol,
        },
        Command::GetHolidaySchedule { slot: 1 },
        Command::ClearHolidaySchedule { slot: 1 },
        Command::GetSettings,
        Command::SetSettings(settings()),
        Command::SetOperatingMode(OperatingMode::Privacy),
        Command::SetOperatingMode(OperatingMode::NoRemoteLockUnlock),
        Command::SetOperatingMode(OperatingMode::Vacation),
        Command::SetTime {
            now: u64::MAX,
            rule: time_rule(),
        },
        Command::SetTime {
            now: 0,
            rule: TimeRule {
                std_offset_minutes: 0,
                dst: None,
            },
        },
        Command::Reboot,
        Command::FactoryReset,
        Command::IssueResetNonce,
        Command::ManufacturerReset(reset_token()),
        Command::PairController {
            public_key: [5; 32],
            role: Role::User,
            label: long_name(),
        },
        Command::UnpairController {
            controller: ControllerId(9),
        },
        Command::LogFetch { from_seq: u64::MAX },
        Command::LogAck { up_to_seq: 42 },
        Command::GetStatus,
        Command::GetSlotDigests { from_user: 17 },
        Command::GetCapabilities,
        Command::RequestSelfCheck { challenge: [3; 16] },
        Command::SetHotelDoor(Some(hotel_door())),
        Command::SetHotelDoor(None),
        Command::DenyCard { number: u32::MAX },
        Command::SetOfflineCodes(Some(OfflineCodes {
            secret: [0xC0; 32],
            epoch: u32::MAX,
        })),
        Command::SetOfflineCodes(None),
        Command::DenyOfflineCode { id: u64::MAX },
    ]
}

/// A hotel door with every field at its widest.
pub fn hotel_door() -> HotelDoor {
    HotelDoor {
        key: [0x5A; 32],
        property: u32::MAX,
        door: u32::MAX,
        guest_room: true,
        floor: u16::MAX,
        zone: u16::MAX,
        building: u16::MAX,
    }
}

pub fn all_downs() -> Vec<Down> {
    all_commands()
        .into_iter()
        .enumerate()
        .map(|(i, c)| request(u64::MAX - i as u64, c))
        .collect()
}

fn status() -> Status {
    Status {
        time: u64::MAX,
        battery_percent: 100,
        bolt: BoltState::Jammed,
        door: DoorState::Forced,
        mode: OperatingMode::Normal,
        firmware: FirmwareVersion {
            major: 1,
            minor: 2,
            patch: u16::MAX,
        },
        reset_counter: u32::MAX,
        setup_mode: true,
        credentials: CredentialDigest {
            version: u32::MAX,
            digest: [0xCD; 32],
        },
        log_head_seq: u64::MAX,
        log_overflow: u32::MAX,
    }
}

pub fn self_check() -> SignedSelfCheck {
    let report = SelfCheckReport {
        serial: serial(),
        challenge: [1; 16],
        time: u64::MAX,
        reset_counter: 3,
        users: 0,
        credentials: 0,
        controllers: 0,
        setup_mode: true,
        battery_percent: 87,
        motor_ok: true,
        firmware: FirmwareVersion {
            major: 1,
            minor: 0,
            patch: 0,
        },
    };
    SignedSelfCheck::sign(report, &signing_key(5)).unwrap()
}

pub fn reset_record() -> SignedResetRecord {
    let record = ResetRecord {
        serial: serial(),
        reset_counter: u32::MAX,
        trigger: ResetTrigger::Keypad,
        time: u64::MAX,
        last_seq: u64::MAX,
        log_digest: [0xEE; 32],
    };
    SignedResetRecord::sign(record, &signing_key(5)).unwrap()
}

pub fn log_records(n: usize) -> heapless::Vec<LogRecord, LOG_BATCH_MAX> {
    let mut out = heapless::Vec::new();
    let mut prev = [0u8; 32];
    let whats = [
        Action::Unlock,
        Action::CredentialChange(CredentialSlot {
            kind: CredentialKind::Card,
            index: u16::MAX,
        }),
        Action::Pair(ControllerId(u32::MAX)),
        Action::FactoryReset,
    ];
    for i in 0..n {
        let r = LogRecord {
            seq: u64::MAX - 100 + i as u64,
            prev_hash: prev,
            hash: [0xa0 ^ i as u8; 32],
            time: u64::MAX - i as u64,
            who: if i % 4 == 0 {
                // The widest actor: a u64 code id.
                Actor::OfflineCode(u64::MAX)
            } else if i % 2 == 0 {
                Actor::Controller(ControllerId(u32::MAX))
            } else {
                Actor::User(u16::MAX)
            },
            what: whats[i % whats.len()],
            how: Method::Remote,
            result: if i % 3 == 0 {
                LogOutcome::Denied(255)
            } else {
                LogOutcome::Ok
            },
        };
        prev = r.chain_hash().unwrap();
        out.push(r).unwrap();
    }
    out
}

/// One of every lock → controller message, including every command result.
pub fn all_ups() -> Vec<Up> {
    let id = CommandId(u64::MAX);
    let mut digests = SlotDigests::new();
    for i in 0..SLOT_DIGESTS_MAX {
        digests
            .push(SlotDigest {
                user: i as u16,
                digest: [i as u8; 32],
            })
            .unwrap();
    }
    let caps = Capabilities {
        credential_types: CredentialTypes(CredentialTypes::PIN | CredentialTypes::CARD),
        max_users: 100,
        max_credentials_per_user: 5,
        week_day_schedules_per_user: 4,
        year_day_schedules_per_user: 4,
        holiday_schedules: 8,
        max_controllers: 8,
        pin_min_len: 4,
        pin_max_len: 8,
        pin_alphabet: PinAlphabet::Digits,
        trivial_pins: TrivialPinRules(TrivialPinRules::REPEATED | TrivialPinRules::SEQUENTIAL),
        pins_unique: true,
    };
    let results = vec![
        CommandResult::Done,
        CommandResult::User(Some(user())),
        CommandResult::User(None),
        CommandResult::WeekDay(Some(WeekDaySchedule {
            days: DaysMask(1),
            start_minute: 1,
            end_minute: 2,
        })),
        CommandResult::YearDay(Some(YearDaySchedule { from: 1, to: 2 })),
        CommandResult::Holiday(Some(HolidaySchedule {
            from: 1,
            to: 2,
            mode: OperatingMode::Vacation,
        })),
        CommandResult::Holiday(None),
        CommandResult::Settings(settings()),
        CommandResult::ResetNonce(ResetNonce([0xFF; 16])),
        CommandResult::ControllerPaired(ControllerId(2)),
        CommandResult::SlotDigests(digests),
        CommandResult::Capabilities(caps),
        CommandResult::SelfCheck(self_check()),
    ];
    let mut ups: Vec<Up> = results
        .into_iter()
        .map(|r| {
            Up::Applied(Applied {
                id,
                outcome: Outcome::Ok(r),
            })
        })
        .collect();
    ups.push(Up::Applied(Applied {
        id,
        outcome: Outcome::Failed(ErrorCode::ResetToken(ResetTokenError::Expired)),
    }));
    ups.push(Up::Ack(Ack {
        id,
        verdict: Verdict::Accepted,
    }));
    ups.push(Up::Ack(Ack {
        id,
        verdict: Verdict::Refused(ErrorCode::AdminRequired),
    }));
    ups.push(Up::Ack(Ack {
        id,
        verdict: Verdict::Refused(ErrorCode::DuplicatePin),
    }));
    ups.push(Up::Status(status()));
    ups.push(Up::Event(Event::LockOperation {
        kind: LockOperationKind::Unlock,
        source: OperationSource::Remote,
        user: Some(3),
        controller: Some(ControllerId(1)),
        time: u64::MAX,
    }));
    ups.push(Up::Event(Event::OperationError {
        kind: LockOperationKind::Unlock,
        source: OperationSource::Keypad,
        error: OperationErrorCode::LockedOut,
        user: None,
        time: 5,
    }));
    ups.push(Up::Event(Event::UserChange {
        kind: UserChangeKind::Credential(CredentialSlot {
            kind: CredentialKind::Pin,
            index: 1,
        }),
        op: UserChangeOp::Add,
        user: Some(1),
        by: Some(ControllerId(1)),
        time: 9,
    }));
    for code in [
        AlarmCode::LockJammed,
        AlarmCode::LockFactoryReset,
        AlarmCode::WrongCodeEntryLimit,
        AlarmCode::Tamper,
        AlarmCode::ForcedOpen,
        AlarmCode::DoorAjar,
        AlarmCode::LowBattery,
        AlarmCode::CriticalBattery,
        AlarmCode::Duress,
        AlarmCode::ResetRefusedLowBattery,
    ] {
        ups.push(Up::Event(Event::Alarm {
            code,
            time: u64::MAX,
        }));
    }
    ups.push(Up::Log(LogBatch {
        records: log_records(LOG_BATCH_MAX),
        overflow: u32::MAX,
    }));
    ups.push(Up::ResetNotice(ResetNotice {
        record: reset_record(),
    }));
    ups
}
