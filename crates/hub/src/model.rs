//! Domain types shared by the store, the services and the API: roles, lock
//! and operation states, and the records the hub keeps. Times are Unix
//! milliseconds inside the hub and RFC 3339 strings on the wire.

use serde::{Deserialize, Serialize};

pub use tumbler_control::access::DoorState;
pub use tumbler_control::proto::CredentialKind;
pub use tumbler_control::OpName;

/// Unix milliseconds as RFC 3339 strings on the wire, both ways. A time
/// outside jiff's range is written as the bare number and read back as one,
/// so every value round-trips.
pub mod ts {
    use serde::{Deserialize, Deserializer, Serializer};

    /// The wire text of a time (what [`ser`] writes).
    pub fn text(ms: i64) -> String {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| t.to_string())
            .unwrap_or_else(|_| ms.to_string())
    }

    /// Reads what [`text`] wrote.
    pub fn parse(s: &str) -> Option<i64> {
        match s.parse::<jiff::Timestamp>() {
            Ok(t) => Some(t.as_millisecond()),
            Err(_) => s.parse().ok(),
        }
    }

    /// Serialises a time.
    pub fn ser<S: Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&text(*ms))
    }

    /// Serialises an optional time (`null` when absent).
    pub fn ser_opt<S: Serializer>(ms: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match ms {
            Some(ms) => s.serialize_str(&text(*ms)),
            None => s.serialize_none(),
        }
    }

    fn from_text<E: serde::de::Error>(s: &str) -> Result<i64, E> {
        parse(s).ok_or_else(|| E::custom(format!("not an RFC 3339 time: {s:?}")))
    }

    /// Deserialises what [`ser`] wrote.
    pub fn de<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        from_text(&String::deserialize(d)?)
    }

    /// Deserialises what [`ser_opt`] wrote.
    pub fn de_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| from_text(&s))
            .transpose()
    }
}

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[non_exhaustive]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and wire spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }

            /// Parses the stored and wire spelling.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// What an account may do inside its organisation.
    Role {
        /// Everything, including accounts and the organisation itself.
        Owner => "owner",
        /// Sites, locks, operations, history; accounts below manager.
        Manager => "manager",
        /// Sees sites and locks to install them; no history or alerts.
        Installer => "installer",
        /// Read-only help desk: locks, operations, history, alerts.
        Support => "support",
    }
);

string_enum!(
    /// The hub's binding to a lock.
    ClaimState {
        /// Known (seen on the broker) but owned by nobody.
        Unclaimed => "unclaimed",
        /// Bound to an organisation; the lock honours the hub.
        Claimed => "claimed",
        /// The lock was factory reset: the binding is no longer honoured and
        /// the owner must re-claim or release it.
        ResetBindingStale => "reset_binding_stale",
        /// The owner gave it up.
        Released => "released",
    }
);

string_enum!(
    /// Whether a lock can be talked to now. `online`/`offline` follow the
    /// broker's availability (the lock's last will marks it offline within
    /// the keepalive); `unresponsive` is a lock the broker shows connected
    /// that left an operation unanswered (frozen firmware) until it answers
    /// again.
    Presence {
        /// Connected and answering.
        Online => "online",
        /// Not connected to the broker (no power, no network).
        Offline => "offline",
        /// Connected but not answering.
        Unresponsive => "unresponsive",
    }
);

string_enum!(
    /// Life of a remote operation: `pending → sent → applied | refused | failed`.
    OpState {
        /// Queued; waits for the lock to be online and earlier operations done.
        Pending => "pending",
        /// Claimed by a worker and sent; waiting for the lock's answer.
        Sent => "sent",
        /// The lock reported it applied.
        Applied => "applied",
        /// The lock answered no (e.g. not allowed, low battery).
        Refused => "refused",
        /// Gave up: out of attempts or an error on the hub side.
        Failed => "failed",
    }
);

string_enum!(
    /// Life of a post-reset verification: `running → done | failed`.
    VerificationState {
        /// Its operations are queued or sent; the report is not built yet.
        Running => "running",
        /// Every answer arrived; the report is there.
        Done => "done",
        /// An operation was refused or failed; `error` says why.
        Failed => "failed",
    }
);

