//! Command deduplication: a bounded window of recent `(controller, command id)` pairs
//! with the answer the lock gave, so a repeated id is answered from the cache and
//! never executed twice.

use crate::msg::{CommandId, ControllerId};

/// What the window knows about a command.
#[derive(Debug, PartialEq, Eq)]
pub enum Seen<'a, R> {
    /// Not in the window: execute it, then [`Dedup::record`] the answer.
    New,
    /// Already executed: send this cached answer again, do not execute.
    Repeat(&'a R),
}

/// A ring of the last `N` answered commands. Pure and heap-free. A controller resends a
/// command under the same id in a *fresh* envelope (a higher counter), so the envelope
/// counters do not stop a resend: a lock must keep this window on flash, written in the
/// same atomic group as the change the command made, or a resend after a reboot runs twice
/// (the simulated lock does: `tumbler-device` `sim/radio.rs`).
#[derive(Debug, Clone)]
pub struct Dedup<R, const N: usize> {
    /// Entries, oldest evicted first; `next` is the slot the next record overwrites.
    entries: heapless::Vec<(ControllerId, CommandId, R), N>,
    next: usize,
}

impl<R, const N: usize> Default for Dedup<R, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<R, const N: usize> Dedup<R, N> {
    /// Empty window.
    pub const fn new() -> Self {
        Dedup {
            entries: heapless::Vec::new(),
            next: 0,
        }
    }

    /// Look up a command.
    pub fn check(&self, controller: ControllerId, id: CommandId) -> Seen<'_, R> {
        match self
            .entries
            .iter()
            .find(|(c, i, _)| *c == controller && *i == id)
        {
            Some((_, _, r)) => Seen::Repeat(r),
            None => Seen::New,
        }
    }

    /// Remember the answer to a command (replaces an existing entry for the same id;
    /// otherwise evicts the oldest when full).
    pub fn record(&mut self, controller: ControllerId, id: CommandId, answer: R) {
        if let Some(e) = self
            .entries
            .iter_mut()
            .find(|(c, i, _)| *c == controller && *i == id)
        {
            e.2 = answer;
            return;
        }
        if N == 0 {
            return;
        }
        match self.entries.push((controller, id, answer)) {
            Ok(()) => {}
            Err(entry) => {
                if let Some(slot) = self.entries.get_mut(self.next) {
                    *slot = entry;
                }
                self.next = (self.next + 1) % N;
            }
        }
    }

    /// Forget every entry of one controller (when it is removed).
    pub fn forget_controller(&mut self, controller: ControllerId) {
        // Put the oldest entry first again so eviction order survives the removal.
        if self.next < self.entries.len() {
            self.entries.rotate_left(self.next);
        }
        self.entries.retain(|(c, _, _)| *c != controller);
        self.next = 0;
    }

    /// Forget everything (factory reset).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.next = 0;
    }

    /// The remembered commands, oldest first: recording them in this order into an empty
    /// window rebuilds this one (how a lock restores the window it keeps on flash).
    pub fn iter_oldest_first(&self) -> impl Iterator<Item = (ControllerId, CommandId, &R)> {
        let split = if self.entries.len() == N {
            self.next
        } else {
            0
        };
        let (newer, older) = self.entries.split_at(split.min(self.entries.len()));
        older
            .iter()
            .chain(newer.iter())
            .map(|(c, i, r)| (*c, *i, r))
    }

    /// The controllers with remembered commands (each once or more).
    pub fn controllers(&self) -> impl Iterator<Item = ControllerId> + '_ {
        self.entries.iter().map(|(c, _, _)| *c)
    }

    /// Number of remembered commands.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
