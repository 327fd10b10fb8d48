//! Shared setup for the PIN-cost bench and the instruction-count example.

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use tumbler_lock::config::{CREDENTIALS_PER_USER, MAX_USERS};
use tumbler_lock::*;

/// A claimed lock with `users` users; when full, every credential slot of
/// every user holds a distinct PIN. Returns the lock, a time, and the PIN
/// of the last enrolled user (the worst case for a naive early-exit scan).
pub fn setup(users: usize) -> (Lock, Now, heapless::Vec<u8, 8>) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let mut now = Now::new(10_000, 1_767_225_600);
    let f = FactoryData::new("BENCH", [1; 32], b"1234", [2; 32], 0);
    let mut lock = Lock::new_factory(f, now, &mut rng);
    now.mono_ms += 5_000;
    let label = heapless::String::try_from("hub").unwrap_or_default();
    lock.handle(
        now,
        Input::PairFirstAdmin {
            pubkey: [9; 32],
            label,
        },
        &mut rng,
    );
    let mut counter = 0;
    let mut cmd = |lock: &mut Lock, c: Command| {
        counter += 1;
        let out = lock.handle(
            now,
            Input::Command {
                from: ControllerId(1),
                id: counter,
                counter: u64::from(counter),
                cmd: c,
            },
            &mut rng,
        );
        matches!(out.reply.map(|r| r.result), Some(Ok(_)))
    };
    cmd(
        &mut lock,
        Command::SetSetting(Setting::ForbidTrivialPins(false)),
    );
    let slots = if users == 1 { 1 } else { CREDENTIALS_PER_USER };
    let mut last = heapless::Vec::new();
    for u in 1..=users.min(MAX_USERS) {
        let idx = u16::try_from(u).unwrap_or(1);
        cmd(
            &mut lock,
            Command::SetUser {
                index: idx,
                fields: UserFields::new("b", UserType::Unrestricted),
            },
        );
        for s in 0..slots {
            let n = 10_000_000 + u * 10 + s;
            let mut digits: heapless::Vec<u8, 8> = heapless::Vec::new();
            for ch in n.to_string().bytes() {
                let _ = digits.push(ch);
            }
            let slot = u8::try_from(s).unwrap_or(0);
            let ok = cmd(
                &mut lock,
                Command::SetCredential {
                    user: idx,
                    slot,
                    credential: NewCredential::Pin(Pin::new(&digits).unwrap_or_default()),
                },
            );
            assert!(ok);
            last = digits;
        }
    }
    (lock, now, last)
}

/// Types the PIN and `#`; returns the output of `#`.
pub fn enter(lock: &mut Lock, now: Now, pin: &[u8], rng: &mut ChaCha20Rng) -> Output {
    for d in pin {
        lock.handle(now, Input::Key(Key::Digit(d - b'0')), rng);
    }
    lock.handle(now, Input::Key(Key::Hash), rng)
}
