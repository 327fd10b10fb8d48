//! Runs PIN entries for the instruction-count comparison under callgrind:
//! `valgrind --tool=callgrind --toggle-collect='pin_cost::run*' target/release/examples/pin_cost 1`
//! and the same with `full`. Prints nothing but the number of grants.

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use tumbler_lock::config::MAX_USERS;
use tumbler_lock::*;

mod common;

const RUNS: u64 = 100;

#[inline(never)]
fn run(lock: &mut Lock, mut now: Now, pin: &[u8], rng: &mut ChaCha20Rng) -> usize {
    let mut grants = 0;
    for _ in 0..RUNS {
        now.mono_ms += 1;
        let out = common::enter(lock, now, pin, rng);
        grants += usize::from(
            out.events
                .iter()
                .any(|e| matches!(e, Event::LockOperation { .. })),
        );
    }
    grants
}

fn main() {
    let users = match std::env::args().nth(1).as_deref() {
        Some("full") => MAX_USERS,
        _ => 1,
    };
    let (mut lock, now, pin) = common::setup(users);
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let grants = run(&mut lock, now, &pin, &mut rng);
    #[allow(clippy::print_stdout)]
    {
        println!("users={users} grants={grants}/{RUNS}");
    }
}
