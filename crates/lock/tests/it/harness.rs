//! Test rig: a lock plus a fake store that applies `Output::persist` the way
//! the device driver must, a virtual clock, a seeded RNG and helpers.

use std::collections::BTreeMap;

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use tumbler_lock::config::BOOT_MS;
use tumbler_lock::reset::SealedResetRecord;
use tumbler_lock::*;

pub const MFR_SEED: [u8; 32] = [7; 32];
pub const T0_UTC: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z, a Thursday

pub fn mfr_pub() -> [u8; 32] {
    ed25519_dalek::SigningKey::from_bytes(&MFR_SEED)
        .verifying_key()
        .to_bytes()
}

pub fn factory() -> FactoryData {
    FactoryData::new("TMB-0001", [42; 32], b"12345678", mfr_pub(), 0)
}

pub fn pin(s: &str) -> Pin {
    Pin::new(s.as_bytes()).unwrap()
}

pub fn card(b: &[u8]) -> user::CardUid {
    heapless::Vec::from_slice(b).unwrap()
}

pub fn label(s: &str) -> heapless::String<16> {
    let mut l = heapless::String::new();
    l.push_str(s).unwrap();
    l
}

/// The admin controller paired by [`Rig::claimed`].
pub const ADMIN: ControllerId = ControllerId(1);
pub const ADMIN_KEY: [u8; 32] = [0xA1; 32];

pub struct Rig {
    pub lock: Lock,
    pub factory: FactoryData,
    pub now: Now,
    pub rng: ChaCha20Rng,
    /// Stored items, as a store would hold them.
    pub items: BTreeMap<u32, Vec<u8>>,
    /// Stored audit log (encoded records).
    pub log: Vec<Vec<u8>>,
    /// Sealed reset records the store received.
    pub resets: Vec<SealedResetRecord>,
    /// Per-controller envelope counters.
    pub counters: BTreeMap<u8, u64>,
    /// Feed `Motor(Done)` automatically after every motor command.
    pub auto_motor: bool,
    pub next_id: u32,
    /// Battery level the driver reports after each power-on.
    pub battery: u8,
}

impl Rig {
    /// A fresh lock out of the box, booted, with the clock set.
    pub fn new() -> Rig {
        Rig::with_seed(1)
    }

    pub fn with_seed(seed: u64) -> Rig {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let now = Now::new(1_000, T0_UTC);
        let f = factory();
        let lock = Lock::new_factory(f.clone(), now, &mut rng);
        let mut r = Rig {
            lock,
            factory: f,
            now,
            rng,
            items: BTreeMap::new(),
            log: Vec::new(),
            resets: Vec::new(),
            counters: BTreeMap::new(),
            auto_motor: true,
            next_id: 1,
            battery: 100,
        };
        r.step(Input::Battery(100));
        let keys = r.lock.item_keys();
        r.persist(&keys);
        r.advance(BOOT_MS);
        r
    }

    /// A lock claimed by an admin controller (ADMIN) with the bolt locked.
    pub fn claimed() -> Rig {
        let mut r = Rig::new();
        let out = r.step(Input::PairFirstAdmin {
            pubkey: ADMIN_KEY,
            label: label("hub"),
        });
        assert_eq!(out.reply.unwrap().result, Ok(ReplyData::Paired(ADMIN)));
        r.step(Input::ManualTurn { locked: true });
        r.step(Input::Door { open: false });
        r
    }

    fn persist(&mut self, keys: &ItemSet) {
        let mut buf = [0u8; MAX_ITEM_SIZE];
        for k in keys.iter() {
            match self.lock.encode_item(k, &mut buf).unwrap() {
                Some(n) => {
                    self.items.insert(k.to_u32(), buf[..n].to_vec());
                }
                None => {
                    self.items.remove(&k.to_u32());
                }
            }
        }
    }

    /// Applies an output to the fake store exactly as the driver must.
    fn apply(&mut self, out: &Output) {
        if let Some(rec) = &out.persist.reset {
            self.items.clear();
            self.log.clear();
            self.factory.reset_counter = rec.record.counter;
            self.resets.push(*rec);
        }
        self.persist(&out.persist.items);
        if let Some(a) = &out.audit {
            let mut buf = [0u8; audit::MAX_AUDIT_RECORD];
            let n = a.encode(&mut buf).unwrap();
            self.log.push(buf[..n].to_vec());
        }
    }

