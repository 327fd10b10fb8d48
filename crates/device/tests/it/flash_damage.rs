//! Damage is said aloud (issue 13): a boot that finds a claimed lock's flash unreadable and
//! wipes it to setup mode is counted as a flash recovery — on the console, at boot and in
//! `status` — apart from factory resets, and the count survives a later factory reset. A
//! damaged log page never lowers the audit sequence: its records are counted as lost.

use std::sync::Arc;
use std::time::Duration;
use tumbler_device::clock::VirtualClock;
use tumbler_device::image::provision;
use tumbler_device::sim::{SimLock, SimOptions};
use tumbler_lock::config::AUDIT_SEQ_LEASE;

fn boot(path: &std::path::Path) -> SimLock {
    let clock = Arc::new(VirtualClock::new(Duration::from_secs(1_800_000_000)));
    SimLock::boot(
        path,
        clock,
        &SimOptions {
            seed: Some(8),
            ..Default::default()
        },
    )
    .unwrap()
}

/// First page of the state region (flash-format.md: state at 0x03000).
const STATE_PAGE: usize = 0x03000;

#[test]
fn a_damaged_sector_is_counted_and_reported_apart_from_factory_resets() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.img");
    let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::from_seed([6; 32]);
    provision(&path, "DMG-1", &mut rng).unwrap();
    let mut sim = boot(&path);
    assert!(sim
        .console_line("status")
        .contains("flash damage: none found"));
    sim.console_line("program-button");
    assert!(sim.console_line("2580#").contains("code enrolled"));
    let st = sim.console_line("status");
    assert!(st.contains("setup mode: no"), "{st}");
    let resets_before = sim.lock().unwrap().reset_counter();
    drop(sim);

    // One damaged sector: the state region's first page reads as garbage.
    let mut bytes = std::fs::read(&path).unwrap();
    for (i, b) in bytes[STATE_PAGE..STATE_PAGE + 4096].iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(31) ^ 0x5a;
    }
    std::fs::write(&path, &bytes).unwrap();
    let mut sim = boot(&path);
    let said = sim.take_said().join("\n");
    assert!(said.contains("flash damaged"), "{said}");
    assert!(said.contains("not a factory reset"), "{said}");
    let st = sim.console_line("status");
    println!("{st}");
    assert!(st.contains("setup mode: yes"), "{st}");
    assert!(
        st.contains("flash damage: 1 recovery to setup mode (damaged flash, not a factory reset); last: recovered: state"),
        "{st}"
    );

    // A factory reset afterwards is a reset, and the recovery stays on record.
    sim.console_line("program-button");
    assert!(sim.console_line("2580#").contains("code enrolled"));
    sim.console_line("hold-reset 12s");
    let st = sim.console_line("status");
    assert!(st.contains("setup mode: yes"), "{st}");
    assert!(st.contains("flash damage: 1 recovery"), "{st}");
    assert!(sim.lock().unwrap().reset_counter() > resets_before);
    drop(sim);
    let mut sim = boot(&path);
    let st = sim.console_line("status");
    assert!(st.contains("flash damage: 1 recovery"), "{st}");
}

/// The log region (flash-format.md: 16 pages from 0x1B000).
const LOG_START: usize = 0x1B000;
const LOG_PAGES: usize = 16;

/// Lock sequence numbers of the audit records the image's log holds, oldest first, and the
/// log page each sits in (read through the store, as a boot does).
fn log_pages(path: &std::path::Path) -> Vec<(u32, usize)> {
    let (mut store, mounted, _) = tumbler_device::image::mount(path).unwrap();
    assert!(mounted.recovered_from.is_none());
    let mut seqs = Vec::new();
    store
        .for_each_log_record(0, |_, r| {
            if let Ok(rec) = tumbler_lock::AuditRecord::decode(r) {
                seqs.push(rec.seq);
            }
        })
        .unwrap();
    drop(store);
    // Which page holds which record: the record's encoding is unique (hash chain), so look
    // for each record's bytes in the raw image.
    let bytes = std::fs::read(path).unwrap();
    let (mut store, _, _) = tumbler_device::image::mount(path).unwrap();
    let mut out = Vec::new();
    store
        .for_each_log_record(0, |_, r| {
            if let Ok(rec) = tumbler_lock::AuditRecord::decode(r) {
                let at = (0..LOG_PAGES)
                    .find(|p| {
                        let page = &bytes[LOG_START + p * 4096..LOG_START + (p + 1) * 4096];
                        page.windows(r.len()).any(|w| w == r)
                    })
                    .expect("record in a log page");
                out.push((rec.seq, at));
            }
        })
        .unwrap();
    assert_eq!(out.len(), seqs.len());
    out
}