string_enum!(
    /// How urgent an alert is.
    Severity {
        /// For the record.
        Info => "info",
        /// Needs attention soon.
        Warning => "warning",
        /// Needs attention now.
        Critical => "critical",
    }
);

string_enum!(
    /// What an alert is about; stored under these names. Severity and the
    /// default text come from [`AlertKind::severity`] and [`AlertKind::text`],
    /// and which lock alarm or event raises which kind from
    /// the lock plane's `alerts` module — one table each.
    AlertKind {
        /// The broker reports the lock offline.
        LockOffline => "lock_offline",
        /// The lock is connected but left an operation unanswered.
        LockUnresponsive => "lock_unresponsive",
        /// The lock was factory reset: its binding is stale.
        ResetDetected => "reset_detected",
        /// Battery at or below 20 %.
        BatteryLow => "battery_low",
        /// Battery at or below 5 %.
        BatteryCritical => "battery_critical",
        /// The lock's clock is off.
        ClockDrift => "clock_drift",
        /// The bolt jammed.
        Jammed => "jammed",
        /// Too many wrong codes: the keypad is disabled for a while.
        WrongCodeLimit => "wrong_code_limit",
        /// Tamper switch.
        Tamper => "tamper",
        /// The door was forced open.
        DoorForced => "door_forced",
        /// The door was left ajar.
        DoorAjar => "door_ajar",
        /// A duress code was used.
        Duress => "duress",
        /// A factory reset was refused because the battery is too low.
        ResetRefusedLowBattery => "reset_refused_low_battery",
        /// A controller the hub does not know talked to the lock.
        UnknownController => "unknown_controller",
        /// Events missing from the lock's sequence.
        EventGap => "event_gap",
        /// Audit records missing.
        LogGap => "log_gap",
        /// Audit records lost by the lock (ring overflow).
        LogLost => "log_lost",
        /// An audit record does not chain from its predecessor.
        LogChainBreak => "log_chain_break",
        /// Two different audit records with one sequence number.
        LogConflict => "log_conflict",
        /// A frame claiming to be the lock's factory-signed word (a reset record,
        /// self-check or statement) failed its signature check: forged on the way
        /// (the broker is untrusted). Nothing was changed.
        ForgedStatus => "forged_status",
        /// The lock wiped itself to setup mode after its flash was damaged
        /// (its signed statement shows setup mode with the reset counter
        /// unchanged): not a factory reset, yet the binding is stale too.
        FlashDamaged => "flash_damaged",
        /// A webhook endpoint kept failing and was disabled (not about a lock).
        WebhookDisabled => "webhook_disabled",
        /// A rental reservation feed failed to fetch or parse (nothing changed).
        RentalFeedFailed => "rental_feed_failed",
        /// A rental feed change that would revoke codes is held for a person.
        RentalChangeHeld => "rental_change_held",
    }
);

impl AlertKind {
    /// How urgent this kind is.
    pub fn severity(self) -> Severity {
        use AlertKind as K;
        match self {
            K::ResetDetected
            | K::BatteryCritical
            | K::Jammed
            | K::Tamper
            | K::DoorForced
            | K::Duress
            | K::LogChainBreak
            | K::LogConflict
            | K::ForgedStatus
            | K::FlashDamaged => Severity::Critical,
            K::LockOffline
            | K::LockUnresponsive
            | K::BatteryLow
            | K::ClockDrift
            | K::WrongCodeLimit
            | K::DoorAjar
            | K::ResetRefusedLowBattery
            | K::UnknownController
            | K::EventGap
            | K::LogGap
            | K::LogLost
            | K::WebhookDisabled
            | K::RentalFeedFailed
            | K::RentalChangeHeld => Severity::Warning,
        }
    }

    /// Whether it is about a condition that ends (the lock back online or
    /// answering, the battery back above its threshold): such an alert is
    /// cleared then, and raising it while the condition holds changes
    /// nothing. Other kinds are occurrences: each raise counts.
    pub fn is_condition(self) -> bool {
        use AlertKind as K;
        matches!(
            self,
            K::LockOffline | K::LockUnresponsive | K::BatteryLow | K::BatteryCritical
        )
    }

