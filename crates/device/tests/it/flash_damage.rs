//! Damage is said aloud (issue 13): a boot that finds a claimed lock's flash unreadable and
//! wipes it to setup mode is counted as a flash recovery — on the console, at boot and in
//! `status` — apart from factory resets, and the count survives a later factory reset.

use std::sync::Arc;
use std::time::Duration;
use tumbler_device::clock::VirtualClock;
use tumbler_device::image::provision;
use tumbler_device::sim::{SimLock, SimOptions};

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