/// Overwrites the items of one log page with garbage (its first and last words, sequential
/// storage's page-state markers, are kept: damage inside a page as a worn cell gives it).
fn damage_log_page(path: &std::path::Path, page: usize) {
    let mut bytes = std::fs::read(path).unwrap();
    let at = LOG_START + page * 4096;
    for (i, b) in bytes[at + 32..at + 4096 - 32].iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(29) ^ 0xa5;
    }
    std::fs::write(path, &bytes).unwrap();
}

/// `(next seq, lost)` from the console's `status` line.
fn seq_and_lost(sim: &mut SimLock) -> (u32, u32, String) {
    let st = sim.console_line("status");
    let line = st
        .lines()
        .find(|l| l.contains("audit log: next seq"))
        .unwrap_or_else(|| panic!("{st}"))
        .to_string();
    let num = |after: &str| -> u32 {
        let rest = &line[line.find(after).unwrap() + after.len()..];
        rest.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap()
    };
    (num("next seq "), num("lost "), line)
}

/// A lock with many audit records: an enrolled code typed again and again.
fn busy_lock(path: &std::path::Path, serial: &str) -> SimLock {
    let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::from_seed([7; 32]);
    provision(path, serial, &mut rng).unwrap();
    let mut sim = boot(path);
    sim.console_line("program-button");
    assert!(sim.console_line("2580#").contains("code enrolled"));
    for _ in 0..150 {
        sim.console_line("2580#");
        sim.advance(Duration::from_secs(20));
    }
    sim
}

#[test]
fn a_damaged_middle_log_page_counts_its_records_as_lost_and_the_sequence_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.img");
    let mut sim = busy_lock(&path, "DMG-2");
    // Nobody acknowledges this lock's records: its RAM ring overflowed (counted in `lost`).
    let (next_before, lost_before, _) = seq_and_lost(&mut sim);
    drop(sim);
    let pages = log_pages(&path);
    let used: std::collections::BTreeSet<usize> = pages.iter().map(|p| p.1).collect();
    assert!(used.len() >= 3, "{used:?}");
    // A page in the middle: neither the oldest nor the newest.
    let middle = *used.iter().nth(1).unwrap();
    let in_page = pages.iter().filter(|p| p.1 == middle).count() as u32;
    damage_log_page(&path, middle);
    let mut sim = boot(&path);
    let (next_after, lost_after, line) = seq_and_lost(&mut sim);
    println!("{line} ({in_page} records were in page {middle})");
    // The boot's own Reboot record follows the last one.
    assert_eq!(next_after, next_before + 1, "{line}");
    // The records of the damaged page, and the boot's own Reboot record pushing the oldest
    // unacknowledged one out of the full RAM ring (as every record on this lock does).
    assert_eq!(lost_after - lost_before, in_page + 1, "{line}");
    // Counted once: a second boot reads the same hole and does not count it again.
    drop(sim);
    let mut sim = boot(&path);
    let (next2, lost2, line) = seq_and_lost(&mut sim);
    assert_eq!((next2, lost2), (next_after + 1, lost_after + 1), "{line}");
}

#[test]
fn a_damaged_log_tail_never_lowers_the_sequence_and_counts_the_loss() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.img");
    let mut sim = busy_lock(&path, "DMG-3");
    let (next_before, lost_before, _) = seq_and_lost(&mut sim);
    drop(sim);
    let pages = log_pages(&path);
    let tail = pages.last().unwrap().1;
    let in_tail: Vec<u32> = pages.iter().filter(|p| p.1 == tail).map(|p| p.0).collect();
    assert!(in_tail.len() as u32 > AUDIT_SEQ_LEASE, "{in_tail:?}");
    damage_log_page(&path, tail);
    let mut sim = boot(&path);
    let (next_after, lost_after, line) = seq_and_lost(&mut sim);
    drop(sim);
    // The boot puts back the last record committed with its step's items (persist.rs), so
    // the records really gone are the tail's others.
    let readable: Vec<u32> = log_pages(&path).iter().map(|p| p.0).collect();
    let gone = in_tail.iter().filter(|s| !readable.contains(s)).count() as u32;
    println!("{line} ({gone} of {} records in tail page {tail} gone; before: next seq {next_before}, lost {lost_before})", in_tail.len());
    assert!(gone >= AUDIT_SEQ_LEASE, "{gone}");
    assert!(next_after > next_before, "{line}");
    // The records gone, plus the boot's Reboot record overflowing the full RAM ring; at most
    // the unused part of the last reservation more (an upper bound when the tail is lost).
    let lost = lost_after - lost_before;
    assert!(lost > gone, "{line}");
    assert!(lost <= gone + AUDIT_SEQ_LEASE, "{line}");
}
