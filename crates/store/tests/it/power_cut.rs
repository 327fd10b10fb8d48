//! Exhaustive power-cut sweeps: for each kind of operation, cut the power at
//! every unit (byte written or page erased) of its flash traffic, boot again
//! and check the result is the state before or after the operation — never
//! a mixture — and that the store keeps working afterwards.

use tumbler_store::{ItemOp, SimFlash, Store};

use tumbler_store::Layout;

use crate::common::{formatted, mount_snapshot, mount_snapshot_in, small_layout, Snapshot};

/// The store type every op below runs on.
type S<'a> = Store<&'a mut SimFlash>;
/// An operation under test.
type Op = fn(&mut S<'_>) -> Result<(), String>;

/// Settings item key.
const SETTINGS: u32 = 1;
/// Lockout / security counters item key.
const SECURITY: u32 = 2;
/// User slot keys start here; credentials and schedules have their own ranges.
const USER: u32 = 0x1000;
/// PIN credential keys.
const PIN: u32 = 0x2000;
/// Schedule keys.
const SCHED: u32 = 0x3000;
/// Controller slot keys.
const CTRL: u32 = 0x4000;

fn mount(flash: &mut SimFlash) -> S<'_> {
    Store::mount(flash, small_layout()).unwrap().0
}

fn mount_in<'a>(flash: &'a mut SimFlash, layout: &Layout) -> S<'a> {
    Store::mount(flash, layout.clone()).unwrap().0
}

/// A lock with a few users, settings and some acked and unacked log records.
fn populated() -> SimFlash {
    let mut flash = formatted();
    let mut s = mount(&mut flash);
    s.commit(&[
        ItemOp::Put(SETTINGS, &[1u8; 40]),
        ItemOp::Put(SECURITY, &[0u8; 16]),
    ])
    .unwrap();
    for u in 0..3u32 {
        s.commit(&[
            ItemOp::Put(USER + u, &[u as u8; 300]),
            ItemOp::Put(PIN + u, &[0xA0 | u as u8; 32]),
            ItemOp::Put(SCHED + u, &[0x50; 24]),
        ])
        .unwrap();
    }
    for i in 0..6u8 {
        s.log_append(&[i; 64]).unwrap();
    }
    s.log_ack(3).unwrap();
    drop(s);
    flash
}

/// Pads `base` with `filler` operations until `op` erases at least one page,
/// so the sweep covers garbage collection / ring eviction.
fn advance_until_op_erases(base: &mut SimFlash, op: Op, filler: Op) {
    for _ in 0..500 {
        let mut probe = base.clone();
        probe.reset_stats();
        op(&mut mount(&mut probe)).unwrap();
        if probe.stats().pages_erased > 0 {
            return;
        }
        filler(&mut mount(base)).unwrap();
    }
    panic!("operation never erased a page");
}

/// Outcome counts of one sweep.
#[derive(Debug, Default)]
struct Tally {
    cuts: u64,
    before: u64,
    after: u64,
    mid: u64,
}

/// Sweeps every cut point of `op` on `base`. `mid` is an extra accepted
/// state (used only for the documented two-step log append with eviction).
fn sweep(
    name: &str,
    base: &SimFlash,
    op: Op,
    mid: Option<fn(&Snapshot, &Snapshot) -> Snapshot>,
) -> Tally {
    sweep_in(name, base, op, mid, &small_layout())
}

