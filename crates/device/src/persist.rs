//! The lock ↔ store glue: how one `Lock::handle` step reaches flash, and how a lock is
//! rebuilt from flash at boot. Generic over the flash so the simulated lock (image file or
//! memory) and the power-cut sweep in the tests run exactly the same code.
//!
//! The contract (ARCHITECTURE.md): a step's factory reset, changed items and audit record are
//! written **before** anything acts on the step's effects; each of the three is atomic in the
//! store (resumable reset, group commit, one log record), so a power cut leaves the state from
//! before or after the step.

use tumbler_lock as l;
use tumbler_store::nor_flash::NorFlash;
use tumbler_store::{ItemOp, Store};

/// Device-owned store key of the last step's audit record, written in the same atomic group as
/// the step's items: a cut between the group commit and the log append would otherwise keep the
/// change without its audit record. [`read`] appends it to the log at boot when the log does not
/// have it yet (idempotent by sequence number). Erased with the other items by a factory reset.
pub const PENDING_AUDIT_KEY: u32 = 0x00D0_0003;

/// Why a step could not be written. Nothing after the failing part was written; the caller
/// must not act on the step's effects and should reboot from flash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PersistError {
    /// The sealed reset record did not encode (a lock bug).
    #[error("reset record does not encode")]
    ResetRecordEncoding,
    /// The store refused or failed the factory reset.
    #[error("factory reset: {0}")]
    FactoryReset(String),
    /// An item did not encode (a lock bug).
    #[error("item does not encode: {0}")]
    ItemEncoding(String),
    /// The store refused or failed the group commit.
    #[error("commit: {0}")]
    Commit(String),
    /// The audit record did not encode (a lock bug).
    #[error("audit record does not encode")]
    AuditEncoding,
    /// The store refused or failed the log append.
    #[error("audit log: {0}")]
    Log(String),
}

/// Writes what `out` changed — factory reset first, then the changed items as one atomic
/// group, then the audit record — reading item values from `lock` (the state after the step).
pub fn commit<F: NorFlash>(
    store: &mut Store<F>,
    lock: &l::Lock,
    out: &l::Output,
) -> Result<(), PersistError>
where
    F::Error: std::fmt::Debug,
{
    commit_with(store, lock, out, &[])
}

/// [`commit`], with device items (`key`, value or `None` to delete) written in the same atomic
/// group as the step's items — e.g. the answer to the command that made the change, so a power
/// cut never keeps the change without it (see `sim/at_most_once.rs`).
pub fn commit_with<F: NorFlash>(
    store: &mut Store<F>,
    lock: &l::Lock,
    out: &l::Output,
    extra: &[(u32, Option<Vec<u8>>)],
) -> Result<(), PersistError>
where
    F::Error: std::fmt::Debug,
{
    if let Some(rec) = &out.persist.reset {
        let mut buf = [0u8; 256];
        let n = rec
            .encode(&mut buf)
            .ok_or(PersistError::ResetRecordEncoding)?;
        let bytes = buf.get(..n).ok_or(PersistError::ResetRecordEncoding)?;
        store
            .factory_reset(bytes)
            .map_err(|e| PersistError::FactoryReset(format!("{e:?}")))?;
    }
    let mut audit = None;
    if let Some(a) = &out.audit {
        let mut buf = [0u8; 128];
        let n = a.encode(&mut buf).ok_or(PersistError::AuditEncoding)?;
        audit = Some(buf.get(..n).ok_or(PersistError::AuditEncoding)?.to_vec());
    }
    let mut ops: Vec<(u32, Option<Vec<u8>>)> = Vec::new();
    for k in out.persist.items.iter() {
        let mut buf = [0u8; l::MAX_ITEM_SIZE];
        match lock.encode_item(k, &mut buf) {
            Ok(Some(n)) => ops.push((k.to_u32(), buf.get(..n).map(<[u8]>::to_vec))),
            Ok(None) => ops.push((k.to_u32(), None)),
            Err(e) => return Err(PersistError::ItemEncoding(format!("{k:?}: {e:?}"))),
        }
    }
    ops.extend(extra.iter().cloned());
    if !ops.is_empty() {
        // The audit record rides in the group, so the change and its record are one commit.
        if let Some(a) = &audit {
            ops.push((PENDING_AUDIT_KEY, Some(a.clone())));
        }
        let refs: Vec<ItemOp<'_>> = ops
            .iter()
            .map(|(k, v)| match v {
                Some(v) => ItemOp::Put(*k, v),
                None => ItemOp::Delete(*k),
            })
            .collect();
        store
            .commit(&refs)
            .map_err(|e| PersistError::Commit(format!("{e:?}")))?;
    }
    if let Some(bytes) = &audit {
        store
            .log_append(bytes)
            .map_err(|e| PersistError::Log(format!("{e:?}")))?;
    }
    Ok(())
}

