//! The [`Lock`] state: persistent parts (one field per item group) and the
//! RAM-only parts, construction, read accessors and persistence
//! (`encode_item`, `item_keys`, `restore`).

use serde::{Deserialize, Serialize};
use subtle::{ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroize;

use crate::audit::{AuditLog, AuditRecord, LogMeta};
use crate::config::{
    AUDIT_RING, AUDIT_SEQ_LEASE, BOOT_MS, CREDENTIALS_PER_USER, HOLIDAY_SCHEDULES,
    KEYPAD_TIMEOUT_MS, LABEL_LEN, MAX_CONTROLLERS, MAX_USERS, NONCE_VALID_MS,
};
use crate::crypto::{hmac, OpKeys};
use crate::input::Role;
use crate::output::{
    BoltState, Capabilities, DoorState, Status, CAP_APP_KEY, CAP_AUTO_RELOCK, CAP_DIGEST,
    CAP_DOOR_SENSOR, CAP_FINGERPRINT, CAP_HOLIDAY, CAP_MFR_RESET, CAP_PIN, CAP_RFID,
    CAP_SELF_CHECK, CAP_TWO_FACTOR, CAP_TZ_RULE, CAP_WEEK_DAY, CAP_YEAR_DAY,
};
use crate::persist::{EncodeError, ItemKey, ItemSet, RestoreError};
use crate::reset::FactoryData;
use crate::schedule::HolidaySchedule;
use crate::settings::{OperatingMode, Settings};
use crate::slots::UserSlots;
use crate::time::{Now, TzRule};
use crate::user::{ControllerId, StoredCredential, User, UserIndex};

/// A paired controller (hub, phone): like a Matter fabric.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Controller {
    /// Ed25519 public key; proto authenticates envelopes with it.
    pub pubkey: [u8; 32],
    /// Admin or user.
    pub role: Role,
    /// Label.
    pub label: heapless::String<LABEL_LEN>,
    /// Highest envelope counter accepted (replay guard).
    pub counter: u64,
}

/// Wrong-code counter and lockout (item `Security`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Security {
    /// Wrong entries since the last success or lockout.
    pub wrong: u8,
    /// Lockouts in a row (escalation).
    pub lockouts: u8,
    /// Length of the active lockout in ms, 0 = none. Re-armed in full at
    /// boot: a battery pull can lengthen a lockout, never shorten it.
    pub lockout_ms: u64,
}

/// Setup flag and change version (item `Meta`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Meta {
    /// Unclaimed: no admin enrolled or paired since the last factory reset.
    pub setup_mode: bool,
    /// Bumped on every change to users, credentials or schedules.
    pub version: u32,
}

/// Which credential a pending two-factor first step used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PendingFactor {
    pub user: UserIndex,
    pub pin: bool,
    pub until: u64,
}

/// RAM-only state: dropped by a reboot.
#[derive(Clone, Debug, Default)]
pub(crate) struct Ram {
    pub boot_until: u64,
    pub keypad: heapless::Vec<u8, 32>,
    pub last_key_ms: u64,
    pub reset_down_at: Option<u64>,
    pub reset_armed: bool,
    pub program_until: Option<u64>,
    pub pending: Option<PendingFactor>,
    pub lockout_until: Option<u64>,
    pub relock_at: Option<u64>,
    pub timed_relock_ms: Option<u64>,
    pub door_open_since: Option<u64>,
    pub ajar_reported: bool,
    pub nonce: Option<([u8; 16], u64)>,
    pub bolt: BoltState,
    pub door: DoorState,
    /// Last reported battery percent; `None` until the driver reports it after power-on.
    pub battery: Option<u8>,
    pub low_battery_reported: bool,
    pub critical_battery_reported: bool,
    pub motor_jammed: bool,
    pub last_mode: OperatingMode,
}

