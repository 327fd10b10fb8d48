//! Shared helpers: small layouts, snapshots of everything a mount can observe.

use std::collections::BTreeMap;

use tumbler_store::nor_flash::NorFlash;
use tumbler_store::{Layout, LogStatus, SimFlash, Store};

/// Small layout for fast sweeps: factory 1, meta 2, state 4, log 3 pages.
pub fn small_layout() -> Layout {
    Layout::contiguous(4096, 1, 2, 4, 3)
}

/// Factory bytes used by the tests.
pub const FACTORY: &[u8] = b"serial=TMB-0001;idkey=0123456789abcdef;setup=12345678";

/// A freshly formatted small flash.
pub fn formatted() -> SimFlash {
    let layout = small_layout();
    let mut flash = SimFlash::new(layout.end() as usize);
    Store::format(&mut flash, layout, FACTORY).unwrap();
    flash
}

/// Everything observable after a mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Live items.
    pub items: BTreeMap<u32, Vec<u8>>,
    /// Retained log records.
    pub log: Vec<(u32, Vec<u8>)>,
    /// Ring bookkeeping.
    pub status: LogStatus,
    /// Reset counter.
    pub resets: u32,
    /// Factory bytes.
    pub factory: Vec<u8>,
}

/// Reads everything out of a mounted store.
pub fn snapshot<F: NorFlash>(store: &mut Store<F>) -> Snapshot
where
    F::Error: std::fmt::Debug,
{
    let mut items = BTreeMap::new();
    store
        .for_each_item(|k, v| {
            assert!(
                items.insert(k, v.to_vec()).is_none(),
                "key {k} yielded twice"
            );
        })
        .unwrap();
    assert_eq!(items.len(), store.item_count());
    let mut log = Vec::new();
    store
        .for_each_log_record(0, |s, r| log.push((s, r.to_vec())))
        .unwrap();
    Snapshot {
        items,
        log,
        status: store.log_status(),
        resets: store.reset_counter(),
        factory: store.factory().to_vec(),
    }
}

/// Like [`snapshot`], and also checks `get` agrees with iteration (slower).
pub fn snapshot_checked<F: NorFlash>(store: &mut Store<F>) -> Snapshot
where
    F::Error: std::fmt::Debug,
{
    let snap = snapshot(store);
    for (k, v) in &snap.items {
        assert_eq!(store.get(*k).unwrap(), Some(&v[..]));
    }
    snap
}

/// Mounts `flash` (small layout) and snapshots it.
pub fn mount_snapshot(flash: &mut SimFlash) -> Snapshot {
    mount_snapshot_in(flash, small_layout())
}

/// Mounts `flash` with `layout` and snapshots it.
pub fn mount_snapshot_in(flash: &mut SimFlash, layout: Layout) -> Snapshot {
    let (mut store, _) = Store::mount(flash, layout).unwrap();
    snapshot(&mut store)
}