    /// One input at the current time; persists; feeds motor feedback and
    /// performs a requested reboot like a driver.
    pub fn step(&mut self, input: Input) -> Output {
        if let Input::Battery(b) = input {
            self.battery = b;
        }
        let out = self.lock.handle(self.now, input, &mut self.rng);
        self.apply(&out);
        if self.auto_motor && out.motor.is_some() {
            let o2 = self
                .lock
                .handle(self.now, Input::Motor(MotorFeedback::Done), &mut self.rng);
            self.apply(&o2);
        }
        if out.reboot {
            self.reboot();
        }
        out
    }

    /// Power cycle through the store: restore from items and log, boot.
    pub fn reboot(&mut self) {
        self.now = self.now.later(10);
        let items: Vec<(u32, Vec<u8>)> = self.items.iter().map(|(k, v)| (*k, v.clone())).collect();
        self.lock = Lock::restore(
            self.factory.clone(),
            items.iter().map(|(k, v)| (*k, v.as_slice())),
            self.log.iter().map(|v| v.as_slice()),
            self.now,
        )
        .expect("restore");
        let out = self.lock.handle(self.now, Input::PowerOn, &mut self.rng);
        self.apply(&out);
        let b = self.battery;
        let out = self.lock.handle(self.now, Input::Battery(b), &mut self.rng);
        self.apply(&out);
    }

    /// Reboot and wait out the boot window.
    pub fn reboot_and_boot(&mut self) {
        self.reboot();
        self.advance(BOOT_MS);
    }

    /// Advances both clocks and ticks.
    pub fn advance(&mut self, ms: u64) -> Output {
        self.now = self.now.later(ms);
        self.step(Input::Tick)
    }

    /// Types digits (and `*`) then `#`.
    pub fn type_keys(&mut self, s: &str) -> Output {
        for c in s.chars() {
            let k = match c {
                '*' => Key::Star,
                '#' => Key::Hash,
                d => Key::Digit(d.to_digit(10).unwrap() as u8),
            };
            self.step(Input::Key(k));
        }
        self.step(Input::Key(Key::Hash))
    }

    /// A remote command from `from` with a fresh counter.
    pub fn cmd_out(&mut self, from: ControllerId, cmd: Command) -> Output {
        let c = self.counters.entry(from.0).or_insert(0);
        *c += 1;
        let counter = *c;
        let id = self.next_id;
        self.next_id += 1;
        let out = self.step(Input::Command {
            from,
            id,
            counter,
            cmd,
        });
        assert_eq!(out.reply.as_ref().unwrap().id, id);
        out
    }

    pub fn cmd(&mut self, from: ControllerId, cmd: Command) -> Result<ReplyData, CommandError> {
        self.cmd_out(from, cmd).reply.unwrap().result
    }

    pub fn admin(&mut self, cmd: Command) -> Result<ReplyData, CommandError> {
        self.cmd(ADMIN, cmd)
    }

    /// Creates user `index` of type `t` with a PIN in slot 0.
    pub fn add_pin_user(&mut self, index: UserIndex, t: UserType, p: &str) {
        self.admin(Command::SetUser {
            index,
            fields: UserFields::new("u", t),
        })
        .unwrap();
        self.admin(Command::SetCredential {
            user: index,
            slot: 0,
            credential: NewCredential::Pin(pin(p)),
        })
        .unwrap();
    }

    /// Locks the bolt by hand so the next grant shows as a motor unlock.
    pub fn relock(&mut self) {
        self.step(Input::ManualTurn { locked: true });
    }

    /// Whether this output opened the door.
    pub fn opened(out: &Output) -> bool {
        out.events.iter().any(|e| {
            matches!(
                e,
                Event::LockOperation {
                    op: output::LockOp::Unlock,
                    ..
                }
            )
        })
    }

    /// Whether the PIN opens now (then relocks by hand).
    pub fn pin_opens(&mut self, p: &str) -> bool {
        let out = self.type_keys(p);
        let ok = Rig::opened(&out);
        if ok {
            self.relock();
        }
        ok
    }
}

/// Behavioural snapshot of persistent state, for "unchanged" checks.
pub fn snapshot(l: &Lock) -> (Vec<(u16, User)>, Settings, u32, [u8; 32], usize) {
    (
        l.users().map(|(i, u)| (i, u.clone())).collect(),
        *l.settings(),
        l.version(),
        l.overall_digest(),
        l.controllers().count(),
    )
}