    /// What it means, in words (an alert may carry a more precise message).
    pub fn text(self) -> &'static str {
        use AlertKind as K;
        match self {
            K::LockOffline => "the lock went offline",
            K::LockUnresponsive => "the lock is connected but does not answer",
            K::ResetDetected => "the lock was factory reset: binding stale, re-claim or release it",
            K::BatteryLow => "battery low: change the batteries soon",
            K::BatteryCritical => "battery critical: change all the batteries now (below 20 % the lock refuses a factory reset)",
            K::ClockDrift => "the lock's clock drifted",
            K::Jammed => "the bolt jammed",
            K::WrongCodeLimit => "wrong-code limit reached: keypad disabled",
            K::Tamper => "tamper detected",
            K::DoorForced => "door forced open",
            K::DoorAjar => "door left ajar",
            K::Duress => "a duress code was used at the door",
            K::ResetRefusedLowBattery => "a factory reset was refused: battery too low; change the batteries first",
            K::UnknownController => "a controller the hub does not know talked to the lock",
            K::EventGap => "events missing from the lock's log",
            K::LogGap => "audit records missing",
            K::LogLost => "the lock lost audit records (ring overflow)",
            K::LogChainBreak => "an audit record does not chain from its predecessor",
            K::LogConflict => "two different audit records with one sequence number",
            K::ForgedStatus => {
                "a message in the lock's name failed its signature check (forged): nothing was changed"
            }
            K::WebhookDisabled => {
                "a webhook endpoint kept failing and was disabled: fix it, then enable it again"
            }
            K::RentalFeedFailed => "a rental reservation feed failed: nothing was changed",
            K::RentalChangeHeld => {
                "a rental feed change that would revoke codes waits for a person to confirm or discard it"
            }
            K::FlashDamaged => {
                "the lock wiped itself to setup mode after its flash was damaged (not a factory reset): binding stale, re-claim it and re-enrol its users"
            }
        }
    }
}

string_enum!(
    /// What a person says is wrong with a lock (`tumbler doctor --symptom`).
    Symptom {
        /// Nothing happens at the door or from the app.
        DoesNotRespond => "does_not_respond",
        /// A code (or card) is refused at the door.
        CodeRefused => "code_refused",
        /// The app or the hub cannot reach the lock.
        AppCannotConnect => "app_cannot_connect",
        /// The bolt jams, or the lock beeps.
        JamsOrBeeps => "jams_or_beeps",
        /// The keypad stays dark.
        KeypadDark => "keypad_dark",
        /// The admin (programming) code is forgotten.
        AdminCodeForgotten => "admin_code_forgotten",
    }
);

string_enum!(
    /// One step of a troubleshooting plan, least destructive first in
    /// declaration order within each cost (see `service::doctor::plan`).
    DoctorStep {
        /// Wait for the wrong-code lockout to end (costs nothing).
        WaitLockout => "wait_lockout",
        /// Put the lock back in normal mode (vacation, privacy or passage in force).
        NormalMode => "normal_mode",
        /// Look at the person's schedule (a code outside its hours is refused).
        CheckSchedule => "check_schedule",
        /// Set the lock's clock from the hub.
        SetClock => "set_clock",
        /// Replace all the batteries.
        Batteries => "batteries",
        /// Free the bolt (door alignment, strike), then lock again.
        FreeBolt => "free_bolt",
        /// Short press of the reset button: a reboot that keeps everything.
        Reboot => "reboot",
        /// Reconnect the lock to the hub and let it re-sync.
        Reconnect => "reconnect",
        /// Open with the mechanical key to get in now.
        MechanicalKey => "mechanical_key",
        /// Give new codes from the hub (forgotten or refused codes).
        ReprogramCodes => "reprogram_codes",
        /// Factory reset: the last resort.
        FactoryReset => "factory_reset",
    }
);

string_enum!(
    /// What a batch of access changes was.
    ChangeKind {
        /// New access (and credentials) for a person on doors.
        Grant => "grant",
        /// A new PIN in place of an old one.
        ChangePin => "change_pin",
        /// A person removed from doors.
        Revoke => "revoke",
        /// Everyone but the owners removed.
        RevokeAllExceptOwners => "revoke_all_except_owners",
        /// Chosen people put back on a lock after a reset.
        Reenrol => "reenrol",
        /// A lost card replaced by a new one in the same slot.
        ReplaceCredential => "replace_credential",
        /// A person's window moved (a rental reservation's new dates), credentials kept.
        Retime => "retime",
    }
);