impl Ram {
    pub(crate) fn boot(
        now: Now,
        bolt: BoltState,
        door: DoorState,
        battery: Option<u8>,
        mode: OperatingMode,
    ) -> Ram {
        let mut r = Ram::default();
        r.boot_until = now.mono_ms.saturating_add(BOOT_MS);
        r.bolt = bolt;
        r.door = door;
        r.battery = battery;
        r.last_mode = mode;
        r
    }
    pub(crate) fn clear_keypad(&mut self) {
        self.keypad.as_mut_slice().zeroize();
        self.keypad.clear();
    }
}

impl Drop for Ram {
    fn drop(&mut self) {
        self.clear_keypad();
    }
}

/// One lock: the complete state, driven by [`Lock::handle`].
pub struct Lock {
    pub(crate) factory: FactoryData,
    pub(crate) keys: OpKeys,
    pub(crate) settings: Settings,
    pub(crate) tz: TzRule,
    pub(crate) holidays: [Option<HolidaySchedule>; HOLIDAY_SCHEDULES],
    pub(crate) users: UserSlots,
    pub(crate) controllers: [Option<Controller>; MAX_CONTROLLERS],
    pub(crate) security: Security,
    pub(crate) meta: Meta,
    pub(crate) log: AuditLog,
    pub(crate) hotel: crate::hotel::Hotel,
    pub(crate) offline: crate::offline::Offline,
    pub(crate) ram: Ram,
}

impl core::fmt::Debug for Lock {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Lock")
            .field("serial", &self.factory.serial)
            .field("setup_mode", &self.meta.setup_mode)
            .field("users", &self.user_count())
            .field("controllers", &self.controller_count())
            .finish_non_exhaustive()
    }
}

impl Lock {
    /// A lock fresh out of the box: setup mode, default settings, new
    /// operational keys from `rng`. The driver must persist every
    /// [`Lock::item_keys`] item before acting on the lock.
    pub fn new_factory<R: rand_core::CryptoRng + ?Sized>(
        factory: FactoryData,
        now: Now,
        rng: &mut R,
    ) -> Lock {
        Lock {
            factory,
            keys: OpKeys::generate(rng),
            settings: Settings::default(),
            tz: TzRule::UTC,
            holidays: Default::default(),
            users: UserSlots::new(),
            controllers: Default::default(),
            security: Security::default(),
            meta: Meta {
                setup_mode: true,
                version: 0,
            },
            log: AuditLog::new([0; 32]),
            hotel: Default::default(),
            offline: Default::default(),
            ram: Ram::boot(
                now,
                BoltState::Unknown,
                DoorState::Unknown,
                None,
                OperatingMode::Normal,
            ),
        }
    }

    // ---- read accessors -------------------------------------------------