/// Everything the store holds for the lock, read at boot.
#[derive(Debug, Default, Clone)]
pub struct StoredState {
    /// The lock's items (keys in the lock's ranges).
    pub items: Vec<(u32, Vec<u8>)>,
    /// The device's own items (keys outside the lock's ranges, e.g. reserved send counters).
    pub device_items: Vec<(u32, Vec<u8>)>,
    /// The lock's audit records, oldest first. The store's own records in the same ring (the
    /// sealed reset record, recovery notes) are left out: the lock's chain is made of audit
    /// records only, and `AuditRecord::decode` is strict enough to tell them apart.
    pub log: Vec<Vec<u8>>,
}

/// Reads the items and audit log; `is_device_key` says which keys belong to the device. A
/// step's audit record committed with its items but not yet in the log (a cut between the two
/// writes) is appended to the log here first, so the log and the items agree.
pub fn read<F: NorFlash>(
    store: &mut Store<F>,
    is_device_key: impl Fn(u32) -> bool,
) -> Result<StoredState, String>
where
    F::Error: std::fmt::Debug,
{
    let mut st = StoredState::default();
    let mut pending: Option<Vec<u8>> = None;
    store
        .for_each_item(|k, v| {
            if k == PENDING_AUDIT_KEY {
                pending = Some(v.to_vec());
            } else if is_device_key(k) {
                st.device_items.push((k, v.to_vec()));
            } else {
                st.items.push((k, v.to_vec()));
            }
        })
        .map_err(|e| format!("reading items: {e:?}"))?;
    store
        .for_each_log_record(0, |_, r| {
            if l::AuditRecord::decode(r).is_ok() {
                st.log.push(r.to_vec());
            }
        })
        .map_err(|e| format!("reading the audit log: {e:?}"))?;
    if let Some(p) = pending {
        if let Ok(rec) = l::AuditRecord::decode(&p) {
            let last = st
                .log
                .last()
                .and_then(|r| l::AuditRecord::decode(r).ok())
                .map(|r| r.seq);
            if last.is_none_or(|s| s < rec.seq) {
                store
                    .log_append(&p)
                    .map_err(|e| format!("appending the committed audit record: {e:?}"))?;
                st.log.push(p);
            }
        }
    }
    Ok(st)
}

/// Rebuilds the lock from what [`read`] returned. `Err(RestoreError::Empty)` is the normal
/// answer right after provisioning or a factory reset: the caller starts a factory-fresh lock
/// and writes it with [`write_fresh`].
pub fn restore(
    factory: l::FactoryData,
    st: &StoredState,
    now: l::Now,
) -> Result<l::Lock, l::RestoreError> {
    l::Lock::restore(
        factory,
        st.items.iter().map(|(k, v)| (*k, v.as_slice())),
        st.log.iter().map(Vec::as_slice),
        now,
    )
}

/// Writes a factory-fresh `lock` in one atomic group, deleting the stale `delete` keys (what
/// an unreadable state left behind, and the device's own items).
pub fn write_fresh<F: NorFlash>(
    store: &mut Store<F>,
    lock: &l::Lock,
    delete: impl IntoIterator<Item = u32>,
) -> Result<(), PersistError>
where
    F::Error: std::fmt::Debug,
{
    let mut ops: Vec<(u32, Option<Vec<u8>>)> = delete
        .into_iter()
        .chain([PENDING_AUDIT_KEY])
        .map(|k| (k, None))
        .collect();
    for k in lock.item_keys().iter() {
        let mut buf = [0u8; l::MAX_ITEM_SIZE];
        if let Ok(Some(n)) = lock.encode_item(k, &mut buf) {
            ops.push((k.to_u32(), buf.get(..n).map(<[u8]>::to_vec)));
        }
    }
    let refs: Vec<ItemOp<'_>> = ops
        .iter()
        .map(|(k, v)| match v {
            Some(v) => ItemOp::Put(*k, v),
            None => ItemOp::Delete(*k),
        })
        .collect();
    store
        .commit(&refs)
        .map_err(|e| PersistError::Commit(format!("{e:?}")))
}
