//! Flash wear benchmark: bytes written and pages erased per operation, and the
//! endurance of the audit-log region they imply. Run with
//! `cargo bench -p tumbler-store --bench wear`.
// A bench binary prints its figures and measures wall time; both are banned
// in library code only.
#![allow(
    clippy::drop_non_drop,
    clippy::print_stdout,
    clippy::disallowed_methods,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::time::Instant;

use tumbler_store::{FlashStats, ItemOp, Layout, SimFlash, Store};

/// Page size of the simulated flash.
const PAGE: u32 = 4096;
/// A ~64-byte unlock audit record.
const UNLOCK: [u8; 64] = [0x42; 64];
/// A ~300-byte user item (name, type, credential rule, schedule refs).
const USER: [u8; 300] = [0x55; 300];

/// Runs `op` `n` times on a store over `flash`; returns the average traffic
/// per call and the average wall time in microseconds.
fn measure(
    store: &mut Store<&mut SimFlash>,
    n: u32,
    mut op: impl FnMut(&mut Store<&mut SimFlash>, u32),
) -> (f64, f64, f64) {
    let start_stats = store.flash().stats();
    let t = Instant::now();
    for i in 0..n {
        op(store, i);
    }
    let us = t.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    let d: FlashStats = store.flash().stats().since(&start_stats);
    (
        d.bytes_written as f64 / f64::from(n),
        d.pages_erased as f64 / f64::from(n),
        us,
    )
}

fn fresh(layout: &Layout) -> SimFlash {
    let mut flash = SimFlash::new(layout.end() as usize);
    Store::format(&mut flash, layout.clone(), &[0xFA; 128]).unwrap();
    flash
}

/// Steady-state erases per day of the log region under `unlocks` appends a
/// day, optionally with one ack per append; returns (bytes/append, erases/append).
fn log_steady_state(log_pages: u32, ack_each: bool) -> (f64, f64) {
    let layout = Layout::contiguous(PAGE, 1, 2, 4, log_pages);
    let mut flash = fresh(&layout);
    let mut store = Store::mount(&mut flash, layout).unwrap().0;
    // Warm up: wrap the ring twice so every page has been erased once.
    let records_per_ring = (log_pages * PAGE) as usize / 80;
    for _ in 0..records_per_ring * 2 {
        let s = store.log_append(&UNLOCK).unwrap();
        if ack_each {
            store.log_ack(s).unwrap();
        }
    }
    let n = (records_per_ring * 4) as u32;
    let (b, e, _) = measure(&mut store, n, |s, _| {
        let seq = s.log_append(&UNLOCK).unwrap();
        if ack_each {
            s.log_ack(seq).unwrap();
        }
    });
    (b, e)
}

fn main() {
    let layout = Layout::standard();
    println!("# tumbler-store wear figures (SimFlash: 4 KiB pages, 4-byte words)");
    println!("layout: Layout::standard() = factory 4 KiB, meta 8 KiB, state 96 KiB, log 64 KiB\n");
    println!("| operation | bytes written | pages erased | time (us, release, SimFlash) |");
    println!("|---|---:|---:|---:|");

    let mut flash = fresh(&layout);
    let mut store = Store::mount(&mut flash, layout.clone()).unwrap().0;
    // 40 users with a PIN each, then steady-state operations.
    for u in 0..40u32 {
        store
            .commit(&[
                ItemOp::Put(0x1000 + u, &USER),
                ItemOp::Put(0x2000 + u, &[7; 32]),
            ])
            .unwrap();
    }
    // Fill the ring once so the figures below include its wrap-around erases.
    for _ in 0..1000 {
        store.log_append(&UNLOCK).unwrap();
    }
    let (b, e, t) = measure(&mut store, 2000, |s, _| {
        s.log_append(&UNLOCK).unwrap();
    });
    println!("| log append, 64-byte unlock record (steady state, ring wrapping) | {b:.1} | {e:.4} | {t:.1} |");
    let (b, e, t) = measure(&mut store, 200, |s, _| {
        let upto = s.log_status().next_seq - 1;
        s.log_append(&UNLOCK).unwrap();
        s.log_ack(upto + 1).unwrap();
    });
    println!("| log append + ack of it | {b:.1} | {e:.4} | {t:.1} |");
    let (b, e, t) = measure(&mut store, 400, |s, i| {
        s.commit(&[ItemOp::Put(0x1000 + (i % 40), &USER)]).unwrap();
    });
    println!(
        "| commit one 300-byte user item (steady state, incl. GC) | {b:.1} | {e:.4} | {t:.1} |"
    );
    let (b, e, t) = measure(&mut store, 400, |s, i| {
        let u = i % 40;
        s.commit(&[
            ItemOp::Put(0x1000 + u, &USER),
            ItemOp::Put(0x2000 + u, &[8; 32]),
            ItemOp::Put(0x3000 + u, &[9; 24]),
        ])
        .unwrap();
    });
    println!("| commit group user 300 B + PIN 32 B + schedule 24 B (journaled) | {b:.1} | {e:.4} | {t:.1} |");
    let (b, e, t) = measure(&mut store, 400, |s, _| {
        s.commit(&[ItemOp::Put(1, &[3; 40])]).unwrap();
    });
    println!("| commit settings change (40 B) | {b:.1} | {e:.4} | {t:.1} |");
    // Mount of this populated device (40 users, a full ring).
    drop(store);
    let t = Instant::now();
    let (mut store, report) = Store::mount(&mut flash, layout.clone()).unwrap();
    let mount_us = t.elapsed().as_secs_f64() * 1e6;
    let before = store.flash().stats();
    let t = Instant::now();
    store.factory_reset(&[0x5E; 128]).unwrap();
    let reset_us = t.elapsed().as_secs_f64() * 1e6;
    let d = store.flash().stats().since(&before);
    println!(
        "| factory reset, 128-byte reset record | {} | {} | {reset_us:.1} |",
        d.bytes_written, d.pages_erased
    );
    println!(
        "| mount (40 users + groups, ring with {} records) | 0 | 0 | {mount_us:.1} |",
        report.log.retained()
    );

    println!("\n## Endurance of the log region at 20 unlocks/day\n");
    println!("Each log page is erased once per trip round the ring (sequential-storage");
    println!(
        "cycles pages in order), so per-page erases/day = erases/append x appends/day / pages.\n"
    );
    println!("| log region | acks | bytes/append | erases/append | years @ 10k cycles | years @ 100k cycles |");
    println!("|---|---|---:|---:|---:|---:|");
    for kib in [64u32, 256] {
        let pages = kib * 1024 / PAGE;
        for ack_each in [false, true] {
            let (b, e) = log_steady_state(pages, ack_each);
            let per_page_per_day = e * 20.0 / f64::from(pages);
            let years = |cycles: f64| cycles / per_page_per_day / 365.0;
            println!(
                "| {kib} KiB ({pages} pages) | {} | {b:.1} | {e:.5} | {:.0} | {:.0} |",
                if ack_each { "one per unlock" } else { "none" },
                years(10_000.0),
                years(100_000.0)
            );
        }
    }
}
