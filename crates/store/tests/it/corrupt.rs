//! Corrupted and random flash images: mount returns an error with a recovery
//! path (or a consistent store), never a panic or a hang.

use proptest::prelude::*;
use tumbler_store::{ItemOp, MountError, MountOutcome, Region, SimFlash, Store};

use std::sync::atomic::{AtomicU64, Ordering};

use crate::common::{formatted, small_layout, snapshot, FACTORY};

/// How mounts of damaged images ended: mounted, recovered, other error.
static OUTCOMES: [AtomicU64; 3] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];

/// A formatted flash holding some items and log records.
fn used() -> SimFlash {
    let mut flash = formatted();
    let (mut s, _) = Store::mount(&mut flash, small_layout()).unwrap();
    for k in 0..12u32 {
        s.commit(&[
            ItemOp::Put(k, &[k as u8; 200]),
            ItemOp::Put(100 + k, b"pin"),
        ])
        .unwrap();
        s.log_append(&[k as u8; 64]).unwrap();
    }
    drop(s);
    flash
}

/// Mounting must return; if it fails with `StateLost`, `recover` must bring
/// the lock to setup mode with the factory bytes intact.
fn mount_or_recover(mut flash: SimFlash) {
    match Store::mount(&mut flash, small_layout()) {
        Ok((mut store, _)) => {
            OUTCOMES[0].fetch_add(1, Ordering::Relaxed);
            // Whatever it shows must be readable end to end.
            let _ = store.for_each_item(|_, _| {});
            let _ = store.for_each_log_record(0, |_, _| {});
        }
        Err(MountError::StateLost { .. }) => {
            OUTCOMES[1].fetch_add(1, Ordering::Relaxed);
            let (mut store, report) =
                Store::recover(&mut flash, small_layout(), b"state lost").unwrap();
            assert_eq!(report.outcome, MountOutcome::Recovered);
            assert_eq!(store.factory(), FACTORY);
            let snap = snapshot(&mut store);
            assert!(snap.items.is_empty());
            assert_eq!(
                snap.log.last().map(|(_, r)| r.as_slice()),
                Some(&b"state lost"[..])
            );
            drop(store);
            let (_, report) = Store::mount(&mut flash, small_layout()).unwrap();
            assert_eq!(report.outcome, MountOutcome::Fresh);
        }
        Err(_) => {
            OUTCOMES[2].fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[test]
fn damaged_factory_partition_is_reported() {
    let mut flash = used();
    flash.modify_image(|img| img[60] ^= 0x01);
    assert_eq!(
        Store::mount(&mut flash, small_layout()).unwrap_err(),
        MountError::FactoryCorrupt
    );
}

#[test]
fn wrong_layout_is_reported() {
    let mut flash = used();
    let other = tumbler_store::Layout::contiguous(4096, 1, 2, 3, 4);
    assert_eq!(
        Store::mount(&mut flash, other).unwrap_err(),
        MountError::LayoutMismatch
    );
}

#[test]
fn garbage_in_meta_region_is_state_lost_and_recoverable() {
    let mut flash = used();
    let meta = small_layout().meta;
    flash.modify_image(|img| img[meta.start as usize..meta.end as usize].fill(0x5A));
    let err = Store::mount(&mut flash, small_layout()).unwrap_err();
    assert_eq!(
        err,
        MountError::StateLost {
            region: Region::Meta
        }
    );
    mount_or_recover(flash);
}

#[test]
fn garbage_in_state_and_log_regions_never_panics() {
    for region in [small_layout().state, small_layout().log] {
        for seed in 0..16u32 {
            let mut flash = used();
            let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
            flash.modify_image(|img| {
                for b in &mut img[region.start as usize..region.end as usize] {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    // Flip a few bytes, leave most intact.
                    if x % 97 == 0 {
                        *b = x as u8;
                    }
                }
            });
            mount_or_recover(flash);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// A fully random image (behind a valid or random superblock).
    #[test]
    fn random_images_never_panic(
        keep_superblock in any::<bool>(),
        bytes in prop::collection::vec(any::<u8>(), 4096..=4096),
        fill in prop::sample::select(vec![0x00u8, 0xFF, 0x5A]),
        page_mask in any::<u16>(),
    ) {
        let layout = small_layout();
        let base = used();
        let mut img = base.image();
        // Overwrite a random subset of pages with random data or a fill byte.
        let pages = img.len() / 4096;
        for p in 0..pages {
            if p == 0 && keep_superblock {
                continue;
            }
            if page_mask & (1 << (p % 16)) != 0 {
                let page = &mut img[p * 4096..(p + 1) * 4096];
                if p % 2 == 0 {
                    page.copy_from_slice(&bytes);
                } else {
                    page.fill(fill);
                }
            }
        }
        let flash = SimFlash::from_image(&img);
        let _ = layout;
        mount_or_recover(flash);
    }

    /// Random bit flips anywhere in a used image.
    #[test]
    fn bit_flips_never_panic(flips in prop::collection::vec((0usize..small_layout().end() as usize, 0u8..8), 1..24)) {
        let mut flash = used();
        flash.modify_image(|img| {
            for (addr, bit) in flips {
                img[addr] ^= 1 << bit;
            }
        });
        mount_or_recover(flash);
    }
}

#[test]
fn damaged_images_reach_every_outcome() {
    random_images_never_panic();
    bit_flips_never_panic();
    let o: Vec<u64> = OUTCOMES.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    println!(
        "damaged images: {} mounted, {} state lost + recovered, {} other errors",
        o[0], o[1], o[2]
    );
    assert!(o[0] > 0 && o[1] > 0 && o[2] > 0, "{o:?}");
}

/// A recovery wipes the log but must not restart its numbers lower than any readable record
/// (issue 13: the sequence never goes back). Damage the strict scan of a mount refuses (an old
/// page's copy where the ring continues: numbers out of order) sends the lock to `recover`,
/// which continued at 1.
#[test]
fn a_recovery_continues_the_log_numbers_above_every_readable_record() {
    let log = small_layout().log;
    let mut flash = formatted();
    let (mut s, _) = Store::mount(&mut flash, small_layout()).unwrap();
    for k in 0..60u32 {
        s.log_append(&[k as u8; 64]).unwrap();
    }
    let before = s.log_status().next_seq;
    drop(s);
    let (p0, p2) = (log.start as usize, log.start as usize + 2 * 4096);
    let first = flash.image()[p0..p0 + 4096].to_vec();
    flash.modify_image(|img| img[p2..p2 + 4096].copy_from_slice(&first));
    match Store::mount(&mut flash, small_layout()) {
        Err(MountError::StateLost { region }) => assert_eq!(region, Region::Log),
        other => panic!("{:?}", other.map(|(_, r)| r)),
    }
    let (mut store, report) = Store::recover(&mut flash, small_layout(), b"log lost").unwrap();
    assert_eq!(report.outcome, MountOutcome::Recovered);
    let snap = snapshot(&mut store);
    let (seq, rec) = snap.log.last().unwrap();
    assert_eq!(rec.as_slice(), b"log lost");
    assert!(
        *seq >= before,
        "the numbers restarted at {seq} (were up to {})",
        before - 1
    );
}
