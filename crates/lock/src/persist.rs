//! Persistence items: stable `u32` keys for independently stored pieces of
//! lock state, a fixed-size set of changed keys, and the error types of
//! [`crate::Lock::encode_item`] and [`crate::Lock::restore`].
//!
//! Grouping keeps writes small: an unlock touches at most `Security` (wrong
//! code counter) and never a user item; a user's credentials and schedules
//! live in that user's item only.

use crate::config::{MAX_CONTROLLERS, MAX_USERS};
use crate::user::{ControllerId, UserIndex};

/// Largest encoded item in bytes; the store sizes its buffers with this.
pub const MAX_ITEM_SIZE: usize = 512;

/// Key of one persisted item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ItemKey {
    /// [`crate::Settings`].
    Settings,
    /// Wrong-code counter and active lockout (small, rewritten on wrong codes).
    Security,
    /// Operational keys (PIN-hash secret, operational key seed), rotated at factory reset.
    Keys,
    /// Time-zone rule.
    TimeRule,
    /// Holiday schedules.
    Holidays,
    /// Audit log bookkeeping (ack, lost count).
    Log,
    /// Setup mode flag and change version.
    Meta,
    /// Hotel door configuration and memory (`crate::hotel`).
    Hotel,
    /// Offline-code secret, epoch, used and denied codes (`crate::offline`).
    Offline,
    /// One controller slot (`1..=MAX_CONTROLLERS`).
    Controller(ControllerId),
    /// One user slot with its credentials and schedules (`1..=MAX_USERS`).
    User(UserIndex),
}

const FIXED: [ItemKey; 9] = [
    ItemKey::Settings,
    ItemKey::Security,
    ItemKey::Keys,
    ItemKey::TimeRule,
    ItemKey::Holidays,
    ItemKey::Log,
    ItemKey::Meta,
    ItemKey::Hotel,
    ItemKey::Offline,
];

/// Number of distinct item keys.
pub const ITEM_COUNT: usize = FIXED.len() + MAX_CONTROLLERS + MAX_USERS;
const WORDS: usize = ITEM_COUNT.div_ceil(32);

impl ItemKey {
    /// Stable numeric key: fixed items 1..=7, controller `0x100 + id`, user `0x1000 + index`.
    pub fn to_u32(self) -> u32 {
        match self {
            ItemKey::Settings => 1,
            ItemKey::Security => 2,
            ItemKey::Keys => 3,
            ItemKey::TimeRule => 4,
            ItemKey::Holidays => 5,
            ItemKey::Log => 6,
            ItemKey::Meta => 7,
            ItemKey::Hotel => 8,
            ItemKey::Offline => 9,
            ItemKey::Controller(c) => 0x100 + u32::from(c.0),
            ItemKey::User(u) => 0x1000 + u32::from(u),
        }
    }
    /// Inverse of [`ItemKey::to_u32`]; `None` for keys this build does not know.
    pub fn from_u32(v: u32) -> Option<ItemKey> {
        Some(match v {
            1 => ItemKey::Settings,
            2 => ItemKey::Security,
            3 => ItemKey::Keys,
            4 => ItemKey::TimeRule,
            5 => ItemKey::Holidays,
            6 => ItemKey::Log,
            7 => ItemKey::Meta,
            8 => ItemKey::Hotel,
            9 => ItemKey::Offline,
            0x101..=0x1ff => {
                let id = u8::try_from(v - 0x100).ok()?;
                if usize::from(id) > MAX_CONTROLLERS {
                    return None;
                }
                ItemKey::Controller(ControllerId(id))
            }
            0x1001..=0x1fff => {
                let idx = u16::try_from(v - 0x1000).ok()?;
                if usize::from(idx) > MAX_USERS {
                    return None;
                }
                ItemKey::User(idx)
            }
            _ => return None,
        })
    }
    fn bit(self) -> usize {
        match self {
            ItemKey::Controller(c) => FIXED.len() + usize::from(c.0).saturating_sub(1),
            ItemKey::User(u) => FIXED.len() + MAX_CONTROLLERS + usize::from(u).saturating_sub(1),
            k => FIXED.iter().position(|f| *f == k).unwrap_or(0),
        }
    }
    fn from_bit(b: usize) -> Option<ItemKey> {
        if b < FIXED.len() {
            FIXED.get(b).copied()
        } else if b < FIXED.len() + MAX_CONTROLLERS {
            u8::try_from(b - FIXED.len() + 1)
                .ok()
                .map(|i| ItemKey::Controller(ControllerId(i)))
        } else if b < ITEM_COUNT {
            u16::try_from(b - FIXED.len() - MAX_CONTROLLERS + 1)
                .ok()
                .map(ItemKey::User)
        } else {
            None
        }
    }
    /// Every key this build knows, fixed items first.
    pub fn all() -> impl Iterator<Item = ItemKey> {
        (0..ITEM_COUNT).filter_map(ItemKey::from_bit)
    }
}

/// A set of item keys (fixed-size bitset).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ItemSet([u32; WORDS]);

impl ItemSet {
    /// Empty set.
    pub const fn new() -> Self {
        ItemSet([0; WORDS])
    }
    /// Adds a key.
    pub fn insert(&mut self, k: ItemKey) {
        let b = k.bit();
        if let Some(w) = self.0.get_mut(b / 32) {
            *w |= 1 << (b % 32);
        }
    }
    /// Whether the key is in the set.
    pub fn contains(&self, k: ItemKey) -> bool {
        let b = k.bit();
        self.0.get(b / 32).is_some_and(|w| w & (1 << (b % 32)) != 0)
    }
    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }
    /// Number of keys.
    pub fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }
    /// Adds every key of `other`.
    pub fn union(&mut self, other: &ItemSet) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a |= *b;
        }
    }
    /// The keys, in bit order (fixed items, controllers, users).
    pub fn iter(&self) -> impl Iterator<Item = ItemKey> + '_ {
        (0..ITEM_COUNT)
            .filter(|b| self.0.get(b / 32).is_some_and(|w| w & (1 << (b % 32)) != 0))
            .filter_map(ItemKey::from_bit)
    }
}

/// Why [`crate::Lock::encode_item`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// `buf` is shorter than the encoding (use [`MAX_ITEM_SIZE`]).
    BufferTooSmall,
    /// Internal inconsistency.
    LogicBug,
}

/// Why [`crate::Lock::restore`] failed. In every case the factory data is
/// intact, so the driver's recovery is [`crate::Lock::new_factory`] (setup
/// mode), after erasing the operational items.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RestoreError {
    /// No items at all: a fresh lock; use [`crate::Lock::new_factory`].
    Empty,
    /// The `Keys` item is missing, so no credential could ever match.
    MissingKeys,
    /// An item with this key did not decode.
    BadItem(u32),
    /// Internal inconsistency.
    LogicBug,
}