    /// Public parts of the factory data: serial.
    pub fn serial(&self) -> &str {
        &self.factory.serial
    }
    /// Factory reset counter.
    pub fn reset_counter(&self) -> u32 {
        self.factory.reset_counter
    }
    /// Factory identity public key (verifies reset records and self-checks).
    pub fn identity_public_key(&self) -> [u8; 32] {
        self.factory.identity_public()
    }
    /// Setup code (for the proto PAKE).
    pub fn setup_code(&self) -> &[u8] {
        &self.factory.setup_code
    }
    /// Operational key seed, for proto's key derivation only. Rotated at
    /// every factory reset, which is what makes old controllers stale.
    pub fn operational_seed(&self) -> &[u8; 32] {
        &self.keys.op_seed
    }
    /// Ed25519 public key derived from the operational seed.
    pub fn operational_public_key(&self) -> [u8; 32] {
        ed25519_dalek::SigningKey::from_bytes(&self.keys.op_seed)
            .verifying_key()
            .to_bytes()
    }
    /// Settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }
    /// Time-zone rule.
    pub fn time_rule(&self) -> &TzRule {
        &self.tz
    }
    /// Whether the lock is unclaimed.
    pub fn is_setup_mode(&self) -> bool {
        self.meta.setup_mode
    }
    /// A user slot.
    pub fn user(&self, index: UserIndex) -> Option<&User> {
        self.users.get(usize::from(index).checked_sub(1)?)
    }
    /// Occupied user slots.
    pub fn users(&self) -> impl Iterator<Item = (UserIndex, &User)> {
        self.users
            .occupied()
            .filter_map(|(i, u)| Some((u16::try_from(i + 1).ok()?, u)))
    }
    /// A holiday slot.
    pub fn holiday(&self, slot: u8) -> Option<&HolidaySchedule> {
        self.holidays.get(usize::from(slot))?.as_ref()
    }
    /// A controller slot.
    pub fn controller(&self, id: ControllerId) -> Option<&Controller> {
        self.controllers
            .get(usize::from(id.0).checked_sub(1)?)?
            .as_ref()
    }
    /// Paired controllers.
    pub fn controllers(&self) -> impl Iterator<Item = (ControllerId, &Controller)> {
        self.controllers
            .iter()
            .enumerate()
            .filter_map(|(i, c)| Some((ControllerId(u8::try_from(i + 1).ok()?), c.as_ref()?)))
    }
    /// The controller paired with this public key.
    pub fn controller_by_key(&self, pubkey: &[u8; 32]) -> Option<ControllerId> {
        self.controllers()
            .find(|(_, c)| &c.pubkey == pubkey)
            .map(|(id, _)| id)
    }
    /// Bolt state.
    pub fn bolt(&self) -> BoltState {
        self.ram.bolt
    }
    /// Door state.
    pub fn door(&self) -> DoorState {
        self.ram.door
    }
    /// Battery percent last reported since power-on (`None`: not yet reported;
    /// factory resets are refused until it is).
    pub fn battery(&self) -> Option<u8> {
        self.ram.battery
    }
    /// Change version of users/credentials/schedules.
    pub fn version(&self) -> u32 {
        self.meta.version
    }
    /// Unacknowledged audit records, oldest first.
    pub fn audit_pending(&self) -> impl Iterator<Item = &AuditRecord> {
        self.log.pending()
    }
    /// Audit bookkeeping: next sequence number, chain head, ack and lost count.
    pub fn audit_state(&self) -> (u32, [u8; 32], LogMeta) {
        (self.log.next_seq(), self.log.head(), self.log.meta())
    }
    /// Remaining keypad lockout in ms at `now` (0 = none).
    pub fn lockout_remaining_ms(&self, now: Now) -> u64 {
        self.ram
            .lockout_until
            .map_or(0, |u| u.saturating_sub(now.mono_ms))
    }
    /// Wrong code entries counted towards the limit.
    pub fn wrong_codes(&self) -> u8 {
        self.security.wrong
    }
    pub(crate) fn user_count(&self) -> u16 {
        u16::try_from(self.users.occupied().count()).unwrap_or(u16::MAX)
    }
    pub(crate) fn credential_count(&self) -> u16 {
        let n: usize = self
            .users
            .occupied()
            .map(|(_, u)| User::credential_count(u))
            .sum();
        u16::try_from(n).unwrap_or(u16::MAX)
    }
    pub(crate) fn controller_count(&self) -> u8 {
        u8::try_from(self.controllers.iter().filter(|c| c.is_some()).count()).unwrap_or(u8::MAX)
    }
    /// The operating mode in force at `now`: a holiday's mode while one is active.
    pub fn effective_mode(&self, now: Now) -> OperatingMode {
        if let Some(utc) = now.utc_s {
            if let Some(h) = self.holidays.iter().flatten().find(|h| h.contains(utc)) {
                return h.mode;
            }
        }
        self.settings.mode
    }