/// [`sweep`] on another layout.
fn sweep_in(
    name: &str,
    base: &SimFlash,
    op: Op,
    mid: Option<fn(&Snapshot, &Snapshot) -> Snapshot>,
    layout: &Layout,
) -> Tally {
    let before = mount_snapshot_in(&mut base.clone(), layout.clone());
    let mut done = base.clone();
    done.reset_stats();
    op(&mut mount_in(&mut done, layout)).unwrap();
    let units = done.stats().cut_units();
    let after = mount_snapshot_in(&mut done, layout.clone());
    assert_ne!(before, after, "{name}: operation changed nothing");
    let mid = mid.map(|f| f(&before, &after));
    let mut t = Tally::default();
    for n in 0..units {
        let mut f = base.clone();
        f.cut_power_after(n);
        let r = op(&mut mount_in(&mut f, layout));
        assert!(r.is_err(), "{name}: cut at {n}/{units} but op succeeded");
        assert!(f.power_was_cut(), "{name}: op failed without a cut: {r:?}");
        f.restore_power();
        let got = mount_snapshot_in(&mut f, layout.clone());
        t.cuts += 1;
        if got == before {
            t.before += 1;
        } else if got == after {
            t.after += 1;
        } else if mid.as_ref() == Some(&got) {
            t.mid += 1;
        } else {
            panic!("{name}: cut at {n}/{units} left a mixture:\n got {got:?}\n before {before:?}\n after {after:?}");
        }
        // The store keeps working after every cut.
        let mut s = mount_in(&mut f, layout);
        s.commit(&[
            ItemOp::Put(SETTINGS, b"post-cut"),
            ItemOp::Put(SECURITY, b"ok"),
        ])
        .unwrap();
        let seq = s.log_append(b"post-cut").unwrap();
        drop(s);
        let again = mount_snapshot_in(&mut f, layout.clone());
        assert_eq!(again.items[&SETTINGS], b"post-cut");
        assert_eq!(again.log.last().unwrap(), &(seq, b"post-cut".to_vec()));
    }
    // At least two outcomes must be reachable, or the sweep did not
    // exercise the commit point.
    let outcomes = [t.before, t.after, t.mid]
        .iter()
        .filter(|c| **c > 0)
        .count();
    assert!(outcomes >= 2 && t.after > 0, "{name}: {t:?}");
    println!(
        "power-cut sweep {name}: {} cut points of {units} ({} before, {} after, {} evicted-only)",
        t.cuts, t.before, t.after, t.mid
    );
    t
}

fn e<E: std::fmt::Debug>(r: Result<impl Sized, E>) -> Result<(), String> {
    r.map(|_| ()).map_err(|e| format!("{e:?}"))
}

fn op_settings(s: &mut S<'_>) -> Result<(), String> {
    e(s.commit(&[ItemOp::Put(SETTINGS, &[9u8; 40])]))
}
fn op_new_setting_item(s: &mut S<'_>) -> Result<(), String> {
    e(s.commit(&[ItemOp::Put(7, b"time-zone rule")]))
}
fn op_enrol_user(s: &mut S<'_>) -> Result<(), String> {
    e(s.commit(&[
        ItemOp::Put(USER + 9, &[0x99; 300]),
        ItemOp::Put(PIN + 9, &[0xA9; 32]),
        ItemOp::Put(SCHED + 9, &[0x59; 24]),
    ]))
}
fn op_revoke_user(s: &mut S<'_>) -> Result<(), String> {
    e(s.commit(&[
        ItemOp::Delete(USER + 1),
        ItemOp::Delete(PIN + 1),
        ItemOp::Delete(SCHED + 1),
        ItemOp::Put(SECURITY, &[1u8; 16]),
    ]))
}
fn op_delete_one(s: &mut S<'_>) -> Result<(), String> {
    e(s.commit(&[ItemOp::Delete(SCHED + 2)]))
}
fn op_pair_controller(s: &mut S<'_>) -> Result<(), String> {
    e(s.commit(&[
        ItemOp::Put(CTRL, &[0xC0; 120]),
        ItemOp::Put(SECURITY, &[2u8; 16]),
    ]))
}
fn op_log_append(s: &mut S<'_>) -> Result<(), String> {
    e(s.log_append(&[0x77; 64]))
}
fn op_log_ack(s: &mut S<'_>) -> Result<(), String> {
    let upto = s.log_status().next_seq - 1;
    e(s.log_ack(upto))
}
fn op_factory_reset(s: &mut S<'_>) -> Result<(), String> {
    e(s.factory_reset(&[0x5E; 96]))
}