string_enum!(
    /// Where a rental guest's PIN comes from.
    PinSource {
        /// Six digits generated by the hub.
        Generate => "generate",
        /// The guest phone's last four digits from the feed (generated when absent).
        PhoneLast4 => "phone_last4",
    }
);

string_enum!(
    /// A rental reservation as the hub holds it.
    ReservationState {
        /// In the feed: its code is on the doors (or on its way).
        Active => "active",
        /// Gone from the feed or cancelled there: its code revoked.
        Cancelled => "cancelled",
    }
);

/// Serialises a credential kind under its stored name (`pin`, `card`, …).
pub(crate) fn ser_credential_kind<S: serde::Serializer>(
    k: &CredentialKind,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(k.name())
}

/// Reads a credential kind written by [`ser_credential_kind`].
pub(crate) fn de_credential_kind<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<CredentialKind, D::Error> {
    let s = String::deserialize(d)?;
    CredentialKind::from_name(&s)
        .ok_or_else(|| serde::de::Error::custom(format!("unknown credential kind {s:?}")))
}

impl Role {
    /// True for roles that may list and create accounts.
    pub fn can_manage_accounts(self) -> bool {
        matches!(self, Role::Owner | Role::Manager)
    }
}

impl OpState {
    /// True once the operation will not change any more.
    pub fn is_final(self) -> bool {
        matches!(self, OpState::Applied | OpState::Refused | OpState::Failed)
    }
}

/// An organisation: the unit of tenancy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Org {
    /// Identifier.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Creation time.
    #[serde(serialize_with = "ts::ser", deserialize_with = "ts::de")]
    pub created_at: i64,
}

/// An account (a person or a service) inside one organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Identifier.
    pub id: i64,
    /// The organisation it belongs to.
    pub org_id: i64,
    /// Login name; unique across the hub, stored lower-case.
    pub email: String,
    /// Display name.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// Creation time.
    #[serde(serialize_with = "ts::ser", deserialize_with = "ts::de")]
    pub created_at: i64,
}

/// Kind of bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// From a password login; expires.
    Session,
    /// Long-lived, created explicitly, for scripts.
    Api,
}

impl TokenKind {
    /// Stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Session => "session",
            TokenKind::Api => "api",
        }
    }
}

/// A token's metadata (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// Identifier.
    pub id: i64,
    /// Owner account.
    pub account_id: i64,
    /// Session or API token.
    pub kind: TokenKind,
    /// Free text given at creation.
    pub label: String,
    /// Creation time.
    #[serde(serialize_with = "ts::ser", deserialize_with = "ts::de")]
    pub created_at: i64,
    /// Expiry, if any.
    #[serde(serialize_with = "ts::ser_opt", deserialize_with = "ts::de_opt")]
    pub expires_at: Option<i64>,
}

/// A place with locks, in one IANA time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    /// Identifier.
    pub id: i64,
    /// Owning organisation.
    pub org_id: i64,
    /// Name, unique in the organisation.
    pub name: String,
    /// IANA time zone name, validated with jiff.
    pub time_zone: String,
    /// Creation time.
    #[serde(serialize_with = "ts::ser", deserialize_with = "ts::de")]
    pub created_at: i64,
}