    /// Keyed digest of one user slot: all zero for an empty slot, otherwise
    /// HMAC-SHA256 (digest key derived from the operational seed) over the
    /// slot index and its encoding (PINs appear only as their keyed hashes).
    pub fn user_digest(&self, index: UserIndex) -> [u8; 32] {
        let Some(u) = self.user(index) else {
            return [0; 32];
        };
        let mut buf = [0u8; crate::persist::MAX_ITEM_SIZE];
        let n = postcard::to_slice(u, &mut buf)
            .map(|s| s.len())
            .unwrap_or(0);
        hmac(
            &self.keys.digest_key(),
            &[b"slot", &index.to_be_bytes(), buf.get(..n).unwrap_or(&[])],
        )
    }
    /// Keyed digest over the version, every slot digest and the holidays.
    pub fn overall_digest(&self) -> [u8; 32] {
        let key = self.keys.digest_key();
        let mut acc = hmac(&key, &[b"all", &self.meta.version.to_be_bytes()]);
        for i in 1..=MAX_USERS {
            let idx = u16::try_from(i).unwrap_or(0);
            acc = hmac(&key, &[&acc, &self.user_digest(idx)]);
        }
        let mut buf = [0u8; crate::persist::MAX_ITEM_SIZE];
        let n = postcard::to_slice(&self.holidays, &mut buf)
            .map(|s| s.len())
            .unwrap_or(0);
        hmac(&key, &[&acc, buf.get(..n).unwrap_or(&[])])
    }

    /// Status report at `now`.
    pub fn status(&self, now: Now) -> Status {
        Status {
            bolt: self.ram.bolt,
            door: self.ram.door,
            mode: self.settings.mode,
            effective_mode: self.effective_mode(now),
            battery_pct: self.ram.battery,
            setup_mode: self.meta.setup_mode,
            users: self.user_count(),
            credentials: self.credential_count(),
            controllers: self.controller_count(),
            version: self.meta.version,
            digest: self.overall_digest(),
            lockout_remaining_ms: self.lockout_remaining_ms(now),
            wrong_codes: self.security.wrong,
            log_next_seq: self.log.next_seq(),
            log_acked: self.log.meta().acked,
            log_lost: self.log.meta().lost,
            log_breaks: self.log.meta().breaks,
            reset_counter: self.factory.reset_counter,
            time_set: now.utc_s.is_some(),
        }
    }

    /// Capabilities and code constraints.
    pub fn capabilities(&self) -> Capabilities {
        Capabilities {
            flags: CAP_PIN
                | CAP_RFID
                | CAP_FINGERPRINT
                | CAP_APP_KEY
                | CAP_WEEK_DAY
                | CAP_YEAR_DAY
                | CAP_HOLIDAY
                | CAP_DOOR_SENSOR
                | CAP_AUTO_RELOCK
                | CAP_TWO_FACTOR
                | CAP_TZ_RULE
                | CAP_SELF_CHECK
                | CAP_MFR_RESET
                | CAP_DIGEST,
            max_users: u16::try_from(MAX_USERS).unwrap_or(u16::MAX),
            credentials_per_user: u8::try_from(CREDENTIALS_PER_USER).unwrap_or(u8::MAX),
            week_day_schedules: u8::try_from(crate::config::WEEK_DAY_SCHEDULES_PER_USER)
                .unwrap_or(u8::MAX),
            year_day_schedules: u8::try_from(crate::config::YEAR_DAY_SCHEDULES_PER_USER)
                .unwrap_or(u8::MAX),
            holidays: u8::try_from(HOLIDAY_SCHEDULES).unwrap_or(u8::MAX),
            max_controllers: u8::try_from(MAX_CONTROLLERS).unwrap_or(u8::MAX),
            pin_min_len: self.settings.pin_min_len,
            pin_max_len: self.settings.pin_max_len,
            pin_digits_only: true,
            pin_forbid_trivial: self.settings.forbid_trivial_pins,
            pin_unique: true,
        }
    }

