//! Behaviour of each operation without power cuts.

use tumbler_store::{
    CommitError, ItemOp, LogError, MountError, MountOutcome, SimFlash, Store, MAX_ITEM_KEY,
};

use crate::common::{
    formatted, mount_snapshot, small_layout, snapshot_checked as snapshot, FACTORY,
};

#[test]
fn blank_flash_is_not_formatted() {
    let layout = small_layout();
    let mut flash = SimFlash::new(layout.end() as usize);
    let err = Store::mount(&mut flash, layout).unwrap_err();
    assert_eq!(err, MountError::NotFormatted);
}

#[test]
fn format_then_mount_is_fresh() {
    let mut flash = formatted();
    let (mut store, report) = Store::mount(&mut flash, small_layout()).unwrap();
    assert_eq!(report.outcome, MountOutcome::Fresh);
    assert_eq!(report.items, 0);
    assert_eq!(report.reset_counter, 0);
    assert_eq!(store.factory(), FACTORY);
    assert_eq!(report.log.next_seq, 1);
    assert_eq!(snapshot(&mut store).log, vec![]);
}

#[test]
fn items_survive_remount() {
    let mut flash = formatted();
    {
        let (mut store, _) = Store::mount(&mut flash, small_layout()).unwrap();
        store.commit(&[ItemOp::Put(1, b"settings")]).unwrap();
        store
            .commit(&[
                ItemOp::Put(100, &[7u8; 300]),
                ItemOp::Put(200, b"pin-hash"),
                ItemOp::Put(300, b"schedule"),
            ])
            .unwrap();
        store.commit(&[ItemOp::Delete(200)]).unwrap();
        store.commit(&[ItemOp::Put(1, b"settings v2")]).unwrap();
    }
    let (mut store, report) = Store::mount(&mut flash, small_layout()).unwrap();
    assert_eq!(report.outcome, MountOutcome::Restored);
    assert_eq!(report.items, 3);
    let snap = snapshot(&mut store);
    assert_eq!(snap.items[&1], b"settings v2");
    assert_eq!(snap.items[&100], vec![7u8; 300]);
    assert!(!snap.items.contains_key(&200));
    assert_eq!(snap.items[&300], b"schedule");
}

#[test]
fn later_ops_in_a_group_win() {
    let mut flash = formatted();
    let (mut store, _) = Store::mount(&mut flash, small_layout()).unwrap();
    store
        .commit(&[
            ItemOp::Put(5, b"a"),
            ItemOp::Delete(5),
            ItemOp::Put(6, b"b"),
            ItemOp::Put(6, b"c"),
        ])
        .unwrap();
    assert_eq!(store.get(5).unwrap(), None);
    assert_eq!(store.get(6).unwrap(), Some(&b"c"[..]));
    drop(store);
    let snap = mount_snapshot(&mut flash);
    assert_eq!(snap.items.len(), 1);
    assert_eq!(snap.items[&6], b"c");
}

#[test]
fn bad_input_changes_nothing() {
    let mut flash = formatted();
    let (mut store, _) = Store::mount(&mut flash, small_layout()).unwrap();
    store.commit(&[ItemOp::Put(1, b"x")]).unwrap();
    let before = store.flash().image();
    assert_eq!(
        store.commit(&[ItemOp::Put(2, b"y"), ItemOp::Put(MAX_ITEM_KEY + 1, b"z")]),
        Err(CommitError::ReservedKey(MAX_ITEM_KEY + 1))
    );
    let big = vec![0u8; 2000];
    assert_eq!(
        store.commit(&[ItemOp::Put(3, &big)]),
        Err(CommitError::ValueTooLarge(3))
    );
    let v = vec![1u8; 1000];
    let group: Vec<ItemOp> = (0..5).map(|k| ItemOp::Put(k, &v)).collect();
    assert_eq!(store.commit(&group), Err(CommitError::Full));
    // More than 255 journal chunks (only possible by repeating keys).
    let v = vec![1u8; 1024];
    let group: Vec<ItemOp> = (0..800).map(|_| ItemOp::Put(9, &v)).collect();
    assert_eq!(store.commit(&group), Err(CommitError::GroupTooLarge));
    assert_eq!(store.log_ack(1), Err(LogError::AckBeyondEnd));
    assert_eq!(
        store.log_append(&[0u8; 5000]),
        Err(LogError::RecordTooLarge)
    );
    // Deleting an absent key alone writes nothing.
    store.commit(&[ItemOp::Delete(77)]).unwrap();
    store.commit(&[]).unwrap();
    assert_eq!(store.flash().image(), &before[..]);
}

