//! At most once across reboots: the window of recent command ids and their answers lives on
//! flash, written in the same atomic group as the change the command made.
//!
//! Why the envelope counters are not enough: a controller resends a command under the *same*
//! command id in a *fresh* envelope (a higher counter; control `Binding::reseal`), so the
//! counter check passes, and a window kept in RAM only is empty after a reboot or power cut.
//! With the window in the step's group commit, a power cut leaves either "not applied, not
//! remembered" (the resend runs it once) or "applied and remembered" (the resend is answered
//! from the window) — never "applied, forgotten".

use super::*;

/// Store key of the device's command window (postcard `Vec<(controller, id, ack, applied)>`,
/// oldest first). Device-owned, outside the lock's key ranges; erased with the lock's items by
/// a factory reset (which also ends every binding its ids belonged to).
pub const DEVICE_DEDUP_KEY: u32 = 0x00D0_0004;

/// Largest encoded window kept on flash; the oldest entries give way beyond it (one store
/// value is at most 1024 bytes, and the step's group carries the lock's items too).
const MAX_WINDOW_BYTES: usize = 768;

/// Commands the window remembers.
const WINDOW: usize = 8;

/// The window of recent commands and the answers the lock gave.
pub(super) type Window = p::Dedup<(p::Ack, p::Applied), WINDOW>;

type Entry = (u32, u64, p::Ack, p::Applied);

/// Whether a command changes the lock, so its answer must survive a reboot. Queries are not
/// kept (running one again changes nothing), nor are answers only valid until a reboot (a
/// reset nonce) or large and fresh by design (a signed self-check).
pub(super) fn remembered(cmd: &p::Command) -> bool {
    use p::Command as C;
    !matches!(
        cmd,
        C::GetUser { .. }
            | C::GetWeekDaySchedule { .. }
            | C::GetYearDaySchedule { .. }
            | C::GetHolidaySchedule { .. }
            | C::GetSettings
            | C::GetStatus
            | C::GetSlotDigests { .. }
            | C::GetCapabilities
            | C::LogFetch { .. }
            | C::IssueResetNonce
            | C::RequestSelfCheck { .. }
    )
}

/// The flash encoding of `entries` (oldest first), the oldest dropped until it fits
/// [`MAX_WINDOW_BYTES`].
fn encode(mut entries: Vec<Entry>) -> Option<Vec<u8>> {
    loop {
        let bytes = postcard::to_allocvec(&entries).ok()?;
        if bytes.len() <= MAX_WINDOW_BYTES || entries.is_empty() {
            return Some(bytes);
        }
        entries.remove(0);
    }
}

/// Refills `w` from its flash encoding, in place (no window-sized temporary: boots nest in
/// steps). An unreadable encoding leaves it empty: the group commit wrote it whole or not at
/// all, so that only happens on a foreign image.
pub(super) fn restore(w: &mut Window, bytes: &[u8]) {
    w.clear();
    if let Ok(entries) = postcard::from_bytes::<Vec<Entry>>(bytes) {
        for (c, id, ack, applied) in entries {
            w.record(p::ControllerId(c), p::CommandId(id), (ack, applied));
        }
    }
}

/// What one step changes in the window, with the window's new flash encoding. Built on the
/// heap from the current window (no copy of the whole window on the stack: steps nest), and
/// applied to the RAM window only once the group commit that carries `bytes` succeeded.
pub(super) struct WindowChange {
    /// The answer to remember.
    record: Option<(p::ControllerId, p::CommandId, (p::Ack, p::Applied))>,
    /// Controllers the lock no longer has.
    gone: Vec<p::ControllerId>,
    /// The new window's encoding (`DEVICE_DEDUP_KEY`).
    pub(super) bytes: Vec<u8>,
}

impl WindowChange {
    /// Makes `w` the window whose encoding is `bytes` (the same operations, same order).
    pub(super) fn apply(self, w: &mut Window) {
        if let Some((c, id, answer)) = self.record {
            w.record(c, id, answer);
        }
        for c in self.gone {
            w.forget_controller(c);
        }
    }
}

impl SimLock {
    /// The window change of the step that produced `out`, if any: the answer to the command
    /// being remembered (`remember`), minus every controller the lock no longer has (a slot
    /// reused by a new controller starts its ids afresh). `None` when nothing changes or the
    /// step reset the lock (the reset erases the window with the state).
    pub(super) fn window_after(
        &self,
        out: &l::Output,
        remember: Option<(p::ControllerId, p::CommandId)>,
    ) -> Option<WindowChange> {
        if out.persist.reset.is_some() {
            return None;
        }
        let lock = self.lock.as_ref()?;
        let record = match (remember, &out.reply) {
            (Some((c, id)), Some(r)) => Some((c, id, bridge::reply(id, r, &self.identity_seed))),
            _ => None,
        };
        let mut gone: Vec<p::ControllerId> = self
            .dedup
            .controllers()
            .filter(|c| lock.controllers().all(|(id, _)| u32::from(id.0) != c.0))
            .collect();
        gone.sort();
        gone.dedup();
        if record.is_none() && gone.is_empty() {
            return None;
        }
        // The same operations as `WindowChange::apply`, on a heap copy of the entries.
        let mut entries: Vec<Entry> = self
            .dedup
            .iter_oldest_first()
            .map(|(c, id, (ack, applied))| (c.0, id.0, *ack, applied.clone()))
            .collect();
        if let Some((c, id, (ack, applied))) = &record {
            match entries.iter_mut().find(|e| e.0 == c.0 && e.1 == id.0) {
                Some(e) => {
                    e.2 = *ack;
                    e.3 = applied.clone();
                }
                None => {
                    entries.push((c.0, id.0, *ack, applied.clone()));
                    if entries.len() > WINDOW {
                        entries.remove(0);
                    }
                }
            }
        }
        entries.retain(|e| gone.iter().all(|g| g.0 != e.0));
        let bytes = encode(entries)?;
        Some(WindowChange {
            record,
            gone,
            bytes,
        })
    }
}