#[test]
fn sweep_single_item_commits() {
    let base = populated();
    sweep("commit settings change (1 item)", &base, op_settings, None);
    sweep("commit new item (1 item)", &base, op_new_setting_item, None);
    sweep("commit delete (1 item)", &base, op_delete_one, None);
}

#[test]
fn sweep_group_commits() {
    let base = populated();
    sweep("commit enrol user+PIN+schedule", &base, op_enrol_user, None);
    sweep(
        "commit revoke user (3 deletes + counter)",
        &base,
        op_revoke_user,
        None,
    );
    sweep("commit pair controller", &base, op_pair_controller, None);
}

#[test]
fn sweep_group_commit_during_garbage_collection() {
    let mut base = populated();
    advance_until_op_erases(&mut base, op_enrol_user, op_pair_controller);
    sweep_in(
        "commit enrol user during GC",
        &base,
        op_enrol_user,
        None,
        &small_layout(),
    );
}

#[test]
fn sweep_single_commit_during_garbage_collection() {
    let mut base = populated();
    advance_until_op_erases(&mut base, op_settings, op_small_filler);
    sweep_in(
        "commit settings during GC",
        &base,
        op_settings,
        None,
        &small_layout(),
    );
}

fn op_small_filler(s: &mut S<'_>) -> Result<(), String> {
    e(s.commit(&[ItemOp::Put(8, &[0x11; 8])]))
}

#[test]
fn sweep_log_operations() {
    let base = populated();
    sweep("log append (64 B)", &base, op_log_append, None);
    sweep("log ack", &base, op_log_ack, None);
}

#[test]
fn sweep_log_append_evicting_unacked_records() {
    let mut base = populated();
    advance_until_op_erases(&mut base, op_log_append, op_log_append);
    // The append is two atomic steps: evict the oldest page (the drop is
    // counted) and write the record. A cut in between shows the eviction only.
    let t = sweep(
        "log append evicting the oldest page",
        &base,
        op_log_append,
        Some(|before, after| {
            let mut mid = after.clone();
            mid.log.pop();
            mid.status.next_seq = before.status.next_seq;
            mid
        }),
    );
    assert!(t.mid > 0);
    let after = {
        let mut f = base.clone();
        op_log_append(&mut mount(&mut f)).unwrap();
        mount_snapshot(&mut f)
    };
    assert!(after.status.dropped > 0, "{:?}", after.status);
}

#[test]
fn sweep_factory_reset() {
    let base = populated();
    let t = sweep("factory reset", &base, op_factory_reset, None);
    assert!(t.after > t.before, "most of a reset is after its intent");
}

/// Cuts `op` at every unit; whenever the next mount has work to
/// finish (a reset or a journal to replay), cuts that mount at every unit of
/// its traffic too. The third boot must show the operation done. Returns
/// (cut pairs, interrupted operations that needed finishing).
fn double_cut(name: &str, op: Op, expect: tumbler_store::MountOutcome) -> (u64, u64) {
    let base = populated();
    let mut done = base.clone();
    done.reset_stats();
    op(&mut mount(&mut done)).unwrap();
    let units = done.stats().cut_units();
    let after = mount_snapshot(&mut done);
    let mut pairs = 0u64;
    let mut resumed = 0u64;
    for n1 in 0..units {
        let mut first = base.clone();
        first.cut_power_after(n1);
        assert!(op(&mut mount(&mut first)).is_err());
        first.restore_power();
        // How much does the finishing mount write?
        let mut probe = first.clone();
        probe.reset_stats();
        let (_, report) = Store::mount(&mut probe, small_layout()).unwrap();
        let mount_units = probe.stats().cut_units();
        if report.outcome != expect {
            continue; // cut before the commit point: nothing to finish
        }
        assert!(mount_units > 0);
        resumed += 1;
        for n2 in 0..mount_units {
            let mut second = first.clone();
            second.cut_power_after(n2);
            assert!(Store::mount(&mut second, small_layout()).is_err());
            second.restore_power();
            assert_eq!(
                mount_snapshot(&mut second),
                after,
                "{name}: cuts at {n1} then {n2}"
            );
            pairs += 1;
        }
    }
    assert!(resumed > 0, "{name}: no cut needed finishing");
    println!(
        "power-cut sweep {name}, double cut: {pairs} cut pairs over {resumed} interrupted operations"
    );
    (pairs, resumed)
}