#[test]
fn log_append_ack_and_overflow_are_counted() {
    let mut flash = formatted();
    let (mut store, _) = Store::mount(&mut flash, small_layout()).unwrap();
    let rec = [0xABu8; 64];
    assert_eq!(store.log_append(&rec).unwrap(), 1);
    assert_eq!(store.log_append(&rec).unwrap(), 2);
    store.log_ack(1).unwrap();
    assert_eq!(store.log_status().acked_upto, 1);
    // Acking again is a no-op.
    store.log_ack(1).unwrap();
    // Fill the 3-page ring far beyond capacity without acking.
    let mut last = 0;
    for _ in 0..400 {
        last = store.log_append(&rec).unwrap();
    }
    let st = store.log_status();
    assert_eq!(st.next_seq, last + 1);
    assert!(st.dropped > 0, "{st:?}");
    // Every unacked record is either retained or counted as dropped.
    assert_eq!(st.dropped + st.unacked(), last - 1);
    let mut seqs = Vec::new();
    store
        .for_each_log_record(0, |s, r| {
            assert_eq!(r, &rec);
            seqs.push(s);
        })
        .unwrap();
    assert_eq!(seqs, (st.oldest_seq..st.next_seq).collect::<Vec<_>>());
    drop(store);
    let (store, report) = Store::mount(&mut flash, small_layout()).unwrap();
    assert_eq!(report.log, st);
    assert_eq!(store.log_status(), st);
}

#[test]
fn acked_records_are_not_counted_as_dropped() {
    let mut flash = formatted();
    let (mut store, _) = Store::mount(&mut flash, small_layout()).unwrap();
    for _ in 0..400 {
        let s = store.log_append(&[1u8; 64]).unwrap();
        store.log_ack(s).unwrap();
    }
    assert_eq!(store.log_status().dropped, 0);
    drop(store);
    let snap = mount_snapshot(&mut flash);
    assert_eq!(snap.status.dropped, 0);
    assert_eq!(snap.status.acked_upto, 400);
}

#[test]
fn factory_reset_wipes_state_and_log_but_not_factory() {
    let mut flash = formatted();
    let factory_page = flash.image()[..4096].to_vec();
    let (mut store, _) = Store::mount(&mut flash, small_layout()).unwrap();
    store
        .commit(&[ItemOp::Put(1, b"a"), ItemOp::Put(2, b"b")])
        .unwrap();
    for _ in 0..5 {
        store.log_append(b"unlock").unwrap();
    }
    store.factory_reset(b"sealed reset record").unwrap();
    let snap = snapshot(&mut store);
    assert!(snap.items.is_empty());
    assert_eq!(snap.log, vec![(6, b"sealed reset record".to_vec())]);
    assert_eq!(snap.resets, 1);
    assert_eq!(snap.status.acked_upto, 5);
    drop(store);
    let (mut store, report) = Store::mount(&mut flash, small_layout()).unwrap();
    assert_eq!(report.outcome, MountOutcome::Fresh);
    assert_eq!(snapshot(&mut store), snap);
    store.factory_reset(b"second").unwrap();
    assert_eq!(store.reset_counter(), 2);
    drop(store);
    assert_eq!(&flash.image()[..4096], &factory_page[..]);
}