    /// The earliest monotonic ms at which a [`crate::Input::Tick`] has work
    /// to do (timers), if any; a past value means "tick now". Holiday
    /// boundaries are UTC-based and not included: the driver should also
    /// tick at least once a minute.
    pub fn next_deadline(&self) -> Option<u64> {
        let r = &self.ram;
        let hold_ms = u64::from(self.settings.reset_hold_s) * 1000;
        let cands = [
            (r.boot_until > 0).then_some(r.boot_until),
            (!r.keypad.is_empty()).then(|| r.last_key_ms.saturating_add(KEYPAD_TIMEOUT_MS)),
            r.reset_down_at
                .filter(|_| !r.reset_armed)
                .map(|d| d.saturating_add(hold_ms)),
            r.program_until,
            r.pending.map(|p| p.until),
            r.lockout_until,
            // While the door is open the relock waits for it to close (an
            // input), so it is no deadline.
            r.relock_at
                .filter(|_| matches!(r.door, DoorState::Closed | DoorState::Unknown)),
            r.door_open_since
                .filter(|_| !r.ajar_reported)
                .map(|s| s.saturating_add(u64::from(self.settings.door_ajar_s) * 1000)),
            r.nonce.map(|(_, t)| t.saturating_add(NONCE_VALID_MS)),
        ];
        cands.into_iter().flatten().min()
    }

    // ---- credential matching ---------------------------------------------

    /// Finds the PIN among all credential slots of all user slots. The HMAC
    /// is computed once and every slot (occupied or not) is compared in
    /// constant time, so the cost does not depend on how many users exist
    /// or which one matches.
    pub(crate) fn find_pin(&self, pin: &[u8]) -> Option<(UserIndex, u8)> {
        let tag = self.keys.pin_hash(pin);
        let dummy = [0u8; 32];
        let mut found = subtle::Choice::from(0);
        let mut user: u16 = 0;
        let mut slot: u8 = 0;
        for (ui, u) in self.users.all().enumerate() {
            let creds = u.map(|u| &u.credentials);
            for si in 0..CREDENTIALS_PER_USER {
                let (stored, is_pin) = match creds.and_then(|c| c.get(si)) {
                    Some(Some(StoredCredential::Pin(h))) => (h, 1u8),
                    _ => (&dummy, 0u8),
                };
                // black_box: the compiler must not specialise the loop for empty
                // slots (it did: comparing against a known constant dummy was
                // cheaper), which would make the cost depend on the user count.
                let stored: &[u8; 32] = core::hint::black_box(stored);
                let hit = stored.ct_eq(&tag) & subtle::Choice::from(is_pin);
                let ui16 = u16::try_from(ui + 1).unwrap_or(0);
                let si8 = u8::try_from(si).unwrap_or(0);
                user.conditional_assign(&ui16, hit);
                slot.conditional_assign(&si8, hit);
                found |= hit;
            }
        }
        bool::from(found).then_some((user, slot))
    }

    /// Finds a non-PIN credential (card, fingerprint, app key).
    pub(crate) fn find_credential(&self, cred: &StoredCredential) -> Option<(UserIndex, u8)> {
        self.users().find_map(|(i, u)| {
            u.credentials
                .iter()
                .position(|c| c.as_ref() == Some(cred))
                .and_then(|s| Some((i, u8::try_from(s).ok()?)))
        })
    }

    /// Whether any slot other than `except` holds `cred` (PIN by hash).
    pub(crate) fn credential_taken(
        &self,
        cred: &StoredCredential,
        except: Option<(UserIndex, u8)>,
    ) -> bool {
        self.users().any(|(i, u)| {
            u.credentials.iter().enumerate().any(|(s, c)| {
                c.as_ref() == Some(cred) && Some((i, u8::try_from(s).unwrap_or(u8::MAX))) != except
            })
        })
    }

    // ---- persistence ------------------------------------------------------

    /// Keys of every item present in the current state (fixed items,
    /// occupied controller and user slots). After [`Lock::new_factory`] the
    /// driver persists all of them.
    pub fn item_keys(&self) -> ItemSet {
        let mut s = ItemSet::new();
        for k in ItemKey::all() {
            let present = match k {
                ItemKey::Controller(c) => self.controller(c).is_some(),
                ItemKey::User(u) => self.user(u).is_some(),
                _ => true,
            };
            if present {
                s.insert(k);
            }
        }
        s
    }

