//! Build-time capacities and fixed protocol constants of the lock.
//!
//! Every table in the lock is a fixed-size array sized by these constants, so
//! the whole state has a size known at compile time (no heap). The defaults
//! follow the brief (100 users, 8 controllers); a hotel or office build may
//! raise them by editing this file.

/// Number of user slots (user indices are `1..=MAX_USERS`).
pub const MAX_USERS: usize = 100;
/// Credential slots per user (PIN, card, fingerprint, app key in any mix).
pub const CREDENTIALS_PER_USER: usize = 4;
/// Week-day schedule slots per user.
pub const WEEK_DAY_SCHEDULES_PER_USER: usize = 2;
/// Year-day schedule slots per user.
pub const YEAR_DAY_SCHEDULES_PER_USER: usize = 2;
/// Lock-wide holiday schedule slots.
pub const HOLIDAY_SCHEDULES: usize = 4;
/// Paired controller slots (controller ids are `1..=MAX_CONTROLLERS`).
pub const MAX_CONTROLLERS: usize = 8;
/// Audit records kept in RAM until a controller acknowledges them.
pub const AUDIT_RING: usize = 32;
/// Audit sequence numbers reserved on flash at a time (`LogMeta::reserved`): the `Log` item is
/// rewritten once per this many records. A damaged log tail is recognised at boot when it took
/// the record that wrote the last reservation, i.e. when it held at least this many records.
pub const AUDIT_SEQ_LEASE: u32 = 8;
/// Longest user name in bytes (UTF-8).
pub const NAME_LEN: usize = 16;
/// Longest controller label in bytes (UTF-8).
pub const LABEL_LEN: usize = 16;
/// Longest PIN the lock accepts at all (the configurable maximum is at most this).
pub const MAX_PIN_LEN: usize = 12;
/// Shortest PIN the settings may allow.
pub const MIN_PIN_LEN: usize = 4;
/// Longest RFID card UID in bytes (ISO 14443 UIDs are 4, 7 or 10 bytes).
pub const MAX_CARD_UID: usize = 10;
/// Longest signed card image the lock accepts with a card presentation (a
/// hotel card, `tumbler-card`).
pub const MAX_CARD_PAYLOAD: usize = tumbler_card::MAX_CARD;
/// Longest serial number in bytes.
pub const SERIAL_LEN: usize = 32;
/// Most events one step can emit.
pub const MAX_EVENTS: usize = 8;

/// A press shorter than this on the reset button asks for a reboot.
pub const REBOOT_PRESS_MS: u64 = 2_000;
/// After power-on the lock ignores reset-button and keypad presses for this long.
pub const BOOT_MS: u64 = 3_000;
/// Keypad entry is dropped when no key is pressed for this long.
pub const KEYPAD_TIMEOUT_MS: u64 = 10_000;
/// After the interior program button, keypad enrolment of an admin stays open this long.
pub const PROGRAM_WINDOW_MS: u64 = 30_000;
/// The second factor of a two-factor user must follow the first within this time.
pub const TWO_FACTOR_WINDOW_MS: u64 = 15_000;
/// A manufacturer reset nonce is valid this long after it was issued.
pub const NONCE_VALID_MS: u64 = 10 * 60 * 1000;
/// Escalating lockouts are capped at this multiple of the temporary-disable time.
pub const LOCKOUT_MAX_FACTOR: u32 = 16;
/// The PIN that opens in setup mode under the compatibility policy.
pub const COMPAT_DEFAULT_PIN: &[u8] = b"123456";
/// The digits typed after `*` that make "admin PIN `*` 999 `#`" a keypad factory reset.
pub const KEYPAD_RESET_SEQUENCE: &[u8] = b"999";
/// One-time offline codes remembered as used (each until its window ends, at most 24 h).
pub const MAX_OFFLINE_USED: usize = 16;
/// Offline codes the hub can deny one by one (each until its window ends); beyond that
/// the hub revokes them all with a new epoch.
pub const MAX_OFFLINE_DENIED: usize = 16;
