//! Benchmarks: a PIN entry (digits + `#`) through `Lock::handle` with one
//! enrolled user vs every user slot full (each with every credential slot a
//! PIN), and the size of the lock state.
//!
//! Run: `cargo bench -p tumbler-lock`

// A bench reports figures on stdout and may panic on a broken setup.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::panic)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use tumbler_lock::config::MAX_USERS;
use tumbler_lock::*;

#[path = "../examples/common/mod.rs"]
mod common;

fn bench(c: &mut Criterion) {
    println!("size_of::<Lock>() = {} bytes", core::mem::size_of::<Lock>());
    println!(
        "size_of::<Output>() = {} bytes",
        core::mem::size_of::<Output>()
    );
    let mut g = c.benchmark_group("pin_entry");
    for (name, users) in [("1_user", 1usize), ("full_100_users_x4_pins", MAX_USERS)] {
        let (mut lock, mut now, pin) = common::setup(users);
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        g.bench_function(name, |b| {
            b.iter(|| {
                now.mono_ms += 1;
                let out = common::enter(&mut lock, now, &pin, &mut rng);
                black_box(out);
            })
        });
        // Sanity: the PIN still opens (the bench measures the granting path).
        let out = common::enter(&mut lock, now, &pin, &mut rng);
        assert!(out
            .events
            .iter()
            .any(|e| matches!(e, Event::LockOperation { .. })));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
