//! [`UserSlots`]: the lock's [`MAX_USERS`] user slots, with one representation per build.
//!
//! A lock's firmware reserves every slot (no heap: a full lock can never fail to allocate).
//! A simulator running thousands of locks in one process (`tumbler sim fleet`) enables the
//! `alloc` feature: an empty slot then costs a pointer and an occupied one its user, boxed.
//! Both builds go through this one API, so the lock's behaviour (capacity, slot numbering,
//! the constant-time PIN scan over every slot) does not depend on the feature.

use core::borrow::{Borrow, BorrowMut};

use crate::config::MAX_USERS;
use crate::user::User;

/// What an occupied slot holds: the user inline (no_std, no heap) or boxed (`alloc`).
#[cfg(not(feature = "alloc"))]
type Held = User;
/// What an occupied slot holds: the user inline (no_std, no heap) or boxed (`alloc`).
#[cfg(feature = "alloc")]
type Held = alloc::boxed::Box<User>;

/// [`MAX_USERS`] user slots; slot `i` (0-based) is user index `i + 1`.
pub(crate) struct UserSlots {
    /// `None`: free.
    slots: [Option<Held>; MAX_USERS],
}

impl UserSlots {
    /// Every slot free.
    pub(crate) fn new() -> Self {
        Self {
            slots: core::array::from_fn(|_| None),
        }
    }

    /// The user in slot `i`; `None` when free or out of range.
    pub(crate) fn get(&self, i: usize) -> Option<&User> {
        self.slots.get(i)?.as_ref().map(Borrow::borrow)
    }

    /// The user in slot `i`, to change; `None` when free or out of range.
    pub(crate) fn get_mut(&mut self, i: usize) -> Option<&mut User> {
        self.slots.get_mut(i)?.as_mut().map(BorrowMut::borrow_mut)
    }

    /// Puts `user` in slot `i` (replacing any); `false` when `i` is out of range.
    pub(crate) fn put(&mut self, i: usize, user: User) -> bool {
        match self.slots.get_mut(i) {
            Some(slot) => {
                *slot = Some(Held::from(user));
                true
            }
            None => false,
        }
    }

    /// Frees slot `i`; whether it held a user.
    pub(crate) fn free(&mut self, i: usize) -> bool {
        self.slots.get_mut(i).is_some_and(|s| s.take().is_some())
    }

    /// Whether `i` is a slot number at all.
    pub(crate) fn in_range(i: usize) -> bool {
        i < MAX_USERS
    }

    /// Every slot in order, free ones as `None` (scans that must touch every slot).
    pub(crate) fn all(&self) -> impl Iterator<Item = Option<&User>> {
        self.slots.iter().map(|s| s.as_ref().map(Borrow::borrow))
    }

    /// Occupied slots with their 0-based slot number.
    pub(crate) fn occupied(&self) -> impl Iterator<Item = (usize, &User)> {
        self.all().enumerate().filter_map(|(i, u)| Some((i, u?)))
    }

    /// Occupied slots with their 0-based slot number, to change.
    pub(crate) fn occupied_mut(&mut self) -> impl Iterator<Item = (usize, &mut User)> {
        self.slots
            .iter_mut()
            .enumerate()
            .filter_map(|(i, s)| Some((i, s.as_mut().map(BorrowMut::borrow_mut)?)))
    }

    /// The first free slot.
    pub(crate) fn first_free(&self) -> Option<usize> {
        self.slots.iter().position(Option::is_none)
    }

    /// Frees every slot; calls `freed` with the number of each slot that held a user.
    pub(crate) fn free_all(&mut self, mut freed: impl FnMut(usize)) {
        for (i, s) in self.slots.iter_mut().enumerate() {
            if s.take().is_some() {
                freed(i);
            }
        }
    }
}