    /// Encodes one item into `buf` (postcard). `Ok(None)`: the item is
    /// absent (empty slot) and the store should delete it.
    pub fn encode_item(&self, key: ItemKey, buf: &mut [u8]) -> Result<Option<usize>, EncodeError> {
        fn enc<T: Serialize>(v: &T, buf: &mut [u8]) -> Result<Option<usize>, EncodeError> {
            match postcard::to_slice(v, buf) {
                Ok(s) => Ok(Some(s.len())),
                Err(postcard::Error::SerializeBufferFull) => Err(EncodeError::BufferTooSmall),
                Err(_) => Err(EncodeError::LogicBug),
            }
        }
        match key {
            ItemKey::Settings => enc(&self.settings, buf),
            ItemKey::Security => enc(&self.security, buf),
            ItemKey::Keys => enc(&self.keys, buf),
            ItemKey::TimeRule => enc(&self.tz, buf),
            ItemKey::Holidays => enc(&self.holidays, buf),
            ItemKey::Log => enc(&self.log.meta(), buf),
            ItemKey::Meta => enc(&self.meta, buf),
            ItemKey::Hotel => enc(&self.hotel, buf),
            ItemKey::Offline => enc(&self.offline, buf),
            ItemKey::Controller(c) => match self.controller(c) {
                Some(v) => enc(v, buf),
                None => Ok(None),
            },
            ItemKey::User(u) => match self.user(u) {
                Some(v) => enc(v, buf),
                None => Ok(None),
            },
        }
    }