/// Cut during the reset (every cut point), then cut again during the
/// mount that resumes it, at every unit of that mount's traffic; the third
/// boot must show the reset done.
#[test]
fn double_cut_during_resumed_factory_reset() {
    double_cut(
        "factory reset",
        op_factory_reset,
        tumbler_store::MountOutcome::ResumedFactoryReset,
    );
}

/// The same for a group commit whose journal the next mount replays
/// (every cut point of the commit, every unit of the replay).
#[test]
fn double_cut_during_replayed_group_commit() {
    double_cut(
        "commit enrol user (journal replay)",
        op_enrol_user,
        tumbler_store::MountOutcome::ResumedCommit,
    );
}

/// A cut during provisioning leaves a device that is either not formatted
/// (or has a torn superblock) — never a half-provisioned one that mounts —
/// and formatting again always works.
#[test]
fn sweep_format() {
    let layout = small_layout();
    let mut done = SimFlash::new(layout.end() as usize);
    Store::format(&mut done, layout.clone(), crate::common::FACTORY).unwrap();
    let units = done.stats().cut_units();
    let mut refused = 0;
    for n in 0..units {
        let mut f = SimFlash::new(layout.end() as usize);
        f.cut_power_after(n);
        assert!(Store::format(&mut f, layout.clone(), crate::common::FACTORY).is_err());
        f.restore_power();
        match Store::mount(&mut f, layout.clone()) {
            Err(
                tumbler_store::MountError::NotFormatted | tumbler_store::MountError::FactoryCorrupt,
            ) => refused += 1,
            Ok((_, report)) => {
                // Only possible once the superblock is complete: the last units.
                assert_eq!(report.outcome, tumbler_store::MountOutcome::Fresh);
            }
            Err(e) => panic!("cut at {n}: {e:?}"),
        }
        let s = Store::format(&mut f, layout.clone(), crate::common::FACTORY).unwrap();
        assert_eq!(s.factory(), crate::common::FACTORY);
    }
    assert!(refused > 0);
    println!(
        "power-cut sweep format: {units} cut points ({refused} left the device unprovisioned)"
    );
}

/// Layout with room for a group bigger than one page.
fn medium_layout() -> Layout {
    Layout::contiguous(4096, 1, 2, 10, 2)
}

/// A group too big for one journal item (12 x 500 B): journaled in chunks.
fn op_big_group(s: &mut S<'_>) -> Result<(), String> {
    let v = [0xB6u8; 500];
    let group: Vec<ItemOp> = (0..12u32).map(|k| ItemOp::Put(USER + k, &v)).collect();
    e(s.commit(&group))
}

/// Chunked group commit: every cut point through the chunks, the items, the
/// journal clear and the chunk clean-up.
#[test]
fn sweep_chunked_group_commit() {
    let layout = medium_layout();
    let mut base = SimFlash::new(layout.end() as usize);
    {
        let mut s = Store::format(&mut base, layout.clone(), crate::common::FACTORY).unwrap();
        s.commit(&[
            ItemOp::Put(SETTINGS, &[1u8; 40]),
            ItemOp::Put(USER, &[1u8; 300]),
        ])
        .unwrap();
        s.log_append(&[1u8; 64]).unwrap();
    }
    let t = sweep_in(
        "commit chunked group (12 x 500 B)",
        &base,
        op_big_group,
        None,
        &layout,
    );
    assert!(t.before > 0);
}