/// A lock as the hub knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    /// Identifier.
    pub id: i64,
    /// Factory serial; also its MQTT topic segment.
    pub serial: String,
    /// Owning organisation, `None` while unclaimed or released.
    pub org_id: Option<i64>,
    /// Site, `None` while unclaimed.
    pub site_id: Option<i64>,
    /// Display name.
    pub name: String,
    /// The hub's binding state.
    pub claim_state: ClaimState,
    /// Last availability reported on the broker.
    pub online: bool,
    /// Whether it can be talked to now (online, offline or unresponsive).
    pub presence: Presence,
    /// Since when `presence` holds (`None`: never seen).
    #[serde(serialize_with = "ts::ser_opt", deserialize_with = "ts::de_opt")]
    pub presence_since: Option<i64>,
    /// Last message from the lock.
    #[serde(serialize_with = "ts::ser_opt", deserialize_with = "ts::de_opt")]
    pub last_seen_at: Option<i64>,
    /// Battery level in percent, if reported.
    pub battery_pct: Option<i64>,
    /// The lock's factory-reset counter as last seen; an increase means a reset.
    pub reset_counter: i64,
    /// Highest event sequence number received (see [`Lock::log_epoch`]).
    pub last_event_seq: Option<i64>,
    /// When the hub first saw it.
    #[serde(serialize_with = "ts::ser", deserialize_with = "ts::de")]
    pub created_at: i64,
    /// Telemetry from the lock's last authenticated status.
    pub telemetry: Telemetry,
    /// Incremented at every (re-)claim. The lock's audit sequence numbers
    /// restart after a factory reset, so events are stored with
    /// `seq = log_epoch << 32 | lock_seq`.
    pub log_epoch: i64,
    /// Frames for this lock that failed authentication or verification
    /// (tampered, replayed, forged reset records); counted and ignored.
    pub rejected_frames: i64,
    /// Why the binding is stale (JSON of control's `ResetReason`), while
    /// `claim_state` is `reset_binding_stale`.
    pub stale_reason: Option<serde_json::Value>,
    /// A lifecycle step waiting for the lock's factory reset: `release` or
    /// `transfer`.
    pub intent: Option<String>,
    /// After a transfer: the only organisation that may claim the lock next.
    pub transfer_to_org: Option<i64>,
    /// Its slots, as the lock reported them in its capabilities (`None`
    /// until it answered; [`Lock::capacity`] then assumes the defaults).
    pub reported_capacity: Option<Capacity>,
}

/// How many users and credentials a lock holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capacity {
    /// User slots (1..=max_users).
    pub max_users: i64,
    /// Credentials per user.
    pub creds_per_user: i64,
}

impl Capacity {
    /// A Tumbler lock's build-time defaults, assumed until a lock reports its own.
    pub const TUMBLER_DEFAULT: Capacity = Capacity {
        max_users: 100,
        creds_per_user: 4,
    };
}

impl Lock {
    /// The lock's slots: what it reported, else [`Capacity::TUMBLER_DEFAULT`].
    pub fn capacity(&self) -> Capacity {
        self.reported_capacity.unwrap_or(Capacity::TUMBLER_DEFAULT)
    }
}

/// What the lock last reported about itself (authenticated `Status`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Telemetry {
    /// Bolt: `locked`, `unlocked`, `jammed`, `unknown`.
    pub bolt: Option<String>,
    /// Door: `closed`, `open`, `ajar`, `forced`, `unknown`.
    pub door: Option<String>,
    /// Operating mode in force.
    pub mode: Option<String>,
    /// Whether the lock is in setup mode.
    pub setup_mode: Option<bool>,
    /// Firmware `major.minor.patch`.
    pub firmware: Option<String>,
    /// Change counter of the lock's users/credentials/schedules.
    pub credential_version: Option<i64>,
    /// Digest of the lock's users/credentials/schedules (hex).
    pub credential_digest: Option<String>,
    /// Lock clock minus hub clock at the last status, seconds.
    pub clock_skew_s: Option<i64>,
    /// When that status arrived.
    #[serde(serialize_with = "ts::ser_opt", deserialize_with = "ts::de_opt")]
    pub status_at: Option<i64>,
}

/// A remote operation on a lock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    /// Identifier; also the order of operations on one lock.
    pub id: i64,
    /// Owning organisation.
    pub org_id: i64,
    /// Target lock.
    pub lock_id: i64,
    /// What to do (`unlock`, `reboot`, …).
    pub kind: OpName,
    /// Parameters (JSON); never contains secrets in clear.
    pub params: serde_json::Value,
    /// Where it is in its life.
    pub state: OpState,
    /// How many times it was sent.
    pub attempts: i64,
    /// After this many sends without an answer it fails.
    pub max_attempts: i64,
    /// Why it was refused or failed.
    pub error: Option<String>,
    /// The account that asked for it.
    pub created_by: Option<i64>,
    /// Creation time.
    #[serde(serialize_with = "ts::ser", deserialize_with = "ts::de")]
    pub created_at: i64,
    /// Last state change.
    #[serde(serialize_with = "ts::ser", deserialize_with = "ts::de")]
    pub updated_at: i64,
    /// The worker that sent it last.
    pub claimed_by: Option<String>,
    /// The proto command id it was last sealed under (answers carry it).
    pub command_id: Option<i64>,
    /// What the lock returned (e.g. a verified self-check report), as JSON.
    pub result: Option<serde_json::Value>,
    /// While `pending` or `sent` on a lock that cannot answer now: why it
    /// waits ("lock 2 is offline since …", "lock 2 is connected but not
    /// answering since …"). Not stored: the service reads it off the lock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<String>,
    /// The id of the HTTP request that queued it (`X-Request-Id`), if any:
    /// the hub's log lines about it carry the same id.
    #[serde(default)]
    pub request_id: Option<String>,
}