    /// Rebuilds a lock at boot from its stored items and audit log (oldest
    /// record first; records that are not audit records or do not chain are
    /// counted as log breaks, see [`crate::Event::LogChainBroken`]). RAM-only state starts fresh (boot window, no half-typed
    /// PIN); an active lockout is re-armed for its full length.
    pub fn restore<'a>(
        factory: FactoryData,
        items: impl Iterator<Item = (u32, &'a [u8])>,
        log: impl Iterator<Item = &'a [u8]>,
        now: Now,
    ) -> Result<Lock, RestoreError> {
        let mut keys: Option<OpKeys> = None;
        let mut settings = Settings::default();
        let mut tz = TzRule::UTC;
        let mut holidays: [Option<HolidaySchedule>; HOLIDAY_SCHEDULES] = Default::default();
        let mut users = UserSlots::new();
        let mut controllers: [Option<Controller>; MAX_CONTROLLERS] = Default::default();
        let mut security = Security::default();
        let mut meta: Option<Meta> = None;
        let mut log_meta = LogMeta::default();
        let mut hotel = crate::hotel::Hotel::default();
        let mut offline = crate::offline::Offline::default();
        let mut any = false;
        for (raw, bytes) in items {
            any = true;
            let bad = RestoreError::BadItem(raw);
            let key = ItemKey::from_u32(raw).ok_or(bad)?;
            match key {
                ItemKey::Settings => settings = Settings::from_item(bytes).ok_or(bad)?,
                ItemKey::Security => security = postcard::from_bytes(bytes).map_err(|_| bad)?,
                ItemKey::Keys => keys = Some(postcard::from_bytes(bytes).map_err(|_| bad)?),
                ItemKey::TimeRule => {
                    let r: TzRule = postcard::from_bytes(bytes).map_err(|_| bad)?;
                    r.validate().map_err(|_| bad)?;
                    tz = r;
                }
                ItemKey::Holidays => holidays = postcard::from_bytes(bytes).map_err(|_| bad)?,
                ItemKey::Log => log_meta = LogMeta::from_item(bytes).ok_or(bad)?,
                ItemKey::Meta => meta = Some(postcard::from_bytes(bytes).map_err(|_| bad)?),
                ItemKey::Hotel => hotel = postcard::from_bytes(bytes).map_err(|_| bad)?,
                ItemKey::Offline => offline = postcard::from_bytes(bytes).map_err(|_| bad)?,
                ItemKey::Controller(c) => {
                    let slot = controllers
                        .get_mut(usize::from(c.0).wrapping_sub(1))
                        .ok_or(bad)?;
                    *slot = Some(postcard::from_bytes(bytes).map_err(|_| bad)?);
                }
                ItemKey::User(u) => {
                    let i = usize::from(u).wrapping_sub(1);
                    if !UserSlots::in_range(i) {
                        return Err(bad);
                    }
                    users.put(i, postcard::from_bytes(bytes).map_err(|_| bad)?);
                }
            }
        }
        if !any {
            return Err(RestoreError::Empty);
        }
        let keys = keys.ok_or(RestoreError::MissingKeys)?;
        let meta = meta.unwrap_or(Meta {
            setup_mode: users.occupied().next().is_none()
                && controllers.iter().all(Option::is_none),
            version: 0,
        });

        let mut audit = AuditLog::new([0; 32]);
        audit.meta = log_meta;
        let mut prev: Option<AuditRecord> = None;
        // Records found missing at this boot (damaged flash), not counted before.
        let mut missing: u32 = 0;
        // The log is evidence, not state: a record that does not decode or
        // does not chain is counted as a break (reported by the next
        // `PowerOn` as `Event::LogChainBroken`) and the chain continues from
        // the last good record. Refusing to boot would instead lock the
        // household out over a log glitch.
        for bytes in log {
            let Ok(rec) = AuditRecord::decode(bytes) else {
                audit.unreported_breaks = audit.unreported_breaks.saturating_add(1);
                continue;
            };
            if let Some(p) = &prev {
                if rec.prev != p.hash() || rec.seq != p.seq.wrapping_add(1) {
                    audit.unreported_breaks = audit.unreported_breaks.saturating_add(1);
                }
                // A hole in the middle (a damaged page): the numbers between are lost records,
                // unless an earlier boot counted this hole already.
                if rec.seq > p.seq.wrapping_add(1) && rec.seq > log_meta.checked {
                    missing = missing.saturating_add(rec.seq - p.seq - 1);
                }
            }
            if log_meta.acked.is_none_or(|a| rec.seq > a) {
                if audit.ring.len() >= AUDIT_RING {
                    audit.ring.pop_front();
                }
                let _ = audit.ring.push_back(rec);
            }
            prev = Some(rec);
        }
        match prev {
            Some(last) => {
                audit.next_seq = last.seq.wrapping_add(1);
                audit.head = last.hash();
            }
            None => audit.next_seq = log_meta.acked.map_or(0, |a| a.wrapping_add(1)),
        }
        // The record that raised the floor to `reserved` was written (its step committed the
        // floor first and carries the record along, see the device's pending audit record). If
        // the log no longer reaches it, its tail was damaged: continue above every number ever
        // handed out and count the numbers in between as lost. That count is an upper bound:
        // up to `AUDIT_SEQ_LEASE - 1` of them may never have been used.
        let written = log_meta.reserved.checked_sub(AUDIT_SEQ_LEASE);
        if written.is_some_and(|w| audit.next_seq <= w) {
            missing = missing.saturating_add(log_meta.reserved - audit.next_seq);
            audit.next_seq = log_meta.reserved;
        }
        if missing > 0 {
            audit.meta.lost = audit.meta.lost.saturating_add(missing);
            audit.meta.checked = audit.next_seq;
            audit.unreported_lost = missing;
        }

        let mut lock = Lock {
            factory,
            keys,
            settings,
            tz,
            holidays,
            users,
            controllers,
            security,
            meta,
            log: audit,
            hotel,
            offline,
            ram: Ram::default(),
        };
        lock.power_on(now);
        Ok(lock)
    }

    /// Drops RAM-only state as a power cycle does and re-arms persisted timers.
    pub(crate) fn power_on(&mut self, now: Now) {
        let mode = self.effective_mode(now);
        // Batteries may have been swapped: the level is unknown until reported.
        self.ram = Ram::boot(now, BoltState::Unknown, DoorState::Unknown, None, mode);
        if self.security.lockout_ms > 0 {
            self.ram.lockout_until = Some(now.mono_ms.saturating_add(self.security.lockout_ms));
        }
    }
}