#[test]
fn state_region_fills_up_with_an_error_not_corruption() {
    let mut flash = formatted();
    let (mut store, _) = Store::mount(&mut flash, small_layout()).unwrap();
    let v = [3u8; 300];
    let mut stored = 0;
    for k in 0..200u32 {
        match store.commit(&[ItemOp::Put(k, &v), ItemOp::Put(10_000 + k, b"pin")]) {
            Ok(()) => stored += 1,
            Err(CommitError::Full) => {
                // Refused before anything was written.
                let image = store.flash().image();
                assert_eq!(
                    store.commit(&[ItemOp::Put(k, &v), ItemOp::Put(10_000 + k, b"pin")]),
                    Err(CommitError::Full)
                );
                assert_eq!(store.flash().image(), &image[..]);
                break;
            }
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert!(stored > 5, "stored only {stored}");
    // Rewriting existing items still works when full (they replace old versions).
    for _ in 0..50 {
        store
            .commit(&[ItemOp::Put(0, &v), ItemOp::Put(10_000, b"pin2")])
            .unwrap();
    }
    drop(store);
    let snap = mount_snapshot(&mut flash);
    assert_eq!(snap.items.len(), stored * 2);
    assert_eq!(snap.items[&10_000], b"pin2");
}

#[test]
fn limits_on_4k_pages() {
    let group = Store::<SimFlash>::max_group_bytes();
    let value = Store::<SimFlash>::max_value_len();
    let ram = std::mem::size_of::<Store<SimFlash>>();
    println!("limits: max_group_bytes {group}, max_value_len {value}, size_of Store {ram}");
    assert_eq!(value, tumbler_store::MAX_VALUE_LEN);
    assert!(group >= 3 * 1024, "a group of three full items must fit");
}

#[test]
fn an_unlock_costs_one_small_record_not_a_rewrite_of_users() {
    let mut flash = formatted();
    let (mut store, _) = Store::mount(&mut flash, small_layout()).unwrap();
    for u in 0..10u32 {
        store
            .commit(&[ItemOp::Put(0x1000 + u, &[u as u8; 300])])
            .unwrap();
    }
    // The first record on a fresh page also writes its 4-byte page marker.
    store.log_append(&[0x42; 64]).unwrap();
    let before = store.flash().stats();
    store.log_append(&[0x42; 64]).unwrap();
    let d = store.flash().stats().since(&before);
    // 8-byte item header + 17-byte log header + 64-byte record, word padded.
    assert_eq!(d.bytes_written, 92, "{d:?}");
    assert_eq!(d.pages_erased, 0);
}

#[test]
fn errors_display_their_recovery_path() {
    let e: tumbler_store::MountError<()> = tumbler_store::MountError::StateLost {
        region: tumbler_store::Region::Log,
    };
    assert_eq!(
        e.to_string(),
        "log region unreadable; factory partition intact (recover to setup mode)"
    );
}

#[test]
fn largest_groups_and_most_keys_on_the_standard_layout() {
    let layout = tumbler_store::Layout::standard();
    let mut flash = SimFlash::new(tumbler_store::Layout::standard_size() as usize);
    let mut store = Store::format(&mut flash, layout.clone(), FACTORY).unwrap();
    let v = vec![0x3Cu8; tumbler_store::MAX_VALUE_LEN];
    // Three full-size items in one group (a user with big credentials).
    for round in 0..20u32 {
        store
            .commit(&[
                ItemOp::Put(round % 4, &v),
                ItemOp::Put(10, &v),
                ItemOp::Put(11, &v),
            ])
            .unwrap();
    }
    // Fill the key index with tiny items.
    let mut k = 100u32;
    loop {
        match store.commit(&[ItemOp::Put(k, &k.to_le_bytes())]) {
            Ok(()) => k += 1,
            Err(CommitError::TooManyItems) => break,
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(store.item_count(), tumbler_store::MAX_ITEMS);
    // Updating an existing key still works; deleting frees nothing in the
    // index (the tombstone stays) until a factory reset.
    store.commit(&[ItemOp::Put(100, b"new")]).unwrap();
    store.commit(&[ItemOp::Delete(101)]).unwrap();
    assert_eq!(
        store.commit(&[ItemOp::Put(k + 1, b"x")]),
        Err(CommitError::TooManyItems)
    );
    drop(store);
    let (mut store, report) = Store::mount(&mut flash, layout).unwrap();
    assert_eq!(report.items, tumbler_store::MAX_ITEMS - 1);
    let snap = snapshot(&mut store);
    assert_eq!(snap.items[&10], v);
    assert_eq!(snap.items[&100], b"new");
    store.factory_reset(b"r").unwrap();
    store.commit(&[ItemOp::Put(k + 1, b"x")]).unwrap();
}

/// A group bigger than one flash page (e.g. the device wiping unreadable
/// state: every key deleted and every fixed item rewritten at once) is
/// journaled in chunks and still atomic.
#[test]
fn groups_larger_than_a_page_are_chunked() {
    let layout = tumbler_store::Layout::standard();
    let mut flash = SimFlash::new(tumbler_store::Layout::standard_size() as usize);
    let mut store = Store::format(&mut flash, layout.clone(), FACTORY).unwrap();
    for u in 1..=100u32 {
        store
            .commit(&[ItemOp::Put(0x1000 + u, &[u as u8; 300])])
            .unwrap();
    }
    let fixed = vec![0xF1u8; 512];
    let mut group: Vec<ItemOp> = (1..=100u32).map(|u| ItemOp::Delete(0x1000 + u)).collect();
    group.extend((1..=7u32).map(|k| ItemOp::Put(k, &fixed)));
    let before = store.flash().stats();
    store.commit(&group).unwrap();
    assert!(store.flash().stats().since(&before).bytes_written > 4096);
    assert_eq!(store.item_count(), 7);
    drop(store);
    let (mut store, report) = Store::mount(&mut flash, layout).unwrap();
    assert_eq!(report.items, 7);
    let snap = snapshot(&mut store);
    assert!(snap.items.values().all(|v| *v == fixed));
}