/// Something a lock reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Identifier.
    pub id: i64,
    /// Organisation owning the lock when the event arrived.
    pub org_id: Option<i64>,
    /// The lock.
    pub lock_id: i64,
    /// The lock's own sequence number (dedup key with `lock_id`).
    pub seq: i64,
    /// Event kind (`unlocked`, `jammed`, …).
    pub kind: String,
    /// The lock's time of the event.
    #[serde(serialize_with = "ts::ser", deserialize_with = "ts::de")]
    pub at: i64,
    /// When the hub stored it.
    #[serde(serialize_with = "ts::ser", deserialize_with = "ts::de")]
    pub received_at: i64,
    /// Details (JSON).
    pub data: serde_json::Value,
}

/// One entry of an organisation's audit trail: what a person (or the hub)
/// did, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Identifier (newest first when listed).
    pub id: i64,
    /// What was done (`lock_claimed`, `factory_reset_requested`, …).
    pub action: String,
    /// The lock concerned, if any.
    pub lock_id: Option<i64>,
    /// Who did it (`None`: the hub itself, or an account since deleted).
    pub account_id: Option<i64>,
    /// Details (JSON).
    pub detail: serde_json::Value,
    /// When.
    #[serde(serialize_with = "ts::ser", deserialize_with = "ts::de")]
    pub at: i64,
}

/// Something a person should look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// Identifier.
    pub id: i64,
    /// Owning organisation.
    pub org_id: i64,
    /// The lock concerned, if any.
    pub lock_id: Option<i64>,
    /// What it is about.
    pub kind: AlertKind,
    /// Urgency.
    pub severity: Severity,
    /// Human-readable text (the latest, when raised again while open).
    pub message: String,
    /// Creation time.
    #[serde(serialize_with = "ts::ser", deserialize_with = "ts::de")]
    pub created_at: i64,
    /// How many times it was raised while open (a flapping link counts here,
    /// not as new alerts).
    pub times: i64,
    /// When it was last raised.
    #[serde(serialize_with = "ts::ser", deserialize_with = "ts::de")]
    pub last_at: i64,
    /// When its condition ended (condition kinds only; `None` while it
    /// holds). Raised again before it is acknowledged, it reopens.
    #[serde(serialize_with = "ts::ser_opt", deserialize_with = "ts::de_opt")]
    pub cleared_at: Option<i64>,
    /// When acknowledged.
    #[serde(serialize_with = "ts::ser_opt", deserialize_with = "ts::de_opt")]
    pub acked_at: Option<i64>,
    /// Who acknowledged it.
    pub acked_by: Option<i64>,
}

/// What a lock serial may look like, in words.
pub const SERIAL_RULE: &str = "1-64 characters of A-Z a-z 0-9 - _";

