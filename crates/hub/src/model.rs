//! Domain types shared by the store, the services and the API: roles, lock
//! and operation states, and the records the hub keeps. Times are Unix
//! milliseconds inside the hub and RFC 3339 strings on the wire.

use serde::{Deserialize, Serialize};

/// Serialises Unix milliseconds as RFC 3339 strings.
pub(crate) mod ts {
    use serde::Serializer;

    fn fmt(ms: i64) -> String {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| t.to_string())
            .unwrap_or_else(|_| ms.to_string())
    }

    pub(crate) fn ser<S: Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&fmt(*ms))
    }

    pub(crate) fn ser_opt<S: Serializer>(ms: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match ms {
            Some(ms) => s.serialize_str(&fmt(*ms)),
            None => s.serialize_none(),
        }
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Org {
    /// Identifier.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Creation time.
    #[serde(serialize_with = "ts::ser")]
    pub created_at: i64,
}

/// An account (a person or a service) inside one organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    #[serde(serialize_with = "ts::ser")]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    #[serde(serialize_with = "ts::ser")]
    pub created_at: i64,
    /// Expiry, if any.
    #[serde(serialize_with = "ts::ser_opt")]
    pub expires_at: Option<i64>,
}

/// A place with locks, in one IANA time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    #[serde(serialize_with = "ts::ser")]
    pub created_at: i64,
}

/// A lock as the hub knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// Last message from the lock.
    #[serde(serialize_with = "ts::ser_opt")]
    pub last_seen_at: Option<i64>,
    /// Battery level in percent, if reported.
    pub battery_pct: Option<i64>,
    /// The lock's factory-reset counter as last seen; an increase means a reset.
    pub reset_counter: i64,
    /// Highest event sequence number received.
    pub last_event_seq: Option<i64>,
    /// When the hub first saw it.
    #[serde(serialize_with = "ts::ser")]
    pub created_at: i64,
}

/// A remote operation on a lock.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Operation {
    /// Identifier; also the order of operations on one lock.
    pub id: i64,
    /// Owning organisation.
    pub org_id: i64,
    /// Target lock.
    pub lock_id: i64,
    /// What to do (`unlock`, `reboot`, …).
    pub kind: String,
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
    #[serde(serialize_with = "ts::ser")]
    pub created_at: i64,
    /// Last state change.
    #[serde(serialize_with = "ts::ser")]
    pub updated_at: i64,
    /// The worker that sent it last.
    pub claimed_by: Option<String>,
}

/// Something a lock reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    #[serde(serialize_with = "ts::ser")]
    pub at: i64,
    /// When the hub stored it.
    #[serde(serialize_with = "ts::ser")]
    pub received_at: i64,
    /// Details (JSON).
    pub data: serde_json::Value,
}

/// Something a person should look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    /// Identifier.
    pub id: i64,
    /// Owning organisation.
    pub org_id: i64,
    /// The lock concerned, if any.
    pub lock_id: Option<i64>,
    /// Alert kind (`battery_low`, `event_gap`, `reset_detected`, …).
    pub kind: String,
    /// Urgency.
    pub severity: Severity,
    /// Human-readable text.
    pub message: String,
    /// Creation time.
    #[serde(serialize_with = "ts::ser")]
    pub created_at: i64,
    /// When acknowledged.
    #[serde(serialize_with = "ts::ser_opt")]
    pub acked_at: Option<i64>,
    /// Who acknowledged it.
    pub acked_by: Option<i64>,
}