/// A serial is 1..=64 characters of `[A-Za-z0-9_-]` (it is an MQTT topic
/// segment, so no `/`, `+` or `#`).
pub fn is_valid_serial(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Serialises `v` and reads it back: the CLI reads what the API wrote.
    fn round_trip<T: Serialize + serde::de::DeserializeOwned>(v: &T) -> T {
        let text = serde_json::to_string(v).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn times_round_trip_through_their_text() {
        for ms in [0, 1_767_225_600_123, -1, 1_000, i64::MAX, i64::MIN] {
            assert_eq!(ts::parse(&ts::text(ms)), Some(ms), "{ms}");
        }
        assert_eq!(ts::text(1_767_225_600_120), "2026-01-01T00:00:00.12Z");
        assert_eq!(
            ts::parse("2026-01-01T01:00:00+01:00"),
            Some(1_767_225_600_000)
        );
        assert_eq!(ts::parse("yesterday"), None);
    }

    #[test]
    fn records_round_trip() {
        let lock = Lock {
            id: 7,
            serial: "LOCK-7".into(),
            org_id: Some(1),
            site_id: None,
            name: "Front".into(),
            claim_state: ClaimState::ResetBindingStale,
            online: true,
            presence: Presence::Unresponsive,
            presence_since: Some(1_767_225_600_000),
            last_seen_at: Some(1_767_225_600_123),
            battery_pct: Some(80),
            reset_counter: 2,
            last_event_seq: None,
            created_at: 1_767_225_000_000,
            telemetry: Telemetry {
                bolt: Some("locked".into()),
                status_at: Some(1_767_225_600_001),
                ..Telemetry::default()
            },
            log_epoch: 3,
            rejected_frames: 0,
            stale_reason: Some(serde_json::json!({"trigger": "button"})),
            intent: None,
            transfer_to_org: None,
            reported_capacity: Some(Capacity {
                max_users: 10,
                creds_per_user: 2,
            }),
        };
        assert_eq!(round_trip(&lock), lock);

        let op = Operation {
            id: 1,
            org_id: 1,
            lock_id: 7,
            kind: OpName::UnlockWithTimeout,
            params: serde_json::json!({"op": {"timeout_s": 5}}),
            state: OpState::Refused,
            attempts: 1,
            max_attempts: 5,
            error: Some("not_allowed".into()),
            created_by: Some(2),
            created_at: 1,
            updated_at: 2,
            claimed_by: None,
            command_id: Some(9),
            result: None,
            waiting: None,
            request_id: Some("req-1".into()),
        };
        assert_eq!(round_trip(&op), op);

        let alert = Alert {
            id: 1,
            org_id: 1,
            lock_id: Some(7),
            kind: AlertKind::DoorForced,
            severity: Severity::Critical,
            message: "door forced open".into(),
            created_at: 10,
            times: 2,
            last_at: 20,
            cleared_at: Some(30),
            acked_at: None,
            acked_by: None,
        };
        assert_eq!(round_trip(&alert), alert);

        let token = TokenInfo {
            id: 1,
            account_id: 2,
            kind: TokenKind::Api,
            label: "ci".into(),
            created_at: 5,
            expires_at: Some(6),
        };
        assert_eq!(round_trip(&token), token);
    }

    #[test]
    fn doctor_symptoms_and_steps_keep_their_wire_names() {
        let names: Vec<&str> = Symptom::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            [
                "does_not_respond",
                "code_refused",
                "app_cannot_connect",
                "jams_or_beeps",
                "keypad_dark",
                "admin_code_forgotten"
            ]
        );
        let steps: Vec<&str> = DoctorStep::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            steps,
            [
                "wait_lockout",
                "normal_mode",
                "check_schedule",
                "set_clock",
                "batteries",
                "free_bolt",
                "reboot",
                "reconnect",
                "mechanical_key",
                "reprogram_codes",
                "factory_reset"
            ]
        );
        for s in Symptom::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert_eq!(Symptom::parse(s.as_str()), Some(*s));
        }
        for s in DoctorStep::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert_eq!(DoctorStep::parse(s.as_str()), Some(*s));
        }
    }

    #[test]
    fn verification_states_keep_their_stored_names() {
        let names: Vec<&str> = VerificationState::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names, ["running", "done", "failed"]);
        for s in VerificationState::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert_eq!(VerificationState::parse(s.as_str()), Some(*s));
        }
    }

    #[test]
    fn presences_keep_their_stored_names() {
        let names: Vec<&str> = Presence::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names, ["online", "offline", "unresponsive"]);
        for s in Presence::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert_eq!(Presence::parse(s.as_str()), Some(*s));
        }
    }

    #[test]
    fn a_credential_kind_reads_back_under_its_stored_name() {
        let row = crate::store::access::CredentialRow {
            id: 1,
            person_id: 2,
            kind: CredentialKind::AppKey,
            label: None,
            data: Some("ab".into()),
            revoked_at: Some(1_767_225_600_000),
            pin_tag: None,
        };
        let v = serde_json::to_value(&row).unwrap();
        assert_eq!(v["kind"], "app_key");
        assert_eq!(v["revoked_at"], "2026-01-01T00:00:00Z");
        assert_eq!(round_trip(&row), row);
    }
}
